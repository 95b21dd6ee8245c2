// capture-reoffer.mjs: real multi-party renegotiation from Debian's Chromium (issue 5): a page
// in a 1:1 call adds receive-only transceivers for further parties and re-offers, and later
// stops one party's transceivers. Captures the offers, and checks that Chromium accepts the
// answers media/negotiate.c builds for them (test_negotiate --answer-multi: the same ICE and
// DTLS parameters and primary SSRCs, fresh SSRCs for the new m-lines, a higher o= version).
//
// Re-run (from the source tree, never `npx playwright install`):
//   mkdir -p /tmp/pw && (cd /tmp/pw && npm init -y && npm i playwright-core@1.56.1)
//   NODE_PATH=/tmp/pw/node_modules node tests/unit/data/capture-reoffer.mjs \
//       build/gcc/tests/unit/test_negotiate [OUTDIR]
//   With OUTDIR it writes chromium156-multi-offer.sdp (the first offer: audio+video sendrecv),
//   chromium156-multi-reoffer.sdp (plus video+audio recvonly for a second party and video
//   recvonly for a third) and chromium156-multi-stop.sdp (the third party's transceiver
//   stopped); test_negotiate checks values of these captures. Without OUTDIR it only checks.
//   A last step re-offers unchanged and gets new SSRCs on the further m-lines (what the relay
//   answers for a stream whose party left: its SSRC never carries anyone else).
//   Prints, per step, OK with each transceiver's mid, direction and the relay's track stream
//   ids, or Chromium's error; exits non-zero on any failure.
import { createRequire } from 'node:module';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';

const require = createRequire(import.meta.url);
const { chromium } = require('playwright-core');

const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream',
  '--allow-loopback-in-peer-connection'];

// In the page: the steps of a page that starts 1:1 and then receives more parties.
async function step(name) {
  if (name === 'offer') {
    const ms = await navigator.mediaDevices.getUserMedia({ audio: true, video: true });
    const pc = new RTCPeerConnection({ iceServers: [] });
    window.__tracks = [];
    pc.ontrack = (e) => window.__tracks.push(`${e.transceiver.mid}:${e.track.kind}@` +
      e.streams.map(s => s.id));
    pc.addTransceiver(ms.getAudioTracks()[0], { direction: 'sendrecv', streams: [ms] });
    pc.addTransceiver(ms.getVideoTracks()[0], { direction: 'sendrecv', streams: [ms] });
    window.__pc = pc;
  } else if (name === 'reoffer') {
    // a second party (consecutive mode: video and audio), a third (simultaneous: video only)
    window.__pc.addTransceiver('video', { direction: 'recvonly' });
    window.__pc.addTransceiver('audio', { direction: 'recvonly' });
    window.__third = window.__pc.addTransceiver('video', { direction: 'recvonly' });
  } else if (name === 'stop') {
    window.__third.stop();   // the third party left
  }   // 'renew': the same transceivers
  return (await window.__pc.createOffer()).sdp;
}

async function apply([offer, answer]) {
  const pc = window.__pc;
  try {
    await pc.setLocalDescription({ type: 'offer', sdp: offer });
    await pc.setRemoteDescription({ type: 'answer', sdp: answer });
    const tr = pc.getTransceivers().map(t => `${t.mid}:${t.currentDirection}`);
    return `OK ${pc.signalingState} ${tr.join(' ')} tracks from relay: ${window.__tracks}`;
  } catch (e) { return 'FAIL ' + e.message; }
}

const STEPS = { offer: 'chromium156-multi-offer.sdp', reoffer: 'chromium156-multi-reoffer.sdp',
  stop: 'chromium156-multi-stop.sdp', renew: null };

async function main() {
  const [bin, outdir] = process.argv.slice(2);
  if (!bin) {
    console.error('usage: capture-reoffer.mjs TEST_NEGOTIATE_BINARY [OUTDIR]');
    process.exit(2);
  }
  const srv = http.createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end('<!doctype html><title>sdp</title>');
  });
  await new Promise(r => srv.listen(0, '127.0.0.1', r));
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sdp-'));
  const ctx = await chromium.launchPersistentContext(tmp, { executablePath: '/usr/bin/chromium',
    headless: true, args: ARGS });
  let failed = 0, version = 2;
  try {
    const page = await ctx.newPage();
    await page.goto(`http://127.0.0.1:${srv.address().port}/`);
    for (const [name, file] of Object.entries(STEPS)) {
      const sdp = await page.evaluate(step, name);
      const off = path.join(file && outdir ? outdir : tmp, file || 'renew.sdp');
      fs.writeFileSync(off, sdp);
      const args = ['--answer-multi', off, String(version++)].concat(file ? [] : ['3']);
      const answer = execFileSync(bin, args).toString();
      const ssrcs = (answer.match(/a=ssrc:\d+ /g) || []).map(l => l.slice(7, -1)).join(',');
      const r = await page.evaluate(apply, [sdp, answer]);
      console.log(`${name}: ${r} (relay SSRCs ${ssrcs})`);
      if (!r.startsWith('OK')) { failed++; console.log(answer); }
    }
  } finally {
    await ctx.close();
    srv.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  process.exit(failed ? 1 : 0);
}
main();
