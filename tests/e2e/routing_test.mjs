// Routing by language, and the queue as waiting customers see it (issue 3):
//   agents "ana" (Spanish only) and "ben" (English only), three customers. ana signs in first,
//   so she is the idle-longest agent whenever it matters: a router that ignored language would
//   ring her for the English calls.
//   - c1 (English) is rung at ben only; ben accepts.
//   - c2 and c3 (English) wait: they are shown positions 1 and 2 and estimated waits, c3's longer;
//     ana stays available and is never rung for them.
//   - ben ends c1's call and finishes the wrap-up: c2 rings at ben; c3 moves to position 1 and its
//     estimated wait falls. ben takes c2, then c3 the same way.
//   - c1 asks again, in Spanish, after ana has just become available again (so ben is now the
//     idle-longest): it rings at ana only.
//   Every ring each agent got (their WebSocket frames) is checked against their language.

import { runTest, log, fail, waitFor, sleep } from './lib/harness.mjs';
import {
  signInAgent, setAgentStatus, waitRing, accept, hangUp, waitStatus, wrapUp, openCustomer,
  seeAgent, queueShown,
} from './lib/flow.mjs';

const LANGUAGES = { en: 'English', es: 'Español' };

async function waitQueue(c, what, pred) {
  let last = null;
  await waitFor(`${c.name}: ${what}`, async () => {
    last = await queueShown(c.page);
    return last && pred(last);
  }, { timeoutMs: 15000, describe: () => JSON.stringify(last) });
  log(`${c.name} sees: ${last.text} (position ${last.position}, wait ${last.waitS} s)`);
  return last;
}

// Answer, end at once (media is call_test's and flow_test's business) and finish the wrap-up.
async function takeAndEnd(agent, customer, name) {
  await waitRing(agent, name);
  await accept(agent);
  await waitStatus(customer, /in call/i, 'In call');
  await hangUp(agent);
  await waitStatus(customer, /call ended/i, 'Call ended');
  await customer.page.getByRole('button', { name: 'No thanks' }).click();
  await wrapUp(agent, 'Resolved', `served ${name}`);
}

runTest('routing', async (t) => {
  const rapport = await t.startRapportd({
    agents: [
      { username: 'ana', languages: 'es' },
      { username: 'ben', languages: 'en' },
    ],
    config: {
      languages: 'en:English,es:Español',
      default_handle_time: 120,
      return_to_agent: 0,
    },
  });
  const browser = await t.launchBrowser();
  const ana = await browser.party('ana');
  const ben = await browser.party('ben');
  const c = [];
  for (const n of ['c1', 'c2', 'c3']) c.push(await browser.party(n, { viewport: { width: 360, height: 740 } }));
  const [c1, c2, c3] = c;
  const names = { c1: 'Chloe One', c2: 'Chidi Two', c3: 'Chen Three' };

  await signInAgent(ana, rapport, 'ana');
  await sleep(300);
  await signInAgent(ben, rapport, 'ben');
  for (const x of c) await openCustomer(x, rapport);

  // c1, English: ben only
  await seeAgent(c1, { name: names.c1, language: LANGUAGES.en });
  await waitRing(ben, names.c1);
  await accept(ben);
  await waitStatus(c1, /in call/i, 'In call');

  // c2 and c3 wait behind ben's call; the Spanish agent is free but does not match
  await seeAgent(c2, { name: names.c2, language: LANGUAGES.en });
  const q2 = await waitQueue(c2, 'position 1 with an estimated wait', (q) => q.position === 1 && q.waitS > 0);
  await seeAgent(c3, { name: names.c3, language: LANGUAGES.en });
  const q3 = await waitQueue(c3, 'position 2 with a longer estimated wait', (q) => q.position === 2 && q.waitS > q2.waitS);
  if (!/number 2 in line/.test(q3.text) || !/Estimated wait/.test(q3.text)) fail(`c3: queue text: "${q3.text}"`);

  // ben ends c1's call and finishes: c2 rings at ben, c3 moves up and waits less
  await hangUp(ben);
  await waitStatus(c1, /call ended/i, 'Call ended');
  await c1.page.getByRole('button', { name: 'No thanks' }).click();
  await wrapUp(ben, 'Resolved', 'served c1');
  await waitRing(ben, names.c2);
  const q3b = await waitQueue(c3, 'position 1 and a shorter wait', (q) => q.position === 1 && q.waitS !== null && q.waitS < q3.waitS);
  if (!/next in line/.test(q3b.text)) fail(`c3: queue text at position 1: "${q3b.text}"`);
  await accept(ben);
  await hangUp(ben);
  await waitStatus(c2, /call ended/i, 'Call ended');
  await c2.page.getByRole('button', { name: 'No thanks' }).click();
  await wrapUp(ben, 'Resolved', 'served c2');
  await takeAndEnd(ben, c3, names.c3);

  // c1 again in Spanish, with ben now idle longest (ana went Away and back): ana only
  await setAgentStatus(ana, 'Away');
  await setAgentStatus(ana, 'Available');
  await seeAgent(c1, { language: LANGUAGES.es });
  await takeAndEnd(ana, c1, names.c1);

  // every ring matched the agent's language
  const rings = (a) => a.received('ring').map((m) => `${m.name}/${m.language}`);
  log(`rings: ana ${JSON.stringify(rings(ana))}, ben ${JSON.stringify(rings(ben))}`);
  for (const m of ana.received('ring')) if (m.language !== 'es') fail(`ana (es) was rung for ${m.name} in ${m.language}`);
  for (const m of ben.received('ring')) if (m.language !== 'en') fail(`ben (en) was rung for ${m.name} in ${m.language}`);
  const rungAt = (a, n) => a.received('ring').filter((m) => m.name === n).length;
  if (rungAt(ben, names.c1) !== 1 || rungAt(ben, names.c2) !== 1 || rungAt(ben, names.c3) !== 1) fail('ben: not rung once for each English call');
  if (rungAt(ana, names.c1) !== 1 || ana.received('ring').length !== 1) fail('ana: not rung exactly once, for the Spanish call');
}, { timeoutMs: 160000 });
