// The interpreter page (issue 5, docs/protocol.md "Interpreters"): sign in (the token from
// logged_in is kept in sessionStorage, as on the agent console, so a reload signs in again),
// Available/Away, the ring of an agent's invitation with the languages, the agent, the
// customer, the topic and the chat so far, Accept/Decline; in the call both other parties'
// videos, labelled, and "Leave call"; back to Available when the call ends for us.
//
// The call's media: one RTCPeerConnection that sends our camera and microphone and receives
// two parties (one pair of receive-only transceivers beyond the first), placed by the streams
// map rapportd sends (CallMedia).

import { CallMedia, LocalMedia, RapportClient } from '/lib/rapport.mjs';
import { ChatView } from '/lib/chat.mjs';
import { CallControls, VideoStage } from '/lib/callui.mjs';
import { setText } from '/lib/dom.mjs';
import { bindRingButtons, bindStaffSession, ringCountdown } from '/lib/staff.mjs';

const $ = (id) => document.getElementById(id);
const ui = {};
for (const id of ['bar', 'who', 'status', 'signout', 'state', 'detail', 'signin', 'username', 'password',
  'signin-error', 'signin-button', 'console', 'idle', 'idle-title', 'idle-text', 'languages', 'ring',
  'ring-alert', 'ring-languages', 'ring-agent', 'ring-customer', 'ring-topic', 'ring-countdown', 'accept',
  'decline', 'call', 'call-title', 'call-mode', 'stage', 'controls', 'about', 'chat']) {
  ui[id.replace(/-(.)/g, (_, c) => c.toUpperCase())] = $(id);
}

const STATUS_WORDS = { available: 'Available', away: 'Away', busy: 'Busy' };
const MODE_WORDS = {
  consecutive: 'Consecutive: everyone hears everyone.',
  simultaneous: 'Simultaneous: you hear both; each of them hears you over the other, quieter.',
};
const TITLE = document.title;

const client = new RapportClient('interpreter');
const stage = new VideoStage('Customer video', 'Agent video');
const local = new LocalMedia(stage.self);
const controls = new CallControls(local, () => leave(), 'Leave call');
const chat = new ChatView({
  self: 'interpreter',
  label: 'Chat so far',
  names: (m) => (m.from === 'customer' ? (m.name || 'Customer') : m.from === 'agent' ? (m.name || 'Agent') : 'Service'),
  send: () => Promise.reject(new Error('interpreters do not write in the chat')),
});
chat.el.classList.add('read-only');
chat.setEnabled(false);
ui.stage.append(stage.el);
ui.controls.append(controls.el);
ui.chat.append(chat.el);

let catalog = []; // the languages rapportd offers: [{code, name}]
const { me, showSignin, setStatus } = bindStaffSession({
  client, ui, show, setView, clearFocus,
  busy: ['busy'],
  onOpen: (msg) => { if (Array.isArray(msg.languages)) catalog = msg.languages; },
  onLoggedIn: (msg) => {
    const langs = msg.languages?.length ? msg.languages.map(languageName).join(', ') : 'none';
    setText(ui.languages, `Your languages: ${langs}.`);
    if (msg.call) return; // its ring or call follows
    showIdle(`Signed in as ${msg.username}.`);
  },
});
// The call on the screen: ringing or in progress.
const focus = { call: null, phase: null, customer: '', agent: '', languages: '', ringTimer: null };
let media = null;

/* ------------------------------------------------------------------ showing */

function show(state, detail = '') {
  setText(ui.state, state);
  setText(ui.detail, detail);
}

function languageName(code) {
  return catalog.find((l) => l.code === code)?.name || code;
}

function pairText(pair) {
  return String(pair || '').split(',').filter(Boolean).map(languageName).join(' ↔ ');
}

function setView(view) {
  ui.signin.hidden = view !== 'signin';
  ui.console.hidden = view === 'signin';
  ui.bar.hidden = view === 'signin';
  ui.idle.hidden = view !== 'idle';
  ui.ring.hidden = view !== 'ring';
  ui.call.hidden = view !== 'call';
  ui.about.hidden = !['ring', 'call'].includes(view);
  stage.setMode(view === 'call' ? 'call' : 'off');
  controls.show(view === 'call');
  document.title = view === 'ring' ? `Ringing: ${focus.agent} – ${TITLE}` : TITLE;
}

function showIdle(detail = '') {
  clearFocus();
  setView('idle');
  const away = me.status === 'away';
  setText(ui.idleTitle, away ? 'You are away' : 'Waiting for calls');
  setText(ui.idleText, away ? 'No requests ring here. Set your status to Available to take them.'
    : 'Agents\' requests for your languages will ring here.');
  show(STATUS_WORDS[me.status] || 'Available', detail);
}

