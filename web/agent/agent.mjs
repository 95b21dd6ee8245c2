// The agent console (issue 3): sign in, status, the ring with who is calling and why (name,
// language, topic, chat so far, earlier contacts), Accept/Decline, the call with chat, and the
// wrap-up. In a call, an interpreter can be invited (issue 5, ./interp.mjs). The agent token
// from logged_in is kept in sessionStorage (never the password), so
// a reload or a dropped connection signs in again by itself and the call or wrap-up resumes.

import { CallMedia, LocalMedia, RapportClient } from '/lib/rapport.mjs';
import { ChatView } from '/lib/chat.mjs';
import { CallControls, VideoStage } from '/lib/callui.mjs';
import { setText } from '/lib/dom.mjs';
import { bindRingButtons, bindStaffSession, ringCountdown } from '/lib/staff.mjs';
import { renderEarlier } from './earlier.mjs';
import { InterpreterPanel } from './interp.mjs';

const $ = (id) => document.getElementById(id);
const ui = {};
for (const id of ['bar', 'who', 'status', 'signout', 'state', 'detail', 'signin', 'username', 'password',
  'signin-error', 'signin-button', 'console', 'idle', 'idle-title', 'idle-text', 'skills', 'ring',
  'ring-alert', 'ring-language', 'ring-topic', 'ring-returning', 'ring-countdown', 'accept', 'decline',
  'call', 'call-title', 'stage', 'controls', 'wrapup', 'outcome', 'notes', 'wrapup-error', 'finish',
  'customer', 'customer-name', 'chat', 'earlier', 'interp', 'interp-state', 'interp-invite',
  'interp-language', 'invite', 'interp-mode', 'remove-interp']) {
  ui[id.replace(/-(.)/g, (_, c) => c.toUpperCase())] = $(id);
}

const STATUS_WORDS = { available: 'Available', away: 'Away', busy: 'Busy', wrap_up: 'Wrap-up' };
const TITLE = document.title;

const client = new RapportClient('agent');
const stage = new VideoStage('Customer video');
const local = new LocalMedia(stage.self);
const controls = new CallControls(local, () => hangup());
const chat = new ChatView({
  self: 'agent',
  label: 'Chat with the customer',
  names: (m) => (m.from === 'agent' ? (m.name === me.username ? 'You' : m.name) : m.from === 'customer' ? (m.name || 'Customer') : 'Service'),
  send: (text) => client.request('chat', { call: focus.call, text }).then((msg) => msg.message),
});
const interp = new InterpreterPanel({ ui, client, stage });
ui.stage.append(stage.el);
ui.controls.append(controls.el);
ui.chat.append(chat.el);

const { me, showSignin, setStatus } = bindStaffSession({
  client, ui, show, setView, clearFocus,
  busy: ['busy', 'wrap_up'],
  onOpen: (msg) => interp.setCatalog(msg.languages),
  onLoggedIn: (msg) => {
    const langs = msg.languages?.length ? msg.languages.join(', ') : 'all';
    const skills = msg.skills?.length ? msg.skills.join(', ') : 'all';
    setText(ui.skills, `Your languages: ${langs}. Your topics: ${skills}.`);
    if (msg.call) return; // ring, call_started or status wrap_up follows
    showIdle(`Signed in as ${msg.username}.`);
  },
});
// The customer on the screen: the call ringing, in progress or being wrapped up.
const focus = { call: null, phase: null, name: '', ringTimer: null, language: '' };
let media = null;

/* ------------------------------------------------------------------ showing */

function show(state, detail = '') {
  setText(ui.state, state);
  setText(ui.detail, detail);
}

function setView(view) {
  ui.signin.hidden = view !== 'signin';
  ui.console.hidden = view === 'signin';
  ui.bar.hidden = view === 'signin';
  ui.idle.hidden = view !== 'idle';
  ui.ring.hidden = view !== 'ring';
  ui.call.hidden = view !== 'call';
  ui.wrapup.hidden = view !== 'wrapup';
  ui.customer.hidden = !['ring', 'call', 'wrapup'].includes(view);
  stage.setMode(view === 'call' ? 'call' : 'off');
  controls.show(view === 'call');
  document.title = view === 'ring' ? `Ringing: ${focus.name} – ${TITLE}` : TITLE;
}

function showIdle(detail = '') {
  clearFocus();
  setView('idle');
  const away = me.status === 'away';
  setText(ui.idleTitle, away ? 'You are away' : 'Waiting for calls');
  setText(ui.idleText, away ? 'No calls ring here. Set your status to Available to take calls.'
    : 'Calls that match your languages and skills will ring here.');
  show(STATUS_WORDS[me.status] || 'Available', detail);
}

function showCustomer(msg) {
  setText(ui.customerName, msg.name || 'Customer');
  renderEarlier(ui.earlier, msg.earlier, (pair) => interp.pairText(pair));
}

function clearFocus() {
  clearInterval(focus.ringTimer);
  Object.assign(focus, { call: null, phase: null, name: '', ringTimer: null, language: '' });
  chat.clear();
  ui.earlier.replaceChildren();
  endMedia();
}

function endMedia() {
  media?.close();
  media = null;
  local.stop();
  interp.stop();
}

/* ------------------------------------------------------------------ actions */

bindRingButtons({ client, ui, local, focus });

function hangup() {
  if (focus.phase === 'call') client.send('hangup', { call: focus.call });
}

