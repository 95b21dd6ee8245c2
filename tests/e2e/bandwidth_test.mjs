// Bandwidth: Chromium's congestion control works through the relay. Both browsers negotiate
// transport-cc; the relay answers each with transport-wide feedback (media/twcc.c), so their
// send-side estimators can probe up, and a REMB (media/bwe.c) that caps them at what the
// other side reports it can take (2.5 Mbit/s on a clean loopback). Without feedback Chromium
// falls to ~80 kbit/s and a 320x240 picture within seconds ("limited by bandwidth").
// Asserted from getStats() on each sender: the selected pair's availableOutgoingBitrate
// reaches 500 kbit/s (six times the feedback-starved figure; on an idle machine it is at our
// 2.5 Mbit/s REMB cap within ~10 s, on a loaded one, or under ASan, GCC ramps more slowly)
// and stays there. Resolution and qualityLimitationReason are printed.
import {
  runTest, log, fail, waitFor, callStats, rawStats, sleep,
} from './lib/harness.mjs';

const MEDIA_TIMEOUT_MS = 45000;
const WANT_BPS = 500000;
const CUSTOMER_NAME = 'Bea Bandwidth';

async function signInAgent(agent, rapport) {
  const { page } = agent;
  await page.goto(rapport.url('/agent/'));
  await page.getByLabel('Username').fill(rapport.agentUser);
  await page.getByLabel('Password').fill(rapport.agentPassword);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByLabel('Status', { exact: true }).waitFor({ state: 'visible', timeout: 10000 })
    .catch(() => fail('agent: no control labelled "Status" after "Sign in"'));
}

async function placeCall(agent, customer, rapport) {
  await customer.page.goto(rapport.url('/customer/'));
  await customer.page.getByLabel('Your name').fill(CUSTOMER_NAME);
  await customer.page.getByRole('button', { name: 'See an agent' }).click();
  await agent.page.getByRole('alert').filter({ hasText: CUSTOMER_NAME }).first()
    .waitFor({ state: 'visible', timeout: 15000 })
    .catch(() => fail(`agent: no ring for "${CUSTOMER_NAME}" within 15 s`));
  await agent.page.getByRole('button', { name: 'Accept' }).click();
}

// What the page's newest peer connection sends: the estimate and the video it allows.
async function sendStats(page) {
  const all = await rawStats(page);
  if (!all.length) return null;
  const e = all[all.length - 1];
  const byId = new Map(e.reports.map((s) => [s.id, s]));
  const t = e.reports.find((s) => s.type === 'transport' && s.selectedCandidatePairId);
  const pair = t && byId.get(t.selectedCandidatePairId);
  const v = e.reports.find((s) => s.type === 'outbound-rtp' && s.kind === 'video');
  return {
    estimate: pair?.availableOutgoingBitrate ?? 0, bytes: v?.bytesSent ?? 0,
    target: v?.targetBitrate, width: v?.frameWidth, height: v?.frameHeight,
    limit: v?.qualityLimitationReason, at: Date.now(),
  };
}

function format(name, s, prev) {
  const kbps = prev ? ((s.bytes - prev.bytes) * 8 / Math.max(1, s.at - prev.at)).toFixed(0) : '?';
  return `${name}: estimate ${(s.estimate / 1000).toFixed(0)} kbit/s, video ${kbps} kbit/s ` +
    `(target ${((s.target || 0) / 1000).toFixed(0)} kbit/s) ${s.width}x${s.height}, limited by ${s.limit}`;
}

runTest('bandwidth', async (t) => {
  const rapport = await t.startRapportd();
  const browser = await t.launchBrowser();
  const agent = await browser.party('agent');
  const customer = await browser.party('customer');
  const parties = [customer, agent];
  await signInAgent(agent, rapport);
  await placeCall(agent, customer, rapport);
  await waitFor('inbound video on both sides', async () => {
    for (const p of parties) {
      const s = await callStats(p.page);
      if (!s || s.video.framesDecoded < 30) return false;
    }
    return true;
  }, { timeoutMs: MEDIA_TIMEOUT_MS, intervalMs: 500 });

  const prev = {};
  for (const p of parties) prev[p.name] = await sendStats(p.page);
  const latest = {};
  await waitFor(`each sender's availableOutgoingBitrate >= ${WANT_BPS / 1000} kbit/s`, async () => {
    let all = true;
    for (const p of parties) {
      latest[p.name] = await sendStats(p.page);
      all = all && latest[p.name].estimate >= WANT_BPS;
    }
    return all;
  }, {
    timeoutMs: 40000,
    intervalMs: 1000,
    describe: () => '\n  ' + parties.map((p) => format(p.name, latest[p.name], prev[p.name])).join('\n  '),
  });
  await sleep(4000);   // a feedback-starved estimator falls within this time
  for (const p of parties) {
    const s = await sendStats(p.page);
    log(format(p.name, s, prev[p.name]));
    if (s.estimate < WANT_BPS) fail(`${p.name}: estimate fell back to ${s.estimate} bit/s`);
  }
}, { timeoutMs: 150000 });
