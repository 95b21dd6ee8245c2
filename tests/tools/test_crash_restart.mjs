// kill -9 of a real rapportd, twice: once in the middle of a chat flood, once during a call
// with customers waiting. After each restart on the same data directory, everything rapportd
// acknowledged is there: every chat message whose "chat" echo came back, every contact with
// its times, agent and outcome; customers and the agent come back into their sessions with
// their tokens (a waiting customer is queued again, one in a call hears "interrupted").
//
//   node tests/tools/test_crash_restart.mjs RAPPORTD SOURCE_DIR
//
// Node 20 has no WebSocket client: WsClient below speaks RFC 6455 over http's upgrade (masked
// text frames out; text, close and ping frames in). Records are read back with the sqlite3
// command-line shell on the live database (WAL: a reader sees every committed write).

import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

const [RAPPORTD, SOURCE_DIR] = process.argv.slice(2);
const SQLITE3 = process.env.SQLITE3 || 'sqlite3';
const T0 = Date.now();

function log(...args) {
  console.log(`[${((Date.now() - T0) / 1000).toFixed(1).padStart(5)}s]`, ...args);
}

function fail(msg) {
  throw new Error(msg);
}

function check(cond, msg) {
  if (!cond) fail(msg);
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/* ------------------------------------------------------------------ a small WebSocket client */

class WsClient {
  static open(port, name) {
    return new Promise((resolve, reject) => {
      const key = randomBytes(16).toString('base64');
      const req = http.request({
        host: '127.0.0.1', port, path: '/ws',
        headers: {
          Connection: 'Upgrade', Upgrade: 'websocket', 'Sec-WebSocket-Version': '13',
          'Sec-WebSocket-Key': key, 'Sec-WebSocket-Protocol': 'rapport.v1',
          Origin: `http://127.0.0.1:${port}`,
        },
      });
      req.on('upgrade', (res, socket, head) => resolve(new WsClient(name, socket, head)));
      req.on('response', (res) => reject(new Error(`${name}: upgrade refused: HTTP ${res.statusCode}`)));
      req.on('error', reject);
      req.end();
    });
  }

  constructor(name, socket, head) {
    this.name = name;
    this.socket = socket;
    this.buf = head && head.length ? Buffer.from(head) : Buffer.alloc(0);
    this.msgs = [];
    this.seen = 0;
    this.closed = false;
    this.waiters = [];
    socket.on('data', (d) => { this.buf = Buffer.concat([this.buf, d]); this.parse(); });
    socket.on('close', () => { this.closed = true; this.wake(); });
    socket.on('error', () => {});
    this.parse();
  }

  parse() {
    for (;;) {
      if (this.buf.length < 2) return;
      const op = this.buf[0] & 0x0f;
      let len = this.buf[1] & 0x7f;
      let off = 2;
      if (len === 126) {
        if (this.buf.length < 4) return;
        len = this.buf.readUInt16BE(2);
        off = 4;
      } else if (len === 127) {
        if (this.buf.length < 10) return;
        len = Number(this.buf.readBigUInt64BE(2));
        off = 10;
      }
      if (this.buf.length < off + len) return;
      const fin = (this.buf[0] & 0x80) !== 0;
      const payload = this.buf.subarray(off, off + len);
      this.buf = this.buf.subarray(off + len);
      if (op === 0x1 || op === 0x0) {  // text, or its continuation
        this.partial = Buffer.concat([this.partial || Buffer.alloc(0), payload]);
        if (fin) {
          this.msgs.push(JSON.parse(this.partial.toString('utf8')));
          this.partial = null;
          this.wake();
        }
      } else if (op === 0x9) {
        this.frame(0xa, payload);
      } else if (op === 0x8) {
        this.closed = true;
        this.wake();
      }
    }
  }

  frame(op, payload) {
    const mask = randomBytes(4);
    const len = payload.length;
    const head = len < 126 ? Buffer.from([0x80 | op, 0x80 | len])
      : Buffer.concat([Buffer.from([0x80 | op, 0x80 | 126]), Buffer.from([len >> 8, len & 0xff])]);
    const body = Buffer.from(payload);
    for (let i = 0; i < body.length; i++) body[i] ^= mask[i & 3];
    if (!this.socket.destroyed) this.socket.write(Buffer.concat([head, mask, body]));
  }

  send(msg) {
    this.frame(0x1, Buffer.from(JSON.stringify(msg)));
  }

  wake() {
    for (const w of this.waiters.splice(0)) w();
  }

  // The next message (after those already taken) for which pred holds; earlier ones that do
  // not match are skipped. Fails after timeoutMs.
  async next(pred, what, timeoutMs = 10000) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      while (this.seen < this.msgs.length) {
        const m = this.msgs[this.seen++];
        if (pred(m)) return m;
      }
      if (this.closed) fail(`${this.name}: connection closed while waiting for ${what}`);
      const left = deadline - Date.now();
      if (left <= 0) fail(`${this.name}: no ${what} within ${timeoutMs} ms; got ${JSON.stringify(this.msgs.slice(-5))}`);
      await new Promise((r) => { this.waiters.push(r); setTimeout(r, left); });
    }
  }

  type(t, timeoutMs) {
    return this.next((m) => m.type === t, t, timeoutMs);
  }

  close() {
    this.socket.destroy();
  }
}