ui.wrapup.addEventListener('submit', async (ev) => {
  ev.preventDefault();
  if (focus.phase !== 'wrapup') return;
  const fields = { call: focus.call, outcome: ui.outcome.value };
  const notes = ui.notes.value.trim();
  if (notes) fields.notes = notes;
  ui.finish.disabled = true;
  ui.wrapupError.hidden = true;
  try {
    await client.request('wrap_up', fields);
    ui.notes.value = '';
    ui.outcome.selectedIndex = 0;
    showIdle('Wrap-up saved.');
  } catch (err) {
    setText(ui.wrapupError, `Not saved: ${err.message}. Please try again.`);
    ui.wrapupError.hidden = false;
  } finally {
    ui.finish.disabled = false;
  }
});

/* ------------------------------------------------------------------ rapportd's messages */

client.on('status', (msg) => {
  setStatus(msg.status);
  if (msg.status === 'wrap_up' && msg.call) {
    showWrapup(msg.call);
    return;
  }
  if (focus.phase) return; // ring or call on screen; status shown in the bar
  showIdle(msg.reason === 'no_answer' ? 'You were set to Away because two calls rang unanswered.' : '');
});

client.on('ring', (msg) => {
  clearFocus();
  Object.assign(focus, { call: msg.call, phase: 'ring', name: msg.name || 'A customer', language: msg.language || '' });
  setText(ui.ringAlert, `Incoming call from ${focus.name}`);
  setText(ui.ringLanguage, msg.language_name || msg.language || '—');
  setText(ui.ringTopic, msg.topic_name || msg.topic || '—');
  ui.ringReturning.hidden = !msg.returning;
  showCustomer(msg);
  chat.setHistory(msg.chat || []);
  ui.accept.disabled = false;
  ui.decline.disabled = false;
  setView('ring');
  show('Ringing', `${focus.name} would like to talk.`);
  focus.ringTimer = ringCountdown(ui.ringCountdown, msg.timeout_s);
});

client.on('ring_cancelled', (msg) => {
  if (msg.call !== focus.call || focus.phase !== 'ring') return;
  const why = {
    declined: 'You declined the call.',
    no_answer: 'The call was not answered in time and went to the next agent.',
    cancelled: 'The customer hung up before you answered.',
    agent_left: 'The call went to another agent while you were disconnected.',
  };
  showIdle(why[msg.reason] || 'The call stopped ringing.');
});

client.on('call_started', async (msg) => {
  const same = focus.call === msg.call;
  if (!same) clearFocus();
  clearInterval(focus.ringTimer);
  Object.assign(focus, { call: msg.call, phase: 'call', name: msg.peer?.name || focus.name || 'Customer' });
  focus.language = msg.language || focus.language;
  if (!same) setText(ui.customerName, focus.name);
  stage.setCaption(`Customer: ${focus.name}`);
  interp.start(msg.call, focus.language);
  setText(ui.callTitle, `In call with ${focus.name}`);
  setView('call');
  show('In call', `With ${focus.name}. Connecting video…`);
  stage.setNote(msg.peer && !msg.peer.connected ? 'The customer\'s connection dropped. Waiting for them…' : '');
  media?.close();
  try {
    media = new CallMedia(client, msg.call, await local.get(), {
      videos: { customer: stage.remote, interpreter: stage.second },
      fallback: 'customer',
      receive: interp.joined ? 1 : 0,
    });
    await media.start();
  } catch (err) {
    if (focus.call === msg.call) setText(ui.detail, `The video could not start: ${err.message}`);
  }
});

client.on('participants', (msg) => {
  if (msg.call !== focus.call || focus.phase !== 'call') return;
  interp.update(msg);
  media?.participants(msg);
});

client.on('invite_failed', (msg) => {
  if (msg.call === focus.call) interp.inviteFailed(msg);
});

client.on('media_state', (msg) => {
  if (msg.call !== focus.call) return;
  setText(ui.detail, msg.state === 'connected' ? 'Connected. You can see and hear each other.'
    : `The video connection failed${msg.reason ? ` (${msg.reason})` : ''}.`);
});

client.on('peer_state', (msg) => {
  if (msg.call !== focus.call) return;
  stage.setNote(msg.state === 'connected' ? '' : 'The customer\'s connection dropped. Waiting for them…');
});

client.on('call_ended', (msg) => {
  if (msg.call !== focus.call) return;
  endMedia();
  const why = msg.reason === 'disconnected' ? 'The connection was lost.'
    : msg.by === 'customer' ? 'The customer ended the call.' : msg.by === 'agent' ? 'You ended the call.' : '';
  if (focus.phase === 'call') {
    showWrapup(msg.call, why);
    return;
  }
  showIdle(`Call ended. ${why}`);
});

function showWrapup(call, why = '') {
  if (focus.call !== call) {
    clearFocus();
    focus.call = call;
    setText(ui.customerName, 'Customer');
    client.request('chat_history', { call }).then((h) => chat.setHistory(h.messages || [])).catch(() => {});
  }
  if (focus.phase === 'wrapup') return;
  focus.phase = 'wrapup';
  endMedia();
  setView('wrapup');
  show('Call ended', `${why ? `${why} ` : ''}Please wrap up: choose the outcome, add notes, then Finish.`);
  ui.outcome.focus();
}

client.on('chat', (msg) => {
  if (msg.re !== undefined || !msg.message || msg.call !== focus.call) return;
  chat.add(msg.message);
});

client.on('chat_history', (msg) => {
  if (msg.call === focus.call) chat.setHistory(msg.messages || []);
});

/* ------------------------------------------------------------------ start */

if (client.token()) {
  show('Signing in…');
  setView('idle');
  ui.console.hidden = true;
  client.connect();
} else {
  showSignin();
}
