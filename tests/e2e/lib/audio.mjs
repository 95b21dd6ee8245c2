// Audio levels for end-to-end tests: who hears whom, and how loud.
//
// Each party's fake microphone plays its own pure tone (Chromium's
// --use-file-for-fake-audio-capture is browser-wide, so one browser per party), and a Web Audio
// AnalyserNode on the receiving page measures the level at each party's frequency:
//
//   const wav = writeToneWav(dir, TONES.agent);              // 660 Hz, 44.1 kHz mono 16-bit
//   const browser = await launchToneBrowser(t, wav);         // its fake microphone plays it
//   const agent = await browser.party('agent', { initScripts: [RAW_MICROPHONE] });
//   ...
//   const m = await measureTones(customer.page, { freqs: Object.values(TONES) });
//   m.levels[660]  // dB re a full-scale sine; m.floorDb the noise floor; m.windows each window
//
// Levels are dB re a full-scale sine (a sine of peak amplitude 1.0 is 0 dB; the WAVs here are
// written at TONE_AMPLITUDE, -12 dB). A tone's level is the power summed over the analyser's
// window main lobe (±3 bins of 5.9 Hz), so it does not depend on where the tone falls between
// bins; a frequency where nothing plays reads the noise in those 7 bins (see floorDb).
// tests/e2e/README.md says what was measured with it (levels_test.mjs).

import fs from 'node:fs';
import path from 'node:path';
import { fail, log } from './harness.mjs';

// One frequency per party, far apart, each an integer number of cycles in any whole number of
// seconds, so the looped file has no seam in the sine.
export const TONES = Object.freeze({ customer: 440, agent: 660, interpreter: 880 });
// The rate of the fake microphone once RAW_MICROPHONE has turned processing off (Chromium then
// captures the fake device at 44.1 kHz stereo; with processing on, 48 kHz mono). A file at
// another rate has a glitch at every loop (a dip of 0.1 dB in a 1 s window and a splatter 35 dB
// under the tone, every 4 s: by the look of it Chromium's file source pads the last partial
// 10 ms buffer with zeros before it rewinds). At the capture rate with a whole number of 10 ms
// buffers the loop is seamless.
export const TONE_RATE = 44100;
export const TONE_AMPLITUDE = 0.25;    // -12 dB: room for three at full level in one mix
export const TONE_SECONDS = 4;

/* ------------------------------------------------------------------ WAV files */

// A mono 16-bit PCM WAV of a pure sine, as bytes: a whole number of cycles and of 10 ms
// buffers, so Chromium's loop of it is seamless (TONE_RATE).
export function toneWav(freq, { seconds = TONE_SECONDS, rate = TONE_RATE, amplitude = TONE_AMPLITUDE } = {}) {
  if (!Number.isInteger(freq * seconds)) fail(`toneWav: ${freq} Hz does not fit ${seconds} s in whole cycles`);
  const n = Math.round(seconds * rate);
  if (n % (rate / 100)) fail(`toneWav: ${seconds} s at ${rate} Hz is not a whole number of 10 ms buffers`);
  const buf = Buffer.alloc(44 + 2 * n);
  buf.write('RIFF', 0, 'ascii');
  buf.writeUInt32LE(36 + 2 * n, 4);
  buf.write('WAVE', 8, 'ascii');
  buf.write('fmt ', 12, 'ascii');
  buf.writeUInt32LE(16, 16);          // fmt chunk size
  buf.writeUInt16LE(1, 20);           // PCM
  buf.writeUInt16LE(1, 22);           // mono
  buf.writeUInt32LE(rate, 24);
  buf.writeUInt32LE(rate * 2, 28);    // bytes per second
  buf.writeUInt16LE(2, 32);           // block align
  buf.writeUInt16LE(16, 34);          // bits per sample
  buf.write('data', 36, 'ascii');
  buf.writeUInt32LE(2 * n, 40);
  for (let i = 0; i < n; i++) {
    const s = amplitude * Math.sin((2 * Math.PI * freq * i) / rate);
    buf.writeInt16LE(Math.max(-32768, Math.min(32767, Math.round(s * 32767))), 44 + 2 * i);
  }
  return buf;
}

