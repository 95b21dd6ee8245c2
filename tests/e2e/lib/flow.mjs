// Drivers for the call-centre pages (issue 3), used the way a person uses them: labels, roles
// and button names. Each takes a party from Browser.party() (page, frames, received()).

import { fail, log, waitFor, callStats, formatCallStats } from './harness.mjs';

export async function statusText(page) {
  return (await page.getByRole('status').allInnerTexts()).join(' | ');
}

export async function alerts(page) {
  return (await page.getByRole('alert').allInnerTexts()).filter((t) => t.trim()).join(' | ');
}

/* ------------------------------------------------------------------ agent */

export async function signInAgent(agent, rapport, username = rapport.agentUser) {
  const { page } = agent;
  await page.goto(rapport.url('/agent/'));
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(rapport.agents[username]);
  await page.getByRole('button', { name: 'Sign in' }).click();
  const status = page.getByLabel('Status', { exact: true });
  await status.waitFor({ state: 'visible', timeout: 15000 }).catch(async () => {
    fail(`${agent.name}: after "Sign in" no "Status" control (status: ${await statusText(page)}; alerts: ${await alerts(page)})`);
  });
  log(`${agent.name} signed in as ${username}; Status = ${await status.inputValue()}`);
}

export async function agentStatus(agent) {
  return agent.page.getByLabel('Status', { exact: true }).inputValue();
}

export async function setAgentStatus(agent, label) {
  const value = { Available: 'available', Away: 'away' }[label];
  await agent.page.getByLabel('Status', { exact: true }).selectOption({ label });
  await waitFor(`${agent.name}: status ${label}`, async () => (await agentStatus(agent)) === value &&
    agent.received('status').some((m) => m.status === value));
  log(`${agent.name} set ${label}`);
}

// Wait until the console rings with this customer's name (the count-th ring for that name,
// when given); returns the ring message.
export async function waitRing(agent, customerName, { timeoutMs = 15000, count = 0 } = {}) {
  if (count) {
    await waitFor(`${agent.name}: ring ${count} from "${customerName}"`, async () =>
      agent.received('ring').filter((m) => m.name === customerName).length >= count, { timeoutMs });
  }
  const ring = agent.page.getByRole('alert').filter({ hasText: customerName });
  await ring.first().waitFor({ state: 'visible', timeout: timeoutMs }).catch(async () => {
    fail(`${agent.name}: no ring from "${customerName}" within ${timeoutMs / 1000} s; alerts: ` +
      `${await alerts(agent.page)}; status: ${await statusText(agent.page)}`);
  });
  const msg = agent.received('ring').filter((m) => m.name === customerName).pop();
  log(`${agent.name} rings: "${(await ring.first().innerText()).trim()}" (call ${msg?.call})`);
  return msg;
}

export async function ringVisible(agent) {
  return agent.page.getByRole('button', { name: 'Accept' }).isVisible();
}

export async function accept(agent) {
  await agent.page.getByRole('button', { name: 'Accept' }).click();
  await waitFor(`${agent.name}: in call after Accept`, async () => /in call/i.test(await statusText(agent.page)), {
    describe: async () => `${await statusText(agent.page)} / ${await alerts(agent.page)}`,
  });
  log(`${agent.name} accepted`);
}

// Decline; done when rapportd confirms (the next ring may follow at once).
export async function decline(agent) {
  const declined = () => agent.received('ring_cancelled').filter((m) => m.reason === 'declined').length;
  const before = declined();
  await agent.page.getByRole('button', { name: 'Decline' }).click();
  await waitFor(`${agent.name}: ring_cancelled (declined) after Decline`, async () => declined() > before);
  log(`${agent.name} declined`);
}

export async function hangUp(party) {
  await party.page.getByRole('button', { name: 'Hang up' }).click();
  log(`${party.name} hung up`);
}

export async function waitStatus(party, re, what, timeoutMs = 15000) {
  await waitFor(`${party.name}: role="status" ${what || re}`, async () => re.test(await statusText(party.page)), {
    timeoutMs,
    describe: async () => JSON.stringify(await statusText(party.page)),
  });
}

// Wrap-up: outcome (its visible label), notes, Finish; back to Available.
export async function wrapUp(agent, outcomeLabel, notes) {
  const { page } = agent;
  await page.getByLabel('Outcome').waitFor({ state: 'visible', timeout: 15000 });
  await page.getByLabel('Outcome').selectOption({ label: outcomeLabel });
  await page.getByLabel('Wrap-up notes').fill(notes);
  await page.getByRole('button', { name: 'Finish' }).click();
  await waitFor(`${agent.name}: Available after Finish`, async () => (await agentStatus(agent)) === 'available' &&
    !(await page.getByLabel('Outcome').isVisible()));
  log(`${agent.name} finished the wrap-up (${outcomeLabel})`);
}

