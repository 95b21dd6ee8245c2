// Refusals (issue 3): tokens grant only what they name.
//   Ada (customer) is in a call with agent "agent" (through the real pages). From a third
//   browser context, raw WebSockets on rapportd's own origin (so Origin is allowed) try:
//   - as another customer: read Ada's chat, join her call (offer), hang it up, accept/decline it,
//     wrap it up, answer its survey, set an agent status, sign in as an agent with a customer
//     token, write into her chat;
//   - as an agent who has not signed in: everything an agent does;
//   - as a second, signed-in agent: Ada's call (accept, hang up, chat, chat history, wrap-up);
//   - before hello, with a wrong password, with a forged customer token.
//   Every attempt gets the documented error, and afterwards Ada's call and chat are untouched.

import { runTest, log, fail, waitFor, sleep } from './lib/harness.mjs';
import {
  signInAgent, waitRing, accept, openCustomer, chat, chatMessages, seeAgent, statusText,
  customerCall,
} from './lib/flow.mjs';

// Runs in a page: one WebSocket, optional hello, then each step with its own id; collects the
// reply (the message whose re is that id, or the first error after it) within 3 s.
async function rawSession(page, { hello, steps }) {
  return page.evaluate(async ({ hello, steps }) => {
    const ws = new WebSocket(`ws://${location.host}/ws`, 'rapport.v1');
    const got = [];
    let notify = () => {};
    ws.onmessage = (e) => { got.push(JSON.parse(e.data)); notify(); };
    await new Promise((resolve, reject) => { ws.onopen = resolve; ws.onerror = reject; });
    const waitMsg = (pred, ms) => new Promise((resolve) => {
      const check = () => {
        const m = got.find(pred);
        if (m) { clearTimeout(timer); resolve(m); return true; }
        return false;
      };
      const timer = setTimeout(() => { notify = () => {}; resolve(null); }, ms);
      if (!check()) notify = check;
    });
    let welcome = null;
    if (hello) {
      ws.send(JSON.stringify({ type: 'hello', version: 1, ...hello }));
      welcome = await waitMsg((m) => m.type === 'welcome' || m.type === 'error', 3000);
      await new Promise((r) => setTimeout(r, 300)); // what follows welcome (logged_in, bad_token)
    }
    const replies = [];
    for (const [i, step] of steps.entries()) {
      const id = `r${i}`;
      ws.send(JSON.stringify({ ...step, id }));
      // a sign-in is checked off the signalling thread (scrypt), failures perhaps slower
      replies.push(await waitMsg((m) => m.re === id, step.type === 'login' ? 15000 : 3000));
    }
    ws.close();
    return { welcome, replies, got };
  }, { hello, steps });
}

function expectErrors(who, steps, result) {
  steps.forEach((step, i) => {
    const r = result.replies[i];
    const want = step.want;
    if (!r || r.type !== 'error' || r.code !== want) {
      fail(`${who}: ${JSON.stringify(step.msg)} answered ${JSON.stringify(r)}, want error ${want}`);
    }
  });
  log(`${who}: ${steps.length} attempts refused (${[...new Set(steps.map((s) => s.want))].join(', ')})`);
}

async function refuse(page, who, hello, steps) {
  const result = await rawSession(page, { hello, steps: steps.map((s) => s.msg) });
  expectErrors(who, steps, result);
  return result;
}

