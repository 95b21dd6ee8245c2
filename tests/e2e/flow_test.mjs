// The call-centre flow of issue 3 through the real pages, end to end:
//   a customer gives a name and chats; a reload brings the chat back; "See an agent"; the
//   signed-in Available agent is rung with the customer's name, language, topic and the chat so
//   far; chat keeps flowing while it rings; Accept; both pages decode the other's video; the
//   agent writes in the chat; the customer, then the agent, reload mid-call and the call comes
//   back with video; mute and camera buttons; the agent hangs up (and reloads in the wrap-up,
//   which comes back); the customer reloads on the survey and still
//   gets it; rating and comment are sent; the agent wraps up (outcome, notes, Finish) and is
//   Available again. Read-back: the same customer asks again and the agent's ring shows the
//   earlier contact with its outcome, notes, rating and comment, from the store.

import { runTest, log, fail, waitFor } from './lib/harness.mjs';
import {
  signInAgent, agentStatus, waitRing, accept, hangUp, waitStatus, wrapUp, openCustomer, chat,
  chatMessages, seeAgent, waitMedia,
} from './lib/flow.mjs';

const NAME = 'Ada Lovelace';
const FIRST = 'Hello, my card was declined at the shop.';
const WHILE_RINGING = 'It is the card ending 4242.';
const FROM_AGENT = 'Hi Ada, let me have a look.';
const NOTES = 'Card was blocked after three wrong PINs; unblocked it.';
const COMMENT = 'Quick and kind, thank you!';

async function selfTrackEnabled(page, kind) {
  return page.getByLabel('Your video', { exact: true }).evaluate((v, k) =>
    v.srcObject?.getTracks().filter((t) => t.kind === k).every((t) => t.enabled), kind);
}

async function chatHas(party, text) {
  return (await chatMessages(party.page)).some((m) => m.id && m.text === text);
}

