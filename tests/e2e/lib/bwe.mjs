// Chromium's send-side estimate on an impaired uplink, through rapportd: shared by the manual
// measurement tests/e2e/bwe_impair.mjs (its relay mode) and the ctest test
// tests/e2e/bwe_test.mjs (docs/performance.md, "Chrome's estimate on an impaired uplink").
//
// rapport-impair (tests/load) relays one direction impaired (client -> target, seed 4242);
// the sender's figures come from its own getStats() once a second.

import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import readline from 'node:readline';
import {
  fail, waitFor, sleep, callStats, Rapportd, redirectMediaCandidates,
} from './harness.mjs';

const IMPAIR = process.env.RAPPORT_IMPAIR;

// rapport-impair's options per named condition of the uplink (client -> target only).
// A starved machine, for the tests that run a call on an impaired uplink (impair_test,
// bwe_test): the control is the direction nothing impairs (the agent's video at the customer);
// frozen this long in all, or fewer frames decoded than this share of the camera's, says the
// run measured the machine, and it is run once more if that fits in the retry budget.
export const STARVED_CONTROL_FROZEN_S = 2;
export const STARVED_CONTROL_FRAMES = 0.6;
export const CAMERA_FPS = 20;
export const RETRY_BUDGET_MS = 150000;   // ctest gives these tests 180 s

export const BWE_CONDITIONS = {
  none: [],
  loss: ['--up-loss', '5'],
  delay: ['--up-delay', '30'],
  jitter: ['--up-delay', '30', '--up-jitter', '30'],
  both: ['--up-loss', '5', '--up-delay', '30', '--up-jitter', '30'],
};

// rapport-impair from 127.0.0.1:<its port> to 127.0.0.1:target; imp.counters.up/down are its
// last counter lines (dropped, reordered, ...), complete once imp.stop() has returned.
export async function bweStartImpair(t, target, extra) {
  if (!IMPAIR) fail('no rapport-impair: set RAPPORT_IMPAIR=/path/to/rapport-impair (ctest does)');
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

export function bweMedian(xs) {
  const v = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  return v.length ? v[Math.floor(v.length / 2)] : NaN;
}

// Samples the sender once a second for `seconds` s; the summary is over the last tailSeconds:
// the median availableOutgoingBitrate of the selected pair, the video sent (RTX included) and
// of it RTX, in kbit/s. onSample(s), if given, is called with each sample.
export async function bweMeasure(page, seconds, label, { tailSeconds = 10, onSample } = {}) {
  const samples = [];
  for (let i = 0; i <= seconds; i++) {
    const s = await senderSample(page);
    if (s) {
      samples.push(s);
      if (onSample) onSample(s);
    }
    await sleep(1000);
  }
  if (!samples.length) fail(`${label}: the sender has no RTCPeerConnection`);
  const tail = samples.filter((s) => s.t >= samples[samples.length - 1].t - tailSeconds);
  const a = tail[0];
  const b = tail[tail.length - 1];
  const kbps = (x) => Math.round(x / 1000);
  return {
    label,
    tail_s: Math.round(b.t - a.t),
    aob_kbps_median: kbps(bweMedian(tail.map((s) => s.aob))),
    aob_kbps_min: kbps(Math.min(...samples.map((s) => s.aob).filter(Number.isFinite))),
    sent_kbps: kbps(((b.bytes - a.bytes) * 8) / Math.max(1, b.t - a.t)),
    rtx_kbps: kbps((((b.rtxBytes || 0) - (a.rtxBytes || 0)) * 8) / Math.max(1, b.t - a.t)),
    frame: `${b.w}x${b.h}@${b.fps}`,
    limit: b.limit,
    fraction_lost_median: bweMedian(tail.map((s) => s.fractionLost)),
    rtt_ms: Math.round((b.rtt || 0) * 1000),
    aob_kbps_series: samples.map((s) => kbps(s.aob || 0)),
    remote_port: b.remotePort,
  };
}

/* ------------------------------------------------------------------ through rapportd */

function mediaPortOf(rapport) {
  const m = /media worker 0 on udp [\d.]+:(\d+)/.exec(rapport.log());
  if (!m) fail(`no "media worker 0 on udp" line in rapportd's log:\n${rapport.log()}`);
  return Number(m[1]);
}

async function api(rapport, path, token) {
  const res = await fetch(rapport.url(path), { headers: { Authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(5000) });
  return res.json();
}

// One call through a fresh rapportd (one media worker): the customer's media through
// rapport-impair with BWE_CONDITIONS[cond] and no bitrate hold, an agent answering; once the
// agent decodes video, `seconds` s of the customer's figures (bweMeasure). Returns the summary
// with: proxy (the proxy's uplink counters), relay_video_in (the relay's view of the
// customer's video), control (the agent's unimpaired video at the customer over the measured
// seconds: frames decoded, freezes, seconds frozen) and setup_s (start to media).
export async function bweRelayCall(t, browser, cond, seconds, { tailSeconds = 10, onSample } = {}) {
  const started = Date.now();
  const token = randomBytes(24).toString('base64url');
  const rapport = await Rapportd.start({ config: { workers: 1, admin_token: token } });
  t.defer(() => rapport.stop());
  const imp = await bweStartImpair(t, mediaPortOf(rapport), BWE_CONDITIONS[cond]);
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
  const setupS = (Date.now() - started) / 1000;
  const before = (await callStats(customer.page)).video;
  const sum = await bweMeasure(customer.page, seconds, `relay ${cond}`, { tailSeconds, onSample });
  const after = (await callStats(customer.page)).video;
  sum.setup_s = Math.round(setupS);
  sum.control = {
    frames: after.framesDecoded - before.framesDecoded,
    freezes: after.freezeCount - before.freezeCount,
    frozen_s: Number((after.totalFreezesDuration - before.totalFreezesDuration).toFixed(2)),
  };
  if (sum.remote_port !== imp.port) fail(`relay ${cond}: the customer's pair goes to port ${sum.remote_port}, not the proxy's ${imp.port}`);
  const list = await api(rapport, '/api/calls', token);
  if (list.calls && list.calls[0]) {
    const call = await api(rapport, `/api/calls/${list.calls[0].id}`, token);
    const leg = call.legs.find((l) => l.party === 'customer');
    sum.relay_video_in = leg && leg.stats.in.video;
  }
  await imp.stop();
  sum.proxy = imp.counters.up;
  await customer.context.close();
  await agent.context.close();
  await rapport.stop();
  return sum;
}
