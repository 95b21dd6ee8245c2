// rapport.mjs: the browser side of rapportd's signalling (docs/protocol.md) and the one
// RTCPeerConnection a page needs for a call. Plain ES module, no dependencies.
//
// RapportClient keeps a WebSocket to /ws open (reconnecting with backoff), says hello first,
// and keeps the session token (customers: the resume token; agents: the token of their last
// sign-in) in sessionStorage, so a reload or a dropped connection continues the same session.
// CallMedia makes the offer and applies the answer.
//
// The WebSocket URL is found from this module's own URL, so the same code works on rapportd's
// pages and when the customer widget is embedded in another site's page (web/embed.js).

export const PROTOCOL = 'rapport.v1';
export const PROTOCOL_VERSION = 1;
// Where rapportd is: the origin this module was loaded from.
export const SERVER = new URL('/', import.meta.url);
const RETRY_MS = [500, 1000, 2000, 4000, 8000];
// close codes after which reconnecting would be wrong (docs/protocol.md)
const FINAL_CLOSE = new Set([1000, 1008, 1009, 4001]);

export class RapportError extends Error {
  constructor(msg) {
    super(msg.message || msg.code);
    this.code = msg.code;
  }
}

export class RapportClient {
  // role: 'customer' or 'agent'. options.url overrides ws(s)://<rapportd>/ws.
  constructor(role, options = {}) {
    this.role = role;
    const scheme = SERVER.protocol === 'https:' ? 'wss:' : 'ws:';
    this.url = options.url || `${scheme}//${SERVER.host}/ws`;
    // one token per role and rapportd, in this tab (a host page may embed the widget)
    this.tokenKey = `rapport.${role}.token@${SERVER.host}`;
    this.handlers = new Map();
    this.pending = new Map(); // id -> {resolve, reject}
    this.outbox = [];         // sent before the session is ready
    this.ready = false;
    this.nextId = 1;
    this.tries = 0;
    this.stopped = false;
    this.ws = null;
  }

  // handler(msg) for a server message type; also 'open', 'close' (connection events).
  on(type, handler) {
    if (!this.handlers.has(type)) this.handlers.set(type, []);
    this.handlers.get(type).push(handler);
    return this;
  }

  emit(type, msg) {
    for (const h of this.handlers.get(type) || []) {
      try {
        h(msg);
      } catch (err) {
        console.error(`rapport: ${type} handler failed`, err);
      }
    }
  }

  connect() {
    this.stopped = false;
    const state = this.ws?.readyState;
    if (state === WebSocket.OPEN || state === WebSocket.CONNECTING) return;
    const ws = new WebSocket(this.url, PROTOCOL);
    this.ws = ws;
    ws.onopen = () => {
      this.tries = 0;
      const hello = { type: 'hello', version: PROTOCOL_VERSION, role: this.role };
      const token = this.token();
      if (token) hello.token = token;
      ws.send(JSON.stringify(hello));
    };
    ws.onmessage = (ev) => this.receive(ev.data);
    ws.onclose = (ev) => this.closed(ws, ev);
  }

  receive(text) {
    let msg;
    try {
      msg = JSON.parse(text);
    } catch {
      console.error('rapport: not JSON from the server', text);
      return;
    }
    if (msg.type === 'welcome') this.welcome(msg);
    if (msg.type === 'error' && msg.code === 'bad_token') this.forget();
    const waiter = msg.re !== undefined ? this.pending.get(msg.re) : undefined;
    if (waiter) {
      this.pending.delete(msg.re);
      if (msg.type === 'error') waiter.reject(new RapportError(msg));
      else waiter.resolve(msg);
    }
    this.emit(msg.type, msg);
    if (msg.type === 'logged_in') this.signedIn(msg);
  }

  // A customer's session is ready at welcome; an agent's once signed in (with the token in
  // hello, or after login: send that with sendNow() from an 'open' handler).
  welcome(msg) {
    if (msg.token) this.keepToken(msg.token);
    this.ready = this.role !== 'agent';
    this.emit('open', msg);
    if (this.ready) this.flush();
  }

  signedIn(msg) {
    if (msg.token) this.keepToken(msg.token);
    this.ready = true;
    this.flush();
  }

  // Send what was written while the session was not ready (after 'open' handlers, so a
  // page's own first messages, e.g. an agent's login, go first).
  flush() {
    for (const { id, text } of this.outbox.splice(0)) {
      this.ws.send(text);
      const w = this.pending.get(id);
      if (w) w.sent = true;
    }
  }

  closed(ws, ev) {
    if (ws !== this.ws) return;
    this.ready = false;
    // A request that went out may or may not have been done: its caller decides. One still
    // in the outbox goes out after the reconnect and keeps waiting.
    for (const [id, w] of this.pending) {
      if (!w.sent) continue;
      this.pending.delete(id);
      w.reject(new RapportError({ code: 'disconnected', message: 'connection lost' }));
    }
    const final = this.stopped || FINAL_CLOSE.has(ev.code);
    this.emit('close', { code: ev.code, reason: ev.reason, final });
    if (final) return;
    const delay = RETRY_MS[Math.min(this.tries++, RETRY_MS.length - 1)];
    setTimeout(() => { if (!this.stopped) this.connect(); }, delay);
  }

  // Send a message; returns its id. Waits for the session when not connected yet.
  send(type, fields = {}) {
    return this.#send(type, fields, null);
  }

