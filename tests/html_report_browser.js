// Opens a sluice HTML report in Chromium (Debian's, driven by playwright-core from npm) and checks
// what a reader sees, against the report's own JSON read here, not through the page's script:
// every pipeline run has its section; every stage has its shares chart (a canvas) and a series
// in the items, bytes and queue charts; the memory chart has accounted bytes, budget and RSS; the
// highlighted stage is the one Flink's rule picks from the run's fractions (recomputed here);
// nothing is fetched from the network; no console error. A ledger job's report (`sluice run
// --report`: the job and its task timeline, no pipeline run) has its job section with one
// timeline bar per attempt and its partitions over time. Saves a full-page screenshot.
//
// Usage: node tests/html_report_browser.js REPORT.html SCREENSHOT.png
// Prints "ok: ..." and exits 0, or prints each failure and exits 1. CHROMIUM names the browser
// (default /usr/bin/chromium).
const fs = require('node:fs');
const path = require('node:path');
const { chromium } = require('playwright-core');

const [reportPath, screenshotPath] = process.argv.slice(2);
const failures = [];
function check(ok, message) { if (!ok) failures.push(message); }

// The report's JSON, read from its script element as the browser would parse it.
function embeddedReport(html) {
  const m = html.match(/<script type="application\/json" id="report">([\s\S]*?)<\/script>/);
  if (!m) throw new Error(`${reportPath}: no report JSON in the page`);
  return JSON.parse(m[1]);
}
function findRuns(node, out) {
  if (node === null || typeof node !== 'object') return out;
  if (Array.isArray(node.stages) && node.verdict) { out.push(node); return out; }
  for (const v of Object.values(node)) findRuns(v, out);
  return out;
}
// flow/verdict.cc's rule (thresholds 0.3 backpressured, 0.5 busy), from the stages' fractions.
function expectedBottleneck(run) {
  const live = run.stages.filter((s) => s.busy_fraction + s.backpressured_fraction +
    s.idle_fraction + s.waiting_fraction > 0);
  let last = -1;
  live.forEach((s, i) => { if (s.backpressured_fraction >= 0.3) last = i; });
  if (last >= 0) {
    const below = live.slice(last + 1).find((s) => s.backpressured_fraction < 0.3 &&
      s.busy_fraction >= 0.5);
    return below ? below.name : '';
  }
  let best = null;
  for (const s of live) {
    if (s.busy_fraction >= 0.5 && (!best || s.busy_fraction > best.busy_fraction)) best = s;
  }
  return best ? best.name : '';
}

