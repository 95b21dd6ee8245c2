// Harness for Rapport's end-to-end tests: start rapportd on free ports with a throw-away data
// directory, drive Debian's headless Chromium through playwright-core (never a downloaded
// browser), and read RTCPeerConnection.getStats() from the pages.
//
// Tests run inside a network namespace that has only loopback (see CMakeLists.txt here), so
// every address below is 127.0.0.1. See shared/TESTING.md for why each Chromium flag is there.
//
// A test is written as
//   runTest('call', async (t) => {
//     const rapport = await t.startRapportd();
//     const browser = await t.launchBrowser();
//     const agent = await browser.party('agent');
//     ...
//   });
// t.* resources are released in reverse order when the body ends, whatever happened; a
// rapportd that does not stop cleanly on SIGTERM fails the test.

import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import net from 'node:net';
import dgram from 'node:dgram';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const E2E_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const SOURCE_DIR = process.env.RAPPORT_SOURCE_DIR
  ? path.resolve(process.env.RAPPORT_SOURCE_DIR)
  : path.resolve(E2E_DIR, '..', '..');
export const CHROMIUM = process.env.RAPPORT_CHROMIUM || '/usr/bin/chromium';

const HEALTH_TIMEOUT_MS = 20000;
const STOP_TIMEOUT_MS = 10000;
const LOG_TAIL_BYTES = 64 * 1024;

/* ------------------------------------------------------------------ small utilities */

export class TestFailure extends Error {}

// A test that cannot run in this tree (what it tests is not there yet) ends with
// t.skip(reason): "SKIP", clean-up as usual, and exit status SKIP_STATUS, which ctest reports
// as skipped (tests/e2e/CMakeLists.txt).
export const SKIP_STATUS = 77;
class TestSkipped extends Error {}

export function fail(message) {
  throw new TestFailure(message);
}

export function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export function log(...args) {
  const t = (performance.now() / 1000).toFixed(1).padStart(6);
  console.log(`[${t}s]`, ...args);
}

// Poll fn() until it returns a truthy value; fail with `what` (and the last value or error
// seen, through describe()) after timeoutMs. Errors thrown by fn are retried, except a
// TestFailure (fail()), which ends the wait at once.
export async function waitFor(what, fn, { timeoutMs = 10000, intervalMs = 250, describe } = {}) {
  const deadline = Date.now() + timeoutMs;
  let last;
  let lastError;
  for (;;) {
    try {
      last = await fn();
      lastError = undefined;
      if (last) return last;
    } catch (err) {
      if (err instanceof TestFailure) throw err;
      lastError = err;
    }
    if (Date.now() >= deadline) break;
    await sleep(intervalMs);
  }
  let detail = '';
  if (lastError) detail = `; last error: ${lastError.message || lastError}`;
  else if (describe) detail = `; last seen: ${await describe(last)}`;
  fail(`timed out after ${(timeoutMs / 1000).toFixed(0)} s waiting for ${what}${detail}`);
}

// A TCP port free on 127.0.0.1 right now (the kernel picks it).
export function freeTcpPort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

function udpPortFree(port) {
  return new Promise((resolve) => {
    const sock = dgram.createSocket('udp4');
    sock.once('error', () => resolve(false));
    sock.bind(port, '127.0.0.1', () => sock.close(() => resolve(true)));
  });
}

// `count` consecutive UDP ports, all free on 127.0.0.1, from a random place in 40000-59999.
export async function freeUdpRange(count = 16) {
  for (let attempt = 0; attempt < 50; attempt++) {
    const first = 40000 + Math.floor(Math.random() * (20000 - count));
    let ok = true;
    for (let p = first; p < first + count && ok; p++) ok = await udpPortFree(p);
    if (ok) return { first, last: first + count - 1 };
  }
  fail(`no run of ${count} free UDP ports found in 40000-59999`);
}

function tail(file, bytes = LOG_TAIL_BYTES) {
  try {
    const buf = fs.readFileSync(file);
    const text = buf.subarray(Math.max(0, buf.length - bytes)).toString('utf8');
    return buf.length > bytes ? `[... ${buf.length - bytes} earlier bytes cut]\n${text}` : text;
  } catch (err) {
    return `(no log: ${err.message})`;
  }
}

