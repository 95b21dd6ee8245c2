// Issue 5 through the real pages: an interpreter joins a running call and leaves it.
//   An agent (English; its account also takes Spanish calls, so the call is routed to it) and
//   a Spanish-speaking customer are in a video call. The agent clicks "Invite interpreter" (the
//   customer's language, Español, preselected); the interpreter's page rings with the language
//   pair, the agent, the customer, the topic and the chat so far; the interpreter accepts. Then
//   every page decodes video from both others, each in its own labelled tile; the customer and
//   agent pages renegotiate the SAME RTCPeerConnection, and their video to each other keeps
//   being decoded through the join and the leave (no new peer connection, frames keep coming,
//   freezes on that stream add up to less than a second). The agent switches to Simultaneous
//   and back to Consecutive (all three pages show it); "Remove interpreter" sends the
//   interpreter back to Available and the others back to 1:1. A second invite, which the
//   interpreter ends with "Leave call", works the same way.
// Both the customer and the agent reload mid-call once; the call comes back with all three.
// After the call, the customer's next request rings the agent with both interpreter legs named
// among her earlier contacts.
// One Chromium per party (Chromium's fake audio file is a browser-wide flag, so a later test
// can give each party its own tone).

import os from 'node:os';
import { runTest, log, fail, waitFor, slowRenegotiation } from './lib/harness.mjs';
import {
  signInAgent, waitRing, accept, openCustomer, chat, seeAgent, waitMedia, statusText, alerts,
  hangUp, wrapUp, waitStatus,
} from './lib/flow.mjs';

const NAME = 'Ana García';
const INTERPRETER = 'ines';
const CHAT = 'Hola, no entiendo mi factura.';
const FRAMES = 30;            // a tile "decodes" once this many more frames came
const MAX_FREEZE_S = 1.0;     // customer–agent video may not freeze longer than this
const TILE_TIMEOUT_MS = 40000;
const SLOW_ANSWER_MS = 700;  // a renegotiation answer waits this long before it is applied

// inbound-rtp of the track shown in the <video> labelled `label`, and which peer connection
// it is on. A party put on a kept transceiver again comes with a new SSRC: the SSRC that
// received last is the one reported.
async function tileStats(page, label) {
  return page.getByLabel(label, { exact: true }).evaluate(async (video) => {
    const track = video.srcObject?.getVideoTracks?.()[0];
    if (!track) return null;
    const pcs = window.__pcs || [];
    for (let index = pcs.length - 1; index >= 0; index--) {
      const pc = pcs[index];
      if (pc.connectionState === 'closed') continue;
      const mine = pc.getReceivers().some((r) => r.track === track);
      if (!mine) continue;
      let cur = null;
      let ssrcs = 0;
      (await pc.getStats()).forEach((s) => {
        if (s.type !== 'inbound-rtp' || s.trackIdentifier !== track.id) return;
        ssrcs++;
        if (!cur || (s.lastPacketReceivedTimestamp || 0) > (cur.lastPacketReceivedTimestamp || 0)) cur = s;
      });
      return {
        pc: index, pcs: pcs.length, state: pc.connectionState, visible: video.checkVisibility(), ssrcs,
        ssrc: cur?.ssrc, framesDecoded: cur?.framesDecoded || 0, packetsReceived: cur?.packetsReceived || 0,
        freezeCount: cur?.freezeCount || 0, totalFreezesDuration: cur?.totalFreezesDuration || 0,
      };
    }
    return null;
  });
}

const fmt = (s) => (s ? `pc#${s.pc}/${s.pcs} ${s.state} ssrc ${s.ssrc} (${s.ssrcs} seen) ${s.framesDecoded} frames, ${s.freezeCount} freezes ` +
  `(${s.totalFreezesDuration.toFixed(2)} s)${s.visible ? '' : ' HIDDEN'}` : 'no track');

