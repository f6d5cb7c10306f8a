// `sluice status JOB --ui ADDR` in Chromium (Debian's, driven by playwright-core): a ledger job
// run by two processes (`sluice run` and a `sluice worker` that joins it, two slots each), whose
// partition p05 fails its first attempt and p13 writes a far larger output. Starts `sluice status
// --ui 127.0.0.1:0` (the address as its own word), opens the address it prints and checks, against
// the document the page itself fetches (report.json), that the page's numbers move while the job
// runs (partitions done, timeline bars, read twice two seconds apart); and, once the job is done,
// that there is one bar per attempt with p05's first one retried, a timeline row for each of both
// processes' workers, the partitions-over-time chart ending with every partition done, p13 marked
// skewed, and no console error. Then Ctrl-C (SIGINT) must end `sluice status` with status 0.
// Saves a screenshot of the finished job.
//
// Usage: node tests/status_ui_browser.js SLUICE_BINARY SCRATCH_DIR SCREENSHOT.png
const { spawn } = require('node:child_process');
const path = require('node:path');
const { chromium } = require('playwright-core');

const [sluice, scratch, screenshotPath] = process.argv.slice(2);
const state = path.join(scratch, 'state');
const job = 'status-ui';
const partitions = Array.from({ length: 48 }, (_, i) => 'p' + String(i).padStart(2, '0'));
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

// A child process whose output and exit are kept.
function start(args) {
  const child = { stderr: '', exited: null };
  child.process = spawn(sluice, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  child.process.stderr.on('data', (d) => { child.stderr += d; });
  child.process.stdout.on('data', () => {});
  child.process.on('exit', (code, signal) => { child.exited = { code, signal }; });
  return child;
}

// Starts `args` again until it stays up: the job it names exists only once `sluice run` made it.
async function startOnceTheJobExists(args, upPattern) {
  return waitFor('the job to exist for ' + args[0], async () => {
    const child = start(args);
    await waitFor(args[0] + ' to start or fail', () => child.exited || upPattern.test(
      child.stderr), 20000);
    return child.exited === null ? child : null;
  }, 20000);
}

(async () => {
  const command = 'if [ {key} = p05 ] && [ {attempt} = 1 ]; then exit 3; fi; ' +
    'if [ {key} = p13 ]; then head -c 100000 /dev/zero > {output}/part; ' +
    'else echo {key} > {output}/part; fi; sleep 0.6';
  const common = ['--state', state, '--workers', '2', '--claim-batch', '1', '--retry-delay', '0',
    '--log-level', 'warn'];
  const run = start(['run', '--job', job, '--partition-by', 'list:' + partitions.join(','),
    ...common, '--', 'sh', '-c', command]);
  const status = await startOnceTheJobExists(['status', job, '--state', state, '--ui',
    '127.0.0.1:0'], /ui: job .* is at http/);
  const worker = start(['worker', '--job', job, ...common]);
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu'],
  });
  try {
    const url = status.stderr.match(/ui: job .* is at (http:\/\/\S+)/)[1];
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const errors = [];
    page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(url);
    const read = () => page.evaluate(async () => {
      const section = document.querySelector('section.job');
      if (!section) return null;
      const doc = await (await fetch('report.json', { cache: 'no-store' })).json();
      const counts = section.querySelector('[data-chart="job_counts"]');
      const timeline = section.querySelector('.chart[data-chart="tasks"]');
      const over = section.querySelector('.chart[data-chart="partitions_over_time"]');
      return {
        doc: doc,
        status: document.getElementById('status').textContent,
        jobStatus: section.dataset.status,
        done: Number(counts.dataset.done),
        total: Number(counts.dataset.total),
        bars: Array.from(section.querySelectorAll('rect.timeline-bar')).map((b) => ({
          outcome: b.dataset.outcome, title: b.textContent })),
        rows: timeline ? timeline.dataset.series.split('|') : [],
        overTime: over && {
          canvas: !!over.querySelector('canvas'),
          legend: Array.from(over.querySelectorAll('.u-legend .u-series .u-label'))
            .map((l) => l.textContent),
        },
        skewed: section.querySelector('.chart[data-chart="partition_sizes"]')?.dataset.skewed,
      };
    });
    const first = await waitFor('the job on the page', async () => {
      const r = await read();
      return r && r.done > 0 && r.done < partitions.length && r;
    }, 30000);
    await sleep(2000);
    const second = await read();
    check(second.status.startsWith('live, updated') &&
      second.status.includes('sluice status: job ' + job), 'status: ' + second.status);
    check(second.done > first.done, `partitions done did not move: ${first.done} -> ` +
      `${second.done}`);
    check(second.bars.length > first.bars.length, `timeline bars did not move: ` +
      `${first.bars.length} -> ${second.bars.length}`);
    const done = await waitFor('the job to be done on the page', async () => {
      const r = await read();
      return r && r.jobStatus === 'done' && r;
    }, 60000);
    await page.screenshot({ path: screenshotPath, fullPage: true });
    const attempts = done.doc.tasks.attempts;
    check(done.done === partitions.length && done.total === partitions.length,
      `done ${done.done} of ${done.total}`);
    check(attempts.length === partitions.length + 1, `${attempts.length} attempts for ` +
      `${partitions.length} partitions and one retry`);
    check(done.bars.length === attempts.length, `${done.bars.length} bars for ` +
      `${attempts.length} attempts`);
    check(done.bars.some((b) => b.outcome === 'retried' && b.title.startsWith('p05 attempt 1')),
      'no retried bar for p05: ' + JSON.stringify(done.bars.filter((b) => b.outcome !==
        'done')));
    // Both processes (a worker is host:pid) ran attempts, each on rows of its own: one per slot.
    const workers = new Set(attempts.map((a) => a.worker));
    check(workers.size === 2, 'attempts ran in ' + Array.from(workers).join(', '));
    for (const w of workers) {
      check(done.rows.includes(w) && done.rows.includes(w + ' #2'), `no two timeline rows for ` +
        `worker ${w}: ${done.rows}`);
    }
    check(done.overTime && done.overTime.canvas && ['running', 'done', 'failed']
      .every((l) => done.overTime.legend.includes(l)), 'partitions over time: ' +
      JSON.stringify(done.overTime));
    const last = done.doc.tasks.progress[done.doc.tasks.progress.length - 1];
    check(last.done === partitions.length && last.running === 0 && last.failed === 0,
      'the last point over time: ' + JSON.stringify(last));
    check((done.skewed || '').split('|').includes('p13'), 'skewed: ' + done.skewed);
    for (const e of errors) failures.push('console error: ' + e);
  } finally {
    await browser.close();
    for (const child of [run, worker]) {
      if (child.exited === null) child.process.kill('SIGINT');
    }
    if (status.exited === null) status.process.kill('SIGINT');
  }
  const ended = await waitFor('sluice status to exit after Ctrl-C', () => status.exited, 10000);
  check(ended.code === 0, 'sluice status after Ctrl-C: ' + JSON.stringify(ended) + '\n' +
    status.stderr);
  await waitFor('sluice run and worker to exit', () => run.exited && worker.exited, 20000);
  check(run.exited.code === 0, 'sluice run: ' + JSON.stringify(run.exited) + '\n' + run.stderr);
  if (failures.length > 0) {
    for (const f of failures) console.log('FAIL: ' + f);
    process.exit(1);
  }
  console.log('ok: the status page moved and showed every attempt');
})().catch((e) => { console.log('FAIL: ' + (e.stack || e)); process.exit(1); });