/* ------------------------------------------------------------------ rapportd */

// Whatever happens (watchdog, uncaught error), no rapportd outlives the test process.
const liveProcs = new Set();
process.on('exit', () => {
  for (const p of liveProcs) p.kill('SIGKILL');
});

const SANITIZER_REPORT = /ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:|SUMMARY: UndefinedBehaviorSanitizer/;

export class Rapportd {
  // Start rapportd (binary from opts.binary, env RAPPORTD or argv[2]) with a fresh data
  // directory and config file, and wait until GET /healthz answers 200.
  // opts.agents: accounts to create first, [{username, password?, languages?, skills?}]
  // (default one agent "agent"); r.agents maps each username to its password, r.agentUser and
  // r.agentPassword are the first. opts.config: more config keys, or a function of r (which
  // has port and origin) that returns them.
  static async start(opts = {}) {
    const binary = opts.binary || process.env.RAPPORTD || process.argv[2];
    if (!binary) fail('no rapportd: set RAPPORTD=/path/to/rapportd or pass it as the first argument');
    if (!fs.existsSync(binary)) fail(`rapportd binary not found: ${binary}`);
    const r = new Rapportd();
    r.binary = path.resolve(binary);
    r.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rapport-e2e-'));
    r.dataDir = path.join(r.dir, 'data');
    fs.mkdirSync(r.dataDir);
    r.logFile = path.join(r.dir, 'rapportd.log');
    r.configFile = path.join(r.dir, 'rapportd.conf');
    r.port = await freeTcpPort();
    r.rtp = await freeUdpRange(opts.rtpPorts || 16);
    r.origin = `http://127.0.0.1:${r.port}`;
    r.config = {
      bind: '127.0.0.1',
      http_port: r.port,
      public_ip: '127.0.0.1',
      rtp_ports: `${r.rtp.first}-${r.rtp.last}`,
      data_dir: r.dataDir,
      web_root: path.join(SOURCE_DIR, 'web'),
    };
    r.agents = {};
    r.accounts = {}; // every account's password, by username (agents and interpreters)
    const accounts = opts.agents || [{ username: 'agent' }];
    for (const a of accounts) r.addAccount({ role: 'agent', ...a });
    r.agentUser = accounts[0]?.username;
    r.agentPassword = r.agents[r.agentUser];
    Object.assign(r.config, (typeof opts.config === 'function' ? opts.config(r) : opts.config) || {});
    const text = Object.entries(r.config).map(([k, v]) => `${k} = ${v}`).join('\n');
    fs.writeFileSync(r.configFile, `# written by tests/e2e/lib/harness.mjs\n${text}\n`);
    try {
      await r.#spawn(opts.args || []);
    } catch (err) {
      await r.#kill();
      throw err;
    }
    return r;
  }

