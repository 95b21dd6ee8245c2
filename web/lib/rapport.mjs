// rapport.mjs: the browser side of rapportd's signalling (docs/protocol.md) and the one
// RTCPeerConnection a page needs for a call. Plain ES module, no dependencies.
//
// RapportClient keeps a WebSocket to /ws open (reconnecting with backoff), says hello first,
// and for customers keeps the resume token in sessionStorage so a reload or a dropped
// connection continues the same session. CallMedia makes the offer and applies the answer.

export const PROTOCOL = 'rapport.v1';
export const PROTOCOL_VERSION = 1;
const TOKEN_KEY = 'rapport.token';
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
  // role: 'customer' or 'agent'. options.url overrides ws(s)://<this host>/ws.
  constructor(role, options = {}) {
    this.role = role;
    const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
    this.url = options.url || `${scheme}//${location.host}/ws`;
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
      const token = this.role === 'customer' ? sessionStorage.getItem(TOKEN_KEY) : null;
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
    const waiter = msg.re !== undefined ? this.pending.get(msg.re) : undefined;
    if (waiter) {
      this.pending.delete(msg.re);
      if (msg.type === 'error') waiter.reject(new RapportError(msg));
      else waiter.resolve(msg);
    }
    this.emit(msg.type, msg);
  }

  welcome(msg) {
    if (msg.token) sessionStorage.setItem(TOKEN_KEY, msg.token);
    this.ready = true;
    this.emit('open', msg);
    const queued = this.outbox.splice(0);
    for (const text of queued) this.ws.send(text);
  }

  closed(ws, ev) {
    if (ws !== this.ws) return;
    this.ready = false;
    for (const w of this.pending.values())
      w.reject(new RapportError({ code: 'disconnected', message: 'connection lost' }));
    this.pending.clear();
    const final = this.stopped || FINAL_CLOSE.has(ev.code);
    this.emit('close', { code: ev.code, reason: ev.reason, final });
    if (final) return;
    const delay = RETRY_MS[Math.min(this.tries++, RETRY_MS.length - 1)];
    setTimeout(() => { if (!this.stopped) this.connect(); }, delay);
  }

  // Send a message; returns its id. Waits for the session when not connected yet.
  send(type, fields = {}) {
    const id = this.nextId++;
    const text = JSON.stringify({ type, id, ...fields });
    if (this.ready && this.ws.readyState === WebSocket.OPEN) this.ws.send(text);
    else this.outbox.push(text);
    return id;
  }

  // Send and wait for the reply that names this message ("re"); errors reject.
  request(type, fields = {}) {
    return new Promise((resolve, reject) => {
      const id = this.send(type, fields);
      this.pending.set(id, { resolve, reject });
    });
  }

  close() {
    this.stopped = true;
    this.ws?.close(1000);
  }

  forget() {
    sessionStorage.removeItem(TOKEN_KEY);
  }
}

// The camera and microphone, shown in a self-view <video>. get() asks once (concurrent
// callers share the request) and rejects when the user refuses; stop() releases them.
export class LocalMedia {
  constructor(video) {
    this.video = video;
    this.stream = null;
    this.pending = null;
  }

  get() {
    if (this.stream) return Promise.resolve(this.stream);
    this.pending ??= navigator.mediaDevices.getUserMedia({ audio: true, video: true })
      .then((stream) => {
        this.stream = stream;
        this.video.srcObject = stream;
        return stream;
      })
      .finally(() => { this.pending = null; });
    return this.pending;
  }

  stop() {
    for (const t of this.stream?.getTracks() || []) t.stop();
    this.stream = null;
    this.video.srcObject = null;
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
