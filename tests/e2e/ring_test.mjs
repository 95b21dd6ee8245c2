// A ring that is declined or not answered moves the customer on without losing their place
// (issue 3), with ring_timeout = 5 s:
//   agents a1 (Available) and a2 (Away). c1 asks first and rings at a1; c2 asks next and waits.
//   - a1 declines c1: c1 is back in line at position 1, ahead of c2; a1 is never rung for c1
//     again, so c2 (position 2) rings at a1 instead.
//   - a1 lets c2's ring lapse twice (5 s each): c2 goes back to its place behind c1 each time,
//     and after the second lapse a1 is set Away by the system (two rings in a row unanswered).
//   - a2 becomes Available: the first in line, c1, rings at a2 (not c2); a2 accepts; c2 is now
//     next in line. Nobody was dropped: c2 is still waiting.

import { runTest, log, fail, waitFor } from './lib/harness.mjs';
import {
  signInAgent, setAgentStatus, agentStatus, waitRing, ringVisible, accept, decline, waitStatus,
  openCustomer, seeAgent, queueShown,
} from './lib/flow.mjs';

const RING_TIMEOUT_S = 5;

async function position(c) {
  const q = await queueShown(c.page);
  return q?.position ?? null;
}

async function waitPosition(c, want, what) {
  let last;
  await waitFor(`${c.name}: ${what}`, async () => (last = await position(c)) === want, {
    describe: async () => `position ${last}; ${JSON.stringify(await queueShown(c.page))}`,
  });
}

runTest('ring', async (t) => {
  const rapport = await t.startRapportd({
    agents: [{ username: 'a1' }, { username: 'a2' }],
    config: { ring_timeout: RING_TIMEOUT_S, return_to_agent: 0 },
  });
  const browser = await t.launchBrowser();
  const a1 = await browser.party('a1');
  const a2 = await browser.party('a2');
  const c1 = await browser.party('c1', { viewport: { width: 360, height: 740 } });
  const c2 = await browser.party('c2', { viewport: { width: 360, height: 740 } });

  await signInAgent(a2, rapport, 'a2');
  await setAgentStatus(a2, 'Away');
  await signInAgent(a1, rapport, 'a1');
  await openCustomer(c1, rapport);
  await openCustomer(c2, rapport);

  await seeAgent(c1, { name: 'Cleo First' });
  const ring1 = await waitRing(a1, 'Cleo First');
  if (ring1.timeout_s !== RING_TIMEOUT_S) fail(`ring.timeout_s is ${ring1.timeout_s}, want ${RING_TIMEOUT_S}`);
  await seeAgent(c2, { name: 'Cody Second' });
  await waitPosition(c2, 1, 'waiting at position 1 while c1 rings');

  // decline: c1 keeps its place (1), c2 behind it rings at a1 instead
  await decline(a1);
  await waitRing(a1, 'Cody Second');
  await waitPosition(c1, 1, 'back at position 1 after the decline');
  log('a1 declined c1: c1 is first in line again, c2 rings at a1');

  // two lapses: c2 back behind c1 each time; then a1 is Away
  const lapsed = async (n) => {
    const t0 = Date.now();
    await waitFor(`a1: ring ${n} lapses after ${RING_TIMEOUT_S} s`, async () =>
      a1.received('ring_cancelled').filter((m) => m.reason === 'no_answer').length >= n,
    { timeoutMs: (RING_TIMEOUT_S + 5) * 1000 });
    log(`a1: ring ${n} lapsed after ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  };
  await lapsed(1);
  await waitFor('c2: back in line or rung again after the lapse', async () =>
    c2.received('queued').length >= 2 || (await ringVisible(a1)));
  await waitRing(a1, 'Cody Second', { timeoutMs: 10000, count: 2 });
  await lapsed(2);
  await waitFor('a1: set Away after two unanswered rings', async () => (await agentStatus(a1)) === 'away');
  const away = a1.received('status').filter((m) => m.status === 'away').pop();
  if (away?.reason !== 'no_answer') fail(`a1: status away without reason no_answer: ${JSON.stringify(away)}`);
  await waitStatus(a1, /away/i, 'Away');
  await waitPosition(c1, 1, 'still first in line');
  await waitPosition(c2, 2, 'second in line, behind c1');
  log('a1 is Away after two lapses; c1 first, c2 second');

  // a2 comes: c1 (first in line) rings there, not c2
  await setAgentStatus(a2, 'Available');
  const ring2 = await waitRing(a2, 'Cleo First');
  if (a2.received('ring').some((m) => m.name === 'Cody Second')) fail('a2 was rung for c2 before c1');
  if (ring1.call !== ring2.call) log(`note: c1's call id changed from ${ring1.call} to ${ring2.call}`);
  await accept(a2);
  await waitStatus(c1, /in call/i, 'In call');
  await waitPosition(c2, 1, 'next in line once c1 is answered');
  if (a1.received('ring').filter((m) => m.name === 'Cleo First').length !== 1) fail('a1 was rung for c1 again after declining it');
  log('c1 answered by a2; c2 next in line, never dropped');
}, { timeoutMs: 120000 });