runTest('flow', async (t) => {
  const rapport = await t.startRapportd();
  const browser = await t.launchBrowser();
  const agent = await browser.party('agent', { viewport: { width: 1100, height: 800 } });
  const customer = await browser.party('customer', { viewport: { width: 390, height: 844 } });

  await signInAgent(agent, rapport);
  await openCustomer(customer, rapport);
  const cp = customer.page;
  await cp.getByLabel('Your name').fill(NAME);
  const firstId = await chat(customer, FIRST);
  log(`customer chat acknowledged as message ${firstId}`);

  // a reload before anything else: same session, the chat is back
  await cp.reload();
  await waitFor('customer: chat back after reload', () => chatHas(customer, FIRST));
  const welcome = customer.received('welcome').pop();
  if (!welcome.resumed) fail('customer: reload did not resume the session (welcome.resumed false)');
  log('customer reloaded: session resumed, chat back');

  await seeAgent(customer, { name: NAME });
  const ring = await waitRing(agent, NAME);
  const ap = agent.page;
  if (!(await chatHas(agent, FIRST))) fail(`agent: the ring does not show the chat so far ("${FIRST}")`);
  const facts = (await ap.locator('#ring').innerText()).replace(/\s+/g, ' ');
  if (!/Language English/.test(facts) || !/Topic General question/.test(facts)) {
    fail(`agent: the ring does not show language and topic: "${facts}"`);
  }
  log(`agent sees: "${facts}"; earlier contacts: ${JSON.stringify(ring.earlier || [])}`);

  await chat(customer, WHILE_RINGING);
  await waitFor('agent: sees the chat written while ringing', () => chatHas(agent, WHILE_RINGING));

  await accept(agent);
  const before = await waitMedia([customer, agent]);
  await chat(agent, FROM_AGENT);
  await waitFor('customer: sees the agent\'s chat', () => chatHas(customer, FROM_AGENT));

  // reload in the call: the call comes back and video flows again on a new peer connection
  await cp.reload();
  await waitStatus(customer, /in call/i, 'In call after reload');
  await waitFor('customer: chat back in the call', () => chatHas(customer, FROM_AGENT));
  const afterCustomerReload = await waitMedia([customer, agent], { since: before });
  log('customer reloaded in the call: resumed with video');

  // the agent reloads too: signed in again by its token, back in the call, video both ways
  await ap.reload();
  await waitStatus(agent, /in call/i, 'In call after the agent\'s reload');
  await waitMedia([customer, agent], { since: afterCustomerReload });
  if (agent.sent('login').length !== 1) fail('agent: the reload signed in with the password again, not the token');
  log('agent reloaded in the call: resumed with video');

  // mute and camera: the button names say what pressing does
  await cp.getByRole('button', { name: 'Mute' }).click();
  await cp.getByRole('button', { name: 'Turn camera off' }).click();
  await cp.getByRole('button', { name: 'Unmute' }).waitFor();
  await cp.getByRole('button', { name: 'Turn camera on' }).waitFor();
  if (await selfTrackEnabled(cp, 'audio')) fail('customer: "Mute" left the microphone track enabled');
  if (await selfTrackEnabled(cp, 'video')) fail('customer: "Turn camera off" left the camera track enabled');
  await cp.getByRole('button', { name: 'Unmute' }).click();
  if (!(await selfTrackEnabled(cp, 'audio'))) fail('customer: "Unmute" did not enable the microphone');
  log('customer: Mute / Unmute / Turn camera off work');

  await hangUp(agent);
  await waitStatus(customer, /call ended/i, 'Call ended');
  await waitStatus(agent, /call ended/i, 'Call ended');
  await cp.getByRole('group', { name: 'How was your call?' }).waitFor({ timeout: 10000 });
  await waitFor('agent: status Wrap-up', async () => (await agentStatus(agent)) === 'wrap_up');
  await ap.reload();
  await ap.getByLabel('Wrap-up notes').waitFor({ timeout: 10000 });
  await waitFor('agent: still Wrap-up after a reload', async () => (await agentStatus(agent)) === 'wrap_up');
  await waitFor('agent: the chat is back in the wrap-up', () => chatHas(agent, FROM_AGENT));
  log('agent reloaded in the wrap-up: form and chat back');

  // reload on the survey: it is still asked
  await cp.reload();
  await cp.getByRole('group', { name: 'How was your call?' }).waitFor({ timeout: 10000 }).catch(async () => {
    fail(`customer: after a reload the survey is not shown again (welcome: ${JSON.stringify(customer.received('welcome').pop())})`);
  });
  await cp.getByRole('radio', { name: /^4/ }).check();
  await cp.getByLabel('Comments').fill(COMMENT);
  await cp.getByRole('button', { name: 'Send feedback' }).click();
  await waitStatus(customer, /thank you/i, 'Thank you');
  log('customer sent the survey');

  await wrapUp(agent, 'Resolved', NOTES);

  // read back: the same customer again; the ring lists the earlier contact from the store
  await cp.getByRole('button', { name: /^See an agent/ }).click();
  const again = await waitRing(agent, NAME);
  const earlier = again.earlier?.[0];
  if (!earlier) fail(`agent: second ring has no earlier contacts: ${JSON.stringify(again)}`);
  const want = { outcome: 'resolved', notes: NOTES, rating: 4, comment: COMMENT, agent: rapport.agentUser };
  for (const [k, v] of Object.entries(want)) {
    if (earlier[k] !== v) fail(`earlier contact: ${k} is ${JSON.stringify(earlier[k])}, want ${JSON.stringify(v)}: ${JSON.stringify(earlier)}`);
  }
  if (!(earlier.queued <= earlier.answered && earlier.answered <= earlier.ended)) {
    fail(`earlier contact: times out of order: ${JSON.stringify(earlier)}`);
  }
  const shown = (await ap.locator('#earlier').innerText()).replace(/\s+/g, ' ');
  for (const s of ['Resolved', NOTES, '4 of 5', COMMENT]) {
    if (!shown.includes(s)) fail(`agent: "Earlier contacts" does not show "${s}": "${shown}"`);
  }
  log(`agent's ring shows the earlier contact: "${shown}"`);
  await cp.getByRole('button', { name: 'Cancel' }).click();
  await waitFor('agent: ring gone after the customer cancelled', async () =>
    !(await ap.getByRole('button', { name: 'Accept' }).isVisible()));
}, { timeoutMs: 160000 });
