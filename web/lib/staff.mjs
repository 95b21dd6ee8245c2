// What the staff consoles (agent, interpreter) share: the sign-in form, signing out, the
// Available/Away status and the connection's lines. rapportd's token from logged_in is kept by
// RapportClient (sessionStorage, never the password), so a reload or a dropped connection signs
// in again by itself.
//
// The page owns its views; it hands in:
//   ui       elements: signin, username, password, signinButton, signinError, signout, status,
//            console, detail, who
//   show(state, detail)        the state line
//   setView(view)              'signin' hides the console
//   clearFocus()               forget the call on the screen
//   busy                       statuses in which status and sign-out are locked
//   onOpen(welcome)            after hello's welcome (e.g. the offered languages)
//   onLoggedIn(logged_in)      after signing in: the page's own lines and its idle view
//                              (unless logged_in names a call: its state follows)
// and gets back { me, showSignin, setStatus }; me is { username, status, signingIn }.
//
// bindRingButtons: Accept (camera and microphone first, so a refusal is told before rapportd
// hears of it) and Decline of the ring on the screen (focus: { call, phase }).
// ringCountdown: "Answer within N seconds." in el, each second; returns the interval to clear.

import { mediaErrorText } from './rapport.mjs';
import { setText } from './dom.mjs';

export function bindStaffSession({ client, ui, show, setView, clearFocus, busy, onOpen, onLoggedIn }) {
  const me = { username: '', status: 'available', signingIn: false };

  function signinError(text) {
    setText(ui.signinError, text || '');
    ui.signinError.hidden = !text;
  }

  function showSignin(detail = '') {
    clearFocus();
    me.signingIn = false;
    ui.signinButton.disabled = false;
    setView('signin');
    show('Signed out', detail);
  }

  function setStatus(status) {
    me.status = status;
    ui.status.value = status;
    ui.status.disabled = busy.includes(status);
    ui.signout.disabled = ui.status.disabled; // leave the call (and its wrap-up) first
  }

  async function login() {
    const creds = { username: ui.username.value.trim(), password: ui.password.value };
    me.signingIn = true;
    ui.signinButton.disabled = true;
    show('Signing in…');
    try {
      await client.sendNow('login', creds);
      ui.password.value = '';
    } catch (err) {
      if (err.code === 'disconnected') return; // signs in once reconnected
      me.signingIn = false;
      ui.signinButton.disabled = false;
      show('Signed out');
      signinError(err.code === 'bad_credentials' ? 'Sign-in failed: wrong username or password.' : err.message);
      ui.password.focus();
    }
  }

  ui.signin.addEventListener('submit', (ev) => {
    ev.preventDefault();
    signinError('');
    if (client.ws?.readyState === WebSocket.OPEN && !client.ready) login();
    else {
      me.signingIn = true;
      client.connect(); // login() once welcome arrives
    }
  });

  ui.signout.addEventListener('click', () => {
    client.forget();
    client.close();
    me.username = '';
    showSignin('You signed out.');
  });

  ui.status.addEventListener('change', async () => {
    const want = ui.status.value;
    try {
      const msg = await client.request('set_status', { status: want });
      setStatus(msg.status);
    } catch (err) {
      setStatus(me.status);
      setText(ui.detail, `Status not changed: ${err.message}`);
    }
  });

  client.on('open', (msg) => {
    onOpen(msg);
    if (client.token()) return; // hello carried the token: logged_in or bad_token follows
    if (me.signingIn) login();
    else showSignin();
  });

  client.on('close', (ev) => {
    if (ev.final) {
      showSignin(ev.code === 4001 ? 'You signed in somewhere else.' : 'Disconnected. Sign in again.');
    } else if (!ui.console.hidden) {
      setText(ui.detail, 'The connection dropped. Reconnecting…');
    }
  });

  client.on('error', (msg) => {
    if (msg.code === 'bad_token') {
      showSignin('Please sign in again.');
      return;
    }
    if (msg.re === undefined) setText(ui.detail, msg.message);
  });

  client.on('logged_in', (msg) => {
    me.username = msg.username;
    me.signingIn = false;
    ui.signinButton.disabled = false;
    signinError('');
    setText(ui.who, `Signed in as ${msg.username}`);
    setStatus(msg.status);
    onLoggedIn(msg);
  });

  return { me, showSignin, setStatus };
}

export function bindRingButtons({ client, ui, local, focus }) {
  ui.accept.addEventListener('click', async () => {
    if (focus.phase !== 'ring') return;
    const call = focus.call;
    ui.accept.disabled = true;
    ui.decline.disabled = true;
    try {
      await local.get();
    } catch (err) {
      setText(ui.detail, mediaErrorText(err));
      ui.accept.disabled = false;
      ui.decline.disabled = false;
      return;
    }
    client.request('accept', { call }).catch((err) => {
      if (focus.call === call) setText(ui.detail, `Could not accept: ${err.message}`);
    });
  });

  ui.decline.addEventListener('click', () => {
    if (focus.phase === 'ring') client.send('decline', { call: focus.call });
  });
}

export function ringCountdown(el, seconds) {
  if (!seconds) {
    setText(el, '');
    return null;
  }
  const end = Date.now() + seconds * 1000;
  const tick = () => {
    const left = Math.max(0, Math.ceil((end - Date.now()) / 1000));
    setText(el, `Answer within ${left} second${left === 1 ? '' : 's'}.`);
  };
  tick();
  return setInterval(tick, 1000);
}
