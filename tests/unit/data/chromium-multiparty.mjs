// chromium-multiparty.mjs: the relay's multi-party legs and interpreter modes with real
// Chromium pages (issue 5, media half): customer, agent and interpreter pages with fake camera
// and microphone talk through the relay (test_interp --relay speaks the media API as JSON
// lines), the way the signalling side will drive it:
//   1. customer and agent join 1:1; both add a receive-only video and audio transceiver for
//      one more party and re-offer (media_leg_update);
//   2. the interpreter joins with those transceivers from its first offer: every page decodes
//      video from both others, on the m-lines media_leg_slots() names;
//   3. simultaneous mode, then consecutive again: the primary audio goes on, the further audio
//      m-line carries the interpreter again afterwards;
//   4. the interpreter leaves; a second one joins; the customer re-offers unchanged and gets a
//      new SSRC on its spent further m-lines, on which it then decodes the second interpreter.
// Throughout, customer and agent keep decoding each other's video (no stall over 1 s).
//
// Run (from the source tree, never `npx playwright install`):
//   mkdir -p /tmp/pw && (cd /tmp/pw && npm init -y && npm i playwright-core@1.56.1)
//   NODE_PATH=/tmp/pw/node_modules node tests/unit/data/chromium-multiparty.mjs \
//       build/gcc/tests/unit/test_interp
// Prints OK or FAIL per check; exits non-zero on any failure.
import { createRequire } from 'node:module';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';

const require = createRequire(import.meta.url);
const { chromium } = require('playwright-core');

const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream',
  '--allow-loopback-in-peer-connection'];

let failed = 0;
function check(what, ok, detail = '') {
  console.log(`${ok ? 'OK  ' : 'FAIL'} ${what}${detail ? ': ' + detail : ''}`);
  if (!ok) failed++;
}
const sleep = (ms) => new Promise(r => setTimeout(r, ms));

// the relay: one JSON request per line, one reply per line
function startRelay(bin) {
  const proc = spawn(bin, ['--relay'], { stdio: ['pipe', 'pipe', 'ignore'] });
  const lines = readline.createInterface({ input: proc.stdout });
  const waiting = [];
  lines.on('line', (l) => waiting.shift()(JSON.parse(l)));
  return {
    req: (o) => new Promise((resolve, reject) => {
      waiting.push((r) => r.error ? reject(new Error(`${o.op}: ${r.error}`)) : resolve(r));
      proc.stdin.write(JSON.stringify(o) + '\n');
    }),
    stop: () => proc.stdin.end(),
  };
}

// In the page: a peer connection that sends the fake camera and microphone.
async function pageInit(extraParties) {
  const ms = await navigator.mediaDevices.getUserMedia({ audio: true, video: true });
  const pc = new RTCPeerConnection({ iceServers: [] });
  pc.addTransceiver(ms.getAudioTracks()[0], { direction: 'sendrecv', streams: [ms] });
  pc.addTransceiver(ms.getVideoTracks()[0], { direction: 'sendrecv', streams: [ms] });
  for (let i = 0; i < extraParties; i++) {
    pc.addTransceiver('video', { direction: 'recvonly' });
    pc.addTransceiver('audio', { direction: 'recvonly' });
  }
  window.__pc = pc;
  const o = await pc.createOffer();
  await pc.setLocalDescription(o);
  return o.sdp;
}

async function pageAddParty() {
  window.__pc.addTransceiver('video', { direction: 'recvonly' });
  window.__pc.addTransceiver('audio', { direction: 'recvonly' });
}

async function pageReoffer() {
  const o = await window.__pc.createOffer();
  await window.__pc.setLocalDescription(o);
  return o.sdp;
}

async function pageAnswer(sdp) {
  await window.__pc.setRemoteDescription({ type: 'answer', sdp });
}

// per SSRC received: its mid, frames decoded (video) or packets received (audio)
async function pageStats() {
  const out = {};
  (await window.__pc.getStats()).forEach((s) => {
    if (s.type === 'inbound-rtp')
      out[s.ssrc] = { mid: s.mid, frames: s.framesDecoded || 0, packets: s.packetsReceived || 0 };
  });
  return out;
}

class Party {
  constructor(name, page, relay, call) { Object.assign(this, { name, page, relay, call }); }
  async join(extra) {
    const offer = await this.page.evaluate(pageInit, extra);
    const r = await this.relay.req({ op: 'leg', call: this.call, offer });
    this.leg = r.leg;
    await this.page.evaluate(pageAnswer, r.answer);
  }
  async update(addParty) {
    if (addParty) await this.page.evaluate(pageAddParty);
    const offer = await this.page.evaluate(pageReoffer);
    const r = await this.relay.req({ op: 'update', leg: this.leg, offer });
    await this.page.evaluate(pageAnswer, r.answer);
  }
  stats() { return this.page.evaluate(pageStats); }
  // the stream (mid, ssrc) on which this party receives `from` (video or audio), or null
  async slot(from, video) {
    const r = await this.relay.req({ op: 'slots', leg: this.leg });
    return r.slots.find(x => x.video === video && x.src === from.leg) || null;
  }
  async mid(from, video) { return (await this.slot(from, video))?.mid ?? null; }
  // what Chromium counts for our SSRC on that mid
  async received(sl) {
    const st = sl ? (await this.stats())[sl.ssrc] : null;
    return st && st.mid === sl.mid ? st : null;
  }
}