  #send(type, fields, waiter) {
    const id = this.nextId++;
    const text = JSON.stringify({ type, id, ...fields });
    if (waiter) this.pending.set(id, waiter);
    if (this.ready && this.ws.readyState === WebSocket.OPEN) {
      this.ws.send(text);
      if (waiter) waiter.sent = true;
    } else {
      this.outbox.push({ id, text });
    }
    return id;
  }

  // Send and wait for the reply that names this message ("re"); errors reject, and so does
  // a connection lost after it was sent (code 'disconnected': it may or may not have been done).
  request(type, fields = {}) {
    return new Promise((resolve, reject) => {
      this.#send(type, fields, { resolve, reject, sent: false });
    });
  }

  // Send now, on the open connection, even before the session is ready (login after hello).
  sendNow(type, fields = {}) {
    return new Promise((resolve, reject) => {
      const id = this.nextId++;
      if (this.ws?.readyState !== WebSocket.OPEN) {
        reject(new RapportError({ code: 'disconnected', message: 'not connected' }));
        return;
      }
      this.pending.set(id, { resolve, reject, sent: true });
      this.ws.send(JSON.stringify({ type, id, ...fields }));
    });
  }

  close() {
    this.stopped = true;
    this.ws?.close(1000);
  }

  get connected() {
    return this.ready && this.ws?.readyState === WebSocket.OPEN;
  }

  token() {
    try {
      return sessionStorage.getItem(this.tokenKey);
    } catch {
      return null; // storage blocked (a host page's sandbox): no resume, but it still works
    }
  }

  keepToken(token) {
    try {
      sessionStorage.setItem(this.tokenKey, token);
    } catch {
      // see token()
    }
  }

  forget() {
    try {
      sessionStorage.removeItem(this.tokenKey);
    } catch {
      // see token()
    }
  }
}

// The camera and microphone, shown in a self-view <video>. get() asks once (concurrent
// callers share the request) and rejects when the user refuses; stop() releases them.
// Muting and turning the camera off disable the tracks (the peer then gets silence and
// black frames, and the call does not need renegotiating); stop() resets both.
export class LocalMedia {
  constructor(video) {
    this.video = video;
    this.stream = null;
    this.pending = null;
    this.muted = false;
    this.cameraOff = false;
  }

  get() {
    if (this.stream) return Promise.resolve(this.stream);
    this.pending ??= navigator.mediaDevices.getUserMedia({ audio: true, video: true })
      .then((stream) => {
        this.stream = stream;
        this.video.srcObject = stream;
        this.apply();
        return stream;
      })
      .finally(() => { this.pending = null; });
    return this.pending;
  }

  apply() {
    for (const t of this.stream?.getAudioTracks() || []) t.enabled = !this.muted;
    for (const t of this.stream?.getVideoTracks() || []) t.enabled = !this.cameraOff;
  }

  setMuted(muted) {
    this.muted = muted;
    this.apply();
  }

  setCameraOff(off) {
    this.cameraOff = off;
    this.apply();
  }

  stop() {
    for (const t of this.stream?.getTracks() || []) t.stop();
    this.stream = null;
    this.video.srcObject = null;
    this.muted = false;
    this.cameraOff = false;
  }
}

// Why getUserMedia failed, in words for the person in front of the screen.
export function mediaErrorText(err) {
  switch (err?.name) {
    case 'NotAllowedError':
    case 'SecurityError':
      return 'The camera and microphone were not allowed. You can allow them in your browser\'s ' +
        'address bar and try again.';
    case 'NotFoundError':
    case 'OverconstrainedError':
      return 'No camera or microphone was found on this device.';
    case 'NotReadableError':
    case 'AbortError':
      return 'The camera or microphone is in use by another program. Close it and try again.';
    default:
      return `The camera or microphone could not start (${err?.message || 'unknown reason'}).`;
  }
}

function iceGatheringDone(pc, timeoutMs) {
  if (pc.iceGatheringState === 'complete') return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      if (pc.iceGatheringState !== 'complete') return;
      pc.removeEventListener('icegatheringstatechange', done);
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(() => {
      pc.removeEventListener('icegatheringstatechange', done);
      resolve(); // send what was gathered so far
    }, timeoutMs);
    pc.addEventListener('icegatheringstatechange', done);
  });
}

// One call's media: a plain RTCPeerConnection (tests reach it through getStats(), so it is
// neither wrapped nor hidden). rapportd is ICE-lite without trickle: the offer carries all
// candidates, so it is sent once gathering is complete.
export class CallMedia {
  constructor(client, call, localStream, remoteVideo) {
    this.client = client;
    this.call = call;
    this.localStream = localStream;
    this.remoteVideo = remoteVideo;
    this.remoteStream = new MediaStream();
    this.pc = null;
  }

  async start() {
    const pc = new RTCPeerConnection({
      iceServers: [],
      bundlePolicy: 'max-bundle',
      rtcpMuxPolicy: 'require',
    });
    this.pc = pc;
    for (const track of this.localStream.getTracks()) pc.addTrack(track, this.localStream);
    pc.addEventListener('track', (ev) => {
      this.remoteStream.addTrack(ev.track);
      this.remoteVideo.srcObject = this.remoteStream;
    });
    await pc.setLocalDescription(await pc.createOffer());
    await iceGatheringDone(pc, 3000);
    if (this.pc !== pc) return; // closed meanwhile
    const answer = await this.client.request('offer', { call: this.call, sdp: pc.localDescription.sdp });
    if (this.pc !== pc) return;
    await pc.setRemoteDescription({ type: 'answer', sdp: answer.sdp });
  }

  close() {
    this.pc?.close();
    this.pc = null;
    for (const t of this.remoteStream.getTracks()) this.remoteStream.removeTrack(t);
    this.remoteVideo.srcObject = null;
  }
}

// The status line: one short sentence a person (and a screen reader) can follow.
export function setText(el, text) {
  if (el.textContent !== text) el.textContent = text;
}
