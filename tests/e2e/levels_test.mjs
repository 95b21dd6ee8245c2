// Audio levels in a 1:1 call, and the level tooling the interpreter's three-party test builds
// on (lib/audio.mjs). One Chromium per party, each with its own fake microphone: the customer's
// plays 440 Hz, the agent's 660 Hz (a 4 s WAV written here, looped by Chromium), at -12 dB re
// full scale, with echo cancellation, noise suppression and AGC off (RAW_MICROPHONE; real users
// keep them: the pages are unchanged). Through rapportd's relay:
//   - the level meter reads an OscillatorNode of known amplitude right (±0.5 dB);
//   - each page hears the other's tone at a level L near what was sent (-12 dB, ±3 dB: Opus),
//     and neither its own tone nor the interpreter's 880 Hz (both ≥ 30 dB below L);
//   - L is steady: of 10 windows of 1 s (longer than the WAV, so its loop is in them), 8 are
//     within ±0.5 dB of their median. The figures are printed: the three-party test's ±3 dB on
//     the ducking rests on them (tests/e2e/README.md);
//   - the meter finds the same level by mid and by element, and holds a track no element plays.
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
  checkMeter, levelSpread, judgeTones, median,
} from './lib/audio.mjs';

const CUSTOMER_NAME = 'Tone Customer';
const FREQS = [TONES.customer, TONES.agent, TONES.interpreter];
const SENT_DB = 20 * Math.log10(TONE_AMPLITUDE);       // -12.04
const WINDOWS = 10;                                     // of 1 s each
const MAX_OFF_DB = 3;                                   // L within SENT_DB ± this
const MIN_SEPARATION_DB = 30;                           // a tone not sent: this far below L
const STEADY_DB = 0.5;                                  // L steady: within this of its median
const STEADY_WINDOWS = 8;                               // in at least this many windows
const SAME_DB = 0.5;                                    // by mid, by element: as the median
const processed = process.env.LEVELS_MIC === 'processed';

// What one page hears, window by window: printed, judged (lib/audio.mjs judgeTones) against
// the level sent, and its steadiness.
function judge(name, hears, r) {
  const others = FREQS.filter((f) => f !== hears);
  const spread = levelSpread(r.windows, FREQS);
  const L = spread[hears];
  log(`${name} (tracks ${r.tracks.map((x) => `mid ${x.mid}${x.attachedByMeter ? ', attached by the meter' : ''}`).join('; ')}` +
    `${r.discarded.length ? `; ${r.discarded.length} window(s) silent or concealed, measured again` : ''}):`);
  r.windows.forEach((w, i) => log(`  window ${i + 1}: ` + FREQS.map((f) => `${f} Hz ${w.levels[f].toFixed(2)}`).join(', ') +
    ` dB; floor ${w.floorDb.toFixed(1)} dB; strongest other ${w.stray.hz.toFixed(0)} Hz ${w.stray.level.toFixed(1)} dB` +
    `; concealed ${(100 * w.concealed).toFixed(1)} %, stretched ${(100 * w.stretched).toFixed(1)} %, ${w.snaps} snapshots` +
    (w.silent ? `; ${w.silent} of ${w.snaps} snapshots silent` : '')));
  r.discarded.forEach((w) => log(`  measured again: ${hears} Hz ${w.levels[hears].toFixed(2)} dB, ` +
    `concealed ${(100 * w.concealed).toFixed(1)} %, ${w.silent} of ${w.snaps} snapshots silent${w.starved ? ', starved' : ''}`));
  log(`  ${hears} Hz: mean ${L.mean.toFixed(2)} dB, sd ${L.sd.toFixed(2)} dB, min ${L.min.toFixed(2)}, ` +
    `max ${L.max.toFixed(2)} (spread ${(L.max - L.min).toFixed(2)} dB); sent ${SENT_DB.toFixed(2)} dB; ` +
    others.map((f) => `${f} Hz at most ${spread[f].max.toFixed(1)} dB`).join(', '));
  const { problems } = judgeTones(name, r, { refDb: SENT_DB, want: { [hears]: 0 }, absent: others,
    toleranceDb: MAX_OFF_DB, absentDb: MIN_SEPARATION_DB });
  // Steady: most windows within STEADY_DB of the median. Chromium's processing moves a steady
  // tone by 10-20 dB over seconds; a starved machine costs one window in ten a dB or so.
  const med = median(r.windows.map((w) => w.levels[hears]));
  const steady = r.windows.filter((w) => Math.abs(w.levels[hears] - med) <= STEADY_DB).length;
  log(`  ${steady} of ${WINDOWS} windows within ±${STEADY_DB} dB of the median ${med.toFixed(2)} dB`);
  if (steady < STEADY_WINDOWS) {
    problems.push(`${name}: only ${steady} of ${WINDOWS} windows of ${hears} Hz within ±${STEADY_DB} dB of their median (want ≥ ${STEADY_WINDOWS})`);
  }
  // the same windows judged the way the three-party test judges ducking: relative to a tone
  // heard in the same window (here the only one; the others must be far under it)
  problems.push(...judgeTones(`${name} (relative)`, r, { ref: hears, absent: others, absentDb: MIN_SEPARATION_DB }).problems);
  return { L, spread, problems };
}

