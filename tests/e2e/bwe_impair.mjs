// e2e: manual measurement (not a ctest test: its name does not end in _test.mjs)
//
// How far Chromium's send-side estimate sinks on an impaired uplink, peer to peer against
// through rapportd (docs/performance.md, "Chrome's estimate on an impaired uplink").
//
//   p2p:   one page, two RTCPeerConnections (fake camera and microphone on the sender). The
//          receiver is given no candidate of the sender's; the sender is given one candidate
//          for the receiver: rapport-impair's port, relaying to the receiver's real one. So
//          the sender's media goes through the proxy and the receiver's RTCP (libwebrtc's own
//          transport-cc feedback) comes back through it, unimpaired.
//   relay: a customer and an agent in rapportd's pages, the customer's media through the
//          proxy (as tests/e2e/impair_test.mjs, but without holding the bitrate up), so the
//          sender's transport-cc feedback is rapportd's (media/twcc.c).
//
// Conditions (rapport-impair, client -> target only, seed 4242): none, loss (5 %), delay
// (30 ms fixed), jitter (30 +- 30 ms uniform: reorders), both (5 % and 30 +- 30 ms).
// Every second the sender's getStats(): the selected pair's availableOutgoingBitrate, the
// video outbound-rtp's bytesSent, targetBitrate, frame size and rate, and the loss the
// receiver reported (remote-inbound-rtp fractionLost). Prints one JSON line per run and a
// table at the end.
//
// Run (one browser at a time; about 40 s per run):
//   cd /work/rapport && cmake --build build/test --target rapportd rapport-impair
//   RAPPORTD=build/test/rapportd RAPPORT_IMPAIR=build/test/tests/load/rapport-impair \
//   RAPPORT_SOURCE_DIR=$PWD unshare --net -- sh -c 'ip link set lo up && exec node \
//     tests/e2e/bwe_impair.mjs --modes p2p,relay --conds none,loss,jitter,both --seconds 30'
// Extra: --fieldtrials 'X/Enabled/' passes --force-fieldtrials to Chromium.
// The proxy, the sampling and the relay call are lib/bwe.mjs's, shared with the ctest test
// bwe_test.mjs (which is the relay mode under "both", shorter, with a threshold).

import http from 'node:http';
import os from 'node:os';
import {
  runTest, log, fail, waitFor,
} from './lib/harness.mjs';
import { BWE_CONDITIONS as CONDITIONS, bweStartImpair as startImpair, bweMeasure, bweRelayCall } from './lib/bwe.mjs';

function args() {
  const a = { modes: ['p2p', 'relay'], conds: ['none', 'loss', 'jitter', 'both'], seconds: 30, fieldtrials: '' };
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i += 2) {
    const k = argv[i].replace(/^--/, '');
    const v = argv[i + 1];
    if (k === 'modes' || k === 'conds') a[k] = v.split(',');
    else if (k === 'seconds') a.seconds = Number(v);
    else if (k === 'fieldtrials') a.fieldtrials = v;
    else fail(`unknown option --${k}`);
  }
  for (const c of a.conds) if (!CONDITIONS[c]) fail(`unknown condition ${c}`);
  return a;
}

const measure = (page, seconds, label) => bweMeasure(page, seconds, label, { tailSeconds: 10 });

/* ------------------------------------------------------------------ peer to peer */

function startPageServer(t) {
  const server = http.createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end('<!doctype html><title>bwe p2p</title><body></body>');
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => {
    t.defer(() => new Promise((r) => server.close(r)));
    resolve(`http://127.0.0.1:${server.address().port}/`);
  }));
}

