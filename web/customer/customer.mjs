// The customer's page: ask for an agent, wait in line, talk, hang up. A reload or a dropped
// connection resumes the same session (and the call, if it is still up).
import { CallMedia, LocalMedia, RapportClient, setText } from '/lib/rapport.mjs';

const $ = (id) => document.getElementById(id);
const ui = {
  form: $('request'), name: $('name'), see: $('see'), state: $('state'), detail: $('detail'),
  remote: $('remote'), self: $('self'), hangup: $('hangup'),
};
const NAME_KEY = 'rapport.name';

const client = new RapportClient('customer');
let call = null;      // the call id while one exists
let media = null;     // CallMedia while in a call
const local = new LocalMedia(ui.self);
let requestId = null; // the call_request waiting for queued/ringing

function show(state, detail = '') {
  setText(ui.state, state);
  setText(ui.detail, detail);
}

function setBusy(busy) {
  ui.see.disabled = busy;
  ui.name.disabled = busy;
  ui.hangup.disabled = !busy;
}

function endMedia() {
  media?.close();
  media = null;
  local.stop();
}

ui.name.value = sessionStorage.getItem(NAME_KEY) || '';

ui.form.addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const name = ui.name.value.trim();
  if (!name) {
    show('Ready', 'Please enter your name first.');
    ui.name.focus();
    return;
  }
  sessionStorage.setItem(NAME_KEY, name);
  setBusy(true);
  show('Waiting for an agent', 'Starting your camera…');
  try {
    await local.get();
  } catch (err) {
    setBusy(false);
    show('Ready', `Your camera or microphone is not available: ${err.message}`);
    return;
  }
  requestId = client.send('call_request', { name });
});

ui.hangup.addEventListener('click', () => {
  if (call) client.send('hangup', { call });
});

client.on('open', (msg) => {
  if (msg.call) return; // the call's state follows
  if (call) {           // it ended while we were away
    call = null;
    endMedia();
    setBusy(false);
    show('Call ended', 'The connection was lost.');
  } else if (!requestId) {
    show('Ready', '');
  }
});

client.on('close', (ev) => {
  if (ev.final) show('Disconnected', ev.code === 4001 ? 'This conversation continues in another window.' : 'Reload the page to start again.');
  else setText(ui.detail, 'Connection lost, reconnecting…');
});

client.on('queued', (msg) => {
  requestId = null;
  call = msg.call;
  setBusy(true);
  show('Waiting for an agent', msg.position === 1 ? 'You are next in line.' : `You are number ${msg.position} in line.`);
});

client.on('ringing', (msg) => {
  requestId = null;
  call = msg.call;
  setBusy(true);
  show('Waiting for an agent', 'An agent is being called…');
});

client.on('call_started', async (msg) => {
  call = msg.call;
  setBusy(true);
  show('In call', `With ${msg.peer.name}. Connecting media…`);
  media?.close();
  try {
    media = new CallMedia(client, call, await local.get(), ui.remote);
    await media.start();
  } catch (err) {
    setText(ui.detail, `Media could not start: ${err.message}`);
  }
});

client.on('media_state', (msg) => {
  if (msg.call !== call) return;
  setText(ui.detail, msg.state === 'connected' ? 'Connected.' : `Media failed: ${msg.reason || 'unknown reason'}`);
});

client.on('peer_state', (msg) => {
  if (msg.call !== call) return;
  setText(ui.detail, msg.state === 'connected' ? 'The agent is back.' : 'The agent\'s connection dropped, waiting for them…');
});

client.on('call_ended', (msg) => {
  if (msg.call !== call) return;
  call = null;
  endMedia();
  setBusy(false);
  const why = msg.reason === 'disconnected' ? 'The connection was lost.' : msg.by === 'agent' ? 'The agent ended the call.' : '';
  show('Call ended', why);
});

client.on('error', (msg) => {
  if (msg.re !== undefined && msg.re === requestId) {
    requestId = null;
    setBusy(false);
    show('Ready', msg.message);
  } else if (msg.re === undefined) {
    setText(ui.detail, msg.message);
  }
});

client.connect();
