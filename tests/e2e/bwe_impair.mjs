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

import { spawn } from 'node:child_process';
import http from 'node:http';
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import readline from 'node:readline';
import {
  runTest, log, fail, waitFor, sleep, callStats, Rapportd, Browser, redirectMediaCandidates,
} from './lib/harness.mjs';

const IMPAIR = process.env.RAPPORT_IMPAIR;
const CONDITIONS = {
  none: [],
  loss: ['--up-loss', '5'],
  delay: ['--up-delay', '30'],
  jitter: ['--up-delay', '30', '--up-jitter', '30'],
  both: ['--up-loss', '5', '--up-delay', '30', '--up-jitter', '30'],
};

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

async function startImpair(t, target, extra) {
  if (!IMPAIR) fail('set RAPPORT_IMPAIR=/path/to/rapport-impair');
  const argv = ['--listen', '127.0.0.1:0', '--target', `127.0.0.1:${target}`, '--seed', '4242', ...extra];
  const proc = spawn(IMPAIR, argv, { stdio: ['ignore', 'pipe', 'inherit'] });
  const imp = { proc, lines: [], counters: {} };
  imp.exited = new Promise((resolve) => proc.on('exit', resolve));
  readline.createInterface({ input: proc.stdout }).on('line', (line) => {
    imp.lines.push(line);
    const m = /^impair (up|down) (.*)$/.exec(line);
    if (m) imp.counters[m[1]] = Object.fromEntries(m[2].split(' ').map((kv) => kv.split('=')).map(([k, v]) => [k, Number(v)]));
  });
  imp.stop = async () => {
    if (imp.stopped) return;
    imp.stopped = true;
    proc.kill('SIGTERM');
    if (!(await Promise.race([imp.exited.then(() => true), sleep(5000)]))) proc.kill('SIGKILL');
  };
  t.defer(imp.stop);
  await waitFor('rapport-impair to listen', () => {
    const l = imp.lines.find((x) => x.startsWith('impair listening '));
    if (l) imp.port = Number(l.split(':').pop());
    return imp.port;
  }, { timeoutMs: 5000, intervalMs: 50 });
  return imp;
}

/* ------------------------------------------------------------------ the sender's figures */

// In the page: the figures of window.__sender (or the newest live recorded connection).
async function senderSample(page) {
  return page.evaluate(async () => {
    const pc = window.__sender || [...(window.__pcs || [])].reverse().find((p) => p.connectionState !== 'closed');
    if (!pc) return null;
    const r = await pc.getStats();
    const out = { t: performance.now() / 1000 };
    let pairId = null;
    r.forEach((s) => { if (s.type === 'transport' && s.selectedCandidatePairId) pairId = s.selectedCandidatePairId; });
    r.forEach((s) => {
      if (s.type === 'candidate-pair' && (s.id === pairId || (!pairId && s.nominated))) {
        out.aob = s.availableOutgoingBitrate;
        out.rtt = s.currentRoundTripTime;
        const remote = r.get(s.remoteCandidateId);
        out.remotePort = remote && remote.port;
      }
      if (s.type === 'outbound-rtp' && s.kind === 'video') {
        out.bytes = (out.bytes || 0) + s.bytesSent;
        out.rtxBytes = (out.rtxBytes || 0) + (s.retransmittedBytesSent || 0);
        out.target = s.targetBitrate;
        out.w = s.frameWidth;
        out.h = s.frameHeight;
        out.fps = s.framesPerSecond;
        out.limit = s.qualityLimitationReason;
        out.nacks = s.nackCount;
      }
      if (s.type === 'remote-inbound-rtp' && s.kind === 'video') out.fractionLost = s.fractionLost;
    });
    return out;
  });
}

function median(xs) {
  const v = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  return v.length ? v[Math.floor(v.length / 2)] : NaN;
}