// Write tone-<freq>.wav into dir; returns its path.
export function writeToneWav(dir, freq, opts) {
  const file = path.join(dir, `tone-${freq}.wav`);
  fs.writeFileSync(file, toneWav(freq, opts));
  return file;
}

/* ------------------------------------------------------------------ browsers */

// A browser (harness Browser, closed with the test) whose fake microphone plays `wav` in a
// loop. One per party: the switch is browser-wide. loop: false appends Chromium's %noloop.
export async function launchToneBrowser(t, wav, { loop = true, extraArgs = [], ...opts } = {}) {
  if (!fs.existsSync(wav)) fail(`launchToneBrowser: no file ${wav}`);
  const sw = fakeAudioSwitch(wav, { loop });
  const b = await t.launchBrowser({ ...opts, extraArgs: [sw, ...extraArgs] });
  if (!b.commandLine.includes(sw)) fail(`chromium was launched without ${sw}`);
  return b;
}

export function fakeAudioSwitch(wav, { loop = true } = {}) {
  return `--use-file-for-fake-audio-capture=${path.resolve(wav)}${loop ? '' : '%noloop'}`;
}

// An init script ([fn, arg] for browser.party's initScripts) that turns off the microphone's
// echo cancellation, noise suppression and automatic gain control on every getUserMedia of the
// page, for tests only (real users need all three). With them on, noise suppression takes a
// steady tone for noise (-19 dB within 3 s) and AGC lifts it by up to 10 dB for seconds
// (README.md has the figures). The three are merged into whatever audio constraints the page
// asks for, overriding only those three.
export const RAW_MICROPHONE = [rawMicrophone, null];

// rawMicrophone(constraints) with other audio constraints merges those instead.
export function rawMicrophone(constraints) {
  const md = navigator.mediaDevices;
  if (!md || md.__rapportRaw) return;
  const native = md.getUserMedia.bind(md);
  const raw = constraints || { echoCancellation: false, noiseSuppression: false, autoGainControl: false };
  Object.defineProperty(md, '__rapportRaw', { value: true });
  md.getUserMedia = function getUserMedia(constraints = {}) {
    let { audio } = constraints;
    if (audio) audio = { ...(typeof audio === 'object' ? audio : {}), ...raw };
    return native({ ...constraints, audio });
  };
}

/* ------------------------------------------------------------------ measuring */