/* ------------------------------------------------------------------ rapportd as a process */

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
  });
}

class Daemon {
  constructor(dir, port) {
    this.dir = dir;
    this.port = port;
    this.conf = path.join(dir, 'rapportd.conf');
    const rtp = 42000 + Math.floor(Math.random() * 15000);
    fs.writeFileSync(this.conf, [
      'bind = 127.0.0.1', `http_port = ${port}`, `rtp_ports = ${rtp}-${rtp + 7}`,
      `data_dir = ${path.join(dir, 'data')}`, `web_root = ${path.join(SOURCE_DIR, 'web')}`,
      'languages = en:English,es:Español', 'return_to_agent = 0', '',
    ].join('\n'));
    this.logFile = path.join(dir, 'rapportd.log');
  }

  async start() {
    const out = fs.openSync(this.logFile, 'a');
    this.proc = spawn(RAPPORTD, ['--config', this.conf], { stdio: ['ignore', out, out] });
    fs.closeSync(out);
    this.exited = new Promise((r) => this.proc.on('exit', (code, sig) => r({ code, sig })));
    for (let i = 0; i < 200; i++) {
      try {
        const res = await fetch(`http://127.0.0.1:${this.port}/healthz`);
        if (res.status === 200) return log(`rapportd up (pid ${this.proc.pid})`);
      } catch { /* not yet */ }
      await sleep(50);
    }
    fail(`rapportd did not come up:\n${fs.readFileSync(this.logFile, 'utf8')}`);
  }

  async kill9() {
    this.proc.kill('SIGKILL');
    const e = await this.exited;
    check(e.sig === 'SIGKILL', `rapportd ended with ${JSON.stringify(e)} instead of SIGKILL`);
    log('rapportd killed with SIGKILL');
  }

  async stop() {
    this.proc.kill('SIGTERM');
    const e = await this.exited;
    check(e.code === 0, `rapportd exited ${JSON.stringify(e)} after SIGTERM`);
  }
}

function sql(dir, query) {
  const db = path.join(dir, 'data', 'rapport.db');
  const r = spawnSync(SQLITE3, ['-json', db, query], { encoding: 'utf8' });
  check(r.status === 0, `sqlite3 failed: ${r.stderr || r.error}`);
  return r.stdout.trim() ? JSON.parse(r.stdout) : [];
}

/* ------------------------------------------------------------------ the test */

async function customer(port, name, token) {
  const c = await WsClient.open(port, name);
  c.send({ type: 'hello', version: 1, role: 'customer', ...(token ? { token } : {}) });
  c.welcome = await c.type('welcome');
  return c;
}

async function agentByPassword(port, password) {
  const a = await WsClient.open(port, 'agent');
  a.send({ type: 'hello', version: 1, role: 'agent' });
  await a.type('welcome');
  a.send({ type: 'login', id: 'l', username: 'agent', password });
  a.login = await a.type('logged_in');
  return a;
}