async function measure(page, seconds, label) {
  const samples = [];
  for (let i = 0; i <= seconds; i++) {
    const s = await senderSample(page);
    if (s) samples.push(s);
    await sleep(1000);
  }
  const tail = samples.filter((s) => s.t >= samples[samples.length - 1].t - 10);
  const a = tail[0];
  const b = tail[tail.length - 1];
  const kbps = (x) => Math.round(x / 1000);
  const sum = {
    label,
    aob_kbps_last10_median: kbps(median(tail.map((s) => s.aob))),
    aob_kbps_min: kbps(Math.min(...samples.map((s) => s.aob).filter(Number.isFinite))),
    sent_kbps_last10: kbps(((b.bytes - a.bytes) * 8) / Math.max(1, b.t - a.t)),
    rtx_kbps_last10: kbps((((b.rtxBytes || 0) - (a.rtxBytes || 0)) * 8) / Math.max(1, b.t - a.t)),
    frame: `${b.w}x${b.h}@${b.fps}`,
    limit: b.limit,
    fraction_lost_median: median(tail.map((s) => s.fractionLost)),
    rtt_ms: Math.round((b.rtt || 0) * 1000),
    aob_kbps_series: samples.map((s) => kbps(s.aob || 0)),
    remote_port: b.remotePort,
  };
  return sum;
}

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

function mediaPortOf(rapport) {
  const m = /media worker 0 on udp [\d.]+:(\d+)/.exec(rapport.log());
  if (!m) fail('no "media worker 0 on udp" line in rapportd\'s log');
  return Number(m[1]);
}

async function runRelay(t, browser, cond, seconds) {
  const token = randomBytes(24).toString('base64url');
  const rapport = await Rapportd.start({ config: { workers: 1, admin_token: token } });
  t.defer(() => rapport.stop());
  const imp = await startImpair(t, mediaPortOf(rapport), CONDITIONS[cond]);
  const agent = await browser.party(`agent ${cond}`);
  const customer = await browser.party(`customer ${cond}`, { initScripts: [[redirectMediaCandidates, imp.port]] });
  await agent.page.goto(rapport.url('/agent/'));
  await agent.page.getByLabel('Username').fill(rapport.agentUser);
  await agent.page.getByLabel('Password').fill(rapport.agentPassword);
  await agent.page.getByRole('button', { name: 'Sign in' }).click();
  await agent.page.getByLabel('Status', { exact: true }).waitFor({ state: 'visible', timeout: 10000 });
  await customer.page.goto(rapport.url('/customer/'));
  await customer.page.getByLabel('Your name').fill('Bea Bandwidth');
  await customer.page.getByRole('button', { name: 'See an agent' }).click();
  await agent.page.getByRole('alert').filter({ hasText: 'Bea Bandwidth' }).first().waitFor({ state: 'visible', timeout: 15000 });
  await agent.page.getByRole('button', { name: 'Accept' }).click();
  await waitFor('the agent to decode video', async () => {
    const s = await callStats(agent.page);
    return s && s.video.framesDecoded > 10;
  }, { timeoutMs: 30000, intervalMs: 250 });
  const sum = await measure(customer.page, seconds, `relay ${cond}`);
  if (sum.remote_port !== imp.port) fail(`relay ${cond}: the customer's pair goes to port ${sum.remote_port}, not the proxy's ${imp.port}`);
  const res = await fetch(rapport.url('/api/calls'), { headers: { Authorization: `Bearer ${token}` } });
  const list = await res.json();
  if (list.calls && list.calls[0]) {
    const call = await (await fetch(rapport.url(`/api/calls/${list.calls[0].id}`), { headers: { Authorization: `Bearer ${token}` } })).json();
    const leg = call.legs.find((l) => l.party === 'customer');
    sum.relay_video_in = leg && leg.stats.in.video;
  }
  sum.proxy = (await imp.stop(), imp.counters.up);
  await customer.context.close();
  await agent.context.close();
  await rapport.stop();
  return sum;
}

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
    log(`| ${r.label} | ${r.aob_kbps_last10_median} kbit/s | ${r.aob_kbps_min} | ${r.sent_kbps_last10} kbit/s | ${r.rtx_kbps_last10} | ${r.frame} | ${r.limit} | ${r.fraction_lost_median} | ${r.rtt_ms} ms | ${r.load} |`);
  }
}, { timeoutMs: 60 * 60 * 1000 });
