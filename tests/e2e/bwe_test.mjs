// Chrome's estimate on an impaired uplink, through the relay: the customer's media to rapportd
// goes through rapport-impair with 5 % random loss and 30 ± 30 ms delay (seed 4242, as
// impair_test), with no bitrate hold (no x-google-min-bitrate), an agent answering. After
// MEASURE_SECONDS of media the customer's send-side figures over the last TAIL_SECONDS: the
// selected pair's availableOutgoingBitrate (median of the per-second samples) and its video
// send rate. Before f427531 the relay's REMB was cut on every RR of the agent's that showed
// the customer's own uplink loss or reordering, a ratchet to ~83 kbit/s (sending ~35); after
// it Chrome holds 0.7-2.5 Mbit/s, as Chrome to Chrome on the same link
// (docs/performance.md, "Chrome's estimate on an impaired uplink").
//
// The call is lib/bwe.mjs's (shared with the manual measurement bwe_impair.mjs, relay mode,
// condition "both"). Asserts the estimate and the send rate stay above MIN_AOB_KBPS and
// MIN_SENT_KBPS, and that the proxy dropped about 5 % of the uplink. A run that fails while the
// shared machine was visibly starved (the agent's unimpaired video at the customer froze or
// was short of frames) is run once more, if there is time.

import os from 'node:os';
import { runTest, log, fail } from './lib/harness.mjs';
import {
  bweRelayCall, STARVED_CONTROL_FROZEN_S, STARVED_CONTROL_FRAMES, CAMERA_FPS, RETRY_BUDGET_MS,
} from './lib/bwe.mjs';

const COND = 'both';              // lib/bwe.mjs BWE_CONDITIONS: --up-loss 5 --up-delay 30 --up-jitter 30
const MEASURE_SECONDS = 18;       // of media, sampled once a second, after the agent's first frames
const TAIL_SECONDS = 6;           // the figures asserted: the samples of the measure's last 6 s
// Thresholds, about 3x and 5x the broken figures (estimate 83, sent 31-32 kbit/s) and at most
// 0.6x the lowest of the fixed code's runs here (424 and 349; docs/performance.md has them).
const MIN_AOB_KBPS = 250;
const MIN_SENT_KBPS = 150;
const TEST_START = Date.now();

function starvation(r) {
  const c = r.control;
  if (c.frozen_s > STARVED_CONTROL_FROZEN_S) return `the agent's unimpaired video froze for ${c.frozen_s} s at the customer`;
  if (c.frames < STARVED_CONTROL_FRAMES * CAMERA_FPS * MEASURE_SECONDS) {
    return `the customer decoded only ${c.frames} frames of the agent's unimpaired video in ${MEASURE_SECONDS} s`;
  }
  return null;
}

// Why the run fails, or null.
function judge(r) {
  const up = r.proxy;
  if (!up || !up.rx) return `no counters from rapport-impair: ${JSON.stringify(up)}`;
  const loss = up.lost_random / up.rx;
  if (loss < 0.03 || loss > 0.07) return `the proxy dropped ${(loss * 100).toFixed(2)} % of the uplink, want about 5 %`;
  if (!(r.aob_kbps_median >= MIN_AOB_KBPS)) {
    return `the customer's availableOutgoingBitrate is ${r.aob_kbps_median} kbit/s (median of the last ${r.tail_s} s), want >= ${MIN_AOB_KBPS}`;
  }
  if (!(r.sent_kbps >= MIN_SENT_KBPS)) {
    return `the customer sends ${r.sent_kbps} kbit/s of video (last ${r.tail_s} s), want >= ${MIN_SENT_KBPS}`;
  }
  return null;
}

function report(r) {
  const up = r.proxy || {};
  const rv = r.relay_video_in || {};
  log(`${r.label}: (load average ${os.loadavg()[0].toFixed(1)}; media after ${r.setup_s} s${r.starved ? `; starved: ${r.starved}` : ''})`);
  log(`  customer's availableOutgoingBitrate: median ${r.aob_kbps_median} kbit/s over the last ${r.tail_s} s (min ${r.aob_kbps_min}); ` +
    `per second: ${r.aob_kbps_series.join(' ')}`);
  log(`  customer's video sent: ${r.sent_kbps} kbit/s (of it RTX ${r.rtx_kbps}), ${r.frame} at the end, limited by ${r.limit}, ` +
    `fractionLost ${r.fraction_lost_median}, rtt ${r.rtt_ms} ms`);
  log(`  proxy (customer -> rapportd): ${up.rx} datagrams in, ${up.lost_random} dropped; ` +
    `relay, customer's video in: ${rv.packets} packets, ${rv.lost_before_repair} lost before repair, ` +
    `${rv.reordered} reordered, ${(rv.bitrate_bps / 1000).toFixed(0)} kbit/s`);
  log(`  control, the agent's video at the customer: ${r.control.frames} frames decoded, ${r.control.freezes} freezes (${r.control.frozen_s} s)`);
}

async function measuredRun(t, browser) {
  const started = Date.now();
  const r = await bweRelayCall(t, browser, COND, MEASURE_SECONDS, { tailSeconds: TAIL_SECONDS });
  r.starved = starvation(r);
  r.failure = judge(r);
  report(r);
  log(`RESULT ${JSON.stringify(r)}`);
  r.took_ms = Date.now() - started;
  return r;
}

runTest('bwe', async (t) => {
  const browser = await t.launchBrowser();
  let r = await measuredRun(t, browser);
  if (r.failure && r.starved) {
    const roomy = Date.now() - TEST_START + r.took_ms < RETRY_BUDGET_MS;
    log(`${r.label} failed (${r.failure}) while the machine was starved (${r.starved}): ` +
      (roomy ? 'running it again' : 'no time to run it again'));
    if (roomy) r = await measuredRun(t, browser);
  }
  if (r.failure) fail(r.failure + (r.starved ? ` (the machine was starved: ${r.starved})` : ''));
  log(`customer behind 5 % loss and 30 +- 30 ms: estimate ${r.aob_kbps_median} kbit/s (>= ${MIN_AOB_KBPS}), ` +
    `video sent ${r.sent_kbps} kbit/s (>= ${MIN_SENT_KBPS})`);
}, { timeoutMs: 175000 });