  async #spawn(extraArgs) {
    const out = fs.openSync(this.logFile, 'a');
    const env = {
      ...process.env,
      ASAN_OPTIONS: process.env.ASAN_OPTIONS || 'detect_leaks=1:abort_on_error=0',
      UBSAN_OPTIONS: process.env.UBSAN_OPTIONS || 'print_stacktrace=1:halt_on_error=1',
    };
    this.extraArgs = extraArgs.length ? extraArgs : this.extraArgs || [];
    const args = ['--config', this.configFile, ...this.extraArgs];
    log(`starting ${this.binary} ${args.join(' ')} (log ${this.logFile})`);
    this.proc = spawn(this.binary, args, { cwd: this.dir, env, stdio: ['ignore', out, out] });
    fs.closeSync(out);
    const proc = this.proc;
    liveProcs.add(proc);
    this.exited = new Promise((resolve) => {
      proc.on('exit', (code, signal) => {
        liveProcs.delete(proc);
        resolve({ code, signal });
      });
      proc.on('error', (err) => {
        liveProcs.delete(proc);
        resolve({ code: null, signal: null, error: err });
      });
    });
    this.exitInfo = null;
    this.exited.then((info) => { this.exitInfo = info; });
    const started = Date.now();
    await waitFor('rapportd to answer GET /healthz with 200', async () => {
      if (this.exitInfo) {
        fail(`rapportd exited during start-up (${describeExit(this.exitInfo)})\n` +
          `----- rapportd log -----\n${this.log()}\n----- end of rapportd log -----`);
      }
      const res = await fetch(this.url('/healthz'), { signal: AbortSignal.timeout(2000) });
      await res.arrayBuffer();
      return res.status === 200;
    }, { timeoutMs: HEALTH_TIMEOUT_MS, intervalMs: 100 }).catch((err) => {
      if (this.exitInfo) throw err;
      throw new TestFailure(`${err.message}\n----- rapportd log -----\n${this.log()}\n----- end of rapportd log -----`);
    });
    log(`rapportd up on ${this.origin} after ${Date.now() - started} ms (pid ${this.proc.pid})`);
  }

  // `rapportd user add` into this data directory (works while rapportd runs, too). A
  // rapportd from before accounts were stored has no `user` command: its one demo agent comes
  // from the config instead.
  addAccount({ role = 'agent', username, password, languages, skills }) {
    password ||= randomBytes(12).toString('base64url');
    const args = ['user', 'add', '--data-dir', this.dataDir, '--role', role, '--username', username,
      '--password', password];
    if (languages) args.push('--languages', languages);
    if (skills) args.push('--skills', skills);
    const res = spawnSync(this.binary, args, { encoding: 'utf8', timeout: 20000 });
    if (res.status !== 0) {
      const legacy = /unknown option|usage: rapportd \[|unexpected argument/i.test(res.stderr + res.stdout);
      if (!legacy || Object.keys(this.agents).length) {
        fail(`rapportd user add ${username} failed (${res.status}): ${res.stderr}${res.stdout}`);
      }
      this.config.demo_agent_username = username;
      this.config.demo_agent_password = password;
    }
    if (role === 'agent') this.agents[username] = password;
    this.accounts[username] = password;
    return password;
  }

  // kill -9: no clean-up at all, as in a crash or an OOM kill.
  async crash() {
    if (!this.proc || this.exitInfo) fail('rapportd is not running');
    log(`kill -9 rapportd (pid ${this.proc.pid})`);
    this.proc.kill('SIGKILL');
    await this.exited;
  }

  // Start again on the same config, ports and data directory (after crash()).
  async restart() {
    if (this.proc && !this.exitInfo) fail('rapportd is still running');
    await this.#spawn([]);
  }

  async #kill() {
    if (this.proc && !this.exitInfo) {
      this.proc.kill('SIGKILL');
      await this.exited;
    }
    this.proc = null;
  }

  url(p = '/') {
    return this.origin + p;
  }

  log() {
    return tail(this.logFile);
  }

  // SIGTERM, then insist on a clean exit (status 0) within 10 s and no sanitizer report.
  async stop() {
    if (!this.proc) return;
    const proc = this.proc;
    this.proc = null;
    if (!this.exitInfo) proc.kill('SIGTERM');
    const info = await Promise.race([this.exited, sleep(STOP_TIMEOUT_MS).then(() => null)]);
    let problem = null;
    if (!info) {
      proc.kill('SIGKILL');
      await this.exited;
      problem = `rapportd did not exit within ${STOP_TIMEOUT_MS / 1000} s of SIGTERM (killed)`;
    } else if (info.code !== 0) {
      problem = `rapportd ended badly: ${describeExit(info)}`;
    } else if (SANITIZER_REPORT.test(fs.readFileSync(this.logFile, 'utf8'))) {
      problem = 'rapportd exited 0 but its log has a sanitizer report';
    }
    if (problem) {
      fail(`${problem}\n----- rapportd log -----\n${this.log()}\n----- end of rapportd log -----`);
    }
    log('rapportd stopped cleanly (exit 0)');
    if (!process.env.RAPPORT_E2E_KEEP) fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

function describeExit({ code, signal, error }) {
  if (error) return `could not run: ${error.message}`;
  if (signal) return `killed by ${signal}`;
  return `exit status ${code}`;
}

/* ------------------------------------------------------------------ Chromium */

// The switches shared/TESTING.md found to work here. Playwright adds its own list on top
// (it also passes --headless and --no-sandbox itself; repeating a switch is harmless).
export const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--use-fake-device-for-media-stream',
  '--use-fake-ui-for-media-stream',
  '--allow-loopback-in-peer-connection',
];
// Features we switch off, merged into Playwright's own --disable-features list (see below).
export const DISABLED_FEATURES = ['WebRtcHideLocalIpsWithMdns'];