// Sends n chats 5 ms apart (rapportd answers each after its fsync), stopping when told;
// collect() lists the acknowledged ones ({id, text}).
function flood(c, n, prefix) {
  const f = { stop: false, sent: 0 };
  (async () => {
    for (let i = 0; i < n && !f.stop; i++, f.sent++) {
      c.send({ type: 'chat', id: `f${i}`, text: `${prefix} ${i}` });
      await sleep(5);
    }
  })();
  f.collect = () => c.msgs.filter((m) => m.type === 'chat' && m.re).map((m) => ({ id: m.message.id, text: m.message.text }));
  return f;
}

async function phaseChatFlood(d) {
  const c = await customer(d.port, 'flooder');
  const token = c.welcome.token;
  const f = flood(c, 20, 'flood');  // 20: the per-session rate limit
  await c.next(() => f.collect().length >= 8, '8 acknowledged chats');
  await d.kill9();
  f.stop = true;
  const acked = f.collect();
  log(`${acked.length} chats acknowledged of ${f.sent} sent before the kill`);
  await d.start();
  const again = await customer(d.port, 'flooder again', token);
  check(again.welcome.resumed === true, 'flooder: session not resumed after the restart');
  const hist = await again.type('chat_history');
  const stored = new Map(hist.messages.map((m) => [m.id, m.text]));
  for (const a of acked) check(stored.get(a.id) === a.text, `acknowledged chat ${a.id} "${a.text}" lost`);
  log(`all ${acked.length} acknowledged chats are back (${hist.messages.length} stored)`);
  again.close();
  return token;
}

