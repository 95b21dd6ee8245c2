// Smooth video on a poor uplink: the customer's media to rapportd goes through rapport-impair
// (tests/load) with 5 % random loss and 30 ± 30 ms delay (seeded), the agent's does not. The
// same call runs twice, with the relay's loss repair on and off (`repair = false`), and the
// figures of both runs are printed: what the agent's browser received (residual loss, freezes,
// frames decoded, NACKs and PLIs it sent), what the customer's browser resent, what the relay
// saw (GET /api/calls/<id>: loss before and after repair, repaired) and what the proxy did.
//
// How the customer goes through the proxy: the customer's context wraps
// RTCPeerConnection.prototype.setRemoteDescription (harness redirectMediaCandidates) so the
// candidate in rapportd's answer names the proxy's port; the proxy relays to rapportd's one
// media port (workers = 1), and rapportd sees the proxy's address as the customer's.
//
// Asserts: with repair the agent's residual video loss is at most 0.5 %, and the agent sees
// fewer freezes (or less time frozen) than without; and, so the comparison means something,
// the proxy dropped about 5 % of the customer's packets and without repair the agent does see
// the loss. Also: /api/calls answers 401 without the bearer token. A run during which the
// shared machine was visibly starved (see STARVED_*) is run once more.

import { randomBytes } from 'node:crypto';
import os from 'node:os';
import {
  runTest, log, fail, waitFor, sleep, callStats, formatCallStats, rawStats, Rapportd,
  redirectMediaCandidates,
} from './lib/harness.mjs';
import {
  bweStartImpair, STARVED_CONTROL_FROZEN_S, STARVED_CONTROL_FRAMES, CAMERA_FPS, RETRY_BUDGET_MS,
} from './lib/bwe.mjs';

const IMPAIR_ARGS = ['--up-loss', '5', '--up-delay', '30', '--up-jitter', '30'];
// The customer's sender is held at HOLD_VIDEO_KBPS or more (x-google-min-bitrate in the answer
// it gets), the same in both runs, so that both carry the same video and the comparison is
// about repair, not congestion control. (Before f427531 the relay's REMB, fed the uplink's
// loss as the agent reported it, sank the customer to 30-80 kbit/s on this uplink, where a
// handful of frames decided the freeze count either way; docs/performance.md, "Chrome's
// estimate on an impaired uplink".)
const HOLD_VIDEO_KBPS = 500;
const CALL_SECONDS = 20;          // media time measured per run, after the first frames
const MAX_RESIDUAL_LOSS = 0.005;  // with repair, at the agent
const SETTLE_MS = 1500;           // after the customer's video stops, before the figures are read
// The machine is shared: a run during which it was starved says more about the machine than
// about repair, and is run again once. The control is the other direction, which nothing
// impairs: the agent's video as the customer's browser decodes it (frozen this long in all, or
// fewer frames than this share of the camera's), and the relay's round trip to the agent.
// (thresholds: lib/bwe.mjs, STARVED_*)
const STARVED_RTT_US = 150000;
const TEST_START = Date.now();
const CUSTOMER_NAME = 'Ivy Impaired';

/* ------------------------------------------------------------------ rapport-impair */

async function startImpair(t, target) {
  const imp = await bweStartImpair(t, target, IMPAIR_ARGS);   // seeded there (4242)
  log(`rapport-impair listening on 127.0.0.1:${imp.port}, relaying to rapportd's 127.0.0.1:${target}`);
  return imp;
}

/* ------------------------------------------------------------------ the call */

// Init script (the customer's context): every remote description's VP8 gets
// x-google-min-bitrate=kbps, Chromium's floor for what it sends with that codec.
function holdVideoBitrate(kbps) {
  const proto = window.RTCPeerConnection && window.RTCPeerConnection.prototype;
  if (!proto || proto.__rapportHeld) return;
  const native = proto.setRemoteDescription;
  const hold = (sdp) => {
    const m = /^a=rtpmap:(\d+) VP8\/90000\r?$/m.exec(sdp);
    if (!m) return sdp;
    const fmtp = new RegExp(`^(a=fmtp:${m[1]} [^\r\n]*)`, 'm');
    if (fmtp.test(sdp)) return sdp.replace(fmtp, `$1;x-google-min-bitrate=${kbps}`);
    const cr = m[0].endsWith('\r') ? '\r' : '';
    return sdp.replace(m[0], `${m[0]}\na=fmtp:${m[1]} x-google-min-bitrate=${kbps}${cr}`);
  };
  Object.defineProperty(proto, '__rapportHeld', { value: true });
  proto.setRemoteDescription = function setRemoteDescription(desc, ...rest) {
    if (desc && typeof desc.sdp === 'string') desc = { type: desc.type, sdp: hold(desc.sdp) };
    return native.call(this, desc, ...rest);
  };
}