// --disable-features is last-wins: a second switch would silently re-enable everything in
// Playwright's list. So read Playwright's list from the installed playwright-core, drop its
// switch (ignoreDefaultArgs matches the exact string) and pass one merged switch instead.
// launchBrowser() then checks the browser's real command line.
export function playwrightDisabledFeatures() {
  const require = createRequire(import.meta.url);
  const root = path.dirname(require.resolve('playwright-core/package.json'));
  const candidates = ['lib/server/chromium/chromiumSwitches.js', 'lib/coreBundle.js'];
  for (const rel of candidates) {
    const file = path.join(root, rel);
    if (!fs.existsSync(file)) continue;
    const m = /disabledFeatures\s*=\s*\[([\s\S]*?)\]\s*\.filter\(Boolean\)/.exec(fs.readFileSync(file, 'utf8'));
    if (!m) continue;
    const body = m[1].replace(/\/\/[^\n]*/g, '');
    const names = [...body.matchAll(/["']([A-Za-z0-9_]+)["']/g)].map((x) => x[1]);
    if (names.length) return names;
  }
  fail(`cannot find Playwright's --disable-features list in ${root} (${candidates.join(', ')}); ` +
    'playwright-core changed: update playwrightDisabledFeatures() in tests/e2e/lib/harness.mjs');
}

async function loadPlaywright() {
  try {
    return await import('playwright-core');
  } catch (err) {
    fail(`cannot load playwright-core (${err.message}); run "npm ci" in ${E2E_DIR}`);
  }
}

// Runs in every frame of every page before the page's own scripts: remember each
// RTCPeerConnection the page creates, in window.__pcs. A subclass keeps instanceof,
// .prototype, static methods (generateCertificate) and page subclasses working.
export function recordPeerConnections() {
  const Native = window.RTCPeerConnection;
  if (!Native || Native.__rapportRecorded) return;
  const pcs = [];
  Object.defineProperty(window, '__pcs', { value: pcs, configurable: true });
  const Recorded = class RTCPeerConnection extends Native {
    constructor(...args) {
      super(...args);
      pcs.push(this);
    }
  };
  Object.defineProperty(Recorded, '__rapportRecorded', { value: true });
  const desc = { value: Recorded, writable: true, configurable: true, enumerable: false };
  Object.defineProperty(window, 'RTCPeerConnection', desc);
  if ('webkitRTCPeerConnection' in window) Object.defineProperty(window, 'webkitRTCPeerConnection', desc);
}

// An init script (with the port as its argument) for a party whose media must go through a
// UDP proxy: every a=candidate in a remote description the page sets (rapportd's answer) gets
// the proxy's port, so the browser sends its media to the proxy, which relays to rapportd.
export function redirectMediaCandidates(port) {
  const proto = window.RTCPeerConnection && window.RTCPeerConnection.prototype;
  if (!proto || proto.__rapportRedirected) return;
  const native = proto.setRemoteDescription;
  const rewrite = (sdp) => sdp.replace(/^(a=candidate:\S+ \d+ \S+ \d+ \S+ )(\d+)( typ )/gm,
    (_, head, _port, tail) => `${head}${port}${tail}`);
  Object.defineProperty(proto, '__rapportRedirected', { value: true });
  proto.setRemoteDescription = function setRemoteDescription(desc, ...rest) {
    if (desc && typeof desc.sdp === 'string') desc = { type: desc.type, sdp: rewrite(desc.sdp) };
    return native.call(this, desc, ...rest);
  };
}

// An init script (with a delay in ms as its argument) for a party on a slow machine: every
// remote answer after a connection's first is applied that much later, so whatever rapportd
// sends meanwhile (participants after another party's leg changed) arrives while the page
// waits for its renegotiation to complete.
export function slowRenegotiation(ms) {
  const proto = window.RTCPeerConnection && window.RTCPeerConnection.prototype;
  if (!proto || proto.__rapportSlowed) return;
  const native = proto.setRemoteDescription;
  const answered = new WeakSet();
  Object.defineProperty(proto, '__rapportSlowed', { value: true });
  proto.setRemoteDescription = async function setRemoteDescription(desc, ...rest) {
    if (desc?.type === 'answer') {
      if (answered.has(this)) await new Promise((resolve) => setTimeout(resolve, ms));
      answered.add(this);
    }
    return native.call(this, desc, ...rest);
  };
}

export class Browser {
  static async launch({ extraArgs = [], disabledFeatures = [] } = {}) {
    const { chromium } = await loadPlaywright();
    if (!fs.existsSync(CHROMIUM)) fail(`${CHROMIUM} not found: install Debian's chromium (deploy/install-deps.sh --test)`);
    const pwFeatures = playwrightDisabledFeatures();
    const merged = [...new Set([...pwFeatures, ...DISABLED_FEATURES, ...disabledFeatures])];
    const args = [...CHROMIUM_FLAGS, `--disable-features=${merged.join(',')}`, ...extraArgs];
    const b = new Browser();
    const started = Date.now();
    b.browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      chromiumSandbox: false,
      args,
      ignoreDefaultArgs: [`--disable-features=${pwFeatures.join(',')}`],
      timeout: 30000,
    });
    b.parties = [];
    b.commandLine = await b.#commandLine();
    b.#checkCommandLine(merged);
    log(`chromium ${b.browser.version()} up in ${Date.now() - started} ms`);
    return b;
  }

  // The browser's real argv, from /proc (Chromium answers Browser.getBrowserCommandLine only
  // under --enable-automation, which we do not pass). Playwright runs in this process, so the
  // browser is our child; Debian's /usr/bin/chromium wrapper execs it in place. A test may
  // run several browsers (one per fake microphone): each claims its own process.
  static #claimed = new Set();

  async #commandLine() {
    for (const pid of fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
      try {
        if (Browser.#claimed.has(pid)) continue;
        const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
        const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
        if (ppid !== process.pid) continue;
        const argv = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
        if (!argv.includes('--remote-debugging-pipe')) continue;
        Browser.#claimed.add(pid);
        this.pid = pid;
        return argv;
      } catch {
        // the process went away while we looked
      }
    }
    fail('cannot find the chromium browser process among this process\'s children');
  }

  #checkCommandLine(merged) {
    const argv = this.commandLine;
    const df = argv.filter((a) => a.startsWith('--disable-features'));
    if (df.length !== 1) {
      fail(`chromium got ${df.length} --disable-features switches (last one wins, so they must be one): ${df.join(' ')}`);
    }
    const got = new Set(df[0].replace(/^--disable-features=/, '').split(','));
    const lost = merged.filter((f) => !got.has(f));
    if (lost.length) fail(`chromium's --disable-features lacks ${lost.join(', ')}: ${df[0]}`);
    const absent = CHROMIUM_FLAGS.filter((f) => !argv.includes(f));
    if (absent.length) fail(`chromium was launched without ${absent.join(' ')}`);
  }

  // A party (customer, agent, interpreter): its own context, so its own cookies and storage,
  // with camera and microphone granted and every RTCPeerConnection recorded. initScripts:
  // more [fn, arg] pairs for context.addInitScript() (e.g. redirectMediaCandidates).
  async party(name, { viewport = { width: 800, height: 600 }, initScripts = [] } = {}) {
    const context = await this.browser.newContext({ permissions: ['camera', 'microphone'], viewport });
    await context.addInitScript(recordPeerConnections);
    for (const [fn, arg] of initScripts) await context.addInitScript(fn, arg);
    const page = await context.newPage();
    const p = { name, context, page, console: [] };
    page.on('console', (msg) => {
      p.console.push(`${msg.type()}: ${msg.text()}`);
      if (msg.type() === 'error') log(`[${name} console.error] ${msg.text()}`);
    });
    page.on('pageerror', (err) => {
      p.console.push(`pageerror: ${err.message}`);
      log(`[${name} pageerror] ${err.message}`);
    });
    // Every signalling message the page receives and sends, parsed, oldest first (all of
    // the page's WebSockets: a reload opens a new one). p.received(type) filters.
    p.frames = [];
    page.on('websocket', (ws) => {
      const keep = (dir) => (f) => {
        try {
          p.frames.push({ dir, at: Date.now(), msg: JSON.parse(f.payload) });
        } catch {
          // not JSON: not ours to judge here
        }
      };
      ws.on('framereceived', keep('in'));
      ws.on('framesent', keep('out'));
    });
    p.received = (type) => p.frames.filter((f) => f.dir === 'in' && (!type || f.msg.type === type)).map((f) => f.msg);
    p.sent = (type) => p.frames.filter((f) => f.dir === 'out' && (!type || f.msg.type === type)).map((f) => f.msg);
    this.parties.push(p);
    return p;
  }

  // Each party's console, for a failure report.
  consoleDump() {
    return this.parties.map((p) => `----- ${p.name} console (${p.console.length} lines) -----\n` +
      p.console.slice(-200).join('\n')).join('\n');
  }

  async close() {
    if (!this.browser) return;
    const b = this.browser;
    this.browser = null;
    await b.close();
    Browser.#claimed.delete(this.pid);
  }
}