/* ------------------------------------------------------------------ customer */

export async function openCustomer(customer, rapport, query = '') {
  await customer.page.goto(rapport.url(`/customer/${query}`));
  await waitFor(`${customer.name}: widget connected`, async () => customer.received('welcome').length > 0);
}

// Send a chat message and wait until it is acknowledged (stored): the message then carries
// the server's id. Returns that id.
export async function chat(party, text) {
  const { page } = party;
  await page.getByRole('textbox', { name: 'Message', exact: true }).fill(text);
  await page.getByRole('button', { name: 'Send', exact: true }).click();
  const stored = page.locator('li.msg[data-id]').filter({ hasText: text });
  await stored.first().waitFor({ timeout: 10000 }).catch(async () => {
    fail(`${party.name}: chat message "${text}" not acknowledged; log: ${await chatLog(page)}`);
  });
  return Number(await stored.first().getAttribute('data-id'));
}

// The chat as shown: [{id, text}] (only stored messages have an id).
export async function chatMessages(page) {
  return page.locator('ol[role="log"] li.msg').evaluateAll((lis) => lis.map((li) => ({
    id: li.dataset.id ? Number(li.dataset.id) : null,
    text: li.querySelector('.msg-text')?.textContent || '',
    who: li.querySelector('.msg-who')?.textContent || '',
  })));
}

async function chatLog(page) {
  return JSON.stringify(await chatMessages(page));
}

// "See an agent", choosing language and topic by their visible names when asked.
export async function seeAgent(customer, { name, language, topic } = {}) {
  const { page } = customer;
  if (name !== undefined) await page.getByLabel('Your name').fill(name);
  await page.getByRole('button', { name: /^See an agent/ }).click();
  const start = page.getByRole('button', { name: 'Start video call' });
  if (await start.isVisible()) {
    if (language) await page.getByLabel('Language').selectOption({ label: language });
    if (topic) await page.getByLabel('Topic').selectOption({ label: topic });
    await start.click();
  }
  await waitFor(`${customer.name}: waiting for an agent`, async () =>
    customer.received().some((m) => m.type === 'queued' || m.type === 'ringing' || m.type === 'call_started') &&
    /waiting|in call/i.test(await statusText(page)), {
    describe: async () => `${await statusText(page)} / ${await alerts(page)}`,
  });
  log(`${customer.name} asked for an agent${language ? ` (${language}${topic ? `, ${topic}` : ''})` : ''}`);
}

// What the waiting customer is shown: position and estimated wait (null: none shown).
export async function queueShown(page) {
  const q = page.locator('.rw-queue');
  if (!(await q.isVisible())) return null;
  const pos = await q.getAttribute('data-position');
  const wait = await q.getAttribute('data-wait-s');
  return {
    position: pos ? Number(pos) : null,
    waitS: wait ? Number(wait) : null,
    text: (await q.innerText()).replace(/\s+/g, ' ').trim(),
  };
}

// The call this customer's page is about (from what rapportd told it).
export function customerCall(customer) {
  const m = customer.received().filter((x) => ['queued', 'ringing', 'call_started'].includes(x.type)).pop();
  return m?.call;
}

/* ------------------------------------------------------------------ media */

export function mediaFlowing(s, frames = 30) {
  return s && s.video.framesDecoded > frames && s.audio.packetsReceived > 0 && s.transport?.dtlsState === 'connected';
}

// Video decoded (and audio received) on every party's live peer connection. since: an
// earlier result of waitMedia: a party still on the same peer connection must then decode
// `frames` more than it had (a reload of the other side must bring its video back).
export async function waitMedia(parties, { frames = 30, timeoutMs = 45000, since = {} } = {}) {
  const latest = {};
  const want = (p, s) => {
    const before = since[p.name];
    return before && s && before.index === s.index ? before.video.framesDecoded + frames : frames;
  };
  await waitFor(`video decoded on ${parties.map((p) => p.name).join(' and ')}`, async () => {
    let all = true;
    for (const p of parties) {
      latest[p.name] = await callStats(p.page);
      all = all && mediaFlowing(latest[p.name], want(p, latest[p.name]));
    }
    return all;
  }, {
    timeoutMs,
    intervalMs: 500,
    describe: () => '\n  ' + parties.map((p) => formatCallStats(p.name, latest[p.name])).join('\n  '),
  });
  for (const p of parties) log('  ' + formatCallStats(p.name, latest[p.name]));
  return latest;
}