runTest('levels', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rapport-levels-'));
  t.defer(() => fs.rmSync(dir, { recursive: true, force: true }));
  // The three-party test's knob: here only that rapportd takes it (a 1:1 call is not mixed).
  const rapport = await t.startRapportd({ config: { duck_db: -14 } });
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
  const fig = (L) => `mean ${L.mean.toFixed(2)} dB, sd ${L.sd.toFixed(2)}, range ${L.min.toFixed(2)}..${L.max.toFixed(2)}`;
  log(`figures: full level ${SENT_DB.toFixed(2)} dB sent; heard at the customer ${fig(c.L)}; at the agent ${fig(a.L)}`);

  // ... and what one element plays (the customer widget's, inside its shadow root), and one
  // track by its mid: 3 windows each, their median as the median above.
  const same = async (what, page, f, want, o) => {
    const m = await measureTones(page, { freqs: FREQS, windowMs: 1000, windows: 3, ...o });
    const got = median(m.windows.map((w) => w.levels[f]));
    log(`${what}: ${f} Hz ${got.toFixed(2)} dB`);
    if (Math.abs(got - want) > SAME_DB) fail(`${what}: ${f} Hz at ${got.toFixed(2)} dB, not ${want.toFixed(2)} (±${SAME_DB})`);
    return m;
  };
  const cMed = median(atCustomer.windows.map((w) => w.levels[TONES.agent]));
  const aMed = median(atAgent.windows.map((w) => w.levels[TONES.customer]));
  await same('customer, the "Agent video" element', customer.page, TONES.agent, cMed, { selector: 'video[aria-label="Agent video"]' });
  const mid = atCustomer.tracks[0].mid;
  await same(`customer, mid ${mid} alone`, customer.page, TONES.agent, cMed, { mid });

  // Chromium feeds a remote track to Web Audio only while a media element plays it: with the
  // agent's <video> emptied, the meter reads silence unless it attaches its own muted <audio>.
  const video = agent.page.getByLabel('Customer video', { exact: true });
  await video.evaluate((v) => { window.__keptStream = v.srcObject; v.srcObject = null; });
  await sleep(500);  // the track's last samples out of the analyser's window
  const bare = await measureTones(agent.page, { freqs: FREQS, windowMs: 500, attach: false, retries: 0 });
  log(`agent, no element playing the track, the meter not holding it: ${TONES.customer} Hz ` +
    `${bare.levels[TONES.customer].toFixed(1)} dB (Chromium ${bare.levels[TONES.customer] < -100
      ? 'still gives Web Audio silence' : 'no longer needs an element?'})`);
  const held = await same('agent, the track held by the meter\'s <audio>', agent.page, TONES.customer, aMed, {});
  await video.evaluate((v) => { v.srcObject = window.__keptStream; });
  if (!held.tracks[0].attachedByMeter) fail(`the meter did not hold the track: ${JSON.stringify(held.tracks)}`);

  const problems = [...c.problems, ...a.problems];
  if (problems.length) fail(`levels:\n  ${problems.join('\n  ')}`);

  await hangUp(customer);
  await waitStatus(customer, /ended/i, 'the call ended');
}, { timeoutMs: 150000 });
