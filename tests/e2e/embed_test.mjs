// The one-script-tag embed (web/embed.js) on another site's page:
//   a shop page on its own origin (http://localhost:<other port>, served here by node), with
//   its own strict CSP and loud CSS, carries
//     <script src="http://127.0.0.1:<rapportd>/embed.js" data-language="es" data-topic="billing"
//             data-name="Elena">
//   - a floating "Talk to us" button appears; the widget opens in a shadow root, the page's CSS
//     does not reach it; the name is preset;
//   - chat is acknowledged; "See an agent" asks no language or topic question (preset) and the
//     Spanish/billing agent is rung with "Español" and "Billing";
//   - the call runs inside the host page: both sides decode video;
//   - a reload of the host page reopens the widget in the same call, with video again.

import http from 'node:http';
import { runTest, log, fail, waitFor, freeTcpPort } from './lib/harness.mjs';
import {
  signInAgent, waitRing, accept, hangUp, waitStatus, chat, waitMedia, statusText,
} from './lib/flow.mjs';

function hostPage(rapportOrigin) {
  return `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>Example Shop</title>
  <style>
    body { font: 40px/1 serif; background: #fafafa; }
    button { background: hotpink !important; font-size: 40px; }
    video { display: none; }
  </style>
</head>
<body>
  <h1>Example Shop</h1>
  <p>Our products.</p>
  <button type="button">Buy now</button>
  <script src="${rapportOrigin}/embed.js" async data-language="es" data-topic="billing" data-name="Elena"></script>
</body>
</html>`;
}

async function startHost(t, port, rapportOrigin) {
  const origin = `http://localhost:${port}`;
  const csp = `default-src 'self'; script-src 'self' ${rapportOrigin}; style-src 'self' 'unsafe-inline' ${rapportOrigin}; ` +
    `connect-src 'self' ${rapportOrigin.replace(/^http/, 'ws')}; img-src 'self' data:; media-src 'self' blob:`;
  const server = http.createServer((req, res) => {
    if (req.url === '/favicon.ico') {
      res.writeHead(204).end();
      return;
    }
    if (req.url !== '/') {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-security-policy': csp });
    res.end(hostPage(rapportOrigin));
  });
  await new Promise((resolve) => server.listen(port, '127.0.0.1', resolve));
  t.defer(() => new Promise((resolve) => server.close(resolve)));
  return { origin, url: `${origin}/` };
}

runTest('embed', async (t) => {
  const hostPort = await freeTcpPort();
  const rapport = await t.startRapportd({
    agents: [{ username: 'agent', languages: 'es', skills: 'billing' }],
    config: (r) => ({
      languages: 'en:English,es:Español',
      topics: 'general:General question,billing:Billing',
      allowed_origins: `${r.origin},http://localhost:${hostPort}`,
    }),
  });
  const host = await startHost(t, hostPort, rapport.origin);
  const browser = await t.launchBrowser();
  const agent = await browser.party('agent');
  const shopper = await browser.party('shopper', { viewport: { width: 390, height: 844 } });

  await signInAgent(agent, rapport);
  const sp = shopper.page;
  await sp.goto(host.url);
  const launcher = sp.getByRole('button', { name: 'Talk to us' });
  await launcher.waitFor({ timeout: 15000 }).catch(async () => {
    fail(`shop page: no "Talk to us" button; console: ${shopper.console.join(' | ')}`);
  });
  await launcher.click();
  const name = sp.getByLabel('Your name');
  await name.waitFor();
  if ((await name.inputValue()) !== 'Elena') fail(`preset name not shown: "${await name.inputValue()}"`);
  const see = sp.getByRole('button', { name: 'See an agent' });
  const bg = await see.evaluate((b) => getComputedStyle(b).backgroundColor);
  if (bg === 'rgb(255, 105, 180)') fail('the host page\'s CSS reached into the widget (hotpink button)');
  log(`widget open in the shop page; its button colour ${bg}`);

  await chat(shopper, 'Hola, tengo una pregunta sobre mi factura.');
  await see.click();
  if (await sp.getByRole('button', { name: 'Start video call' }).isVisible()) fail('a preset language and topic were asked again');
  const ring = await waitRing(agent, 'Elena');
  if (ring.language !== 'es' || ring.topic !== 'billing') fail(`ring language/topic ${ring.language}/${ring.topic}`);
  const facts = (await agent.page.locator('#ring').innerText()).replace(/\s+/g, ' ');
  if (!/Español/.test(facts) || !/Billing/.test(facts)) fail(`agent's ring: "${facts}"`);
  await accept(agent);
  const before = await waitMedia([shopper, agent]);

  // reload of the host page: the widget opens by itself, back in the call
  await sp.reload();
  await waitFor('shopper: back in the call after reloading the shop page', async () => /in call/i.test(await statusText(sp)), {
    timeoutMs: 20000, describe: async () => statusText(sp),
  });
  await waitMedia([shopper, agent], { since: before });
  await hangUp(shopper);
  await waitStatus(shopper, /call ended/i, 'Call ended');
  await sp.getByRole('group', { name: 'How was your call?' }).waitFor();
  log('embedded widget: chat, preset routing, call, reload and survey all work');
}, { timeoutMs: 120000 });