// Every (party, label) tile decodes `FRAMES` more frames than in `since` (or than 0).
async function waitTiles(what, tiles, since = {}) {
  const latest = {};
  const key = (p, label) => `${p.name}: ${label}`;
  const started = Date.now();
  await waitFor(what, async () => {
    let all = true;
    for (const [p, label] of tiles) {
      const s = await tileStats(p.page, label);
      latest[key(p, label)] = s;
      const prev = since[key(p, label)];
      const base = prev && s && prev.pc === s.pc && prev.ssrc === s.ssrc ? prev.framesDecoded : 0; // new: from 0
      all = all && s && s.visible && s.framesDecoded >= base + FRAMES;
    }
    return all;
  }, {
    timeoutMs: TILE_TIMEOUT_MS,
    intervalMs: 500,
    describe: () => '\n  ' + Object.entries(latest).map(([k, s]) => `${k}: ${fmt(s)}`).join('\n  '),
  });
  log(`${what} (${((Date.now() - started) / 1000).toFixed(1)} s):`);
  for (const [k, s] of Object.entries(latest)) log(`  ${k}: ${fmt(s)}`);
  return latest;
}

// The customer–agent streams (each page's first tile), to compare across a join or a leave.
async function pairSample(customer, agent) {
  return {
    customer: await tileStats(customer.page, 'Agent video'),
    agent: await tileStats(agent.page, 'Customer video'),
  };
}

// ... and the same as waitTiles() wants it
const PAIR = (customer, agent) => [[customer, 'Agent video'], [agent, 'Customer video']];
const pairSince = (sample) => ({ 'customer: Agent video': sample.customer, 'agent: Customer video': sample.agent });

// Across a change: the same RTCPeerConnection, more frames, and less than MAX_FREEZE_S frozen.
function checkContinuity(what, before, after) {
  for (const side of ['customer', 'agent']) {
    const b = before[side];
    const a = after[side];
    if (!b || !a) fail(`${side}: no customer–agent video to compare ${what}`);
    if (a.pc !== b.pc || a.pcs !== b.pcs) fail(`${side}: ${what} made a new RTCPeerConnection (pc#${b.pc}/${b.pcs} → pc#${a.pc}/${a.pcs})`);
    if (a.ssrc !== b.ssrc) fail(`${side}: the customer–agent stream changed SSRC ${what}: ${fmt(b)} → ${fmt(a)}`);
    if (a.framesDecoded < b.framesDecoded + FRAMES) fail(`${side}: video stalled ${what}: ${fmt(b)} → ${fmt(a)}`);
    const frozen = a.totalFreezesDuration - b.totalFreezesDuration;
    if (frozen >= MAX_FREEZE_S) fail(`${side}: video froze ${frozen.toFixed(2)} s ${what}: ${fmt(b)} → ${fmt(a)}`);
    log(`  ${side} ${what}: +${a.framesDecoded - b.framesDecoded} frames, +${a.freezeCount - b.freezeCount} freezes ` +
      `(${frozen.toFixed(2)} s), same pc#${a.pc}`);
  }
}

// Mean luma (0-255) of what the <video> labelled `label` shows now.
async function brightness(page, label) {
  return page.getByLabel(label, { exact: true }).evaluate((video) => {
    if (!video.videoWidth) return -1;
    const c = document.createElement('canvas');
    c.width = 32;
    c.height = 24;
    const g = c.getContext('2d', { willReadFrequently: true });
    g.drawImage(video, 0, 0, c.width, c.height);
    const d = g.getImageData(0, 0, c.width, c.height).data;
    let sum = 0;
    for (let i = 0; i < d.length; i += 4) sum += 0.299 * d[i] + 0.587 * d[i + 1] + 0.114 * d[i + 2];
    return sum / (d.length / 4);
  });
}

// Each tile shows whom its label says: `who` turns its camera off (black frames), and on the
// given pages exactly the tile labelled with `who` goes dark.
async function checkTilesBy(who, label, pages) {
  const dark = 12;
  await who.page.getByRole('button', { name: 'Turn camera off' }).click();
  const seen = {};
  await waitFor(`"${label}" dark (and only it) once ${who.name} turned the camera off`, async () => {
    let ok = true;
    for (const [p, labels] of pages) {
      for (const l of labels) {
        const b = await brightness(p.page, l);
        seen[`${p.name}: ${l}`] = b.toFixed(0);
        ok = ok && (l === label ? b >= 0 && b < dark : b > dark * 2);
      }
    }
    return ok;
  }, { timeoutMs: 15000, intervalMs: 300, describe: () => JSON.stringify(seen) });
  log(`${who.name} camera off: luma ${JSON.stringify(seen)}`);
  await who.page.getByRole('button', { name: 'Turn camera on' }).click();
}