/* ------------------------------------------------------------------ getStats */

const INBOUND_FIELDS = ['kind', 'ssrc', 'mid', 'trackIdentifier', 'framesDecoded', 'packetsReceived',
  'packetsLost', 'freezeCount', 'totalFreezesDuration', 'jitter', 'bytesReceived', 'framesPerSecond',
  'nackCount', 'pliCount', 'firCount', 'framesDropped', 'retransmittedPacketsReceived'];
const TRANSPORT_FIELDS = ['id', 'srtpCipher', 'dtlsState', 'selectedCandidatePairId', 'tlsVersion',
  'dtlsCipher', 'dtlsRole', 'iceState', 'iceRole'];
const PAIR_FIELDS = ['id', 'state', 'nominated', 'currentRoundTripTime', 'totalRoundTripTime',
  'responsesReceived', 'bytesSent', 'bytesReceived'];
const CANDIDATE_FIELDS = ['address', 'port', 'protocol', 'candidateType'];

function pick(obj, fields) {
  const out = {};
  if (!obj) return null;
  for (const f of fields) if (obj[f] !== undefined) out[f] = obj[f];
  return out;
}

// Raw getStats() of every RTCPeerConnection the page made, oldest first.
export async function rawStats(page) {
  return page.evaluate(async () => {
    const list = window.__pcs || [];
    return Promise.all(list.map(async (pc, index) => {
      const entry = { index, connectionState: pc.connectionState, signalingState: pc.signalingState, reports: [] };
      try {
        (await pc.getStats()).forEach((s) => entry.reports.push(JSON.parse(JSON.stringify(s))));
      } catch (err) {
        entry.error = String(err);
      }
      return entry;
    }));
  });
}