// Runs in the page (page.evaluate): installs window.__rapportLevels once. measure() picks the
// remote audio tracks, routes each through MediaStreamSource -> one AnalyserNode (summed: in a
// forwarded call every sender is its own track), averages the power spectrum over windowMs
// and returns per-frequency levels. A remote WebRTC track gives Web Audio silence unless a
// media element plays it too (Chromium): a track no element holds is given a muted <audio>.
function installLevelMeter() {
  if (window.__rapportLevels) return;
  const BLACKMAN_MEAN_SQ = 0.3046;         // mean of w[n]^2, Blackman (alpha 0.16)
  const LOBE = 3;                          // Blackman main lobe: ±3 bins
  const state = { ctx: null, graphs: new Map(), held: new Map() };

  function remoteAudioTracks({ mid, pcIndex }) {
    const out = [];
    (window.__pcs || []).forEach((pc, i) => {
      if (pc.connectionState === 'closed' || (pcIndex !== undefined && pcIndex !== null && i !== pcIndex)) return;
      for (const tr of pc.getTransceivers()) {
        const track = tr.receiver.track;
        if (!track || track.kind !== 'audio' || track.readyState !== 'live') continue;
        if (tr.stopped || !/recv/.test(tr.currentDirection || '')) continue;
        if (mid !== undefined && mid !== null && tr.mid !== String(mid)) continue;
        out.push({ track, mid: tr.mid, pcIndex: i, pc });
      }
    });
    return out;
  }

  // Media elements of the document and of every open shadow root (the customer widget is one).
  function mediaElements(root = document, out = []) {
    for (const el of root.querySelectorAll('*')) {
      if (el instanceof HTMLMediaElement) out.push(el);
      if (el.shadowRoot) mediaElements(el.shadowRoot, out);
    }
    return out;
  }

  function playedByElement(track) {
    for (const el of mediaElements()) {
      const s = el.srcObject;
      if (s && typeof s.getAudioTracks === 'function' && s.getAudioTracks().includes(track)) return el;
    }
    return null;
  }

  function tracksFrom(opts) {
    if (opts.selector) {
      const el = mediaElements().find((e) => e.matches(opts.selector));
      if (!el) throw new Error(`no media element matches ${opts.selector} (shadow roots included)`);
      const tracks = el.srcObject ? el.srcObject.getAudioTracks() : [];
      const all = remoteAudioTracks({});
      return tracks.map((track) => ({ ...all.find((p) => p.track === track), track, element: opts.selector }));
    }
    return remoteAudioTracks(opts);
  }

  // The receivers' jitter buffers (inbound-rtp of each picked track): packets received,
  // samples played, concealed (packets missing or late: the level fades) and stretched
  // (time-scaled).
  async function playout(picked) {
    return Promise.all(picked.map(async (p) => {
      const c = { packets: 0, total: 0, concealed: 0, stretched: 0 };
      try {
        if (p.pc) {
          (await p.pc.getStats(p.track)).forEach((r) => {
            if (r.type !== 'inbound-rtp' || r.kind !== 'audio') return;
            c.packets += r.packetsReceived || 0;
            c.total += r.totalSamplesReceived || 0;
            c.concealed += r.concealedSamples || 0;
            c.stretched += (r.insertedSamplesForDeceleration || 0) + (r.removedSamplesForAcceleration || 0);
          });
        }
      } catch {
        // a closed pc: no figures
      }
      return c;
    }));
  }

  // Shares of the samples concealed and stretched between two playout() readings, over the
  // tracks that received packets meanwhile: a track nobody sends on (the further m-line of a
  // mixed call) "conceals" all the time, and plays nothing into the sum.
  function playoutShares(before, after) {
    let total = 0;
    let concealed = 0;
    let stretched = 0;
    after.forEach((a, i) => {
      const b = before[i];
      if (a.packets <= b.packets) return;
      total += a.total - b.total;
      concealed += a.concealed - b.concealed;
      stretched += a.stretched - b.stretched;
    });
    return { concealed: concealed / Math.max(1, total), stretched: stretched / Math.max(1, total) };
  }

  // A muted <audio> of the meter's own for each track no element of the page plays (checked at
  // every measure: a page may empty its element at any time). True when one was added now.
  function hold(picked) {
    let added = false;
    for (const p of picked) {
      const own = state.held.get(p.track.id);
      if (playedByElement(p.track)) continue;
      p.attached = true;
      if (own) continue;
      const el = document.createElement('audio');
      el.muted = true;
      el.srcObject = new MediaStream([p.track]);
      el.play().catch(() => {});
      state.held.set(p.track.id, el);
      added = true;
    }
    return added;
  }

  const settle = (fftSize) => new Promise((r) => setTimeout(r, Math.ceil((2000 * fftSize) / state.ctx.sampleRate)));

  async function graph(picked, fftSize, attach) {
    if (!state.ctx) state.ctx = new AudioContext({ sampleRate: 48000 });
    if (state.ctx.state !== 'running') await state.ctx.resume();
    const added = attach && hold(picked);
    const key = picked.map((p) => p.track.id).sort().join(',') + `/${fftSize}`;
    let g = state.graphs.get(key);
    if (!g) {
      const analyser = new AnalyserNode(state.ctx, { fftSize, smoothingTimeConstant: 0, minDecibels: -160, maxDecibels: 0 });
      const sources = picked.map((p) => {
        const src = state.ctx.createMediaStreamSource(new MediaStream([p.track]));
        src.connect(analyser);
        return src;
      });
      g = { analyser, sources };
      state.graphs.set(key, g);
    }
    // The analyser's window (fftSize samples) starts out as zeros, and a track just given an
    // element takes a moment to flow: let the window fill before the first snapshot.
    if (added || !g.used) await settle(fftSize);
    g.used = true;
    return g;
  }

  // Snapshots every half analyser window (overlap is fine for a mean): ~85 ms at 8192.
  const hopMs = (analyser) => Math.max(20, Math.round((analyser.fftSize / analyser.context.sampleRate) * 1000 / 2));

  // Mean power per bin over windowMs, snapshots every hopMs.
  async function meanPower(analyser, windowMs) {
    const n = analyser.frequencyBinCount;
    const db = new Float32Array(n);
    const sum = new Float64Array(n);
    const hop = hopMs(analyser);
    let snaps = 0;
    let silent = 0;
    const end = performance.now() + windowMs;
    do {
      await new Promise((r) => setTimeout(r, hop));
      analyser.getFloatFrequencyData(db);
      let any = false;
      for (let k = 0; k < n; k++) {
        if (db[k] === -Infinity) continue;
        sum[k] += 10 ** (db[k] / 10);
        any = true;
      }
      snaps++;
      if (!any) silent++;
    } while (performance.now() < end);
    for (let k = 0; k < n; k++) sum[k] /= snaps;
    return { power: sum, snaps, silent };
  }

  const toDb = (p) => (p > 0 ? 10 * Math.log10(p) : -200);

  function levelsOf(power, binHz, freqs, floorBand) {
    const levels = {};
    const peaks = {};
    const near = new Set();
    for (const f of freqs) {
      const c = Math.round(f / binHz);
      let sum = 0;
      let peakK = c;
      for (let k = c - LOBE; k <= c + LOBE; k++) {
        if (k < 1 || k >= power.length) continue;
        sum += power[k];
        if (power[k] > power[peakK]) peakK = k;
        near.add(k);
      }
      for (let k = c - 2 * LOBE; k <= c + 2 * LOBE; k++) near.add(k);
      // power over the lobe / (mean w^2 / 4) = A^2 for a sine of amplitude A
      levels[f] = toDb((4 * sum) / BLACKMAN_MEAN_SQ);
      peaks[f] = { hz: peakK * binHz, db: toDb(power[peakK]) };
    }
    const rest = [];
    for (let k = Math.ceil(floorBand[0] / binHz); k <= Math.floor(floorBand[1] / binHz) && k < power.length; k++) {
      if (!near.has(k)) rest.push(power[k]);
    }
    rest.sort((a, b) => a - b);
    const median = rest.length ? rest[rest.length >> 1] : 0;
    // the floor as the level a tone-free lobe (2*LOBE+1 bins of median noise) would read
    const floorDb = toDb((4 * median * (2 * LOBE + 1)) / BLACKMAN_MEAN_SQ);
    // the strongest bin outside every requested lobe: an unexpected tone shows here
    let strayK = -1;
    for (let k = Math.ceil(floorBand[0] / binHz); k <= Math.floor(floorBand[1] / binHz) && k < power.length; k++) {
      if (!near.has(k) && (strayK < 0 || power[k] > power[strayK])) strayK = k;
    }
    const stray = strayK < 0 ? null : { hz: strayK * binHz, level: toDb((4 * power[strayK]) / BLACKMAN_MEAN_SQ) };
    return { levels, peaks, floorDb, binFloorDb: toDb(median), stray };
  }

  async function measure(opts) {
    const { freqs, windowMs = 1000, windows = 1, fftSize = 8192, floorBand = [100, 4000] } = opts;
    const picked = tracksFrom(opts);
    if (!picked.length) throw new Error(`no live remote audio track (${JSON.stringify({ mid: opts.mid, pcIndex: opts.pcIndex, selector: opts.selector })})`);
    const g = await graph(picked, fftSize, opts.attach !== false);
    const binHz = state.ctx.sampleRate / fftSize;
    // A window in which the analyser saw no signal at all for a while, or the receiver's
    // jitter buffer concealed more than maxConcealed of the samples (a starved machine: the
    // tone fades while it conceals), is measured again, up to `retries` times in all.
    const { retries = windows, maxConcealed = 0.01 } = opts;
    const out = [];
    const discarded = [];
    while (out.length < windows) {
      const before = await playout(picked);
      const { power, snaps, silent } = await meanPower(g.analyser, windowMs);
      const after = await playout(picked);
      const w = { ...levelsOf(power, binHz, freqs, floorBand), snaps, silent, ...playoutShares(before, after) };
      // a page so starved that its timers ran late took too few snapshots to trust
      w.starved = snaps < Math.floor((0.6 * windowMs) / hopMs(g.analyser));
      if ((silent || w.starved || w.concealed > maxConcealed) && discarded.length < retries) discarded.push(w);
      else out.push(w);
    }
    return {
      windows: out,
      discarded,
      sampleRate: state.ctx.sampleRate,
      binHz,
      tracks: picked.map((p) => ({ id: p.track.id, mid: p.mid ?? null, pcIndex: p.pcIndex ?? null, element: p.element,
        attachedByMeter: !!p.attached, muted: p.track.muted })),
    };
  }

  // The meter measuring an OscillatorNode of known amplitude: checks the calibration.
  async function selfTest({ freq = 660, amplitude = 0.25, windowMs = 500, fftSize = 8192 } = {}) {
    if (!state.ctx) state.ctx = new AudioContext({ sampleRate: 48000 });
    if (state.ctx.state !== 'running') await state.ctx.resume();
    const analyser = new AnalyserNode(state.ctx, { fftSize, smoothingTimeConstant: 0, minDecibels: -160, maxDecibels: 0 });
    const osc = new OscillatorNode(state.ctx, { frequency: freq });
    const gain = new GainNode(state.ctx, { gain: amplitude });
    osc.connect(gain).connect(analyser);
    osc.start();
    await new Promise((r) => setTimeout(r, 300));
    const { power } = await meanPower(analyser, windowMs);
    osc.stop();
    osc.disconnect();
    gain.disconnect();
    const binHz = state.ctx.sampleRate / fftSize;
    return { ...levelsOf(power, binHz, [freq], [100, 4000]), want: 20 * Math.log10(amplitude), ctxState: state.ctx.state };
  }

  function close() {
    for (const g of state.graphs.values()) for (const s of g.sources) s.disconnect();
    state.graphs.clear();
    for (const el of state.held.values()) el.srcObject = null;
    state.held.clear();
  }

  window.__rapportLevels = { measure, selfTest, close, remoteAudioTracks: (o = {}) => remoteAudioTracks(o).map((p) => ({ id: p.track.id, mid: p.mid, pcIndex: p.pcIndex, attached: !!playedByElement(p.track) })) };
}

