// The agent's console: sign in, be available, answer a ring, talk, hang up. The password is
// kept in memory only, to sign in again after a dropped connection; after a reload the agent
// signs in again and a call still in its grace period resumes.
import { CallMedia, LocalMedia, RapportClient, setText } from '/lib/rapport.mjs';

const $ = (id) => document.getElementById(id);
const ui = {
  signin: $('signin'), username: $('username'), password: $('password'), console: $('console'),
  status: $('status'), ringing: $('ringing'), alert: $('ring-alert'), accept: $('accept'),
  decline: $('decline'), state: $('state'), detail: $('detail'), remote: $('remote'),
  self: $('self'), hangup: $('hangup'),
};

const client = new RapportClient('agent');
let creds = null;      // {username, password} once signed in
let connected = false; // hello answered
let ring = null;       // the call ringing here
let call = null;       // the call in progress
let media = null;
const local = new LocalMedia(ui.self);

const STATUS_WORDS = { available: 'Available', away: 'Away' };

function show(state, detail = '') {
  setText(ui.state, state);
  setText(ui.detail, detail);
}

function idleState() {
  return STATUS_WORDS[ui.status.value] || 'Available';
}

function endMedia() {
  media?.close();
  media = null;
  local.stop();
}

function showRing(msg) {
  ring = msg.call;
  setText(ui.alert, `Incoming call from ${msg.name}`);
  ui.ringing.hidden = false;
  ui.accept.disabled = false;
  ui.decline.disabled = false;
  show('Ringing', `${msg.name} would like to talk.`);
}

function hideRing() {
  ring = null;
  ui.ringing.hidden = true;
  setText(ui.alert, '');
}

async function signIn() {
  try {
    const ok = await client.request('login', creds);
    ui.signin.hidden = true;
    ui.console.hidden = false;
    ui.status.value = ok.status;
    if (!ok.call && call) { // it ended while we were away
      call = null;
      endMedia();
      ui.hangup.disabled = true;
      show('Call ended', 'The connection was lost.');
      return;
    }
    if (ring && ok.call !== ring) hideRing();
    if (!call && !ring) show(idleState(), `Signed in as ${ok.username}.`);
  } catch (err) {
    if (err.code === 'disconnected') return; // signs in again once reconnected
    creds = null;
    ui.signin.hidden = false;
    ui.console.hidden = true;
    show('Signed out', err.code === 'bad_credentials' ? 'Sign-in failed: wrong username or password.' : err.message);
  }
}

ui.signin.addEventListener('submit', (ev) => {
  ev.preventDefault();
  creds = { username: ui.username.value.trim(), password: ui.password.value };
  show('Signing in', '');
  if (connected) signIn();
  else client.connect(); // signs in once the connection is open
});

ui.status.addEventListener('change', () => {
  client.send('set_status', { status: ui.status.value });
});

ui.accept.addEventListener('click', async () => {
  if (!ring) return;
  const id = ring;
  ui.accept.disabled = true;
  ui.decline.disabled = true;
  try {
    await local.get();
  } catch (err) {
    setText(ui.detail, `Your camera or microphone is not available: ${err.message}`);
    ui.accept.disabled = false;
    ui.decline.disabled = false;
    return;
  }
  client.request('accept', { call: id }).catch((err) => setText(ui.detail, err.message));
});

ui.decline.addEventListener('click', () => {
  if (ring) client.send('decline', { call: ring });
});

ui.hangup.addEventListener('click', () => {
  if (call) client.send('hangup', { call });
});

client.on('open', () => {
  connected = true;
  if (creds) signIn();
});

client.on('close', (ev) => {
  connected = false;
  if (ev.final) show('Signed out', ev.code === 4001 ? 'You signed in somewhere else.' : 'Disconnected. Reload the page to sign in again.');
  else setText(ui.detail, 'Connection lost, reconnecting…');
});

client.on('status', (msg) => {
  ui.status.value = msg.status;
  if (!call && !ring) show(idleState(), msg.reason === 'no_answer' ? 'Set to Away: a call rang unanswered.' : '');
});

client.on('ring', showRing);

client.on('ring_cancelled', (msg) => {
  if (msg.call !== ring) return;
  hideRing();
  const why = { declined: 'Declined.', no_answer: 'The call was not answered.', cancelled: 'The customer hung up.' };
  show(idleState(), why[msg.reason] || '');
});

client.on('call_started', async (msg) => {
  hideRing();
  call = msg.call;
  ui.hangup.disabled = false;
  show('In call', `With ${msg.peer.name}.${msg.peer.connected ? '' : ' Their connection dropped, waiting for them…'}`);
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
  setText(ui.detail, msg.state === 'connected' ? 'The customer is back.' : 'The customer\'s connection dropped, waiting for them…');
});

client.on('call_ended', (msg) => {
  if (msg.call !== call) return;
  call = null;
  endMedia();
  ui.hangup.disabled = true;
  const why = msg.reason === 'disconnected' ? 'The connection was lost.' : msg.by === 'customer' ? 'The customer ended the call.' : '';
  show('Call ended', why);
});

client.on('error', (msg) => {
  if (msg.re === undefined) setText(ui.detail, msg.message);
});
