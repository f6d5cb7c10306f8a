// The live page of a running job in Chromium (Debian's, driven by playwright-core): starts
// `sluice demo --synthetic --ui=127.0.0.1:0 --ui-linger`, opens the address it prints, and checks
// that every stage of the run has its charts, that the page's numbers move while the job runs
// (the run's wall time and the items charts' last points, read twice two seconds apart), that the
// page says "finished" once the job is done and lingers, and that there is no console error.
// Then Ctrl-C (SIGINT) must end sluice with status 0. Saves a screenshot taken mid-run.
//
// Usage: node tests/live_ui_browser.js SLUICE_BINARY SCREENSHOT.png
const { spawn } = require('node:child_process');
const { chromium } = require('playwright-core');

const [sluice, screenshotPath] = process.argv.slice(2);
const failures = [];
function check(ok, message) { if (!ok) failures.push(message); }
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function waitFor(what, predicate, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await predicate();
    if (value) return value;
    if (Date.now() > deadline) throw new Error('timed out waiting for ' + what);
    await sleep(100);
  }
}

(async () => {
  const child = spawn(sluice, ['demo', '--synthetic', '--partitions', '300', '--threads', '2',
    '--progress', 'off', '--ui=127.0.0.1:0', '--ui-linger'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  let exited = null;
  child.stderr.on('data', (d) => { stderr += d; });
  child.stdout.on('data', () => {});
  child.on('exit', (code, signal) => { exited = { code, signal }; });
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu'],
  });
  try {
    const url = await waitFor('sluice to print its --ui address', () => {
      const m = stderr.match(/ui: the live report is at (http:\/\/\S+)/);
      return m && m[1];
    }, 20000);
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const errors = [];
    page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(url);
    const read = () => page.evaluate(() => {
      const section = document.querySelector('section.run[data-pipeline="demo"]');
      if (!section) return null;
      const items = window.sluiceReport.runs.find((r) => r.run.pipeline === 'demo');
      return {
        status: document.getElementById('status').textContent,
        wall: items ? items.run.wall_seconds : 0,
        out: items ? items.run.stages.map((s) => s.counters.items_out) : [],
        stages: Array.from(section.querySelectorAll('.chart[data-chart="shares"]'))
          .map((c) => c.dataset.stage),
        itemsSeries: section.querySelector('.chart[data-chart="items_out"]')?.dataset.series,
      };
    });
    const first = await waitFor('the demo run on the page', read, 20000);
    await sleep(2000);
    const second = await read();
    check(exited === null, 'sluice ended before the second reading: ' + JSON.stringify(exited));
    check(second.wall > first.wall, `the run's time did not move: ${first.wall} -> ${second.wall}`);
    check(second.out.some((n, i) => n > first.out[i]), 'no stage\'s items out moved: ' +
      `${first.out} -> ${second.out}`);
    const stages = ['partitions', 'list', 'read', 'bin', 'concat', 'write'];
    for (const s of stages) {
      check(second.stages.includes(s), `no shares chart for stage ${s}: ${second.stages}`);
      check((second.itemsSeries || '').split('|').includes(s), `no items series for stage ${s}`);
    }
    check(second.status.startsWith('live, updated'), 'status: ' + second.status);
    await page.screenshot({ path: screenshotPath, fullPage: true });
    await waitFor('the run to finish and linger', () => /the finished run stays at/.test(stderr),
      120000);
    const done = await waitFor('the page to say finished', async () => {
      const r = await read();
      return r && r.status.startsWith('live, finished') && r;
    }, 5000);
    check(done.stages.length === stages.length, 'after the run: ' + done.stages);
    for (const e of errors) failures.push('console error: ' + e);
  } finally {
    await browser.close();
    if (exited === null) child.kill('SIGINT');
  }
  const status = await waitFor('sluice to exit after Ctrl-C', () => exited, 10000);
  check(status.code === 0, 'sluice after Ctrl-C: ' + JSON.stringify(status) + '\n' + stderr);
  if (failures.length > 0) {
    for (const f of failures) console.log('FAIL: ' + f);
    process.exit(1);
  }
  console.log('ok: the live page moved and finished');
})().catch((e) => { console.log('FAIL: ' + (e.stack || e)); process.exit(1); });
