// kill -9 of rapportd during a chat and during a call, then a restart on the same data
// directory (issue 3: nothing acknowledged is lost, and people get back into their sessions):
//   - the customer chats; after the acknowledgements rapportd is killed; after the restart the
//     page reconnects by itself and every acknowledged message is there (also after a reload);
//     the agent's console signs in again by itself (agent token, no password);
//   - a call with video and chat from both sides; kill -9 mid-call; after the restart the
//     customer is told the call was cut off and may rate it, the agent is Available again;
//   - read-back: every acknowledged message of both phases is in the customer's chat and, when
//     the customer asks again, the agent's ring lists the interrupted contact (answered by this
//     agent, ended, outcome "interrupted", the survey given after the restart).

import { runTest, log, fail, waitFor } from './lib/harness.mjs';
import {
  signInAgent, agentStatus, waitRing, accept, waitStatus, openCustomer, chat, chatMessages,
  seeAgent, waitMedia, statusText,
} from './lib/flow.mjs';

const NAME = 'Rita Restart';

async function storedTexts(party) {
  return (await chatMessages(party.page)).filter((m) => m.id).map((m) => m.text);
}

async function expectChat(party, texts, when) {
  await waitFor(`${party.name}: every acknowledged message ${when}`, async () => {
    const have = await storedTexts(party);
    return texts.every((x) => have.includes(x));
  }, { timeoutMs: 20000, describe: async () => JSON.stringify(await storedTexts(party)) });
  log(`${party.name}: all ${texts.length} acknowledged messages there ${when}`);
}

async function restart(rapport, agent, customer) {
  const logins = agent.received('logged_in').length;
  const welcomes = customer.received('welcome').length;
  await rapport.restart();
  await waitFor('customer page reconnected', async () => customer.received('welcome').length > welcomes, { timeoutMs: 20000 });
  await waitFor('agent console signed in again by itself', async () => agent.received('logged_in').length > logins, { timeoutMs: 20000 });
  if (!customer.received('welcome').pop().resumed) fail('customer: the session did not resume after the restart');
  if (agent.sent('login').length !== 1) fail('agent: the console sent the password again instead of using its token');
}

runTest('restart', async (t) => {
  const rapport = await t.startRapportd();
  const browser = await t.launchBrowser();
  const agent = await browser.party('agent');
  const customer = await browser.party('customer', { viewport: { width: 390, height: 800 } });
  const acked = [];

  await signInAgent(agent, rapport);
  await openCustomer(customer, rapport);
  await customer.page.getByLabel('Your name').fill(NAME);
  for (const text of ['Before the crash: one', 'Before the crash: two', 'Before the crash: three']) {
    await chat(customer, text);
    acked.push(text);
  }

  // kill -9 while chatting
  await rapport.crash();
  await restart(rapport, agent, customer);
  await expectChat(customer, acked, 'after kill -9 during chat');
  await customer.page.reload();
  await expectChat(customer, acked, 'after kill -9 during chat and a reload');
  await waitFor('agent: Available after the restart', async () => (await agentStatus(agent)) === 'available');

  // a call, with chat from both sides, then kill -9
  await seeAgent(customer);
  await waitRing(agent, NAME);
  await accept(agent);
  await waitMedia([customer, agent]);
  await chat(customer, 'In the call: from the customer');
  acked.push('In the call: from the customer');
  await chat(agent, 'In the call: from the agent');
  acked.push('In the call: from the agent');
  await rapport.crash();
  await restart(rapport, agent, customer);

  await waitStatus(customer, /call ended/i, 'Call ended after the restart', 20000);
  const ended = customer.received('call_ended').pop();
  if (ended?.reason !== 'interrupted') fail(`customer: call_ended after the restart: ${JSON.stringify(ended)}`);
  await waitFor('agent: out of the call and Available', async () =>
    (await agentStatus(agent)) === 'available' && !/in call/i.test(await statusText(agent.page)));
  await expectChat(customer, acked, 'after kill -9 during the call');

  // the survey about the cut-off call is still taken
  await customer.page.getByRole('radio', { name: /^3/ }).check();
  await customer.page.getByRole('button', { name: 'Send feedback' }).click();
  await waitStatus(customer, /thank you/i, 'Thank you');

  // read-back of the contact record through the next ring
  await customer.page.reload();
  await expectChat(customer, acked, 'after a final reload');
  await customer.page.getByRole('button', { name: /^See an agent/ }).click();
  const ring = await waitRing(agent, NAME);
  const c = ring.earlier?.[0];
  log(`earlier contacts: ${JSON.stringify(ring.earlier)}`);
  if (!c) fail('the ring lists no earlier contact');
  if (!c.queued || !c.answered || !c.ended || c.agent !== rapport.agentUser || c.outcome !== 'interrupted' || c.rating !== 3) {
    fail(`earlier contact after kill -9: ${JSON.stringify(c)}; want queued, answered, ended, agent ${rapport.agentUser}, outcome interrupted, rating 3`);
  }
  await customer.page.getByRole('button', { name: 'Cancel' }).click();
}, { timeoutMs: 160000 });
