/* SPDX-License-Identifier: GPL-2.0-or-later */
// The status page in a real browser (Debian's chromium, driven by
// playwright-core) against the real daemon with --probe sim.
// Run by tests/t_web_browser.sh, which starts the daemon and passes:
//   URL, TOKEN, FIXTURE (a good image), FIXTURE_OTHER (an image that needs an
//   erase), BIG (256 KiB .bin), BAD (malformed HEX), BAD_MESSAGE (what the API
//   answers for it), SHOTS (screenshot dir), PROFILE (fresh user-data-dir),
//   RESTART_REQ / RESTART_DONE (files: ask the shell to restart the daemon).
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
const SHOTS = env('SHOTS');
let failures = 0, checks = 0;
function check(desc, cond, detail) {
  checks++;
  if (cond) console.log(`ok   ${desc}`);
  else { failures++; console.log(`FAIL ${desc}${detail !== undefined ? ': ' + detail : ''}`); }
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
async function shot(page, name, opts = {}) {
  const file = path.join(SHOTS, name);
  await page.screenshot({ path: file, fullPage: true, ...opts });
  console.log(`     screenshot ${file}`);
}
async function waitFor(page, fn, arg, timeout = 20000) {
  try {
    await page.waitForFunction(fn, arg, { timeout, polling: 50 });
    return true;
  } catch (e) {
    return false;
  }
}
function jobRowState(page, name) {
  return page.evaluate((n) => {
    const rows = Array.from(document.querySelectorAll('#jobs-body tr'));
    const r = rows.find((tr) => tr.querySelector('.fw') && tr.querySelector('.fw').textContent.includes(n));
    return r ? { state: r.dataset.state, text: r.textContent } : null;
  }, name);
}

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
page.setDefaultTimeout(20000);

try {
  // ---- load ----
  const resp = await page.goto(URL + '/');
  check('GET / is 200 text/html', resp.status() === 200 &&
        (resp.headers()['content-type'] || '').startsWith('text/html'));
  check('page goes live on the event stream',
        await waitFor(page, () => document.getElementById('live').dataset.state === 'live'));
  check('target shown as connected',
        await waitFor(page, () => document.getElementById('target-state').dataset.state === 'connected'));
  const info = await page.evaluate(() => ({
    station: document.getElementById('station').textContent,
    title: document.title,
    probe: document.getElementById('probe-kind').textContent,
    sim: !document.getElementById('sim-badge').hidden &&
         getComputedStyle(document.getElementById('sim-badge')).display !== 'none',
    simText: document.getElementById('sim-badge').textContent,
    part: document.getElementById('t-part').textContent,
    flash: document.getElementById('t-flash').textContent,
    dev: document.getElementById('t-devid').textContent,
    lock: document.getElementById('t-lock').textContent,
    version: document.getElementById('version').textContent,
  }));
  check('station name from the daemon', info.station === env('STATION') && info.title.includes(env('STATION')),
        JSON.stringify(info));
  check('probe kind sim with a visible SIMULATED badge', info.probe === 'sim' && info.sim && info.simText === 'SIMULATED',
        JSON.stringify(info));
  check('target part nRF52840', info.part.startsWith('nRF52840'), info.part);
  check('flash size 1 MiB', info.flash === '1 MiB', info.flash);
  check('device id: 16 hex digits', /^[0-9A-F]{16}$/.test(info.dev), info.dev);
  check('lock state open (text, not colour only)', info.lock.includes('open'), info.lock);
  check('station info not marked stale', await page.evaluate(() =>
    document.getElementById('stale-banner').hidden && !document.body.classList.contains('stale')));
  check('version from the hello event', /swdflashd \S+/.test(info.version), info.version);
  await shot(page, '01-idle.png');

  // ---- keyboard: everything reachable with Tab ----
  await page.keyboard.press('Tab');
  const focused = [];
  for (let i = 0; i < 25; i++) {
    focused.push(await page.evaluate(() => {
      const a = document.activeElement;
      return a ? (a.id || a.dataset.action || a.tagName) : '';
    }));
    await page.keyboard.press('Tab');
  }
  for (const want of ['reset', 'recover', 'file', 'opt-erase', 'opt-verify', 'opt-reset'])
    check(`Tab reaches ${want}`, focused.includes(want), focused.join(','));
  // a confirmation opens from the keyboard and Escape cancels it
  await page.focus('[data-action="reset"]');
  await page.keyboard.press('Enter');
  check('Reset asks for confirmation in a dialog',
        await waitFor(page, () => document.getElementById('confirm').open));
  check('the dialog asks for the token', await page.isVisible('#confirm-token'));
  await page.keyboard.press('Escape');
  check('Escape closes the dialog without acting',
        await waitFor(page, () => !document.getElementById('confirm').open) &&
        await page.evaluate(() => document.getElementById('action-result').hidden));

  // ---- upload a fixture through the page (the token is asked for) ----
  const fixture = env('FIXTURE');
  const fixtureName = path.basename(fixture);
  await page.setInputFiles('#file', fixture);
  check('file chosen', (await page.textContent('#drop-text')).includes(fixtureName));
  await page.click('#upload-btn');
  check('401: the page asks for the token',
        await waitFor(page, () => document.getElementById('confirm').open));
  await page.fill('#confirm-token', env('TOKEN'));
  await page.click('#confirm-ok');
  check('upload accepted', await waitFor(page, () =>
    /Accepted: job #\d+/.test(document.getElementById('upload-result').textContent)),
    await page.textContent('#upload-result'));
  const stored = await page.evaluate(() => ({ s: sessionStorage.getItem('swdflashd.token'),
                                                 l: Object.keys(localStorage).length }));
  check('token kept in sessionStorage only', stored.s === env('TOKEN') && stored.l === 0,
        JSON.stringify(stored));
  check('fixture job ends as succeeded', await waitFor(page, (n) => {
    const rows = Array.from(document.querySelectorAll('#jobs-body tr'));
    return rows.some((tr) => tr.dataset.state === 'succeeded' && tr.textContent.includes(n));
  }, fixtureName, 60000));
  const row1 = await jobRowState(page, fixtureName);
  check('succeeded row says so in text with an icon', row1 && /✔\s*succeeded/.test(row1.text), row1 && row1.text);
  check('row shows the SHA-256 prefix', row1 && row1.text.includes(env('FIXTURE_SHA').slice(0, 12)),
        row1 && row1.text);

  // ---- watch the progress bar move (256 KiB image, erase whole chip) ----
  await page.evaluate(() => {
    window.__seen = [];
    const fill = document.getElementById('j-fill');
    const pct = document.getElementById('j-percent');
    const rec = () => window.__seen.push({ w: fill.style.width, p: pct.textContent,
      phase: document.getElementById('j-phase').textContent,
      rate: document.getElementById('j-rate').textContent,
      eta: document.getElementById('j-eta').textContent,
      visible: !document.getElementById('job-running').hidden });
    new MutationObserver(rec).observe(document.getElementById('job-card'),
      { subtree: true, childList: true, characterData: true, attributes: true });
  });
  await page.setInputFiles('#file', env('BIG'));
  await page.selectOption('#opt-erase', 'chip');
  await page.click('#upload-btn');
  const mid = await waitFor(page, () => {
    const p = parseInt(document.getElementById('j-percent').textContent, 10);
    return !document.getElementById('job-running').hidden && p >= 40 && p <= 90 &&
      document.getElementById('j-phase').textContent === 'program';
  }, null, 30000);
  if (mid) await shot(page, '02-running.png');
  check('running job visible with phase program mid-way', mid);
  const runRow = await jobRowState(page, path.basename(env('BIG')));
  check('its row in the job list says running', runRow && runRow.state === 'running' && /▶\s*running/.test(runRow.text),
        runRow && runRow.text);
  const bigName = path.basename(env('BIG'));
  check('256 KiB job ends as succeeded', await waitFor(page, (n) => {
    const rows = Array.from(document.querySelectorAll('#jobs-body tr'));
    return rows.some((tr) => tr.dataset.state === 'succeeded' && tr.textContent.includes(n));
  }, bigName, 90000));
  const seen = await page.evaluate(() => window.__seen);
  const prog = seen.filter((s) => s.visible && s.phase === 'program').map((s) => parseFloat(s.w));
  const mids = seen.filter((s) => s.visible && (s.phase === 'program' || s.phase === 'verify'))
    .map((s) => s.phase + ':' + parseFloat(s.w)).filter((k) => !/:(0|100)$/.test(k));
  check('progress bar moved: 0, values in between, 100 in the program phase',
        prog.includes(0) && prog.includes(100) && prog.some((v) => v > 0 && v < 100), JSON.stringify(prog));
  check('at least two intermediate positions over program and verify',
        new Set(mids).size >= 2, JSON.stringify(mids));
  const increasing = prog.every((v, i) => i === 0 || v >= prog[i - 1]);
  check('progress only goes forward within a phase', increasing, JSON.stringify(prog));
  check('KiB/s and ETA shown while programming',
        seen.some((s) => s.phase === 'program' && /KiB\/s/.test(s.rate) && /\d/.test(s.eta)),
        JSON.stringify(seen.filter((s) => s.phase === 'program').slice(-3)));
  check('running panel gone after the job',
        await waitFor(page, () => document.getElementById('job-running').hidden));

  // ---- a job that fails shows its error message ----
  await page.setInputFiles('#file', env('FIXTURE_OTHER'));
  await page.selectOption('#opt-erase', 'none');
  await page.click('#upload-btn');
  const otherName = path.basename(env('FIXTURE_OTHER'));
  check('erase=none over different contents ends as failed', await waitFor(page, (n) => {
    const rows = Array.from(document.querySelectorAll('#jobs-body tr'));
    return rows.some((tr) => tr.dataset.state === 'failed' && tr.textContent.includes(n));
  }, otherName, 60000));
  const row2 = await jobRowState(page, otherName);
  const err2 = await page.evaluate((n) => {
    const rows = Array.from(document.querySelectorAll('#jobs-body tr'));
    const r = rows.find((tr) => tr.textContent.includes(n));
    const e = r && r.querySelector('.err');
    return e ? e.textContent : '';
  }, otherName);
  check('failed row: icon and text, and the error message', row2 && /✖\s*failed/.test(row2.text) && err2.length > 10,
        (row2 && row2.text) + ' / ' + err2);
  await page.selectOption('#opt-erase', 'auto');

  // ---- a bad image is rejected with the parser's message ----
  await page.setInputFiles('#file', env('BAD'));
  await page.click('#upload-btn');
  check('bad image rejected with 422', await waitFor(page, () =>
    /Rejected \(422\)/.test(document.getElementById('upload-result').textContent)),
    await page.textContent('#upload-result'));
  const rej = await page.textContent('#upload-result');
  check("the parser's message is shown", rej.includes(env('BAD_MESSAGE')), `${rej} vs ${env('BAD_MESSAGE')}`);
  check('rejection marked by icon and class',
        rej.startsWith('✖') && await page.evaluate(() =>
          document.getElementById('upload-result').classList.contains('bad')));
  await shot(page, '03-rejected.png');

  // ---- the daemon restarts: the page notices and reconnects ----
  fs.writeFileSync(env('RESTART_REQ'), 'restart\n');
  check('page shows it lost the daemon', await waitFor(page, () =>
    document.getElementById('live').dataset.state === 'reconnecting', null, 30000));
  check('stale banner shown while the daemon is away', await page.isVisible('#stale-banner'));
  await shot(page, '04-reconnecting.png');
  fs.writeFileSync(env('RESTART_REQ') + '.noticed', 'noticed\n');   // the test may restart it now
  for (const end = Date.now() + 120000; Date.now() < end && !fs.existsSync(env('RESTART_DONE'));)
    await sleep(100);
  check('daemon restarted by the test', fs.existsSync(env('RESTART_DONE')));
  check('page reconnects by itself', await waitFor(page, () =>
    document.getElementById('live').dataset.state === 'live', null, 30000));
  check('history reloaded after the restart', await waitFor(page, (n) =>
    document.getElementById('jobs-body').textContent.includes(n), fixtureName, 10000));
  check('target connected again', await waitFor(page, () =>
    document.getElementById('target-state').dataset.state === 'connected'));
  // live again: a job started by someone else (curl) shows up without a reload
  fs.writeFileSync(env('RESTART_REQ') + '.flash', 'flash\n');
  check('a job queued with curl after the restart appears live', await waitFor(page, () =>
    Array.from(document.querySelectorAll('#jobs-body tr')).some((tr) =>
      tr.textContent.includes('after-restart') && tr.dataset.state === 'succeeded'), null, 60000));
  await shot(page, '05-after-restart.png');

  // ---- phone ----
  await page.setViewportSize({ width: 390, height: 844 });
  await waitFor(page, () => window.innerWidth === 390);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth);
  check('no sideways scrolling on a 390 px wide phone', overflow <= 391, overflow);
  const shaVisible = await page.evaluate(() => {
    const td = document.querySelector('#jobs-body td.mono');
    const r = td && td.getBoundingClientRect();
    return !!r && r.width > 0 && r.right <= window.innerWidth;
  });
  check('SHA-256 prefix visible on the phone', shaVisible);
  const fontPx = await page.evaluate(() => parseFloat(getComputedStyle(document.body).fontSize));
  check('body text at least 14 px', fontPx >= 14, fontPx);
  await shot(page, '06-phone.png');

  check('no JavaScript errors on the page', pageErrors.length === 0, pageErrors.join(' | '));
} catch (e) {
  failures++;
  console.log(`FAIL exception: ${e.stack || e}`);
  try { await shot(page, '99-failure.png'); } catch (e2) { /* ignore */ }
} finally {
  await ctx.close();
}
console.log(`${checks} checks, ${failures} failed`);
process.exit(failures ? 1 : 0);