runTest('refusal', async (t) => {
  const rapport = await t.startRapportd({ agents: [{ username: 'agent' }, { username: 'other' }] });
  const browser = await t.launchBrowser();
  const agent = await browser.party('agent');
  const ada = await browser.party('ada', { viewport: { width: 390, height: 800 } });
  const mallory = await browser.party('mallory');

  await signInAgent(agent, rapport);
  await openCustomer(ada, rapport);
  await ada.page.getByLabel('Your name').fill('Ada');
  await chat(ada, 'My account number is 12345678.');
  await seeAgent(ada);
  await waitRing(agent, 'Ada');
  await accept(agent);
  await waitFor('ada: in call', async () => /in call/i.test(await statusText(ada.page)));
  const call = customerCall(ada);
  const adaToken = ada.received('welcome')[0].token;
  if (!call || !adaToken) fail('no call id or token seen on Ada\'s page');
  log(`Ada's call ${call}`);

  await mallory.page.goto(rapport.url('/'));
  const p = mallory.page;
  const sdp = 'v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n';

  // another customer
  const asCustomer = await refuse(p, 'another customer', { role: 'customer' }, [
    { msg: { type: 'chat_history', call }, want: 'unknown_call' },
    { msg: { type: 'offer', call, sdp }, want: 'unknown_call' },
    { msg: { type: 'hangup', call }, want: 'unknown_call' },
    { msg: { type: 'survey', call, rating: 1, comment: 'spite' }, want: 'unknown_call' },
    { msg: { type: 'accept', call }, want: 'not_allowed' },
    { msg: { type: 'decline', call }, want: 'not_allowed' },
    { msg: { type: 'wrap_up', call, outcome: 'resolved', notes: 'x' }, want: 'not_allowed' },
    { msg: { type: 'set_status', status: 'available' }, want: 'not_allowed' },
    { msg: { type: 'login', username: 'agent', password: rapport.agents.agent }, want: 'not_allowed' },
  ]);
  const malloryToken = asCustomer.welcome?.token;
  if (!malloryToken || malloryToken === adaToken) fail(`another customer got no token of its own: ${JSON.stringify(asCustomer.welcome)}`);
  // its chat, naming Ada's call, stays in its own session
  const spy = await rawSession(p, { hello: { role: 'customer', token: malloryToken }, steps: [{ type: 'chat', call, text: 'SPY MESSAGE' }] });
  if (spy.replies[0]?.type !== 'chat') fail(`another customer's own chat was not acknowledged: ${JSON.stringify(spy.replies[0])}`);
  if (!spy.welcome?.resumed || spy.welcome.session === ada.received('welcome')[0].session) {
    fail(`resuming with its own token: ${JSON.stringify(spy.welcome)}`);
  }

  // a customer token is no agent token
  await refuse(p, 'customer token as agent', { role: 'agent', token: malloryToken }, [
    { msg: { type: 'set_status', status: 'available' }, want: 'login_required' },
    { msg: { type: 'accept', call }, want: 'login_required' },
  ]).then((r) => {
    if (!r.got.some((m) => m.type === 'error' && m.code === 'bad_token')) fail(`customer token as agent: no bad_token: ${JSON.stringify(r.got)}`);
  });

  // an agent who has not signed in
  await refuse(p, 'agent not signed in', { role: 'agent' }, [
    { msg: { type: 'set_status', status: 'available' }, want: 'login_required' },
    { msg: { type: 'accept', call }, want: 'login_required' },
    { msg: { type: 'hangup', call }, want: 'login_required' },
    { msg: { type: 'chat', call, text: 'hi' }, want: 'login_required' },
    { msg: { type: 'chat_history', call }, want: 'login_required' },
    { msg: { type: 'wrap_up', call, outcome: 'resolved' }, want: 'login_required' },
    { msg: { type: 'offer', call, sdp }, want: 'login_required' },
    { msg: { type: 'login', username: 'agent', password: 'wrong password' }, want: 'bad_credentials' },
  ]);

  // before hello
  await refuse(p, 'no hello', null, [
    { msg: { type: 'chat', text: 'hi' }, want: 'hello_required' },
    { msg: { type: 'hangup', call }, want: 'hello_required' },
  ]);

  // a second agent, signed in, on Ada's call
  const otherSteps = [
    { msg: { type: 'accept', call }, want: 'unknown_call' },
    { msg: { type: 'decline', call }, want: 'unknown_call' },
    { msg: { type: 'hangup', call }, want: 'unknown_call' },
    { msg: { type: 'chat', call, text: 'hello from elsewhere' }, want: 'unknown_call' },
    { msg: { type: 'chat_history', call }, want: 'unknown_call' },
    { msg: { type: 'wrap_up', call, outcome: 'resolved' }, want: 'unknown_call' },
    { msg: { type: 'offer', call, sdp }, want: 'unknown_call' },
  ];
  const other = await rawSession(p, {
    hello: { role: 'agent' },
    steps: [{ type: 'login', username: 'other', password: rapport.agents.other }, ...otherSteps.map((s) => s.msg)],
  });
  if (other.replies[0]?.type !== 'logged_in') fail(`agent "other" could not sign in: ${JSON.stringify(other.replies[0])}`);
  expectErrors('another agent, signed in', otherSteps, { replies: other.replies.slice(1) });

  // a forged customer token starts a new session; it does not resume Ada's
  const forged = adaToken.slice(0, -2) + (adaToken.endsWith('A') ? 'BB' : 'AA');
  const f = await rawSession(p, { hello: { role: 'customer', token: forged }, steps: [{ type: 'chat_history' }] });
  if (f.welcome?.resumed !== false) fail(`a forged token resumed a session: ${JSON.stringify(f.welcome)}`);
  if (JSON.stringify(f.got).includes('12345678')) fail('a forged token read Ada\'s chat');
  log('forged token: new empty session');

  // nothing reached Ada or her agent, and the call is still up
  await sleep(500);
  if (!/in call/i.test(await statusText(ada.page))) fail(`Ada's call was disturbed: ${await statusText(ada.page)}`);
  if (!/in call/i.test(await statusText(agent.page))) fail(`the agent's call was disturbed: ${await statusText(agent.page)}`);
  for (const party of [ada, agent]) {
    const texts = (await chatMessages(party.page)).map((m) => m.text);
    if (texts.some((x) => /SPY|elsewhere/.test(x))) fail(`${party.name} got a chat message from an intruder: ${JSON.stringify(texts)}`);
    if (party.received('call_ended').length) fail(`${party.name} got call_ended`);
  }
  log('Ada\'s call and chat untouched');
}, { timeoutMs: 120000 });
