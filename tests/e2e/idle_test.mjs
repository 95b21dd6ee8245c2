// rapportd with 1000 idle WebSockets open still answers promptly, without a browser:
//   - 1000 connections on /ws that say nothing stay open;
//   - on one more, an agent says hello and signs in: welcome comes from the lws thread, but
//     logged_in comes back from the password thread through the cross-thread queue and
//     lws_cancel_service(), so this is the wake-up path of the event loop (gateway/server.c);
//   - 20 ping/pong round trips, each well under the limit;
//   - every idle connection is still open, and rapportd stops cleanly on SIGTERM (the
//     harness checks exit 0 and, in a sanitizer build, no leak report).

import http from 'node:http';
import { randomBytes } from 'node:crypto';
import { runTest, log, fail } from './lib/harness.mjs';

const IDLE = 1000;
const BATCH = 100;
const RTT_LIMIT_MS = 500;        // generous: an ASan build on a shared 2-core machine
const LOGIN_LIMIT_MS = 10000;    // includes the password hash, slow under ASan

// A client WebSocket on /ws: the opening handshake, then text frames (masked, as a client
// must send them) and the server's unmasked text frames, reassembled from the byte stream.
function wsOpen(rapport) {
  return new Promise((resolve, reject) => {
    const req = http.request({
      host: '127.0.0.1',
      port: rapport.port,
      path: '/ws',
      agent: false,
      headers: {
        Connection: 'Upgrade',
        Upgrade: 'websocket',
        'Sec-WebSocket-Version': '13',
        'Sec-WebSocket-Key': randomBytes(16).toString('base64'),
        'Sec-WebSocket-Protocol': 'rapport.v1',
        Origin: rapport.origin,
      },
      timeout: 10000,
    });
    req.on('upgrade', (res, socket, head) => resolve(wsWrap(socket, head)));
    req.on('response', (res) => reject(new Error(`upgrade refused: HTTP ${res.statusCode}`)));
    req.on('timeout', () => req.destroy(new Error('no answer to the upgrade within 10 s')));
    req.on('error', reject);
    req.end();
  });
}

function wsWrap(socket, head) {
  const ws = { socket, closed: false, messages: [], waiters: [] };
  let buf = head && head.length ? Buffer.from(head) : Buffer.alloc(0);
  socket.setNoDelay(true);
  socket.on('close', () => { ws.closed = true; });
  socket.on('error', () => { ws.closed = true; });
  socket.on('data', (chunk) => {
    buf = Buffer.concat([buf, chunk]);
    for (;;) {
      const frame = wsParse(buf);
      if (!frame) break;
      buf = buf.subarray(frame.size);
      if (frame.opcode === 0x9) wsSend(ws, frame.payload, 0xa); // ping: pong
      if (frame.opcode !== 0x1) continue;
      ws.messages.push(JSON.parse(frame.payload.toString('utf8')));
      for (const w of ws.waiters.splice(0)) w();
    }
  });
  return ws;
}

function wsParse(buf) {
  if (buf.length < 2) return null;
  let len = buf[1] & 0x7f;
  let off = 2;
  if (len === 126) {
    if (buf.length < 4) return null;
    len = buf.readUInt16BE(2);
    off = 4;
  } else if (len === 127) {
    if (buf.length < 10) return null;
    len = Number(buf.readBigUInt64BE(2));
    off = 10;
  }
  if (buf.length < off + len) return null;
  return { opcode: buf[0] & 0x0f, payload: buf.subarray(off, off + len), size: off + len };
}

function wsSend(ws, payload, opcode = 0x1) {
  const data = Buffer.isBuffer(payload) ? payload : Buffer.from(JSON.stringify(payload));
  const mask = randomBytes(4);
  const hdr = data.length < 126 ? Buffer.from([0x80 | opcode, 0x80 | data.length])
    : Buffer.from([0x80 | opcode, 0x80 | 126, data.length >> 8, data.length & 0xff]);
  const body = Buffer.from(data.map((b, i) => b ^ mask[i % 4]));
  ws.socket.write(Buffer.concat([hdr, mask, body]));
}

// The first message since `from` (an index into ws.messages) that pred accepts.
function wsWait(ws, from, pred, ms) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    const check = () => {
      const m = ws.messages.slice(from).find(pred);
      if (m) {
        clearTimeout(timer);
        resolve(m);
      } else {
        ws.waiters.push(check);
      }
    };
    check();
  });
}

async function timed(ws, msg, pred, ms) {
  const from = ws.messages.length;
  const t0 = process.hrtime.bigint();
  wsSend(ws, msg);
  const reply = await wsWait(ws, from, pred, ms);
  return { reply, ms: Number(process.hrtime.bigint() - t0) / 1e6 };
}

runTest('idle', async (t) => {
  const rapport = await t.startRapportd();

  const idle = [];
  t.defer(() => { for (const ws of idle) ws.socket.destroy(); });
  for (let i = 0; i < IDLE; i += BATCH) {
    const batch = await Promise.all(Array.from({ length: BATCH }, () => wsOpen(rapport)));
    idle.push(...batch);
  }
  log(`${idle.length} idle WebSockets open`);

  const ws = await wsOpen(rapport);
  t.defer(() => ws.socket.destroy());
  const hello = await timed(ws, { type: 'hello', version: 1, role: 'agent' },
    (m) => m.type === 'welcome' || m.type === 'error', RTT_LIMIT_MS * 4);
  if (hello.reply.type !== 'welcome') fail(`hello: ${JSON.stringify(hello.reply)}`);
  const login = await timed(ws, {
    type: 'login', id: 'l', username: rapport.agentUser, password: rapport.agentPassword,
  }, (m) => m.type === 'logged_in' || (m.type === 'error' && m.re === 'l'), LOGIN_LIMIT_MS);
  if (login.reply.type !== 'logged_in') fail(`login: ${JSON.stringify(login.reply)}`);
  log(`with ${IDLE} idle connections: welcome after ${hello.ms.toFixed(1)} ms, ` +
    `logged_in after ${login.ms.toFixed(1)} ms`);

  const rtts = [];
  for (let i = 0; i < 20; i++) {
    const id = `p${i}`;
    const r = await timed(ws, { type: 'ping', id }, (m) => m.re === id, RTT_LIMIT_MS * 4);
    if (r.reply.type !== 'pong') fail(`ping: ${JSON.stringify(r.reply)}`);
    rtts.push(r.ms);
  }
  rtts.sort((a, b) => a - b);
  log(`ping round trips: p50 ${rtts[10].toFixed(2)} ms, max ${rtts[19].toFixed(2)} ms`);
  if (rtts[19] > RTT_LIMIT_MS) fail(`a ping took ${rtts[19].toFixed(1)} ms (limit ${RTT_LIMIT_MS} ms)`);

  const dropped = idle.filter((c) => c.closed).length;
  if (dropped) fail(`${dropped} of ${IDLE} idle connections were closed`);
});