async function text(page, selector) {
  return (await page.locator(selector).innerText()).replace(/\s+/g, ' ').trim();
}

async function waitText(party, selector, re, what) {
  await waitFor(`${party.name}: ${what}`, async () => re.test(await text(party.page, selector)), {
    timeoutMs: 15000,
    describe: async () => JSON.stringify(await text(party.page, selector).catch((e) => e.message)),
  });
}

async function signInInterpreter(interp, rapport) {
  const { page } = interp;
  await page.goto(rapport.url('/interpreter/'));
  await page.getByLabel('Username').fill(INTERPRETER);
  await page.getByLabel('Password').fill(rapport.accounts[INTERPRETER]);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await waitAvailable(interp, 'after Sign in');
}

async function waitAvailable(interp, what) {
  const status = interp.page.getByLabel('Status', { exact: true });
  await waitFor(`${interp.name}: Available ${what}`, async () => (await status.isVisible()) &&
    (await status.inputValue()) === 'available' && /available/i.test(await statusText(interp.page)), {
    timeoutMs: 15000,
    describe: async () => `${await statusText(interp.page)} / ${await alerts(interp.page)}`,
  });
  log(`${interp.name}: Available ${what} ("${await statusText(interp.page)}")`);
}

// The agent invites; the interpreter's page rings and shows what it must.
async function inviteAndRing(agent, customer, interp) {
  const ap = agent.page;
  const count = interp.received('ring').length + 1;
  const select = ap.getByLabel('Interpreter language');
  if ((await select.inputValue()) !== 'es') fail(`agent: "Interpreter language" is ${await select.inputValue()}, want es preselected`);
  await ap.getByRole('button', { name: 'Invite interpreter' }).click();
  await waitText(agent, '#interp-state', new RegExp(`Ringing ${INTERPRETER}`), `"Ringing ${INTERPRETER}…"`);
  await waitText(customer, '.rw-interp', /An interpreter is joining/, '"An interpreter is joining…"');
  await waitFor(`${interp.name}: ring ${count}`, async () => interp.received('ring').length >= count);
  const ring = interp.page.getByRole('alert').filter({ hasText: 'agent' });
  await ring.first().waitFor({ state: 'visible', timeout: 15000 });
  const facts = await text(interp.page, '#ring');
  for (const want of ['Español ↔ English', 'Agent agent', `Customer ${NAME}`, 'Topic General question']) {
    if (!facts.includes(want)) fail(`${interp.name}: the ring does not show "${want}": "${facts}"`);
  }
  if (!(await text(interp.page, '#chat')).includes(CHAT)) fail(`${interp.name}: the ring does not show the chat so far`);
  log(`${interp.name} rings: "${facts}"`);
}

async function waitOneToOne(customer, agent, what) {
  await waitFor(`customer and agent back to 1:1 ${what}`, async () =>
    !(await customer.page.getByLabel('Interpreter video').isVisible()) &&
    !(await agent.page.getByLabel('Interpreter video').isVisible()) &&
    !(await customer.page.locator('.rw-interp').isVisible()) &&
    (await agent.page.getByRole('button', { name: 'Invite interpreter' }).isVisible()));
  log(`customer and agent back to 1:1 ${what}`);
}

async function setMode(agent, customer, interp, label) {
  const value = label.toLowerCase();
  await agent.page.getByRole('radio', { name: label }).check();
  await waitFor(`mode ${label} on every page`, async () =>
    [agent, customer, interp].every((p) => p.received('participants').at(-1)?.mode === value) &&
    (await agent.page.getByRole('radio', { name: label }).isChecked()) &&
    new RegExp(label).test(await text(interp.page, '#call-mode')) &&
    (value === 'simultaneous') === /interpretation over/.test(await text(customer.page, '.rw-interp')));
  log(`mode ${label}: agent radio checked; interpreter "${await text(interp.page, '#call-mode')}"; ` +
    `customer "${await text(customer.page, '.rw-interp')}"`);
}

const THREE_WAY = (customer, agent, interp) => [
  [customer, 'Agent video'], [customer, 'Interpreter video'],
  [agent, 'Customer video'], [agent, 'Interpreter video'],
  [interp, 'Customer video'], [interp, 'Agent video'],
];