async function phaseCall(d, password) {
  const a = await customer(d.port, 'Ada');
  a.send({ type: 'chat', id: 1, text: 'my card was declined', name: 'Ada' });
  const ack1 = await a.next((m) => m.type === 'chat' && m.re === 1, 'chat ack');
  a.send({ type: 'call_request', name: 'Ada', language: 'en' });
  await a.type('queued');
  const b = await customer(d.port, 'Bea');
  b.send({ type: 'chat', id: 2, text: 'hola', name: 'Bea' });
  const ack2 = await b.next((m) => m.type === 'chat' && m.re === 2, 'chat ack');
  b.send({ type: 'call_request', name: 'Bea', language: 'es' });
  const bq = await b.type('queued');
  const agent = await agentByPassword(d.port, password);
  const ring = await agent.type('ring');
  check(ring.name === 'Ada' && ring.chat.some((m) => m.text === 'my card was declined'), 'ring without the chat');
  agent.send({ type: 'accept', id: 'acc', call: ring.call });
  await agent.type('call_started');
  await a.type('call_started');
  agent.send({ type: 'chat', id: 'g', call: ring.call, text: 'let me look' });
  const ack3 = await agent.next((m) => m.type === 'chat' && m.re === 'g', 'agent chat ack');
  log(`Ada in call ${ring.call} with the agent, Bea waiting (${bq.call}); killing`);
  await d.kill9();
  a.close(); b.close(); agent.close();
  await d.start();

  // the records the first run acknowledged
  const callId = Number(ring.call.slice(1));
  const [ca] = sql(d.dir, `SELECT c.*, a.username FROM contacts c LEFT JOIN accounts a ON a.id = c.agent_id WHERE c.id = ${callId}`);
  check(ca && ca.queued_ms && ca.offered_ms && ca.answered_ms && ca.ended_ms, `Ada's contact lost its times: ${JSON.stringify(ca)}`);
  check(ca.username === 'agent' && ca.outcome === 'interrupted', `Ada's contact: ${JSON.stringify(ca)}`);
  const [cb] = sql(d.dir, `SELECT * FROM contacts WHERE id = ${Number(bq.call.slice(1))}`);
  check(cb && cb.outcome === 'interrupted' && !cb.answered_ms && cb.language === 'es', `Bea's contact: ${JSON.stringify(cb)}`);
  const texts = sql(d.dir, 'SELECT text FROM chat_messages').map((r) => r.text);
  for (const t of [ack1.message.text, ack2.message.text, ack3.message.text]) check(texts.includes(t), `chat "${t}" lost`);
  log('contacts and chat of the first run are in the store, closed as interrupted');

  // everyone comes back
  const agent2 = await WsClient.open(d.port, 'agent again');
  agent2.send({ type: 'hello', version: 1, role: 'agent', token: agent.login.token });
  await agent2.type('welcome');
  await agent2.type('logged_in');
  const a2 = await customer(d.port, 'Ada again', a.welcome.token);
  check(a2.welcome.resumed && !a2.welcome.call, `Ada: ${JSON.stringify(a2.welcome)}`);
  const ah = await a2.type('chat_history');
  check(ah.messages.map((m) => m.text).join('|') === 'my card was declined|let me look', `Ada's chat: ${JSON.stringify(ah.messages)}`);
  const ended = await a2.type('call_ended');
  check(ended.call === ring.call && ended.reason === 'interrupted' && ended.survey, `Ada: ${JSON.stringify(ended)}`);
  a2.send({ type: 'survey', id: 's', call: ring.call, rating: 4, comment: 'cut off, but kind' });
  await a2.type('survey_saved');
  const b2 = await customer(d.port, 'Bea again', b.welcome.token);
  check(b2.welcome.resumed && b2.welcome.call && b2.welcome.call !== bq.call, `Bea: ${JSON.stringify(b2.welcome)}`);
  const ring2 = await agent2.type('ring');
  check(ring2.call === b2.welcome.call && ring2.language === 'es', `agent: ${JSON.stringify(ring2)}`);
  check(ring2.earlier.some((e) => e.call === bq.call && e.outcome === 'interrupted'), 'ring without the interrupted contact');
  agent2.send({ type: 'accept', call: ring2.call });
  await b2.type('call_started');
  b2.send({ type: 'hangup', call: ring2.call });
  await agent2.type('call_ended');
  agent2.send({ type: 'wrap_up', id: 'w', call: ring2.call, outcome: 'resolved', notes: 'after the restart' });
  await agent2.type('wrapped_up');
  const [cb2] = sql(d.dir, `SELECT * FROM contacts WHERE id = ${Number(ring2.call.slice(1))}`);
  check(cb2.answered_ms && cb2.ended_ms && cb2.outcome === 'resolved' && cb2.notes === 'after the restart', `Bea's new contact: ${JSON.stringify(cb2)}`);
  const [ca2] = sql(d.dir, `SELECT survey_rating, survey_comment FROM contacts WHERE id = ${callId}`);
  check(ca2.survey_rating === 4 && ca2.survey_comment === 'cut off, but kind', `survey: ${JSON.stringify(ca2)}`);
  log('after the restart: agent signed in by token, Ada told and surveyed, Bea queued again and served');
  agent2.close(); a2.close(); b2.close();
}

async function main() {
  check(RAPPORTD && SOURCE_DIR, 'usage: test_crash_restart.mjs RAPPORTD SOURCE_DIR');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rapport-crash-'));
  fs.mkdirSync(path.join(dir, 'data'));
  const pwfile = path.join(dir, 'pw');
  const password = randomBytes(12).toString('base64url');
  fs.writeFileSync(pwfile, `${password}\n`, { mode: 0o600 });
  const add = spawnSync(RAPPORTD, ['user', 'add', '--data-dir', path.join(dir, 'data'), '--role', 'agent',
    '--username', 'agent', '--password-file', pwfile], { encoding: 'utf8' });
  check(add.status === 0, `rapportd user add: ${add.stderr}`);
  const d = new Daemon(dir, await freePort());
  try {
    await d.start();
    await phaseChatFlood(d);
    await phaseCall(d, password);
    await d.stop();
  } catch (err) {
    if (d.proc && d.proc.exitCode === null) d.proc.kill('SIGKILL');
    console.error(`----- rapportd log -----\n${fs.readFileSync(d.logFile, 'utf8').slice(-20000)}`);
    throw err;
  }
  fs.rmSync(dir, { recursive: true, force: true });
  console.log(`PASS crash_restart (${((Date.now() - T0) / 1000).toFixed(1)} s)`);
}

main().catch((err) => {
  console.error(`FAIL crash_restart: ${err.message}`);
  process.exit(1);
});
