// Audio levels in a 1:1 call, and the level tooling the interpreter's three-party test builds
// on (lib/audio.mjs). One Chromium per party, each with its own fake microphone: the customer's
// plays 440 Hz, the agent's 660 Hz (a 4 s WAV written here, looped by Chromium), at -12 dB re
// full scale, with echo cancellation, noise suppression and AGC off (RAW_MICROPHONE; real users
// keep them: the pages are unchanged). Through rapportd's relay:
//   - the level meter reads an OscillatorNode of known amplitude right (±0.5 dB);
//   - each page hears the other's tone at a level L near what was sent (-12 dB, ±3 dB: Opus),
//     and neither its own tone nor the interpreter's 880 Hz (both ≥ 30 dB below L);
//   - L is steady: over 10 windows of 1 s (longer than the WAV, so the loop is seamless), the
//     spread (max - min) stays within 1.5 dB. The figures are printed: the three-party test's
//     ±3 dB on the ducking rests on them (tests/e2e/README.md).
// LEVELS_MIC=processed runs the same call with Chromium's audio processing on, to see what it
// does to a steady tone (it fails the steadiness check: that is why RAW_MICROPHONE exists).

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runTest, log, fail, sleep } from './lib/harness.mjs';
import {
  signInAgent, waitRing, accept, openCustomer, seeAgent, waitMedia, hangUp, waitStatus,
} from './lib/flow.mjs';
import {
  TONES, TONE_AMPLITUDE, writeToneWav, launchToneBrowser, RAW_MICROPHONE, measureTones,
  checkMeter, levelSpread,
} from './lib/audio.mjs';

const CUSTOMER_NAME = 'Tone Customer';
const FREQS = [TONES.customer, TONES.agent, TONES.interpreter];
const SENT_DB = 20 * Math.log10(TONE_AMPLITUDE);       // -12.04
const WINDOWS = 10;                                     // of 1 s each
const MAX_OFF_DB = 3;                                   // L within SENT_DB ± this
const MIN_SEPARATION_DB = 30;                           // a tone not sent: this far below L
const MAX_SPREAD_DB = 1.5;                              // max - min of L over the windows
const processed = process.env.LEVELS_MIC === 'processed';

// What one page hears, window by window; checks and prints it.
function judge(name, hears, r) {
  const others = FREQS.filter((f) => f !== hears);
  const spread = levelSpread(r.windows, FREQS);
  const L = spread[hears];
  log(`${name} (tracks ${r.tracks.map((x) => `mid ${x.mid}${x.attachedByMeter ? ', attached by the meter' : ''}`).join('; ')}):`);
  r.windows.forEach((w, i) => log(`  window ${i + 1}: ` + FREQS.map((f) => `${f} Hz ${w.levels[f].toFixed(2)}`).join(', ') +
    ` dB; floor ${w.floorDb.toFixed(1)} dB; strongest other ${w.stray.hz.toFixed(0)} Hz ${w.stray.level.toFixed(1)} dB` +
    (w.silent ? `; ${w.silent} of ${w.snaps} snapshots silent` : '')));
  log(`  ${hears} Hz: mean ${L.mean.toFixed(2)} dB, sd ${L.sd.toFixed(2)} dB, min ${L.min.toFixed(2)}, ` +
    `max ${L.max.toFixed(2)} (spread ${(L.max - L.min).toFixed(2)} dB); sent ${SENT_DB.toFixed(2)} dB; ` +
    others.map((f) => `${f} Hz at most ${spread[f].max.toFixed(1)} dB`).join(', '));
  const problems = [];
  const gaps = r.windows.filter((w) => w.silent).length;
  if (gaps) problems.push(`${name}: in ${gaps} of ${WINDOWS} windows Web Audio got nothing at all for a while (starved machine?)`);
  if (Math.abs(L.mean - SENT_DB) > MAX_OFF_DB) {
    problems.push(`${name} hears ${hears} Hz at ${L.mean.toFixed(2)} dB, sent at ${SENT_DB.toFixed(2)} (±${MAX_OFF_DB})`);
  }
  if (L.max - L.min > MAX_SPREAD_DB) {
    problems.push(`${name}: ${hears} Hz varies by ${(L.max - L.min).toFixed(2)} dB over ${WINDOWS} windows (at most ${MAX_SPREAD_DB})`);
  }
  r.windows.forEach((w, i) => {
    for (const f of others) {
      if (w.levels[hears] - w.levels[f] < MIN_SEPARATION_DB) {
        problems.push(`${name}, window ${i + 1}: ${f} Hz at ${w.levels[f].toFixed(1)} dB, only ` +
          `${(w.levels[hears] - w.levels[f]).toFixed(1)} dB under ${hears} Hz (want ≥ ${MIN_SEPARATION_DB})`);
      }
    }
  });
  return { L, spread, problems };
}