runTest('interpreter', async (t) => {
  // the machine is shared: a failure on a loaded one reads differently
  const load = () => os.loadavg().map((x) => x.toFixed(1)).join(' ');
  log(`load average ${load()}`);
  t.defer(() => log(`load average ${load()}`));
  const rapport = await t.startRapportd({
    agents: [
      { username: 'agent', languages: 'en,es' },
      { role: 'interpreter', username: INTERPRETER, languages: 'es,en' },
    ],
    config: { languages: 'en:English, es:Español' },
  });
  // The customer's and agent's pages apply their renegotiation answers late, as a busy laptop
  // might: the interpreter's leg comes meanwhile, and the page must still put it in its tile.
  const party = async (name, initScripts = []) =>
    (await t.launchBrowser()).party(name, { viewport: { width: 900, height: 700 }, initScripts });
  const agent = await party('agent', [[slowRenegotiation, SLOW_ANSWER_MS]]);
  const customer = await party('customer', [[slowRenegotiation, SLOW_ANSWER_MS]]);
  const interp = await party('interpreter');

  await signInAgent(agent, rapport);
  await signInInterpreter(interp, rapport);
  await openCustomer(customer, rapport, '?language=es');
  await customer.page.getByLabel('Your name').fill(NAME);
  await chat(customer, CHAT);
  await seeAgent(customer, { name: NAME });
  await waitRing(agent, NAME);
  await accept(agent);
  await waitMedia([customer, agent], { frames: 60 });

  /* ---- invites that bring nobody: none available, a ring cancelled, a decline */
  const ap = agent.page;
  const ip = interp.page;
  await ip.getByLabel('Status', { exact: true }).selectOption({ label: 'Away' });
  await waitFor('interpreter: Away', async () => interp.received('status').at(-1)?.status === 'away');
  await ap.getByRole('button', { name: 'Invite interpreter' }).click();
  await waitText(agent, '#interp-state', /No interpreter available for Español/, '"No interpreter available for Español"');
  await ip.getByLabel('Status', { exact: true }).selectOption({ label: 'Available' });
  await waitAvailable(interp, 'again');
  await inviteAndRing(agent, customer, interp);
  await ap.getByRole('button', { name: 'Remove interpreter' }).click();
  await waitFor('interpreter: the ring stops when the agent removes the invite', async () =>
    !(await ip.getByRole('button', { name: 'Accept' }).isVisible()) &&
    interp.received('ring_cancelled').at(-1)?.reason === 'cancelled');
  await waitFor('agent and customer: no invite any more', async () =>
    (await ap.getByRole('button', { name: 'Invite interpreter' }).isVisible()) &&
    !(await customer.page.locator('.rw-interp').isVisible()));
  await inviteAndRing(agent, customer, interp);
  await ip.getByRole('button', { name: 'Decline' }).click();
  await waitText(agent, '#interp-state', /declined/, 'the interpreter declined');
  log(`agent after the decline: "${await text(ap, '#interp-state')}"`);
  await waitAvailable(interp, 'after declining');

  /* ---- first invite: the agent removes the interpreter */
  let before = await pairSample(customer, agent);
  const t0 = Date.now();
  await inviteAndRing(agent, customer, interp);
  await interp.page.getByRole('button', { name: 'Accept' }).click();
  await waitText(customer, '.rw-interp', new RegExp(`Interpreter ${INTERPRETER} is on the call`), 'interpreter on the call');
  await waitText(agent, '#interp-state', new RegExp(`Interpreter ${INTERPRETER} is on the call`), 'interpreter on the call');
  let tiles = await waitTiles('all three pages decode both others', THREE_WAY(customer, agent, interp));
  log(`three-way video ${((Date.now() - t0) / 1000).toFixed(1)} s after "Invite interpreter"`);
  const caption = await text(agent.page, '.video-tile:has([aria-label="Interpreter video"]) figcaption');
  if (!caption.includes(INTERPRETER) || !caption.includes('Español')) fail(`agent: interpreter tile caption "${caption}"`);
  checkContinuity('across the join', before, await pairSample(customer, agent));
  await checkTilesBy(interp, 'Interpreter video', [[customer, ['Agent video', 'Interpreter video']],
    [agent, ['Customer video', 'Interpreter video']]]);
  await checkTilesBy(agent, 'Agent video', [[interp, ['Customer video', 'Agent video']],
    [customer, ['Agent video', 'Interpreter video']]]);
  await checkTilesBy(customer, 'Customer video', [[interp, ['Customer video', 'Agent video']],
    [agent, ['Customer video', 'Interpreter video']]]);

  await setMode(agent, customer, interp, 'Simultaneous');
  await setMode(agent, customer, interp, 'Consecutive');

  before = await pairSample(customer, agent);
  await agent.page.getByRole('button', { name: 'Remove interpreter' }).click();
  await waitAvailable(interp, 'after the agent removed the interpreter');
  await waitOneToOne(customer, agent, 'after "Remove interpreter"');
  await waitTiles('customer and agent still decode each other', PAIR(customer, agent), pairSince(before));
  checkContinuity('across the leave', before, await pairSample(customer, agent));

  /* ---- second invite: the interpreter leaves by itself */
  before = await pairSample(customer, agent);
  await inviteAndRing(agent, customer, interp);
  await interp.page.getByRole('button', { name: 'Accept' }).click();
  tiles = await waitTiles('three-way again after the second invite', THREE_WAY(customer, agent, interp), tiles);
  checkContinuity('across the second join', before, await pairSample(customer, agent));

  // the customer reloads: the call comes back with all three (participants after call_started)
  await customer.page.reload();
  await waitText(customer, '.rw-interp', new RegExp(`Interpreter ${INTERPRETER} is on the call`), 'interpreter on the call after reload');
  tiles = await waitTiles('three-way after the customer reloaded', THREE_WAY(customer, agent, interp), tiles);
  // ... and so does the agent (signed in again by its token). The interpreter receives the
  // agent on a further m-line, which the agent's old leg left spent: its page offers again.
  const interpOffers = interp.sent('offer').length;
  await agent.page.reload();
  await waitText(agent, '#interp-state', new RegExp(`Interpreter ${INTERPRETER} is on the call`), 'interpreter on the call after reload');
  tiles = await waitTiles('three-way after the agent reloaded', THREE_WAY(customer, agent, interp), tiles);
  log(`interpreter offered ${interp.sent('offer').length - interpOffers} time(s) more after the agent reloaded`);

  before = await pairSample(customer, agent);
  await interp.page.getByRole('button', { name: 'Leave call' }).click();
  await waitAvailable(interp, 'after "Leave call"');
  await waitOneToOne(customer, agent, 'after the interpreter left');
  await waitTiles('customer and agent still decode each other', PAIR(customer, agent), pairSince(before));
  checkContinuity('across the interpreter\'s leave', before, await pairSample(customer, agent));

  /* ---- the record: her next call rings with both interpreter legs among earlier contacts */
  const rings = agent.received('ring').filter((m) => m.name === NAME).length;
  await hangUp(customer);
  await wrapUp(agent, 'Resolved', 'Helped in Spanish through an interpreter');
  const cp = customer.page;
  await cp.getByRole('radio', { name: /^5/ }).check();
  await cp.getByRole('button', { name: 'Send feedback' }).click();
  await waitStatus(customer, /thank you/i, 'Thank you');
  await seeAgent(customer);
  const again = await waitRing(agent, NAME, { count: rings + 1 });
  const ips = again.earlier?.[0]?.interpreters || [];
  if (ips.length !== 2 || ips.some((ip) => ip.name !== INTERPRETER || ip.languages !== 'es,en')) {
    fail(`agent: the earlier contact's interpreters are ${JSON.stringify(ips)}, want ${INTERPRETER} (es,en) twice`);
  }
  const shown = (await text(agent.page, '#earlier')).replace(/\s+/g, ' ');
  if (shown.split(`with interpreter ${INTERPRETER} (Español ↔ English)`).length !== 2) {
    fail(`agent: "Earlier contacts" does not name the interpreter once: "${shown}"`);
  }
  log(`agent's second ring shows: "${shown}"`);
  await cp.getByRole('button', { name: 'Cancel' }).click();

  // no error but the one asked for (no_interpreter while the interpreter was Away)
  const errors = [agent, customer, interp].flatMap((p) => p.received('error').map((m) => ({ party: p.name, ...m })));
  const unexpected = errors.filter((m) => !(m.party === 'agent' && m.code === 'no_interpreter'));
  if (unexpected.length || errors.length !== 1) fail(`error messages: ${JSON.stringify(errors)}`);
}, { timeoutMs: 170000 });