(async () => {
  const html = fs.readFileSync(reportPath, 'utf8');
  const doc = embeddedReport(html);
  const runs = findRuns(doc, []);
  const job = doc.job && doc.tasks && Array.isArray(doc.tasks.attempts) ? doc : null;
  check(runs.length > 0 || job, 'the report holds no pipeline run and no ledger job');
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu'],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const errors = [];
    page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
    page.on('pageerror', (e) => errors.push(String(e)));
    const url = 'file://' + path.resolve(reportPath);
    await page.route('**/*', (route) => {
      if (route.request().url() === url) return route.continue();
      failures.push('the page fetched ' + route.request().url());
      return route.abort();
    });
    await page.goto(url, { waitUntil: 'load' });
    const seen = await page.evaluate(() => Array.from(document.querySelectorAll('section.run'))
      .map((section) => ({
        pipeline: section.dataset.pipeline,
        verdict: section.querySelector('.verdict')?.dataset.bottleneck,
        mark: section.querySelector('.verdict mark.bottleneck')?.textContent || '',
        row: section.querySelector('table.summary tr.bottleneck')?.dataset.stage || '',
        bars: section.querySelectorAll('.chart[data-chart="tasks"] rect.timeline-bar').length,
        overTime: !!section.querySelector('.chart[data-chart="partitions_over_time"] canvas'),
        charts: Array.from(section.querySelectorAll('.chart')).map((c) => ({
          chart: c.dataset.chart, stage: c.dataset.stage || null,
          series: (c.dataset.series || '').split('|'),
          canvas: !!c.querySelector('canvas'),
          legend: Array.from(c.querySelectorAll('.u-legend .u-series .u-label'))
            .map((l) => l.textContent),
        })),
      })));
    check(seen.length === runs.length, `${seen.length} run sections for ${runs.length} runs`);
    runs.forEach((run, i) => {
      const s = seen[i] || { charts: [] };
      const where = `run ${i} (${run.pipeline})`;
      check(s.pipeline === run.pipeline, `${where}: section is for '${s.pipeline}'`);
      for (const stage of run.stages) {
        const shares = s.charts.find((c) => c.chart === 'shares' && c.stage === stage.name);
        check(shares && shares.canvas, `${where}: no shares chart for stage ${stage.name}`);
        check(shares && ['busy', 'backpressured', 'idle (starved)', 'waiting', 'concurrency']
          .every((l) => shares.legend.includes(l)), `${where}: ${stage.name}'s shares chart ` +
          `lacks a series: ${shares && shares.legend}`);
        for (const chart of ['items_out', 'bytes_out', 'queue']) {
          const c = s.charts.find((x) => x.chart === chart);
          check(c && c.canvas && c.series.includes(stage.name) && c.legend.includes(stage.name),
            `${where}: the ${chart} chart has no series for stage ${stage.name}`);
        }
        check((stage.per_second || []).length > 0, `${where}: stage ${stage.name} recorded no ` +
          'second');
      }
      const memory = s.charts.find((x) => x.chart === 'memory');
      check(memory && ['accounted (in use)', 'budget', 'process RSS']
        .every((l) => memory.legend.includes(l)), `${where}: memory chart series ` +
        `${memory && memory.legend}`);
      if (run.tasks) {
        // A ledger job: one bar per partition attempt, and at least a row per worker.
        const attempts = run.tasks.attempts.length;
        check(attempts > 0 && s.bars === attempts, `${where}: ${s.bars} timeline bars for ` +
          `${attempts} attempts`);
        const timeline = s.charts.find((x) => x.chart === 'tasks');
        const workers = new Set(run.tasks.attempts.map((a) => a.worker));
        check(timeline && timeline.series.length >= workers.size, `${where}: timeline rows ` +
          `${timeline && timeline.series} for workers ${Array.from(workers)}`);
        check(s.overTime, `${where}: no chart of partitions over time`);
      }
      const expected = expectedBottleneck(run);
      check(expected === run.verdict.bottleneck, `${where}: the report's verdict names ` +
        `'${run.verdict.bottleneck}', the rule on its fractions '${expected}'`);
      check(s.verdict === expected && s.row === expected && s.mark === expected,
        `${where}: the page highlights '${s.verdict}' (mark '${s.mark}', row '${s.row}'), ` +
        `expected '${expected}'`);
    });
    if (job) {
      const seen = await page.evaluate(() => {
        const section = document.querySelector('section.job');
        return section && {
          name: section.dataset.job,
          bars: section.querySelectorAll('.chart[data-chart="tasks"] rect.timeline-bar').length,
          overTime: !!section.querySelector('.chart[data-chart="partitions_over_time"] canvas'),
          sizes: !!section.querySelector('.chart[data-chart="partition_sizes"]'),
        };
      });
      check(seen && seen.name === job.job.job, `job section: ${JSON.stringify(seen)}`);
      check(seen && seen.bars === job.tasks.attempts.length && seen.bars > 0, `${seen && seen.bars}` +
        ` timeline bars for ${job.tasks.attempts.length} attempts`);
      check(seen && seen.overTime, 'the job has no chart of partitions over time');
      const sized = job.tasks.partitions.some((p) => typeof p.bytes === 'number');
      check(seen && seen.sizes === sized, `partition sizes shown: ${seen && seen.sizes}, ` +
        `partitions with bytes: ${sized}`);
    }
    await page.screenshot({ path: screenshotPath, fullPage: true });
    for (const e of errors) failures.push('console error: ' + e);
  } finally {
    await browser.close();
  }
  if (failures.length > 0) {
    for (const f of failures) console.log('FAIL: ' + f);
    process.exit(1);
  }
  const parts = runs.map((r) => `${r.pipeline}: ${r.stages.length} stages, bottleneck ` +
    `'${r.verdict.bottleneck}'`);
  if (job) parts.push(`job ${job.job.job}: ${job.tasks.attempts.length} attempts`);
  console.log(`ok: ${runs.length} run(s), ` + parts.join('; '));
})().catch((e) => { console.log('FAIL: ' + (e.stack || e)); process.exit(1); });
