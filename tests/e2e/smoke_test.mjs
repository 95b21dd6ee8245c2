// rapportd's HTTP face, without a browser: it starts and answers /healthz, serves the customer
// and agent pages as HTML, answers 404 for a missing file, and refuses a WebSocket upgrade on
// /ws whose Origin is not its own (while accepting one from its own origin, so the refusal is
// about the Origin and nothing else). Then it stops cleanly on SIGTERM.

import http from 'node:http';
import { randomBytes } from 'node:crypto';
import { runTest, log, fail } from './lib/harness.mjs';

async function expectPage(rapport, path, { status, type }) {
  const res = await fetch(rapport.url(path), { signal: AbortSignal.timeout(5000) });
  const body = await res.text();
  const ctype = res.headers.get('content-type') || '';
  log(`GET ${path} -> ${res.status} ${ctype} (${body.length} bytes)`);
  if (res.status !== status) fail(`GET ${path}: status ${res.status}, want ${status}`);
  if (type && !ctype.startsWith(type)) fail(`GET ${path}: content-type "${ctype}", want ${type}`);
  return body;
}

// A raw WebSocket opening handshake on /ws. Resolves with { upgraded: true } on 101, or with
// { upgraded: false, status } when the server answers otherwise or closes the connection.
function wsHandshake(rapport, origin) {
  return new Promise((resolve, reject) => {
    const req = http.request({
      host: '127.0.0.1',
      port: rapport.port,
      path: '/ws',
      agent: false, // a fresh connection each time: never a pooled socket the server closed
      headers: {
        Connection: 'Upgrade',
        Upgrade: 'websocket',
        'Sec-WebSocket-Version': '13',
        'Sec-WebSocket-Key': randomBytes(16).toString('base64'),
        Origin: origin,
      },
      timeout: 5000,
    });
    req.on('upgrade', (res, socket) => {
      socket.destroy();
      resolve({ upgraded: true, status: res.statusCode });
    });
    req.on('response', (res) => {
      res.resume();
      resolve({ upgraded: false, status: res.statusCode });
    });
    req.on('timeout', () => req.destroy(new Error('no answer to the upgrade request within 5 s')));
    req.on('error', (err) => {
      if (err.code === 'ECONNRESET' || err.message === 'socket hang up') resolve({ upgraded: false, status: 'closed' });
      else reject(err);
    });
    req.end();
  });
}

runTest('smoke', async (t) => {
  const rapport = await t.startRapportd();

  const health = await expectPage(rapport, '/healthz', { status: 200 });
  log(`/healthz says: ${health.trim().slice(0, 200)}`);
  for (const p of ['/customer/', '/agent/']) {
    const html = await expectPage(rapport, p, { status: 200, type: 'text/html' });
    if (!/<html/i.test(html)) fail(`GET ${p}: body is not an HTML page`);
  }
  await expectPage(rapport, `/customer/no-such-file-${randomBytes(4).toString('hex')}.js`, { status: 404 });

  const evil = await wsHandshake(rapport, 'http://evil.example');
  log(`WebSocket /ws with Origin http://evil.example -> ${evil.upgraded ? '101 upgraded' : `refused (${evil.status})`}`);
  if (evil.upgraded) fail('rapportd accepted a WebSocket on /ws from a foreign Origin (http://evil.example)');

  const own = await wsHandshake(rapport, rapport.origin);
  log(`WebSocket /ws with Origin ${rapport.origin} -> ${own.upgraded ? '101 upgraded' : `refused (${own.status})`}`);
  if (!own.upgraded) fail(`rapportd refused a WebSocket on /ws from its own origin ${rapport.origin} (${own.status})`);

  // Still healthy after all that.
  await expectPage(rapport, '/healthz', { status: 200 });
});
