// chat.mjs: the chat transcript and the box to write in, shared by the customer widget and
// the agent console (docs/protocol.md "Chat").
//
// A message the person sends is shown at once as "Sending…" and becomes an ordinary message
// only when rapportd acknowledges it (the store has it). If no acknowledgement comes (the
// connection dropped, or an error) it says "Not sent" with a "Send again" button. Stored
// messages carry data-id (the server's id), so tests and the page can tell the two apart.

import { h, field, setText } from './dom.mjs';

const MAX_BYTES = 4000;

export class ChatView {
  // self: the `from` value of this page's own messages ('customer' or 'agent').
  // names(message): the display name for a stored message.
  // send(text): returns a promise of the stored message (the acknowledgement).
  constructor({ self, names, send, label = 'Chat', placeholder = '' }) {
    this.self = self;
    this.names = names;
    this.sendFn = send;
    this.stored = new Map(); // id -> <li>
    this.log = h('ol', { class: 'chat-log', role: 'log', 'aria-label': 'Conversation' });
    this.empty = h('li', { class: 'chat-empty', text: 'No messages yet.' });
    this.log.append(this.empty);
    this.input = h('textarea', { rows: 2, maxlength: MAX_BYTES, placeholder, autocomplete: 'off' });
    this.button = h('button', { type: 'submit', text: 'Send' });
    this.error = h('p', { class: 'chat-error', role: 'alert' });
    this.form = h('form', { class: 'chat-form', onsubmit: (ev) => { ev.preventDefault(); this.submit(); } },
      field('Message', this.input), this.button);
    this.input.addEventListener('keydown', (ev) => {
      if (ev.key === 'Enter' && !ev.shiftKey && !ev.isComposing) {
        ev.preventDefault();
        this.submit();
      }
    });
    this.el = h('section', { class: 'chat', 'aria-label': label }, this.log, this.error, this.form);
  }

  setEnabled(enabled) {
    this.input.disabled = !enabled;
    this.button.disabled = !enabled;
  }

  clear() {
    this.stored.clear();
    this.log.replaceChildren(this.empty);
  }

  maxId() {
    let max = 0;
    for (const id of this.stored.keys()) max = Math.max(max, id);
    return max;
  }

  // The transcript from the server (chat_history, ring.chat): replaces the stored messages;
  // a message still unacknowledged here that the server turns out to have is settled.
  setHistory(messages) {
    const pending = [...this.log.querySelectorAll('li.pending')];
    this.stored.clear();
    this.log.replaceChildren();
    for (const m of messages) this.add(m, false);
    const used = new Set();
    for (const li of pending) {
      const got = messages.find((m) => m.from === this.self && m.text === li.dataset.text &&
        m.id > Number(li.dataset.after) && !used.has(m.id));
      if (got) {
        used.add(got.id); // it was stored after all
        continue;
      }
      this.log.append(li);
    }
    if (!this.log.children.length) this.log.append(this.empty);
    this.scroll();
  }

  // One stored message (pushed by the server, or an acknowledgement). Duplicates are ignored.
  add(m, scroll = true) {
    if (this.stored.has(m.id)) return;
    this.empty.remove();
    const li = this.render(m);
    this.stored.set(m.id, li);
    // keep id order even when a push overtakes an older message
    const after = [...this.stored.entries()].filter(([id]) => id > m.id).map(([, el]) => el)
      .find((el) => el.isConnected);
    if (after) this.log.insertBefore(li, after);
    else this.log.append(li);
    if (scroll) this.scroll();
  }

  render(m) {
    const mine = m.from === this.self;
    const who = this.names(m);
    return h('li', { class: `msg from-${m.from}${mine ? ' mine' : ''}`, 'data-id': m.id },
      h('span', { class: 'msg-who', text: who }),
      h('time', { class: 'msg-time', datetime: new Date(m.time).toISOString(), text: timeOf(m.time) }),
      h('p', { class: 'msg-text', text: m.text }));
  }

  scroll() {
    this.log.scrollTop = this.log.scrollHeight;
  }

  async submit() {
    const text = this.input.value.trim();
    setText(this.error, '');
    if (!text || this.button.disabled) return;
    if (new TextEncoder().encode(text).length > MAX_BYTES) {
      setText(this.error, 'That message is too long. Please split it into shorter ones.');
      return;
    }
    this.input.value = '';
    this.input.focus();
    await this.deliver(text);
  }

  async deliver(text, li = null) {
    this.empty.remove();
    if (!li) {
      li = h('li', { class: 'msg mine pending', 'data-text': text });
      this.log.append(li);
    }
    li.dataset.after = String(this.maxId());
    li.className = 'msg mine pending';
    li.replaceChildren(h('span', { class: 'msg-who', text: 'You' }),
      h('span', { class: 'msg-state', text: 'Sending…' }), h('p', { class: 'msg-text', text }));
    this.scroll();
    try {
      const m = await this.sendFn(text);
      li.remove();
      this.add(m);
    } catch (err) {
      if (!li.isConnected) return; // settled by a chat_history meanwhile
      li.className = 'msg mine pending failed';
      const again = h('button', { type: 'button', class: 'link', text: 'Send again',
        onclick: () => this.deliver(text, li) });
      li.replaceChildren(h('span', { class: 'msg-who', text: 'You' }),
        h('span', { class: 'msg-state', text: `Not sent${reasonOf(err)}.` }), again,
        h('p', { class: 'msg-text', text }));
    }
  }
}

function timeOf(ms) {
  return new Date(ms).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
}

function reasonOf(err) {
  switch (err?.code) {
    case 'disconnected': return ': the connection dropped';
    case 'rate_limited': return ': too many messages at once, wait a moment';
    case 'not_stored': return ': it could not be saved';
    default: return err?.message ? `: ${err.message}` : '';
  }
}
