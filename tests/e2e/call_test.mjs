// The spine: a customer sees an agent. Real Chromium, two parties, one rapportd.
//   agent signs in; customer types a name and clicks "See an agent"; the agent's console rings
//   with the customer's name; the agent accepts; media flows both ways through rapportd's relay
//   (decoded video and received audio on each side, DTLS connected, SRTP AEAD_AES_128_GCM);
//   the customer hangs up, its page says the call ended and the agent's is told so (and goes
//   to wrap-up); rapportd stops cleanly.
// Pages are driven only through what a person sees: labels, roles and button names.

import {
  runTest, log, fail, waitFor, callStats, formatCallStats,
} from './lib/harness.mjs';

const CUSTOMER_NAME = 'Ada Customer';
const MEDIA_TIMEOUT_MS = 45000;
const WANT_FRAMES = 100;
const WANT_CIPHER = 'AEAD_AES_128_GCM';
// Chromium 156 reports BoringSSL's name, "SRTP_AEAD_AES_128_GCM"; the spec's is the IANA one.
const cipherName = (c) => String(c || '').replace(/^SRTP_/, '');

async function statusText(page) {
  return (await page.getByRole('status').allInnerTexts()).join(' | ');
}

async function signInAgent(agent, rapport) {
  const { page } = agent;
  await page.goto(rapport.url('/agent/'));
  await page.getByLabel('Username').fill(rapport.agentUser);
  await page.getByLabel('Password').fill(rapport.agentPassword);
  await page.getByRole('button', { name: 'Sign in' }).click();
  const status = page.getByLabel('Status', { exact: true });
  await status.waitFor({ state: 'visible', timeout: 10000 }).catch(() => {
    fail('agent: after "Sign in" no control labelled "Status" appeared (sign-in failed?)');
  });
  log(`agent signed in; Status = ${await status.inputValue().catch(() => '?')}`);
}

async function customerAsks(customer, rapport) {
  const { page } = customer;
  await page.goto(rapport.url('/customer/'));
  await page.getByLabel('Your name').fill(CUSTOMER_NAME);
  await page.getByRole('button', { name: 'See an agent' }).click();
  log(`customer "${CUSTOMER_NAME}" asked for an agent`);
}

async function agentAccepts(agent) {
  const { page } = agent;
  const ring = page.getByRole('alert').filter({ hasText: CUSTOMER_NAME });
  await ring.first().waitFor({ state: 'visible', timeout: 15000 }).catch(async () => {
    fail(`agent: no role="alert" with "${CUSTOMER_NAME}" within 15 s; alerts: ` +
      `${JSON.stringify(await page.getByRole('alert').allInnerTexts())}; status: ${await statusText(page)}`);
  });
  log(`agent rings: "${(await ring.first().innerText()).replace(/\s+/g, ' ').trim()}"`);
  await page.getByRole('button', { name: 'Accept' }).click();
  log('agent accepted');
}

function mediaFlowing(s) {
  return s && s.video.framesDecoded > WANT_FRAMES && s.audio.packetsReceived > 0 &&
    s.transport?.dtlsState === 'connected';
}

async function waitForMedia(parties) {
  const latest = {};
  const started = Date.now();
  await waitFor(`on each side inbound video framesDecoded > ${WANT_FRAMES}, inbound audio ` +
    'packetsReceived > 0 and DTLS connected', async () => {
    let all = true;
    for (const p of parties) {
      latest[p.name] = await callStats(p.page);
      all = all && mediaFlowing(latest[p.name]);
    }
    return all;
  }, {
    timeoutMs: MEDIA_TIMEOUT_MS,
    intervalMs: 500,
    describe: () => '\n  ' + parties.map((p) => formatCallStats(p.name, latest[p.name])).join('\n  '),
  });
  log(`media flowing both ways after ${((Date.now() - started) / 1000).toFixed(1)} s:`);
  for (const p of parties) log('  ' + formatCallStats(p.name, latest[p.name]));
  // The cipher is settled once DTLS is connected: check it apart, for a plain message.
  for (const p of parties) {
    const cipher = latest[p.name].transport.srtpCipher;
    if (cipherName(cipher) !== WANT_CIPHER) fail(`${p.name}: SRTP cipher is ${cipher}, want ${WANT_CIPHER}`);
  }
  return latest;
}

async function videoPlaying(page, label) {
  return page.getByLabel(label, { exact: true }).evaluate((v) => v.videoWidth > 0 && v.readyState >= 2);
}

async function waitEnded(party) {
  await waitFor(`${party.name}: role="status" to say the call ended`, async () =>
    /ended/i.test(await statusText(party.page)), {
    timeoutMs: 15000,
    describe: async () => JSON.stringify(await statusText(party.page)),
  });
  log(`${party.name} status: "${await statusText(party.page)}"`);
}

runTest('call', async (t) => {
  const rapport = await t.startRapportd();
  const browser = await t.launchBrowser();
  const agent = await browser.party('agent');
  const customer = await browser.party('customer');

  await signInAgent(agent, rapport);
  await customerAsks(customer, rapport);
  await agentAccepts(agent);

  await waitForMedia([customer, agent]);
  if (!(await videoPlaying(customer.page, 'Agent video'))) fail('customer: the "Agent video" element is not playing');
  if (!(await videoPlaying(agent.page, 'Customer video'))) fail('agent: the "Customer video" element is not playing');

  await customer.page.getByRole('button', { name: 'Hang up' }).click();
  log('customer hung up');
  await waitEnded(customer);
  // The agent's console then goes to wrap-up (issue 3; flow_test checks what it shows): here
  // it is enough that the page was told the call ended and that its agent is in wrap-up.
  await waitFor('agent: call_ended and status wrap_up received', () =>
    agent.received('call_ended').length > 0 &&
    agent.received('status').some((m) => m.status === 'wrap_up'), { timeoutMs: 15000 });
  log(`agent status: "${await statusText(agent.page)}"`);
}, { timeoutMs: 150000 });