async function signInAgent(page, rapport) {
  await page.goto(rapport.url('/agent/'));
  await page.getByLabel('Username').fill(rapport.agentUser);
  await page.getByLabel('Password').fill(rapport.agentPassword);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByLabel('Status', { exact: true }).waitFor({ state: 'visible', timeout: 10000 });
}

async function placeCall(agent, customer, rapport) {
  await signInAgent(agent.page, rapport);
  await customer.page.goto(rapport.url('/customer/'));
  await customer.page.getByLabel('Your name').fill(CUSTOMER_NAME);
  await customer.page.getByRole('button', { name: 'See an agent' }).click();
  await agent.page.getByRole('alert').filter({ hasText: CUSTOMER_NAME }).first()
    .waitFor({ state: 'visible', timeout: 15000 });
  await agent.page.getByRole('button', { name: 'Accept' }).click();
  let latest;
  await waitFor('the agent to decode the customer\'s video', async () => {
    latest = await callStats(agent.page);
    return latest && latest.video.framesDecoded > 30;
  }, { timeoutMs: 30000, intervalMs: 250, describe: () => formatCallStats('agent', latest) });
}

// The customer's outbound video: what its browser was asked to resend, and resent.
async function customerOutbound(page) {
  const pcs = await rawStats(page);
  const live = [...pcs].reverse().find((p) => p.connectionState !== 'closed') || pcs[pcs.length - 1];
  const out = {
    nackCount: 0, retransmittedPacketsSent: 0, packetsSent: 0, pliCount: 0, keyFramesEncoded: 0,
    targetBitrate: 0, framesPerSecond: 0, frameWidth: 0, frameHeight: 0,
  };
  for (const s of live ? live.reports : []) {
    if (s.type !== 'outbound-rtp' || s.kind !== 'video') continue;
    for (const k of Object.keys(out)) out[k] += s[k] || 0;
  }
  return out;
}

// The customer stops sending video, so that the agent's figures can settle: what was still
// being repaired when they were read would count as lost.
async function stopVideo(page) {
  const stopped = await page.evaluate(async () => {
    const pc = [...(window.__pcs || [])].reverse().find((p) => p.connectionState !== 'closed');
    const sender = pc && pc.getSenders().find((s) => s.track && s.track.kind === 'video');
    if (sender) await sender.replaceTrack(null);
    return Boolean(sender);
  });
  if (!stopped) fail('customer: no video sender to stop');
}

/* ------------------------------------------------------------------ the admin API */

async function api(rapport, path, token) {
  const headers = token ? { Authorization: `Bearer ${token}` } : {};
  const res = await fetch(rapport.url(path), { headers, signal: AbortSignal.timeout(5000) });
  return { status: res.status, body: await res.json() };
}

async function relayView(rapport, token) {
  const unauth = await api(rapport, '/api/calls', null);
  if (unauth.status !== 401) fail(`GET /api/calls without a token: ${unauth.status}, want 401`);
  const list = await api(rapport, '/api/calls', token);
  if (list.status !== 200 || !Array.isArray(list.body.calls) || list.body.calls.length !== 1) {
    fail(`GET /api/calls: ${list.status} ${JSON.stringify(list.body)}; want one call`);
  }
  const call = await api(rapport, `/api/calls/${list.body.calls[0].id}`, token);
  if (call.status !== 200) fail(`GET /api/calls/<id>: ${call.status} ${JSON.stringify(call.body)}`);
  log(`GET /api/calls: ${JSON.stringify(list.body)}`);
  log(`GET /api/calls/${list.body.calls[0].id}: ${JSON.stringify(call.body)}`);
  const leg = (party) => (call.body.legs.find((l) => l.party === party) || {}).stats;
  const customer = leg('customer');
  const agent = leg('agent');
  if (!customer || !agent) fail(`a leg has no stats: ${JSON.stringify(call.body)}`);
  return { customer, agent };
}

/* ------------------------------------------------------------------ one run */

function mediaPortOf(rapport) {
  const m = /media worker 0 on udp [\d.]+:(\d+)/.exec(rapport.log());
  if (!m) fail(`no "media worker 0 on udp" line in rapportd's log:\n${rapport.log()}`);
  return Number(m[1]);
}

