/* SPDX-License-Identifier: GPL-2.0-or-later */
// The status page in a real browser (Debian's chromium, driven by
// playwright-core) against the real daemon with `spec = stlink` and the
// emulated ST-Link. Run by tests/t_web_stlink.sh, which passes:
//   URL, PROFILE (fresh user-data-dir), SHOTS (screenshot dir), CHROMIUM,
//   PLAYWRIGHT_FROM, the dongle as configured: MODEL, FIRMWARE, SERIAL,
//   VOLT (the voltage /api/v1/target reports, "3.29"), and IMAGE (a HEX
//   long enough that the dongle vanishes during its flash).
import { createRequire } from 'node:module';
import fs from 'node:fs';
import path from 'node:path';

const require = createRequire(process.env.PLAYWRIGHT_FROM);
const { chromium } = require('playwright-core');

const env = (k) => {
  const v = process.env[k];
  if (v === undefined) throw new Error(`missing env ${k}`);
  return v;
};
const URL = env('URL');
let failures = 0, checks = 0;
function check(desc, cond, detail) {
  checks++;
  if (cond) console.log(`ok   ${desc}`);
  else { failures++; console.log(`FAIL ${desc}${detail !== undefined ? ': ' + detail : ''}`); }
}
async function waitFor(page, fn, arg, timeout = 30000) {
  try {
    await page.waitForFunction(fn, arg, { timeout, polling: 50 });
    return true;
  } catch (e) {
    return false;
  }
}
const probeText = (page) => page.evaluate(() => ({
  kind: document.getElementById('probe-kind').textContent,
  probe: document.getElementById('t-probe').textContent,
  state: document.getElementById('target-state').dataset.state,
}));

const ctx = await chromium.launchPersistentContext(env('PROFILE'), {
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  viewport: { width: 1280, height: 900 },
});
const page = ctx.pages()[0] || await ctx.newPage();
const pageErrors = [];
page.on('pageerror', (e) => pageErrors.push(String(e)));
page.setDefaultTimeout(30000);

try {
  const resp = await page.goto(URL + '/');
  check('GET / is 200', resp.status() === 200);
  check('page goes live on the event stream',
        await waitFor(page, () => document.getElementById('live').dataset.state === 'live'));
  check('target shown as connected',
        await waitFor(page, () => document.getElementById('target-state').dataset.state === 'connected'));
  let t = await probeText(page);
  console.log(`     probe kind "${t.kind}", probe "${t.probe}"`);
  check('probe kind: stlink', t.kind === 'stlink', t.kind);
  check(`model ${env('MODEL')}`, t.probe.startsWith(env('MODEL') + ' '), t.probe);
  check(`firmware ${env('FIRMWARE')}`, t.probe.includes(' ' + env('FIRMWARE') + ','), t.probe);
  check(`serial ${env('SERIAL')}`, t.probe.includes('serial ' + env('SERIAL')), t.probe);
  check(`measured voltage ${env('VOLT')} V`, t.probe.includes('target ' + env('VOLT') + ' V'), t.probe);
  check('not shown disconnected', !/DISCONNECTED/.test(t.probe), t.probe);
  await page.screenshot({ path: path.join(env('SHOTS'), 'stlink-connected.png'), fullPage: true });

  // Every text the probe line shows from now on, in order.
  await page.evaluate(() => {
    const el = document.getElementById('t-probe');
    window.probeTexts = [el.textContent];
    new MutationObserver(() => {
      if (window.probeTexts[window.probeTexts.length - 1] !== el.textContent)
        window.probeTexts.push(el.textContent);
    }).observe(el, { childList: true, characterData: true, subtree: true });
  });
  // A flash the dongle does not survive (unplug_after): the page says so.
  const job = fetch(URL + '/api/v1/flash?name=unplugged&wait=1', {
    method: 'POST', body: fs.readFileSync(env('IMAGE')),
  }).then((r) => r.json()).catch((e) => ({ error: String(e) }));
  const gone = await waitFor(page, () =>
    window.probeTexts.some((x) => /DISCONNECTED/.test(x)), undefined, 120000);
  t = await probeText(page);
  console.log(`     after the unplug: probe "${t.probe}", state ${t.state}`);
  check('unplugged: the page shows the probe disconnected', gone, t.probe);
  check('unplugged: the target line says disconnected', t.state === 'disconnected', t.state);
  check('unplugged: the kind still says stlink', t.kind === 'stlink', t.kind);
  await page.screenshot({ path: path.join(env('SHOTS'), 'stlink-disconnected.png'), fullPage: true });
  const j = await job;
  check(`the job failed (${j.state}, ${j.error && j.error.code})`,
        j.state === 'failed' && j.error && j.error.code === 'probe_disconnected', JSON.stringify(j));

  // Plugged back in (REPLUG_MS): model, serial and voltage are back.
  const back = await waitFor(page, (s) => {
    const p = document.getElementById('t-probe').textContent;
    return !/DISCONNECTED/.test(p) && p.includes('serial ' + s) &&
      document.getElementById('target-state').dataset.state === 'connected';
  }, env('SERIAL'), 120000);
  t = await probeText(page);
  console.log(`     after the replug: probe "${t.probe}", state ${t.state}`);
  check('replugged: connected again with the serial shown', back, t.probe);
  // Between the unplug and the replug the line says DISCONNECTED all along:
  // the next line it shows is the dongle again (not a bare kind, as if no
  // ST-Link had ever been there, which the daemon said once a refresh
  // found nothing attached).
  const seen = await page.evaluate(() => window.probeTexts);
  console.log(`     the probe line showed: ${JSON.stringify(seen)}`);
  const first = seen.findIndex((x) => /DISCONNECTED/.test(x));
  const last = seen.findIndex((x, i) => i > first && !/DISCONNECTED/.test(x));
  const after = last < 0 ? '' : seen[last];
  check('while unplugged: DISCONNECTED until the dongle is back',
        first >= 0 && after.includes('serial ' + env('SERIAL')), JSON.stringify(seen));
  check('no page errors', pageErrors.length === 0, pageErrors.join('; '));
} catch (e) {
  check('browser run', false, e.stack || String(e));
} finally {
  await ctx.close();
}
console.log(`${checks} browser checks, ${failures} failed`);
process.exit(failures ? 1 : 0);
