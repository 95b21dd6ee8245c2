// The customer's camera and microphone (issue 3: "allows camera and microphone and sees a
// self-preview"), when the browser refuses them and then allows them:
//   - getUserMedia rejects with NotAllowedError (the person said no; the test makes the browser
//     refuse, since the fake-UI switch would otherwise say yes): "See an agent" shows an alert
//     that says how to allow them, asks rapportd for nothing and keeps the chat usable;
//   - once allowed, "See an agent" shows the self-preview and the customer waits in line
//     (no agent is signed in: position 1, "no agent available", Cancel leaves the line).

import { runTest, log, fail, waitFor } from './lib/harness.mjs';
import { openCustomer, chat, queueShown, statusText, alerts } from './lib/flow.mjs';

function refuseCamera() {
  const real = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
  navigator.mediaDevices.getUserMedia = (constraints) => (window.__allowCamera ? real(constraints)
    : Promise.reject(new DOMException('Permission denied', 'NotAllowedError')));
}

runTest('camera', async (t) => {
  const rapport = await t.startRapportd();
  const browser = await t.launchBrowser();
  const customer = await browser.party('customer', { viewport: { width: 320, height: 700 } });
  const { page } = customer;
  await customer.context.addInitScript(refuseCamera);
  await openCustomer(customer, rapport);

  await page.getByRole('button', { name: 'See an agent' }).click();
  await waitFor('an alert about the camera', async () => /not allowed.*allow them/i.test(await alerts(page)), {
    describe: async () => `alerts: ${await alerts(page)}; status: ${await statusText(page)}`,
  });
  log(`refused: "${await alerts(page)}"`);
  if (customer.sent('call_request').length) fail('a call_request was sent although the camera was refused');
  await page.getByRole('button', { name: 'See an agent' }).waitFor();
  await chat(customer, 'My camera does not work, can we chat?');

  await page.evaluate(() => { window.__allowCamera = true; });
  await page.getByRole('button', { name: 'See an agent' }).click();
  await waitFor('waiting in line with a self-preview', async () => {
    const q = await queueShown(page);
    const playing = await page.getByLabel('Your video', { exact: true })
      .evaluate((v) => v.readyState >= 2 && v.videoWidth > 0);
    return q?.position === 1 && playing;
  }, { describe: async () => JSON.stringify(await queueShown(page)) });
  const q = await queueShown(page);
  if (!/no agent/i.test(q.text)) fail(`with no agent signed in the queue says: "${q.text}"`);
  if (await alerts(page)) fail(`an old alert is still shown: "${await alerts(page)}"`);
  log(`allowed: preview playing; queue shows "${q.text}"`);

  await page.getByRole('button', { name: 'Cancel' }).click();
  await waitFor('out of the line after Cancel', async () => /left the queue/i.test(await statusText(page)));
  const off = await page.getByLabel('Your video', { exact: true }).evaluate((v) => v.srcObject === null);
  if (!off) fail('the camera is still on after Cancel');
  log('Cancel: out of the line, camera off');
}, { timeoutMs: 90000 });