async function runOnce(t, browser, repair) {
  const label = repair ? 'repair on' : 'repair off';
  const token = randomBytes(24).toString('base64url');
  const rapport = await Rapportd.start({ config: { workers: 1, repair, admin_token: token } });
  t.defer(() => rapport.stop());
  const imp = await startImpair(t, mediaPortOf(rapport));
  const agent = await browser.party(`agent (${label})`);
  const customer = await browser.party(`customer (${label})`, {
    initScripts: [[redirectMediaCandidates, imp.port], [holdVideoBitrate, HOLD_VIDEO_KBPS]],
  });
  await placeCall(agent, customer, rapport);
  log(`${label}: media flowing; measuring for ${CALL_SECONDS} s`);
  await sleep(CALL_SECONDS * 1000);
  const encoder = await customerOutbound(customer.page);   // rate and frame rate while sending
  await stopVideo(customer.page);
  await sleep(SETTLE_MS);

  const a = await callStats(agent.page);
  const c = await callStats(customer.page);
  const sent = { ...(await customerOutbound(customer.page)), ...pick(encoder, ['targetBitrate', 'framesPerSecond', 'frameWidth', 'frameHeight']) };
  const relay = await relayView(rapport, token);
  const pair = c.candidatePair || {};
  if (!pair.remote || pair.remote.port !== imp.port) {
    fail(`${label}: the customer's media does not go through the proxy (remote ${JSON.stringify(pair.remote)}, proxy port ${imp.port})`);
  }
  await customer.page.getByRole('button', { name: 'Hang up' }).click();
  await imp.stop();
  await customer.context.close();
  await agent.context.close();
  await rapport.stop();
  const starved = starvation(c.video, relay, CALL_SECONDS);
  return { label, agent: a, customer: c, sent, relay, proxy: imp.counters, starved };
}

// Why the run says little about repair, or null: the agent-to-customer direction is not
// impaired, so freezes or a long round trip there are the machine's doing.
function starvation(control, relay, secs) {
  const rtt = relay.agent.rtt_us;
  if (control.totalFreezesDuration > STARVED_CONTROL_FROZEN_S) {
    return `the agent's unimpaired video froze for ${control.totalFreezesDuration.toFixed(1)} s at the customer`;
  }
  if (control.framesDecoded < STARVED_CONTROL_FRAMES * CAMERA_FPS * secs) {
    return `the customer decoded only ${control.framesDecoded} frames of the agent's unimpaired video in ${secs.toFixed(0)} s`;
  }
  if (rtt > STARVED_RTT_US) return `round trip to the agent's browser ${(rtt / 1000).toFixed(0)} ms on loopback`;
  return null;
}

// One run, and once more if the machine starved it and there is time for it and for the runs
// still to come (runsAfter) within RETRY_BUDGET_MS of the test's start.
async function measuredRun(t, browser, repair, runsAfter) {
  const started = Date.now();
  let r = await runOnce(t, browser, repair);
  report(r);
  const took = Date.now() - started;
  const roomy = Date.now() - TEST_START + took * (1 + runsAfter) < RETRY_BUDGET_MS;
  if (r.starved) {
    log(`${r.label}: the machine was starved (${r.starved}; load average ${os.loadavg()[0].toFixed(1)}): ` +
      (roomy ? 'running it again' : 'no time to run it again'));
  }
  if (r.starved && roomy) {
    r = await runOnce(t, browser, repair);
    report(r);
  }
  return r;
}

/* ------------------------------------------------------------------ figures */

function pick(obj, keys) {
  return Object.fromEntries(keys.map((k) => [k, obj[k]]));
}

// packetsLost goes below 0 when duplicates (a retransmission and a late original) outnumber
// the losses: that is no loss.
function residual(v) {
  const lost = Math.max(0, v.packetsLost);
  const expected = v.packetsReceived + lost;
  return expected ? lost / expected : 0;
}

const pct = (x) => `${(x * 100).toFixed(2)} %`;

