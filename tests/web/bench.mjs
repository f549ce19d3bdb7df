/* SPDX-License-Identifier: GPL-2.0-or-later */
// The production view in a real browser. Run by tests/t_web_bench.sh:
//   URL, TOKEN, SHOTS, PROFILE, SLOT (the bench's slot file), CHROMIUM.
import { createRequire } from 'node:module';
import fs from 'node:fs';
import path from 'node:path';

const require = createRequire(process.env.PLAYWRIGHT_FROM);
const { chromium } = require('playwright-core');
const env = (k) => { const v = process.env[k]; if (v === undefined) throw new Error(`missing env ${k}`); return v; };
const URL = env('URL'), SHOTS = env('SHOTS'), SLOT = env('SLOT');
let failures = 0;
function check(desc, cond, detail) {
  if (cond) console.log(`ok   ${desc}`);
  else { failures++; console.log(`FAIL ${desc}${detail !== undefined ? ': ' + detail : ''}`); }
}
function plug(name) { fs.writeFileSync(SLOT + '.tmp', name + '\n'); fs.renameSync(SLOT + '.tmp', SLOT); }
async function waitFor(page, fn, arg, timeout = 30000) {
  try { await page.waitForFunction(fn, arg, { timeout, polling: 50 }); return true; } catch (e) { return false; }
}
async function shot(page, name) {
  const file = path.join(SHOTS, name);
  await page.screenshot({ path: file });
  console.log(`     screenshot ${file}`);
}
const tileIs = (s) => document.getElementById('tile').dataset.state === s;

const ctx = await chromium.launchPersistentContext(env('PROFILE'), {
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium', headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync'],
  viewport: { width: 800, height: 480 },
});
const page = ctx.pages()[0] || await ctx.newPage();
const errors = [];
page.on('pageerror', (e) => errors.push(String(e)));
try {
  await page.goto(URL + '/static/bench.html');
  check('the active recipe is shown', await waitFor(page, () => document.getElementById('recipe-name').textContent === 'line-3 v1'));
  check('disarmed at first', await waitFor(page, tileIs, 'idle') &&
    (await page.textContent('#armed')) === 'disarmed');
  await page.click('#arm');
  check('arming asks for the token', await page.isVisible('#token-box'));
  await page.fill('#token', 'wrong-token-wrong-token');
  await page.click('#token-ok');
  check('a wrong token is refused and said so', await waitFor(page, () => document.getElementById('token-msg').textContent === 'Wrong token'));
  await page.fill('#token', env('TOKEN'));
  await page.click('#token-ok');
  check('armed with the token', await waitFor(page, () => document.getElementById('armed').textContent.startsWith('armed')));
  await shot(page, 'bench-800x480-ready.png');
  plug('good');
  check('a board appears: BUSY', await waitFor(page, tileIs, 'busy'));
  await shot(page, 'bench-800x480-busy.png');
  check('then PASS with its serial', await waitFor(page, tileIs, 'pass') &&
    /SN-00001/.test(await page.textContent('#tile-detail')));
  await shot(page, 'bench-800x480-pass.png');
  // readable from two metres: the word fills a good part of the small screen
  const m = await page.evaluate(() => {
    const w = document.getElementById('tile-word');
    return { font: parseFloat(getComputedStyle(w).fontSize), sw: document.documentElement.scrollWidth,
      sh: document.documentElement.scrollHeight };
  });
  check('the verdict is at least 90 px high on 800x480', m.font >= 90, m.font);
  check('nothing overflows the 800x480 screen', m.sw <= 800 && m.sh <= 480, `${m.sw}x${m.sh}`);
  plug('');
  check('board removed: ready for the next', await waitFor(page, () =>
    document.getElementById('tile').dataset.state === 'idle' && /Insert a board/.test(document.getElementById('tile-detail').textContent)));
  plug('wrong');
  check('a board of the wrong part: FAIL', await waitFor(page, tileIs, 'fail'));
  const reason = await page.textContent('#tile-detail');
  check('the reason in plain words names the chips', /^Wrong chip: this board is an nRF52832/.test(reason), reason);
  await shot(page, 'bench-800x480-fail.png');
  check("today's counts and yield", (await page.textContent('#passed')) === '1' &&
    (await page.textContent('#failed')) === '1' && (await page.textContent('#yield')) === '50%');
  const rows = await page.$$eval('#last-body tr', (t) => t.map((r) => r.textContent));
  check('the last boards, newest first, with the serial', rows.length === 2 && /FAIL$/.test(rows[0]) && /SN-00001/.test(rows[1]), rows.join(' | '));
  await page.setViewportSize({ width: 1280, height: 800 });
  await shot(page, 'bench-1280x800-fail.png');
  await page.click('#disarm');
  check('disarmed again', await waitFor(page, () => document.getElementById('armed').textContent === 'disarmed'));
  check('no script errors', errors.length === 0, errors.join('; '));
} catch (e) {
  failures++;
  console.log(`FAIL ${e}`);
}
await ctx.close();
process.exit(failures ? 1 : 0);
