// capture-offer.mjs: get real SDP offers from Debian's Chromium, and check that Chromium
// accepts the answers media/negotiate.c builds for them.
//
// Re-run (from the source tree, never `npx playwright install`):
//   mkdir -p /tmp/pw && (cd /tmp/pw && npm init -y && npm i playwright-core@1.56.1)
//   NODE_PATH=/tmp/pw/node_modules node tests/unit/data/capture-offer.mjs capture tests/unit/data
//     writes chromium156-offer.sdp (audio+video), chromium156-offer-dc2v.sdp (audio, two
//     videos, data channel), chromium156-offer-h264.sdp (video limited to H.264),
//     chromium156-offer-recvonly.sdp (receive-only audio and video),
//     chromium156-offer-noopus.sdp (audio limited to PCMU/PCMA).
//   Capturing rewrites every file, and test_sdp/test_negotiate check the values of these
//   captures (ufrag, fingerprint, ssrcs): update them, or capture into another directory.
//   NODE_PATH=/tmp/pw/node_modules node tests/unit/data/capture-offer.mjs check \
//       build/gcc/tests/unit/test_negotiate
//     for each variant: createOffer, setLocalDescription, runs `test_negotiate --answer FILE`
//     (prints the relay's answer for the offer in FILE), then setRemoteDescription(answer);
//     prints OK with each transceiver's mid, direction and sending codecs, or Chromium's
//     error, per variant; exits non-zero on any failure.
import { createRequire } from 'node:module';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';

const require = createRequire(import.meta.url);
const { chromium } = require('playwright-core');

const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream',
  '--allow-loopback-in-peer-connection'];

// In the page: build a peer connection for a variant and return it with its offer.
async function makeOffer(variant) {
  const ms = await navigator.mediaDevices.getUserMedia({ audio: true, video: true });
  const pc = new RTCPeerConnection({ iceServers: [] });
  const [a] = ms.getAudioTracks(), [v] = ms.getVideoTracks();
  if (variant === 'recvonly') {  // a receive-only page: the relay only sends
    pc.addTransceiver('audio', { direction: 'recvonly' });
    pc.addTransceiver('video', { direction: 'recvonly' });
    window.__pc = pc;
    return (await pc.createOffer()).sdp;
  }
  const at = pc.addTransceiver(a, { direction: 'sendrecv', streams: [ms] });
  if (variant === 'noopus')  // audio without Opus: the relay rejects the BUNDLE-tagged m-line
    at.setCodecPreferences(RTCRtpReceiver.getCapabilities('audio').codecs
      .filter(c => /PCMU|PCMA/.test(c.mimeType)));
  const vt = pc.addTransceiver(v, { direction: 'sendrecv', streams: [ms] });
  if (variant === 'dc2v') {
    pc.addTransceiver(v.clone(), { direction: 'sendonly', streams: [ms] });
    pc.createDataChannel('chat');
  }
  if (variant === 'h264') {
    const caps = RTCRtpReceiver.getCapabilities('video').codecs;
    const h264 = caps.filter(c => /h264|rtx/i.test(c.mimeType));
    if (!h264.some(c => /h264/i.test(c.mimeType))) throw new Error('no H264 in this Chromium');
    vt.setCodecPreferences(h264);
  }
  const offer = await pc.createOffer();
  window.__pc = pc;
  return offer.sdp;
}

const VARIANTS = { av: 'chromium156-offer.sdp', dc2v: 'chromium156-offer-dc2v.sdp',
  h264: 'chromium156-offer-h264.sdp', recvonly: 'chromium156-offer-recvonly.sdp',
  noopus: 'chromium156-offer-noopus.sdp' };

async function main() {
  const [mode, arg] = process.argv.slice(2);
  if (mode !== 'capture' && mode !== 'check') {
    console.error('usage: capture-offer.mjs capture OUTDIR | check TEST_NEGOTIATE_BINARY');
    process.exit(2);
  }
  const srv = http.createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end('<!doctype html><title>sdp</title>');
  });
  await new Promise(r => srv.listen(0, '127.0.0.1', r));
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sdp-'));
  const ctx = await chromium.launchPersistentContext(tmp, { executablePath: '/usr/bin/chromium',
    headless: true, args: ARGS });
  let failed = 0;
  try {
    for (const [variant, file] of Object.entries(VARIANTS)) {
      const page = await ctx.newPage();
      await page.goto(`http://127.0.0.1:${srv.address().port}/`);
      let sdp;
      try {
        sdp = await page.evaluate(makeOffer, variant);
      } catch (e) {
        console.log(`${variant}: cannot make offer: ${e.message.split('\n')[0]}`);
        failed++;
        await page.close();
        continue;
      }
      if (mode === 'capture') {
        fs.writeFileSync(path.join(arg, file), sdp);
        console.log(`${variant}: wrote ${file} (${sdp.length} bytes)`);
      } else {
        const off = path.join(tmp, file);
        fs.writeFileSync(off, sdp);
        const answer = execFileSync(arg, ['--answer', off]).toString();
        const r = await page.evaluate(async ([offer, answer]) => {
          const pc = window.__pc, streams = [];
          pc.ontrack = (e) => streams.push(`${e.track.kind}@${e.streams.map(s => s.id)}`);
          try {
            await pc.setLocalDescription({ type: 'offer', sdp: offer });
            await pc.setRemoteDescription({ type: 'answer', sdp: answer });
            // the codecs Chromium negotiated for sending (empty when it only receives)
            const codecs = (p) => p.getParameters().codecs
              .map(c => c.mimeType.replace(/^.*\//, '')).join('+');
            const tr = pc.getTransceivers().map(t => `${t.mid}:${t.currentDirection}:` +
              codecs(t.sender));
            return `OK ${pc.signalingState} ${tr.join(' ')} tracks from relay: ${streams}`;
          } catch (e) { return 'FAIL ' + e.message; }
        }, [sdp, answer]);
        console.log(`${variant}: ${r}`);
        if (!r.startsWith('OK')) { failed++; console.log(answer); }
      }
      await page.close();
    }
  } finally {
    await ctx.close();
    srv.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  process.exit(failed ? 1 : 0);
}
main();