// One peer connection's figures: inbound-rtp per kind, its transport, the selected pair.
export function summarizePc(entry) {
  const byId = new Map(entry.reports.map((s) => [s.id, s]));
  const inbound = { audio: [], video: [] };
  for (const s of entry.reports) {
    if (s.type === 'inbound-rtp' && inbound[s.kind]) inbound[s.kind].push(pick(s, INBOUND_FIELDS));
  }
  const transports = entry.reports.filter((s) => s.type === 'transport');
  const t = transports.find((s) => s.selectedCandidatePairId) || transports[0];
  const pairStats = t && byId.get(t.selectedCandidatePairId);
  let candidatePair = null;
  if (pairStats) {
    candidatePair = pick(pairStats, PAIR_FIELDS);
    candidatePair.local = pick(byId.get(pairStats.localCandidateId), CANDIDATE_FIELDS);
    candidatePair.remote = pick(byId.get(pairStats.remoteCandidateId), CANDIDATE_FIELDS);
  }
  return {
    index: entry.index,
    connectionState: entry.connectionState,
    error: entry.error,
    inbound,
    transport: pick(t, TRANSPORT_FIELDS),
    candidatePair,
  };
}

// Summaries of all the page's peer connections.
export async function pcStats(page) {
  return (await rawStats(page)).map(summarizePc);
}

// The page's live call: the newest peer connection that is not closed (else the newest), with
// per-kind totals over its inbound streams. null when the page has made none.
export async function callStats(page) {
  const all = await pcStats(page);
  if (!all.length) return null;
  const live = [...all].reverse().find((s) => s.connectionState !== 'closed') || all[all.length - 1];
  return { ...live, pcCount: all.length, audio: inboundTotals(live, 'audio'), video: inboundTotals(live, 'video') };
}