// Levels at `freqs` in what the page receives. Which audio: every live remote audio track
// of the page's open peer connections (summed), or those of { pcIndex }, { mid }, or the
// element { selector } plays. windowMs: averaging window; windows: how many in a row; a
// window with silent snapshots (no signal at all), with too few snapshots (`starved`: the
// page's timers ran late) or with more than maxConcealed (0.01) of its samples concealed by the
// receiver's jitter buffer is measured again, up to `retries` (default `windows`) times, and
// kept in `discarded`.
// Returns { windows: [{ levels: {freq: dB}, peaks, floorDb, binFloorDb, stray, snaps, silent,
// starved, concealed, stretched (shares of the samples played) }],
// discarded, tracks, sampleRate, binHz } and, for convenience, levels/floorDb/stray of the last window.
export async function measureTones(page, opts) {
  if (!opts || !Array.isArray(opts.freqs) || !opts.freqs.length) fail('measureTones: give freqs');
  await page.evaluate(installLevelMeter);
  const r = await page.evaluate((o) => window.__rapportLevels.measure(o), opts);
  const last = r.windows[r.windows.length - 1];
  return { ...r, levels: last.levels, floorDb: last.floorDb, stray: last.stray };
}

// The meter's calibration in this page: an OscillatorNode of known amplitude must read its
// level within tolerance dB. Returns the reading.
export async function checkMeter(page, { freq = 660, amplitude = TONE_AMPLITUDE, toleranceDb = 0.5 } = {}) {
  await page.evaluate(installLevelMeter);
  const r = await page.evaluate((o) => window.__rapportLevels.selfTest(o), { freq, amplitude });
  const got = r.levels[freq];
  log(`level meter self-test: ${freq} Hz at ${r.want.toFixed(1)} dB reads ${got.toFixed(2)} dB ` +
    `(floor ${r.floorDb.toFixed(1)} dB, AudioContext ${r.ctxState})`);
  if (!(Math.abs(got - r.want) <= toleranceDb)) {
    fail(`level meter reads ${got.toFixed(2)} dB for a ${r.want.toFixed(2)} dB oscillator (tolerance ${toleranceDb} dB)`);
  }
  return r;
}