runTest('levels', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rapport-levels-'));
  t.defer(() => fs.rmSync(dir, { recursive: true, force: true }));
  const rapport = await t.startRapportd();
  const initScripts = processed ? [] : [RAW_MICROPHONE];
  log(`microphones: ${processed ? 'Chromium audio processing ON (LEVELS_MIC=processed)' : 'raw (RAW_MICROPHONE)'}`);

  const agentBrowser = await launchToneBrowser(t, writeToneWav(dir, TONES.agent));
  const customerBrowser = await launchToneBrowser(t, writeToneWav(dir, TONES.customer));
  const agent = await agentBrowser.party('agent', { initScripts });
  const customer = await customerBrowser.party('customer', { initScripts });

  await signInAgent(agent, rapport);
  await checkMeter(agent.page, { freq: TONES.agent });
  await openCustomer(customer, rapport);
  await seeAgent(customer, { name: CUSTOMER_NAME });
  await waitRing(agent, CUSTOMER_NAME);
  await accept(agent);
  await waitMedia([customer, agent]);

  for (const p of [customer, agent]) {
    const s = await p.page.evaluate(() => window.__pcs.flatMap((pc) => pc.getSenders())
      .filter((x) => x.track && x.track.kind === 'audio').map((x) => x.track.getSettings()));
    log(`${p.name} microphone: ${JSON.stringify(s.map(({ echoCancellation, noiseSuppression, autoGainControl, sampleRate, channelCount }) =>
      ({ echoCancellation, noiseSuppression, autoGainControl, sampleRate, channelCount })))}`);
  }
  await sleep(1000);  // past the first packets' jitter-buffer settling

  // Both pages at once: the same seconds of the call, and half the wall time.
  const opts = { freqs: FREQS, windowMs: 1000, windows: WINDOWS };
  const [atCustomer, atAgent] = await Promise.all([measureTones(customer.page, opts), measureTones(agent.page, opts)]);
  const c = judge('customer', TONES.agent, atCustomer);
  const a = judge('agent', TONES.customer, atAgent);
  log(`figures: full level ${SENT_DB.toFixed(2)} dB sent; heard ${c.L.mean.toFixed(2)} dB (sd ${c.L.sd.toFixed(2)}) ` +
    `at the customer, ${a.L.mean.toFixed(2)} dB (sd ${a.L.sd.toFixed(2)}) at the agent`);

  // The meter also finds one track by its mid.
  const mid = atCustomer.tracks[0].mid;
  const byMid = await measureTones(customer.page, { freqs: FREQS, mid, windowMs: 1000 });
  log(`customer, mid ${mid} alone: ${TONES.agent} Hz ${byMid.levels[TONES.agent].toFixed(2)} dB`);
  if (Math.abs(byMid.levels[TONES.agent] - c.L.mean) > MAX_SPREAD_DB) fail(`by mid ${mid} the customer hears ${byMid.levels[TONES.agent].toFixed(2)} dB, not ${c.L.mean.toFixed(2)}`);

  // Chromium feeds a remote track to Web Audio only while a media element plays it: with the
  // agent's <video> emptied, the meter reads silence unless it attaches its own muted <audio>.
  const video = agent.page.getByLabel('Customer video', { exact: true });
  await video.evaluate((v) => { window.__keptStream = v.srcObject; v.srcObject = null; });
  const bare = await measureTones(agent.page, { freqs: FREQS, windowMs: 500, attach: false });
  const held = await measureTones(agent.page, { freqs: FREQS, windowMs: 1000 });
  await video.evaluate((v) => { v.srcObject = window.__keptStream; });
  log(`agent, no element playing the track: ${TONES.customer} Hz ${bare.levels[TONES.customer].toFixed(1)} dB ` +
    `without the meter's <audio> (Chromium ${bare.levels[TONES.customer] < -150 ? 'still gives Web Audio silence' : 'no longer needs an element'}), ` +
    `${held.levels[TONES.customer].toFixed(2)} dB with it`);
  if (!held.tracks[0].attachedByMeter || Math.abs(held.levels[TONES.customer] - a.L.mean) > MAX_SPREAD_DB) {
    fail(`the meter's own <audio> does not bring the track to Web Audio: ${JSON.stringify(held.tracks)}, ${held.levels[TONES.customer]} dB`);
  }

  const problems = [...c.problems, ...a.problems];
  if (problems.length) fail(`levels:\n  ${problems.join('\n  ')}`);

  await hangUp(customer);
  await waitStatus(customer, /ended/i, 'the call ended');
}, { timeoutMs: 150000 });