function report(r) {
  const v = r.agent.video;
  const up = r.proxy.up || {};
  const rv = r.relay.customer.in.video;
  const lines = [
    `${r.label}: (load average ${os.loadavg()[0].toFixed(1)}${r.starved ? `; starved: ${r.starved}` : ''})`,
    `  proxy (customer -> rapportd): ${up.rx} datagrams in, ${up.lost_random} dropped (${pct(up.rx ? up.lost_random / up.rx : 0)}), ${up.reordered} reordered`,
    `  customer's browser, video sent: ${r.sent.frameWidth}x${r.sent.frameHeight} at ${r.sent.framesPerSecond} fps, ` +
      `target ${(r.sent.targetBitrate / 1000).toFixed(0)} kbit/s, ${r.sent.packetsSent} packets, ` +
      `${r.sent.nackCount} NACKs received, ${r.sent.retransmittedPacketsSent} packets resent, ` +
      `${r.sent.pliCount} PLIs received, ${r.sent.keyFramesEncoded} keyframes`,
    `  relay, customer's video in: ${rv.packets} packets, lost before repair ${rv.lost_before_repair}, ` +
      `after repair ${rv.lost_after_repair}, repaired ${rv.repaired}, NACKs sent ${rv.nacks_sent}, ` +
      `late after NACK ${rv.late_after_nack}, duplicates ${rv.duplicates}, first NACK wait ${(rv.nack_wait_us / 1000).toFixed(0)} ms, ` +
      `reordered ${rv.reordered}, jitter ${(rv.jitter_us / 1000).toFixed(1)} ms, ${(rv.bitrate_bps / 1000).toFixed(0)} kbit/s; ` +
      `PLIs to customer ${r.relay.customer.plis_tx}`,
    `  relay, agent's leg: ${r.relay.agent.nacks_rx} NACK packets from the agent, ${r.relay.agent.retransmits_tx} retransmitted, ` +
      `${r.relay.agent.plis_rx} PLIs from the agent, rtt ${(r.relay.agent.rtt_us / 1000).toFixed(1)} ms, ` +
      `jitter of the agent's video ${(r.relay.agent.in.video.jitter_us / 1000).toFixed(1)} ms`,
    `  agent's browser, customer's video: ${v.packetsReceived} received, ${v.packetsLost} lost ` +
      `(residual ${pct(residual(v))}), ${v.framesDecoded} frames decoded, ${v.freezeCount} freezes ` +
      `(${v.totalFreezesDuration.toFixed(2)} s), ${v.nackCount} NACKs and ${v.pliCount} PLIs sent, ` +
      `jitter ${(v.jitter * 1000).toFixed(1)} ms`,
    `  control, the agent's video at the customer (not impaired): ${r.customer.video.framesDecoded} frames decoded, ` +
      `${r.customer.video.freezeCount} freezes (${r.customer.video.totalFreezesDuration.toFixed(2)} s), ` +
      `${r.customer.video.packetsLost} lost`,
  ];
  for (const l of lines) log(l);
}

runTest('impair', async (t) => {
  const browser = await t.launchBrowser();
  const on = await measuredRun(t, browser, true, 1);
  const off = await measuredRun(t, browser, false, 0);

  for (const r of [on, off]) {
    const up = r.proxy.up;
    if (!up || !up.rx) fail(`${r.label}: no counters from rapport-impair: ${JSON.stringify(r.proxy)}`);
    const loss = up.lost_random / up.rx;
    if (loss < 0.03 || loss > 0.07) fail(`${r.label}: the proxy dropped ${pct(loss)} of the uplink, want about 5 %`);
    if (!r.relay.customer.in.video.lost_before_repair) fail(`${r.label}: the relay saw no loss on the customer's video`);
  }
  const rOn = residual(on.agent.video);
  const rOff = residual(off.agent.video);
  if (rOff < 0.01) fail(`without repair the agent lost only ${pct(rOff)}: the impairment did not reach it`);
  if (rOn > MAX_RESIDUAL_LOSS) fail(`with repair the agent's residual video loss is ${pct(rOn)}, want <= ${pct(MAX_RESIDUAL_LOSS)}`);
  const fOn = on.agent.video;
  const fOff = off.agent.video;
  if (!(fOn.freezeCount < fOff.freezeCount || fOn.totalFreezesDuration < fOff.totalFreezesDuration)) {
    const starved = [on, off].filter((r) => r.starved).map((r) => `${r.label}: ${r.starved}`).join('; ');
    fail(`with repair the agent froze ${fOn.freezeCount} times (${fOn.totalFreezesDuration.toFixed(2)} s), ` +
      `without ${fOff.freezeCount} times (${fOff.totalFreezesDuration.toFixed(2)} s): want fewer or shorter with repair` +
      (starved ? ` (the machine was starved twice in a row: ${starved})` : ''));
  }
  log(`residual loss at the agent: ${pct(rOn)} with repair, ${pct(rOff)} without; freezes ` +
    `${fOn.freezeCount} (${fOn.totalFreezesDuration.toFixed(2)} s) with, ${fOff.freezeCount} (${fOff.totalFreezesDuration.toFixed(2)} s) without`);
}, { timeoutMs: 175000 });