// Judge one page's measurement (measureTones) and print it. Levels are taken relative to the
// frequency `ref` heard in the same window (so what moves both, such as the sender's level or
// a concealed packet in a mixed stream, cancels: the way to check ducking), or else to refDb
// (dB re full scale, e.g. the level sent). want: { freq: dB relative, ± toleranceDb };
// absent: frequencies that must be at least absentDb under the reference. Judged on the
// median over the windows: on a starved machine one window in ten can lose 1.5 dB, or carry
// a splatter 30 dB under the tone, when the receiver's jitter buffer stretches or conceals
// (README.md). Returns the problems found (strings; none: all good) and, per frequency, the
// median, the worst window and all of them, relative.
export function judgeTones(name, m, { ref, refDb, want = {}, absent = [], toleranceDb = 3, absentDb = 30 } = {}) {
  if ((ref === undefined) === (refDb === undefined)) fail('judgeTones: give ref (a frequency) or refDb');
  const refName = ref === undefined ? `${refDb.toFixed(2)} dB` : `${ref} Hz`;
  const problems = [];
  const silent = m.windows.filter((w) => w.silent).length;
  if (silent) problems.push(`${name}: ${silent} window(s) with silent snapshots (no audio reached Web Audio for a while)`);
  const concealed = m.windows.filter((w) => w.concealed > 0.01).length;
  if (concealed) log(`${name}: ${concealed} window(s) kept with over 1 % of their samples concealed (retries ran out)`);
  const rel = (f) => m.windows.map((w) => w.levels[f] - (ref === undefined ? refDb : w.levels[ref]));
  const out = {};
  const show = [];
  for (const [f, dB] of Object.entries(want)) {
    const xs = rel(f);
    const med = median(xs);
    const worst = xs.reduce((a, b) => (Math.abs(b - dB) > Math.abs(a - dB) ? b : a));
    out[f] = { median: med, worst, windows: xs };
    show.push(`${f} Hz ${fmtDb(med)} (worst window ${fmtDb(worst)}, want ${dB} ± ${toleranceDb})`);
    if (Math.abs(med - dB) > toleranceDb) problems.push(`${name}: ${f} Hz at ${med.toFixed(2)} dB relative to ${refName}, want ${dB} ± ${toleranceDb}`);
  }
  for (const f of absent) {
    const xs = rel(f);
    const med = median(xs);
    const worst = Math.max(...xs);
    out[f] = { median: med, worst, windows: xs };
    show.push(`${f} Hz ${fmtDb(med)} (worst window ${fmtDb(worst)}, want ≤ -${absentDb})`);
    if (med > -absentDb) problems.push(`${name}: ${f} Hz only ${(-med).toFixed(1)} dB under ${refName} (want ≥ ${absentDb})`);
  }
  log(`${name} hears, relative to ${refName}, median of ${m.windows.length} window(s): ${show.join('; ')}`);
  return { problems, levels: out };
}

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  return n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

const fmtDb = (d) => `${d >= 0 ? '+' : ''}${d.toFixed(2)} dB`;

// Per-frequency spread over windows: { freq: { mean, min, max, sd } }.
export function levelSpread(windows, freqs) {
  const out = {};
  for (const f of freqs) {
    const xs = windows.map((w) => w.levels[f]);
    const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
    const sd = Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, xs.length - 1));
    out[f] = { mean, min: Math.min(...xs), max: Math.max(...xs), sd };
  }
  return out;
}

export function formatLevels(levels, floorDb) {
  const parts = Object.entries(levels).map(([f, db]) => `${f} Hz ${db.toFixed(1)} dB`);
  if (floorDb !== undefined) parts.push(`floor ${floorDb.toFixed(1)} dB`);
  return parts.join(', ');
}