async function runP2p(t, browser, url, cond, seconds) {
  const party = await browser.party(`p2p ${cond}`);
  const { page } = party;
  await page.goto(url);
  // both connections; the receiver's answer once it has gathered; its UDP host port
  const port = await page.evaluate(async () => {
    const stream = await navigator.mediaDevices.getUserMedia({ audio: true, video: { width: 640, height: 480, frameRate: 20 } });
    const pc1 = new RTCPeerConnection({ iceServers: [] });
    const pc2 = new RTCPeerConnection({ iceServers: [] });
    window.__sender = pc1;
    window.__receiver = pc2;
    for (const tr of stream.getTracks()) pc1.addTrack(tr, stream);
    pc2.ontrack = (e) => {
      const v = document.createElement('video');
      v.autoplay = true;
      v.muted = true;
      v.srcObject = e.streams[0];
      document.body.appendChild(v);
    };
    const offer = await pc1.createOffer();
    await pc1.setLocalDescription(offer);
    await pc2.setRemoteDescription({ type: 'offer', sdp: offer.sdp.replace(/^a=candidate:.*\r\n/gm, '') });
    await pc2.setLocalDescription(await pc2.createAnswer());
    await new Promise((resolve) => {
      if (pc2.iceGatheringState === 'complete') resolve();
      pc2.onicegatheringstatechange = () => { if (pc2.iceGatheringState === 'complete') resolve(); };
    });
    const m = /^a=candidate:\S+ 1 udp \d+ 127\.0\.0\.1 (\d+) typ host/m.exec(pc2.localDescription.sdp);
    window.__answer = pc2.localDescription.sdp;
    return m ? Number(m[1]) : 0;
  });
  if (!port) fail('the receiving connection gathered no 127.0.0.1 UDP candidate');
  const imp = await startImpair(t, port, CONDITIONS[cond]);
  await page.evaluate(async (proxyPort) => {
    const cand = `a=candidate:1 1 udp 2122260223 127.0.0.1 ${proxyPort} typ host\r\n`;
    const sdp = window.__answer.replace(/^a=candidate:.*\r\n/gm, '').replace(/^a=end-of-candidates\r\n/gm, '')
      .replace(/^(m=.*\r\n)/gm, '$1').replace(/^(a=mid:.*\r\n)/gm, `$1${cand}`);
    await window.__sender.setRemoteDescription({ type: 'answer', sdp });
  }, imp.port);
  await waitFor('the p2p connection', () => page.evaluate(() => window.__sender.connectionState === 'connected'),
    { timeoutMs: 20000, intervalMs: 200 });
  const sum = await measure(page, seconds, `p2p ${cond}`);
  if (sum.remote_port !== imp.port) fail(`p2p ${cond}: the sender's pair goes to port ${sum.remote_port}, not the proxy's ${imp.port}`);
  sum.proxy = (await imp.stop(), imp.counters.up);
  await party.context.close();
  return sum;
}

/* ------------------------------------------------------------------ through rapportd */

const runRelay = (t, browser, cond, seconds) => bweRelayCall(t, browser, cond, seconds, { tailSeconds: 10 });

runTest('bwe_impair', async (t) => {
  const a = args();
  const extraArgs = a.fieldtrials ? [`--force-fieldtrials=${a.fieldtrials}`] : [];
  const browser = await t.launchBrowser({ extraArgs });
  const url = a.modes.includes('p2p') ? await startPageServer(t) : null;
  const results = [];
  for (const cond of a.conds) {
    for (const mode of a.modes) {
      const r = mode === 'p2p' ? await runP2p(t, browser, url, cond, a.seconds) : await runRelay(t, browser, cond, a.seconds);
      r.load = os.loadavg()[0].toFixed(1);
      log(`RESULT ${JSON.stringify(r)}`);
      results.push(r);
    }
  }
  log('| run | available outgoing (median, last 10 s) | min | video sent (last 10 s) | of it RTX | frame at the end | limited by | fractionLost | rtt | load |');
  log('|---|---|---|---|---|---|---|---|---|---|');
  for (const r of results) {
    log(`| ${r.label} | ${r.aob_kbps_median} kbit/s | ${r.aob_kbps_min} | ${r.sent_kbps} kbit/s | ${r.rtx_kbps} | ${r.frame} | ${r.limit} | ${r.fraction_lost_median} | ${r.rtt_ms} ms | ${r.load} |`);
  }
}, { timeoutMs: 60 * 60 * 1000 });
