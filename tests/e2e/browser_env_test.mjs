// e2e: without-rapportd
// The machine's browser set-up, without rapportd: Debian's Chromium starts through
// playwright-core with the harness's flags inside a loopback-only network namespace; a page
// served from http://127.0.0.1 gets the fake camera and microphone and gathers a 127.0.0.1
// host candidate (not an mDNS name); two parties in separate contexts, connected through this
// script, exchange media that getStats() sees through the harness's window.__pcs recorder.
// When this fails, every other e2e test would too, for reasons that are not rapportd's.

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  runTest, log, fail, waitFor, freeTcpPort, callStats, formatCallStats,
} from './lib/harness.mjs';

const PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>browser env</title></head>
<body><video aria-label="Remote video" autoplay playsinline muted></video>
<script>
// The test drives this page through window.env; nothing here knows about the harness.
window.env = {
  pc: null,
  async start() {
    const stream = await navigator.mediaDevices.getUserMedia({ audio: true, video: { width: 320, height: 240 } });
    this.pc = new RTCPeerConnection({ iceServers: [] });
    for (const track of stream.getTracks()) this.pc.addTrack(track, stream);
    this.pc.ontrack = (ev) => { document.querySelector('video').srcObject = ev.streams[0]; };
    return stream.getTracks().map((t) => t.kind + ':' + t.label);
  },
  async gathered() {
    if (this.pc.iceGatheringState !== 'complete') {
      await new Promise((resolve) => this.pc.addEventListener('icegatheringstatechange',
        () => this.pc.iceGatheringState === 'complete' && resolve()));
    }
    return this.pc.localDescription.toJSON();
  },
  async offer() {
    await this.pc.setLocalDescription(await this.pc.createOffer());
    return this.gathered();
  },
  async answer(offer) {
    await this.pc.setRemoteDescription(offer);
    await this.pc.setLocalDescription(await this.pc.createAnswer());
    return this.gathered();
  },
  async accept(answer) { await this.pc.setRemoteDescription(answer); },
};
</script></body></html>
`;

async function startHttpServer(t) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rapport-env-'));
  fs.writeFileSync(path.join(dir, 'index.html'), PAGE);
  const port = await freeTcpPort();
  const python = fs.existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
  const srv = spawn(python, ['-m', 'http.server', '--bind', '127.0.0.1', '--directory', dir, String(port)],
    { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  srv.stderr.on('data', (d) => { stderr += d; });
  t.defer(() => { srv.kill('SIGTERM'); fs.rmSync(dir, { recursive: true, force: true }); });
  const url = `http://127.0.0.1:${port}/index.html`;
  await waitFor(`python3 http.server on port ${port}`, async () => {
    if (srv.exitCode !== null) fail(`python3 -m http.server exited: ${stderr}`);
    return (await fetch(url)).ok;
  }, { timeoutMs: 10000, intervalMs: 100 });
  return url;
}

function hostCandidates(sdp) {
  return sdp.split(/\r?\n/).filter((l) => l.startsWith('a=candidate:') && / typ host/.test(l));
}

function checkCandidates(name, sdp) {
  const hosts = hostCandidates(sdp);
  log(`${name} host candidates:\n    ${hosts.join('\n    ') || '(none)'}`);
  if (!hosts.length) {
    fail(`${name} gathered no host candidate at all: is --allow-loopback-in-peer-connection passed, ` +
      'and camera/microphone granted?');
  }
  if (hosts.some((l) => /\.local /.test(l))) {
    fail(`${name} hides host addresses behind mDNS names: WebRtcHideLocalIpsWithMdns is not disabled ` +
      '(--disable-features merged wrongly?)');
  }
  if (!hosts.some((l) => / 127\.0\.0\.1 \d+ typ host/.test(l) && / udp /i.test(l))) {
    fail(`${name} has no UDP host candidate on 127.0.0.1`);
  }
}

runTest('browser_env', async (t) => {
  const ifaces = Object.keys(os.networkInterfaces());
  if (ifaces.some((n) => n !== 'lo')) {
    log(`warning: interfaces besides loopback (${ifaces.join(', ')}): not inside "unshare --net"?`);
  }
  const url = await startHttpServer(t);
  const browser = await t.launchBrowser();
  log(`chromium command line:\n    ${browser.commandLine.slice(1).join('\n    ')}`);

  const a = await browser.party('left');
  const b = await browser.party('right');
  for (const p of [a, b]) {
    await p.page.goto(url);
    const secure = await p.page.evaluate(() => window.isSecureContext);
    if (!secure) fail(`${url} is not a secure context in Chromium: getUserMedia would be refused`);
    const tracks = await p.page.evaluate(() => window.env.start());
    log(`${p.name} getUserMedia tracks: ${tracks.join(', ')}`);
    if (!tracks.some((x) => x.startsWith('audio:')) || !tracks.some((x) => x.startsWith('video:'))) {
      fail(`${p.name}: getUserMedia did not give both an audio and a video track: ${tracks.join(', ')}`);
    }
  }

  const recorder = await a.page.evaluate(() => ({
    count: (window.__pcs || []).length,
    instanceOf: window.__pcs?.[0] instanceof RTCPeerConnection,
    sameCtor: window.__pcs?.[0]?.constructor === RTCPeerConnection,
    name: RTCPeerConnection.name,
    staticOk: typeof RTCPeerConnection.generateCertificate === 'function',
  }));
  if (recorder.count !== 1 || !recorder.instanceOf || !recorder.sameCtor || !recorder.staticOk ||
      recorder.name !== 'RTCPeerConnection') {
    fail(`window.__pcs recorder is wrong: ${JSON.stringify(recorder)}`);
  }

  const offer = await a.page.evaluate(() => window.env.offer());
  checkCandidates('left (offer)', offer.sdp);
  const answer = await b.page.evaluate((o) => window.env.answer(o), offer);
  checkCandidates('right (answer)', answer.sdp);
  await a.page.evaluate((ans) => window.env.accept(ans), answer);

  const stats = {};
  await waitFor('media to flow both ways (inbound video framesDecoded > 30, audio packetsReceived > 0, ' +
    'dtlsState connected)', async () => {
    let ok = true;
    for (const p of [a, b]) {
      const s = (stats[p.name] = await callStats(p.page));
      ok = ok && s && s.video.framesDecoded > 30 && s.audio.packetsReceived > 0 &&
        s.transport?.dtlsState === 'connected';
    }
    return ok;
  }, {
    timeoutMs: 30000,
    intervalMs: 500,
    describe: () => Object.entries(stats).map(([n, s]) => formatCallStats(n, s)).join(' | '),
  });
  for (const [n, s] of Object.entries(stats)) {
    log(formatCallStats(n, s));
    if (s.candidatePair?.local?.address !== '127.0.0.1') fail(`${n}: selected pair is not on 127.0.0.1`);
    if (!s.transport.srtpCipher) fail(`${n}: transport stats have no srtpCipher`);
    if (typeof s.candidatePair.currentRoundTripTime !== 'number') fail(`${n}: no currentRoundTripTime`);
  }
  const playing = await b.page.getByLabel('Remote video').evaluate((v) => v.videoWidth > 0 && !v.paused);
  if (!playing) fail('right: the remote <video> is not playing');
});