function clearFocus() {
  clearInterval(focus.ringTimer);
  Object.assign(focus, { call: null, phase: null, customer: '', agent: '', languages: '', ringTimer: null });
  chat.clear();
  endMedia();
}

function endMedia() {
  media?.close();
  media = null;
  local.stop();
}

/* ------------------------------------------------------------------ actions */

bindRingButtons({ client, ui, local, focus });

function leave() {
  if (focus.phase === 'call') client.send('hangup', { call: focus.call });
}

/* ------------------------------------------------------------------ rapportd's messages */

client.on('status', (msg) => {
  setStatus(msg.status);
  if (focus.phase) return; // ring or call on screen; status shown in the bar
  // keep the line that says why we are idle (call_ended comes just before its status)
  showIdle(msg.reason === 'no_answer' ? 'You were set to Away because two requests rang unanswered.' : ui.detail.textContent);
});

client.on('ring', (msg) => {
  clearFocus();
  Object.assign(focus, {
    call: msg.call, phase: 'ring', customer: msg.name || 'the customer', agent: msg.agent || 'An agent',
    languages: msg.languages || msg.language || '',
  });
  setText(ui.ringAlert, `${focus.agent} asks you to interpret (${pairText(focus.languages)})`);
  setText(ui.ringLanguages, pairText(focus.languages) || '—');
  setText(ui.ringAgent, focus.agent);
  setText(ui.ringCustomer, msg.name || '—');
  setText(ui.ringTopic, msg.topic_name || msg.topic || '—');
  chat.setHistory(msg.chat || []);
  ui.accept.disabled = false;
  ui.decline.disabled = false;
  setView('ring');
  show('Ringing', `${focus.agent} is in a call with ${focus.customer} and needs an interpreter.`);
  focus.ringTimer = ringCountdown(ui.ringCountdown, msg.timeout_s);
});

client.on('ring_cancelled', (msg) => {
  if (msg.call !== focus.call || focus.phase !== 'ring') return;
  const why = {
    declined: 'You declined.',
    no_answer: 'The request was not answered in time and went to the next interpreter.',
    cancelled: 'The agent no longer needs an interpreter.',
  };
  showIdle(why[msg.reason] || 'The request stopped ringing.');
});

client.on('call_started', async (msg) => {
  if (focus.call !== msg.call) {
    clearFocus();
    focus.call = msg.call;
  }
  clearInterval(focus.ringTimer);
  Object.assign(focus, {
    phase: 'call', customer: msg.customer || focus.customer || 'Customer', agent: msg.agent || focus.agent || 'Agent',
    languages: msg.languages || focus.languages,
  });
  setText(ui.callTitle, `Interpreting ${pairText(focus.languages)} for ${focus.agent} and ${focus.customer}`);
  setText(ui.callMode, MODE_WORDS.consecutive);
  stage.setCaption(`Customer: ${focus.customer}`);
  setView('call');
  stage.setSecond(true, `Agent: ${focus.agent}`);
  show('In call', 'Connecting video…');
  media?.close();
  try {
    media = new CallMedia(client, msg.call, await local.get(), {
      videos: { customer: stage.remote, agent: stage.second },
      fallback: null,
      receive: 1, // the customer and the agent
    });
    await media.start();
  } catch (err) {
    if (focus.call === msg.call) setText(ui.detail, `The video could not start: ${err.message}`);
  }
});

client.on('participants', (msg) => {
  if (msg.call !== focus.call || focus.phase !== 'call') return;
  for (const p of msg.participants || []) {
    if (p.role === 'customer') focus.customer = p.name || focus.customer;
    if (p.role === 'agent') focus.agent = p.name || focus.agent;
  }
  stage.setCaption(`Customer: ${focus.customer}`);
  stage.setSecond(true, `Agent: ${focus.agent}`);
  setText(ui.callMode, MODE_WORDS[msg.mode] || '');
  media?.participants(msg);
});

client.on('media_state', (msg) => {
  if (msg.call !== focus.call) return;
  setText(ui.detail, msg.state === 'connected' ? 'Connected. You can see and hear both of them.'
    : `The video connection failed${msg.reason ? ` (${msg.reason})` : ''}.`);
});

client.on('call_ended', (msg) => {
  if (msg.call !== focus.call) return;
  const why = {
    removed: 'The agent ended your part in the call.',
    left: 'You left the call.',
    disconnected: 'The connection was lost.',
    hangup: 'The call ended.',
  };
  showIdle(why[msg.reason] || 'The call ended.');
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