// Sums over a kind's inbound streams (jitter: the largest).
export function inboundTotals(summary, kind) {
  const streams = summary.inbound[kind] || [];
  const sum = (f) => streams.reduce((a, s) => a + (s[f] || 0), 0);
  return {
    streams: streams.length,
    framesDecoded: sum('framesDecoded'),
    packetsReceived: sum('packetsReceived'),
    packetsLost: sum('packetsLost'),
    freezeCount: sum('freezeCount'),
    totalFreezesDuration: sum('totalFreezesDuration'),
    nackCount: sum('nackCount'),
    pliCount: sum('pliCount'),
    jitter: streams.reduce((a, s) => Math.max(a, s.jitter || 0), 0),
  };
}

// One line of figures for the log.
export function formatCallStats(name, s) {
  if (!s) return `${name}: no RTCPeerConnection`;
  const v = s.video;
  const a = s.audio;
  const t = s.transport || {};
  const p = s.candidatePair || {};
  const rtt = p.currentRoundTripTime === undefined ? '?' : `${(p.currentRoundTripTime * 1000).toFixed(1)} ms`;
  return `${name}: pc#${s.index} ${s.connectionState}; video ${v.framesDecoded} frames decoded, ` +
    `${v.packetsReceived} pkts, ${v.packetsLost} lost, ${v.freezeCount} freezes ` +
    `(${v.totalFreezesDuration.toFixed(2)} s), jitter ${(v.jitter * 1000).toFixed(1)} ms; ` +
    `audio ${a.packetsReceived} pkts, ${a.packetsLost} lost, jitter ${(a.jitter * 1000).toFixed(1)} ms; ` +
    `dtls ${t.dtlsState} ${t.tlsVersion || ''} srtp ${t.srtpCipher}; rtt ${rtt}; ` +
    `pair ${p.local ? `${p.local.address}:${p.local.port}` : '?'} <-> ${p.remote ? `${p.remote.address}:${p.remote.port}` : '?'}`;
}

/* ------------------------------------------------------------------ running a test */

// Run body(t) with a watchdog; release what t started in reverse order; print PASS/FAIL/SKIP
// and exit 0/1/SKIP_STATUS. t.startRapportd() and t.launchBrowser() register their own clean-up; t.browser is
// the last browser launched, t.browsers all of them.
export async function runTest(name, body, { timeoutMs = 150000 } = {}) {
  const cleanups = [];
  const failures = [];
  const t = {
    name,
    defer(fn) { cleanups.push(fn); },
    skip(reason) { throw new TestSkipped(reason); },
    async startRapportd(opts) {
      const r = await Rapportd.start(opts);
      cleanups.push(() => r.stop());
      return r;
    },
    browsers: [],
    async launchBrowser(opts) {
      const b = await Browser.launch(opts);
      t.browser = b;
      t.browsers.push(b);
      cleanups.push(() => b.close());
      return b;
    },
  };
  const started = Date.now();
  let timer;
  const watchdog = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new TestFailure(`test ran over its ${timeoutMs / 1000} s budget`)), timeoutMs);
  });
  let skipped = null;
  try {
    await Promise.race([body(t), watchdog]);
  } catch (err) {
    if (err instanceof TestSkipped) skipped = err.message;
    else failures.push(err);
  }
  if (failures.length) {
    // every browser's parties (a test may run one browser per party: lib/audio.mjs)
    for (const b of t.browsers) if (b.parties.length) console.log(b.consoleDump());
  }
  clearTimeout(timer);
  for (const fn of cleanups.reverse()) {
    try {
      await fn();
    } catch (err) {
      failures.push(err);
    }
  }
  const secs = ((Date.now() - started) / 1000).toFixed(1);
  if (failures.length) {
    for (const err of failures) {
      console.error(`FAIL ${name}: ${err instanceof TestFailure ? err.message : err.stack || err}`);
    }
    console.error(`FAIL ${name} (${secs} s)`);
    process.exit(1);
  }
  if (skipped !== null) {
    console.log(`SKIP ${name}: ${skipped} (${secs} s)`);
    process.exit(SKIP_STATUS);
  }
  console.log(`PASS ${name} (${secs} s)`);
  process.exit(0);
}
