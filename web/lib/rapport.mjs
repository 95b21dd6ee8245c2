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
  // role: 'customer', 'agent' or 'interpreter'. options.url overrides ws(s)://<rapportd>/ws.
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

  // A customer's session is ready at welcome; an agent's or interpreter's once signed in (with
  // the token in hello, or after login: send that with sendNow() from an 'open' handler).
  welcome(msg) {
    if (msg.token) this.keepToken(msg.token);
    this.ready = this.role === 'customer';
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
// neither wrapped nor hidden). rapportd is ICE-lite without trickle: every offer carries all
// candidates, so it is sent once gathering is complete.
//
// Who is seen where: rapportd says which party each m-line (mid) of our leg carries, in the
// `streams` of every `answer` and `participants` (docs/protocol.md, "Interpreters"). Each party
// gets one MediaStream (its audio and video tracks) that stays the same object for the whole
// call, shown in the <video> of opts.videos[party]; the first audio and video m-lines whose
// party is not named yet (1:1, before the peer's leg exists) go to opts.fallback. A third party
// is received on further receive-only transceivers: receive(n) adds them (n parties beyond the
// first) and offers again on the same RTCPeerConnection, so nothing the first two exchange stops.
// When that party leaves, its transceivers are kept (their m-lines carry nobody, the tile is
// hidden by the page); the next one is put on them after the next offer, which receive() sends.
export class CallMedia {
  // opts: { videos: {party: <video>}, fallback: party, receive: further parties (default 0),
  //         onChange(parties): after tracks moved, parties = Map party -> MediaStream with tracks }
  constructor(client, call, localStream, opts = {}) {
    this.client = client;
    this.call = call;
    this.localStream = localStream;
    this.videos = opts.videos || {};
    this.fallback = 'fallback' in opts ? opts.fallback : Object.keys(this.videos)[0] ?? null;
    this.onChange = opts.onChange || (() => {});
    this.extra = opts.receive || 0; // further parties to receive
    this.added = 0;                 // receive-only audio+video pairs in the pc
    this.streams = [];              // the last streams map from rapportd
    this.parties = new Map();       // party -> MediaStream (one object per party, kept)
    this.others = 1 + this.extra;   // other parties on the call, as last told
    this.chain = Promise.resolve(); // offers, one at a time
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
    pc.addEventListener('track', () => this.place());
    this.#addReceivers();
    return this.#queue();
  }

  // Receive n parties beyond the first and offer again (also when the transceivers are there
  // already: a party that joins after another left needs a fresh answer for them).
  receive(n) {
    this.extra = Math.max(this.extra, n);
    if (!this.pc) return Promise.resolve();
    this.#addReceivers();
    return this.#queue();
  }

  #addReceivers() {
    for (; this.added < this.extra; this.added++) {
      this.pc.addTransceiver('audio', { direction: 'recvonly' });
      this.pc.addTransceiver('video', { direction: 'recvonly' });
    }
  }

  // One negotiation after the other; the returned promise rejects on this one's failure only.
  #queue() {
    const run = this.chain.then(() => this.#negotiate());
    this.chain = run.catch(() => {});
    return run;
  }

  async #negotiate() {
    const pc = this.pc;
    if (!pc) return;
    await pc.setLocalDescription(await pc.createOffer());
    await iceGatheringDone(pc, 3000);
    if (this.pc !== pc) return; // closed meanwhile
    let answer;
    try {
      answer = await this.client.request('offer', { call: this.call, sdp: pc.localDescription.sdp });
    } catch (err) {
      // refused: back to the last agreed description, which keeps flowing
      if (this.pc === pc && pc.signalingState === 'have-local-offer') await pc.setLocalDescription({ type: 'rollback' });
      throw err;
    }
    if (this.pc !== pc) return;
    // The answer's streams are taken now, in the order rapportd's messages came: a
    // `participants` that arrives while the answer is being applied is newer and must win.
    this.setStreams(answer.streams);
    await pc.setRemoteDescription({ type: 'answer', sdp: answer.sdp });
    this.place();
  }

  // A `participants` message of this call: its streams, and when another party joined,
  // receive it (a further pair of transceivers, or a fresh offer for the ones kept). Also offer
  // again when a party we show is on none of our m-lines of a kind while one of that kind is
  // spent (it carried a party that left: e.g. that party reloaded and came back on a new leg);
  // a spent m-line carries nobody until the next offer, after which it is no longer spent.
  participants(msg) {
    const others = Math.max(1, (msg.participants?.length || 2) - 1);
    const joined = others > this.others;
    this.others = others;
    this.setStreams(msg.streams);
    if (joined || this.#stranded(msg.participants || [])) {
      this.receive(others - 1).catch((err) => console.warn('rapport: offer for the new party failed', err));
    }
  }

  #stranded(participants) {
    const shown = participants.map((p) => p.role).filter((role) => role in this.videos);
    return this.streams.some((spent) => spent.spent &&
      shown.some((role) => !this.streams.some((s) => s.party === role && s.kind === spent.kind)));
  }

  // The streams map of an answer or participants message (for our leg).
  setStreams(streams) {
    if (Array.isArray(streams)) this.streams = streams;
    this.place();
  }

  // Put every receiver's track into its party's MediaStream, and that into the party's <video>.
  place() {
    const pc = this.pc;
    if (!pc) return;
    const want = new Map();
    const primary = {};
    for (const t of pc.getTransceivers()) {
      if (t.mid === null || t.stopped || t.currentDirection === 'stopped') continue;
      const track = t.receiver.track;
      const first = !(track.kind in primary);
      if (first) primary[track.kind] = t.mid;
      const s = this.streams.find((x) => x.mid === t.mid);
      const party = s?.party || (first ? this.fallback : null);
      if (!party) continue;
      if (!want.has(party)) want.set(party, []);
      want.get(party).push(track);
    }
    let changed = false;
    for (const party of new Set([...this.parties.keys(), ...want.keys()])) {
      const tracks = want.get(party) || [];
      const stream = this.#streamOf(party);
      for (const t of stream.getTracks()) {
        if (!tracks.includes(t)) {
          stream.removeTrack(t);
          changed = true;
        }
      }
      for (const t of tracks) {
        if (!stream.getTracks().includes(t)) {
          stream.addTrack(t);
          changed = true;
        }
      }
      const video = this.videos[party];
      if (video && tracks.length && video.srcObject !== stream) video.srcObject = stream;
    }
    if (changed) this.onChange(this.parties);
  }

  #streamOf(party) {
    if (!this.parties.has(party)) this.parties.set(party, new MediaStream());
    return this.parties.get(party);
  }

  close() {
    this.pc?.close();
    this.pc = null;
    for (const [party, stream] of this.parties) {
      for (const t of stream.getTracks()) stream.removeTrack(t);
      const video = this.videos[party];
      if (video?.srcObject === stream) video.srcObject = null;
    }
    this.parties.clear();
  }
}

// The status line: one short sentence a person (and a screen reader) can follow.
export function setText(el, text) {
  if (el.textContent !== text) el.textContent = text;
}