async function waitFor(what, fn, ms = 15000) {
  const end = Date.now() + ms;
  let last;
  while (Date.now() < end) {
    try { if ((last = await fn())) return last; } catch (e) { last = e.message; }
    await sleep(250);
  }
  check(what, false, `not within ${ms} ms (${JSON.stringify(last)})`);
  return null;
}

// customer and agent keep decoding each other's video: sample every 250 ms, note stalls
function watchPair(a, b) {
  const w = { worst: 0, stop: false };
  (async () => {
    const last = new Map();
    while (!w.stop) {
      for (const [p, q] of [[a, b], [b, a]]) {
        const f = (await p.received(await p.slot(q, true)))?.frames || 0;
        const prev = last.get(p.name);
        if (!prev || f > prev.f) last.set(p.name, { f, t: Date.now() });
        else w.worst = Math.max(w.worst, Date.now() - prev.t);
      }
      await sleep(250);
    }
  })();
  return w;
}

async function decodes(p, from, min = 30) {
  const sl = await p.slot(from, true);
  const st = await p.received(sl);
  return st && st.frames >= min ? { ...st, ssrc: sl.ssrc } : null;
}

// packets received on our SSRC ssrc during ms
async function audioFlows(p, ssrc, ms = 1500) {
  const a = (await p.stats())[ssrc]?.packets || 0;
  await sleep(ms);
  const b = (await p.stats())[ssrc]?.packets || 0;
  return b - a;
}

async function main() {
  const bin = process.argv[2];
  if (!bin) {
    console.error('usage: chromium-multiparty.mjs TEST_INTERP_BINARY');
    process.exit(2);
  }
  const relay = startRelay(bin);
  const srv = http.createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end('<!doctype html><title>party</title>');
  });
  await new Promise(r => srv.listen(0, '127.0.0.1', r));
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mp-'));
  const ctx = await chromium.launchPersistentContext(tmp, { executablePath: '/usr/bin/chromium',
    headless: true, args: ARGS });
  try {
    const { call } = await relay.req({ op: 'call' });
    const party = async (name) => {
      const page = await ctx.newPage();
      await page.goto(`http://127.0.0.1:${srv.address().port}/`);
      return new Party(name, page, relay, call);
    };
    const [C, A] = [await party('customer'), await party('agent')];
    await C.join(0);
    await A.join(0);
    await waitFor('customer and agent decode each other (1:1)',
      async () => (await decodes(C, A)) && (await decodes(A, C)));
    const watch = watchPair(C, A);
    await C.update(true);
    await A.update(true);
    const I = await party('interpreter');
    await I.join(2);
    for (const [p, q] of [[C, A], [C, I], [A, C], [A, I], [I, C], [I, A]])
      if (await waitFor(`${p.name} decodes ${q.name}'s video`, () => decodes(p, q)))
        check(`${p.name} decodes ${q.name}'s video on mid ${await p.mid(q, true)}`, true);

    await relay.req({ op: 'mode', call, mode: 'simultaneous', legs: [C.leg, A.leg, I.leg] });
    await sleep(1000);
    for (const p of [C, A, I]) {
      const prim = (await p.relay.req({ op: 'slots', leg: p.leg })).slots[0];
      const n = await audioFlows(p, prim.ssrc);
      check(`${p.name} receives the mix on mid ${prim.mid} (simultaneous)`, n >= 50,
        `${n} packets in 1.5 s`);
    }
    const ca = await C.slot(I, false);
    check('no forwarded audio on the further m-line in simultaneous mode',
      (await audioFlows(C, ca.ssrc, 1000)) === 0);
    await relay.req({ op: 'mode', call, mode: 'consecutive', legs: [] });
    await sleep(500);
    const n = await audioFlows(C, ca.ssrc);
    check(`customer hears the interpreter again on mid ${ca.mid} (consecutive)`, n >= 50,
      `${n} packets`);

    const gone = await C.slot(I, true);
    await relay.req({ op: 'destroy', leg: I.leg });
    await I.page.close();
    await sleep(700);
    const f0 = (await C.stats())[gone.ssrc].frames;
    await sleep(1000);
    check(`customer's mid ${gone.mid} stops when the interpreter leaves`,
      (await C.stats())[gone.ssrc].frames === f0);
    const J = await party('interpreter 2');
    await J.join(2);
    await waitFor('the second interpreter decodes customer and agent',
      async () => (await decodes(J, C)) && (await decodes(J, A)));
    check('the customer does not see the second interpreter before re-offering',
      (await C.slot(J, true)) === null);
    await C.update(false);     // the same transceivers: the spent m-line gets a new SSRC
    const st = await waitFor('customer decodes the second interpreter after re-offering',
      () => decodes(C, J));
    if (st)
      check(`customer decodes the second interpreter on mid ${await C.mid(J, true)}, new SSRC`,
        st.ssrc !== gone.ssrc, `${gone.ssrc} -> ${st.ssrc}`);
    watch.stop = true;
    await sleep(300);
    check('customer and agent never stalled over 1 s', watch.worst < 1000,
      `longest stall ${watch.worst} ms`);
  } finally {
    await ctx.close();
    srv.close();
    relay.stop();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  process.exit(failed ? 1 : 0);
}
main();
