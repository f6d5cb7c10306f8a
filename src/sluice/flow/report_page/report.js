// Draws a sluice run report (the JSON of RunReport::ToJson, or a command's report holding one or
// more of them) with uPlot. Every chart of a run shares its time axis (seconds since the run
// started) and its cursor. Each chart's element carries data-chart, data-stage (per-stage charts)
// and data-series (its series' labels), which the browser test reads.
'use strict';
(function () {
  const kShares = [
    // Drawn as stacked areas: each series is filled from zero up to its cumulative share, the
    // bottom one last so it paints over the ones above.
    { key: 'busy_ms', label: 'busy', color: '#2e7d32' },
    { key: 'backpressured_ms', label: 'backpressured', color: '#c62828' },
    { key: 'idle_ms', label: 'idle (starved)', color: '#9e9e9e' },
    { key: 'waiting_ms', label: 'waiting', color: '#f9a825' },
  ];
  const kPalette = ['#1565c0', '#ef6c00', '#2e7d32', '#6a1b9a', '#c62828', '#00838f', '#5d4037',
    '#ad1457', '#9e9d24', '#283593'];

  function formatBytes(v) {
    if (v == null) return '-';
    const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
    let u = 0;
    let x = Math.abs(v);
    while (x >= 1024 && u < units.length - 1) { x /= 1024; u++; }
    return (v < 0 ? '-' : '') + (u === 0 ? String(Math.round(x)) : x.toFixed(x < 10 ? 2 : 1)) +
      ' ' + units[u];
  }
  function formatCount(v) {
    if (v == null) return '-';
    if (Math.abs(v) >= 1e6) return (v / 1e6).toFixed(1) + 'M';
    if (Math.abs(v) >= 1e4) return (v / 1e3).toFixed(0) + 'k';
    return v >= 100 || Number.isInteger(v) ? String(Math.round(v)) : v.toFixed(1);
  }
  function percent(f) { return Math.round(100 * f) + '%'; }
  function el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === 'class') e.className = v; else e.setAttribute(k, v);
    }
    for (const c of children) e.append(c);
    return e;
  }

  // Every object with "stages" and "verdict" anywhere in the document, with where it was found.
  function findRuns(node, path, out) {
    if (node === null || typeof node !== 'object') return out;
    if (Array.isArray(node.stages) && node.verdict && typeof node.verdict === 'object') {
      out.push({ path: path, run: node });
      return out;
    }
    for (const [k, v] of Object.entries(node)) findRuns(v, path ? path + '.' + k : k, out);
    return out;
  }

  // One x axis for a run: every end-of-second of every stage and of the memory samples.
  function timeAxis(run) {
    const ts = new Set();
    for (const s of run.stages) for (const p of s.per_second || []) ts.add(p.t);
    for (const m of run.memory_seconds || []) ts.add(m.t);
    return Array.from(ts).sort((a, b) => a - b);
  }
  // values(point, dt) for each x of the axis where the rows have a point; null elsewhere.
  function aligned(xs, rows, value) {
    const byT = new Map();
    let prev = 0;
    for (const p of rows || []) { byT.set(p.t, value(p, p.t - prev)); prev = p.t; }
    return xs.map((t) => (byT.has(t) ? byT.get(t) : null));
  }

  function addChart(container, info, opts, data) {
    const box = el('div', { class: 'chart' + (info.bottleneck ? ' bottleneck' : ''),
      'data-chart': info.chart });
    if (info.stage !== undefined) box.setAttribute('data-stage', info.stage);
    box.setAttribute('data-series', opts.series.slice(1).map((s) => s.label).join('|'));
    box.append(el('h4', {}, info.title));
    container.append(box);
    // The box's own width: a grid cell's for the per-stage charts, the section's for the others.
    opts.width = Math.max(320, box.clientWidth || 1100);
    return new uPlot(opts, data, box);
  }

  function baseOptions(run, key, height) {
    return {
      height: height,
      cursor: { sync: { key: key } },
      scales: { x: { time: false, range: [0, Math.max(run.wall_seconds || 0, 1e-3)] } },
      legend: { live: true },
      series: [{ label: 'seconds', value: (u, v) => (v == null ? '-' : v.toFixed(1) + ' s') }],
      axes: [{ label: 'seconds since start' }],
    };
  }

  function stageShares(container, run, xs, stage, key) {
    const raw = kShares.map((sh) => aligned(xs, stage.per_second, (p) => {
      const total = kShares.reduce((a, s) => a + p[s.key], 0);
      return total > 0 ? (100 * p[sh.key]) / total : 0;
    }));
    const cumulative = raw.map((_, i) => xs.map((__, j) => {
      if (raw[0][j] == null) return null;
      let sum = 0;
      for (let k = 0; k <= i; k++) sum += raw[k][j];
      return sum;
    }));
    const opts = baseOptions(run, key, 150);
    opts.scales.y = { range: [0, 100] };
    opts.scales.conc = { range: (u, lo, hi) => [0, Math.max(1, hi)] };
    opts.axes.push({ label: '% of slot time', size: 50 },
      { scale: 'conc', side: 1, label: 'concurrency', grid: { show: false }, size: 50 });
    const data = [xs];
    for (let i = kShares.length - 1; i >= 0; i--) {
      const raws = raw[i];
      opts.series.push({ label: kShares[i].label, stroke: kShares[i].color,
        fill: kShares[i].color, width: 0, points: { show: false },
        value: (u, v, si, idx) => (idx == null || raws[idx] == null ? '-' :
          Math.round(raws[idx]) + '%') });
      data.push(cumulative[i]);
    }
    opts.series.push({ label: 'concurrency', scale: 'conc', stroke: '#000', width: 1.5,
      dash: [4, 3], points: { show: false } });
    data.push(aligned(xs, stage.per_second, (p) => p.concurrency));
    const bottleneck = stage.name === run.verdict.bottleneck;
    const title = stage.name + ' (' + stage.pool + (stage.resource ? ', ' + stage.resource : '') +
      '): busy ' + percent(stage.busy_fraction) + ', backpressured ' +
      percent(stage.backpressured_fraction) + ', idle ' + percent(stage.idle_fraction) +
      ', waiting ' + percent(stage.waiting_fraction);
    addChart(container, { chart: 'shares', stage: stage.name, title: title, bottleneck },
      opts, data);
  }

  function perStageChart(container, run, xs, key, info, value, format) {
    const opts = baseOptions(run, key, 220);
    opts.axes.push({ label: info.unit, size: 90, values: (u, vals) => vals.map(format) });
    const data = [xs];
    run.stages.forEach((s, i) => {
      const bottleneck = s.name === run.verdict.bottleneck;
      // A run of a second or two has too few samples for a line: its points are drawn.
      opts.series.push({ label: s.name, stroke: kPalette[i % kPalette.length],
        width: bottleneck ? 3 : 1.5, points: { show: xs.length <= 2 }, spanGaps: false,
        value: (u, v) => format(v) });
      data.push(aligned(xs, s.per_second, value));
    });
    addChart(container, info, opts, data);
  }

  function memoryChart(container, run, xs, key) {
    const opts = baseOptions(run, key, 220);
    opts.axes.push({ label: 'bytes', size: 90, values: (u, vals) => vals.map(formatBytes) });
    const rows = run.memory_seconds || [];
    const budget = xs.map(() => run.memory_budget_bytes);
    opts.series.push(
      { label: 'accounted (in use)', stroke: '#1565c0', width: 2, fill: '#1565c022',
        points: { show: false }, value: (u, v) => formatBytes(v) },
      { label: 'budget', stroke: '#c62828', width: 1.5, dash: [6, 4], points: { show: false },
        value: (u, v) => formatBytes(v) },
      { label: 'process RSS', stroke: '#6a1b9a', width: 2, points: { show: false },
        value: (u, v) => formatBytes(v) });
    const data = [xs, aligned(xs, rows, (m) => m.accounted_bytes), budget,
      aligned(xs, rows, (m) => m.rss_bytes)];
    if (run.process_budget_bytes > 0 && run.process_budget_bytes !== run.memory_budget_bytes) {
      opts.series.push({ label: 'process budget', stroke: '#ef6c00', dash: [2, 3],
        points: { show: false }, value: (u, v) => formatBytes(v) });
      data.push(xs.map(() => run.process_budget_bytes));
    }
    addChart(container, { chart: 'memory', title: 'Memory: in use against the budget (peak ' +
      formatBytes(run.peak_memory_bytes) + ' of ' + formatBytes(run.memory_budget_bytes) +
      '), process RSS (peak ' + formatBytes(run.peak_rss_bytes) + ')' }, opts, data);
  }

  function verdictLine(run) {
    const v = run.verdict;
    const line = el('div', { class: 'verdict', 'data-bottleneck': v.bottleneck || '' });
    const text = v.text || '';
    const at = v.bottleneck ? text.indexOf(v.bottleneck) : -1;
    if (at < 0) {
      line.append(text);
      return line;
    }
    line.append(text.slice(0, at), el('mark', { class: 'bottleneck' }, v.bottleneck),
      text.slice(at + v.bottleneck.length));
    return line;
  }

  function summaryTable(run) {
    const head = ['stage', 'pool', 'items in', 'items out', 'bytes out', 'busy', 'bp', 'idle',
      'wait', 'conc', 'cpu s'];
    const table = el('table', { class: 'summary' },
      el('tr', {}, ...head.map((h) => el('th', {}, h))));
    for (const s of run.stages) {
      const cells = [s.name, s.pool, formatCount(s.counters.items_in),
        formatCount(s.counters.items_out), formatBytes(s.counters.bytes_out),
        percent(s.busy_fraction), percent(s.backpressured_fraction), percent(s.idle_fraction),
        percent(s.waiting_fraction), s.final_concurrency + '/' + s.peak_concurrency,
        (s.cpu_seconds || 0).toFixed(2)];
      const row = el('tr', { 'data-stage': s.name }, ...cells.map((c) => el('td', {}, String(c))));
      if (s.name === run.verdict.bottleneck) row.className = 'bottleneck';
      table.append(row);
    }
    return table;
  }

  const kOutcomeColors = { done: '#2e7d32', retried: '#ef6c00', failed: '#c62828',
    expired: '#6a1b9a', released: '#9e9e9e', running: '#1565c0' };
  const kSvg = 'http://www.w3.org/2000/svg';
  function svg(tag, attrs, ...children) {
    const e = document.createElementNS(kSvg, tag);
    for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
    for (const c of children) e.append(c);
    return e;
  }

  // A ledger job's attempts: one row per worker, one bar per attempt, its outcome's colour; the
  // bar's tooltip names the partition, attempt and error.
  function taskTimeline(container, tasks) {
    const attempts = tasks.attempts || [];
    const end = Math.max(1e-3, tasks.end_s || 0,
      ...attempts.map((a) => (a.end_s != null ? a.end_s : a.start_s)));
    // A worker runs several attempts at once (its slots): each gets the first of the worker's
    // rows free at its start, so bars never overlap.
    const workers = [];
    const rowOf = new Map();
    const byWorker = new Map();
    for (const a of attempts) {
      if (!byWorker.has(a.worker)) byWorker.set(a.worker, []);
      byWorker.get(a.worker).push(a);
    }
    for (const w of Array.from(byWorker.keys()).sort()) {
      const lanes = [];
      for (const a of byWorker.get(w).sort((p, q) => p.start_s - q.start_s)) {
        let lane = lanes.findIndex((busyUntil) => busyUntil <= a.start_s);
        if (lane < 0) {
          lane = lanes.length;
          lanes.push(0);
          workers.push(lane === 0 ? w : w + ' #' + (lane + 1));
        }
        lanes[lane] = a.end_s != null ? a.end_s : end;
        rowOf.set(a, workers.indexOf(lane === 0 ? w : w + ' #' + (lane + 1)));
      }
    }
    const width = Math.max(320, container.clientWidth || 1100);
    const left = 180;
    const rowHeight = 18;
    const box = el('div', { class: 'chart', 'data-chart': 'tasks',
      'data-series': workers.join('|') });
    box.append(el('h4', {}, 'Partition attempts per worker (seconds since the first claim; ' +
      Object.entries(kOutcomeColors).map(([k]) => k).join(', ') + ')'));
    const plot = svg('svg', { width: width, height: workers.length * rowHeight + 24 });
    const x = (t) => left + ((width - left - 10) * t) / end;
    workers.forEach((w, i) => {
      plot.append(svg('text', { x: 0, y: i * rowHeight + 13, 'font-size': 11 },
        w.length > 28 ? '...' + w.slice(-27) : w));
    });
    for (const a of attempts) {
      const row = rowOf.get(a);
      const stop = a.end_s != null ? a.end_s : end;
      const bar = svg('rect', { class: 'timeline-bar', x: x(a.start_s), y: row * rowHeight + 2,
        width: Math.max(1.5, x(stop) - x(a.start_s)), height: rowHeight - 4,
        fill: kOutcomeColors[a.outcome] || '#777', 'data-outcome': a.outcome },
      svg('title', {}, a.partition + ' attempt ' + a.attempt + ': ' + a.outcome + ', ' +
        (stop - a.start_s).toFixed(2) + ' s' + (a.error ? '\n' + a.error : '')));
      plot.append(bar);
    }
    for (let t = 0; t <= 4; t++) {
      const v = (end * t) / 4;
      plot.append(svg('text', { x: x(v), y: workers.length * rowHeight + 16, 'font-size': 11,
        'text-anchor': 'middle' }, v.toFixed(1) + ' s'));
    }
    box.append(plot);
    container.append(box);
  }

  // Partition sizes (output bytes) in ten bins; a partition over four times the median is
  // marked skewed, as the shuffles split them.
  function partitionHistogram(container, tasks, title) {
    const sized = (tasks.partitions || []).filter((p) => typeof p.bytes === 'number');
    if (sized.length === 0) return;
    const sorted = sized.map((p) => p.bytes).sort((a, b) => a - b);
    const median = sorted[Math.floor(sorted.length / 2)];
    // A partition the job itself judged skewed (a shuffle's split) is marked whatever its size.
    const isSkewed = (p) => p.skewed === true || (median > 0 && p.bytes > 4 * median);
    const skewed = sized.filter(isSkewed);
    const max = sorted[sorted.length - 1] || 1;
    const bins = Array.from({ length: 10 }, () => ({ count: 0, skewed: 0 }));
    for (const p of sized) {
      const b = bins[Math.min(9, Math.floor((10 * p.bytes) / (max + 1)))];
      b.count++;
      if (isSkewed(p)) b.skewed++;
    }
    const width = Math.max(320, Math.min(container.clientWidth || 800, 800));
    const height = 140;
    const top = Math.max(...bins.map((b) => b.count));
    const box = el('div', { class: 'chart', 'data-chart': 'partition_sizes',
      'data-skewed': skewed.map((p) => p.key).join('|') });
    box.append(el('h4', {}, (title || 'Partition sizes (output bytes') + '; median ' +
      formatBytes(median) +
      (skewed.length ? '; skewed, over 4x the median: ' + skewed.map((p) => p.key +
        ' ' + formatBytes(p.bytes)).join(', ') : '; none skewed') + ')'));
    const plot = svg('svg', { width: width, height: height + 20 });
    const w = width / bins.length;
    bins.forEach((b, i) => {
      const h = (height * b.count) / top;
      plot.append(svg('rect', { x: i * w + 1, y: height - h, width: w - 2, height: h,
        fill: b.skewed ? '#c62828' : '#1565c0' }, svg('title', {}, b.count + ' partitions of ' +
        formatBytes((max * i) / 10) + ' to ' + formatBytes((max * (i + 1)) / 10))));
      plot.append(svg('text', { x: i * w + w / 2, y: height + 14, 'font-size': 10,
        'text-anchor': 'middle' }, formatBytes((max * (i + 0.5)) / 10)));
    });
    box.append(plot);
    container.append(box);
  }

  // The partitions running, done and failed over time (jobs/task_timeline.h's "progress"),
  // drawn as steps, under the job's partition count.
  function progressChart(container, tasks, key) {
    const points = tasks.progress || [];
    if (points.length === 0) return;
    const xs = points.map((p) => p.t);
    const end = Math.max(1e-3, tasks.end_s || 0, xs[xs.length - 1]);
    const steps = uPlot.paths.stepped({ align: 1 });
    const opts = {
      height: 200,
      cursor: { sync: { key: key } },
      scales: { x: { time: false, range: [0, end] } },
      legend: { live: true },
      series: [{ label: 'seconds', value: (u, v) => (v == null ? '-' : v.toFixed(1) + ' s') }],
      axes: [{ label: 'seconds since the first claim' }, { label: 'partitions', size: 60 }],
    };
    const data = [xs];
    const series = [['running', '#1565c0'], ['done', '#2e7d32'], ['failed', '#c62828']];
    for (const [name, color] of series) {
      opts.series.push({ label: name, stroke: color, width: 2, paths: steps,
        points: { show: xs.length <= 2 }, value: (u, v) => (v == null ? '-' : String(v)) });
      data.push(points.map((p) => p[name]));
    }
    opts.series.push({ label: 'partitions in the job', stroke: '#555', width: 1, dash: [6, 4],
      points: { show: false }, value: (u, v) => (v == null ? '-' : String(v)) });
    data.push(xs.map(() => tasks.total || 0));
    addChart(container, { chart: 'partitions_over_time', title: 'Partitions running, done ' +
      'and failed over time' }, opts, data);
  }

  // A ledger job across all its workers (`sluice status --ui`, `sluice run --report`): its
  // counts, its partitions over time, every attempt per worker, and the partitions' sizes.
  function renderJob(root, doc) {
    const job = doc.job || {};
    const section = el('section', { class: 'job', 'data-job': job.job || '',
      'data-status': job.status || '' });
    root.append(section);
    section.append(el('h2', {}, 'job ' + (job.job || '?') + ' (' + (job.status || '?') + ')'));
    const counts = ['done', 'running', 'pending', 'failed'].map((k) => k + ' ' + (job[k] || 0));
    section.append(el('p', { class: 'facts', 'data-chart': 'job_counts', 'data-done': job.done,
      'data-running': job.running, 'data-failed': job.failed, 'data-total': job.total },
    counts.join(', ') + ' of ' + (job.total || 0) + (job.sealed === false ? '+ (still listing)' :
      '') + '; ' + (job.retries || 0) + ' retries; ' + (job.rate_per_second || 0).toFixed(1) +
      ' partitions/s' + (job.eta_seconds != null ? ', ETA ' + Math.round(job.eta_seconds) + ' s' :
      '')));
    if (job.interrupted) {
      section.append(el('p', { class: 'warnings' }, 'interrupted: the processes holding its ' +
        'partitions are gone; run its command again to resume'));
    }
    const workers = Object.entries(job.leases || {});
    if (workers.length > 0) {
      const gone = new Set(job.gone_workers || []);
      section.append(el('p', { class: 'facts' }, 'leases held: ' + workers.map(([w, l]) => w +
        (gone.has(w) ? ' (gone)' : '') + ' ' + l.length).join(', ')));
    }
    section.append(el('h3', {}, 'Ledger: partitions over time, attempts and sizes'));
    progressChart(section, doc.tasks, 'job');
    taskTimeline(section, doc.tasks);
    partitionHistogram(section, doc.tasks);
  }

  // The CPU pool's busy share and CPU time, and the I/O pool's CPU time: its threads run outside
  // the CPU pool's slots, so the busy share alone would call a run of I/O stages idle.
  function cpuFacts(run) {
    const seconds = (pool) => run.stages.filter((s) => s.pool === pool)
      .reduce((a, s) => a + (s.cpu_seconds || 0), 0);
    const io = run.stages.some((s) => s.pool === 'io');
    return 'cpu pool busy ' + percent(run.cpu_busy_fraction || 0) + ' of ' + run.cpu_threads +
      ' threads (' + seconds('cpu').toFixed(1) + ' cpu s)' +
      (io ? ', io pool ' + seconds('io').toFixed(1) + ' cpu s' : '');
  }

  function renderRun(root, found, index) {
    const run = found.run;
    const key = 'run-' + index;
    const section = el('section', { class: 'run', 'data-pipeline': run.pipeline || '' });
    root.append(section);
    section.append(el('h2', {}, 'pipeline ' + (run.pipeline || '?') +
      (found.path ? ' (' + found.path + ')' : '')));
    section.append(el('p', { class: 'facts' }, 'wall ' + (run.wall_seconds || 0).toFixed(2) +
      ' s, ' + cpuFacts(run) + ', peak memory ' + formatBytes(run.peak_memory_bytes) + ' of ' +
      formatBytes(run.memory_budget_bytes) + ', peak RSS ' + formatBytes(run.peak_rss_bytes)));
    section.append(verdictLine(run), summaryTable(run));
    for (const w of run.warnings || []) section.append(el('p', { class: 'warnings' }, w));
    const xs = timeAxis(run);
    section.append(el('h3', {}, 'Where each stage\'s time went, and its concurrency'));
    const grid = el('div', { class: 'stage-grid' });
    section.append(grid);
    for (const s of run.stages) stageShares(grid, run, xs, s, key);
    section.append(el('h3', {}, 'Output over time'));
    perStageChart(section, run, xs, key, { chart: 'items_out', unit: 'items/s',
      title: 'Items out per second, per stage' }, (p, dt) => (dt > 0 ? p.items_out / dt : null),
    formatCount);
    perStageChart(section, run, xs, key, { chart: 'bytes_out', unit: 'bytes/s',
      title: 'Bytes out per second, per stage' }, (p, dt) => (dt > 0 ? p.bytes_out / dt : null),
    (v) => (v == null ? '-' : formatBytes(v) + '/s'));
    section.append(el('h3', {}, 'Queues and memory'));
    perStageChart(section, run, xs, key, { chart: 'queue', unit: 'items',
      title: 'Queue depth (items waiting at each stage\'s input)' }, (p) => p.queue_items,
    formatCount);
    memoryChart(section, run, xs, key);
    if (run.tasks && Array.isArray(run.tasks.attempts)) {
      section.append(el('h3', {}, 'Ledger: partitions over time, attempts and sizes'));
      progressChart(section, run.tasks, key + '-tasks');
      taskTimeline(section, run.tasks);
      partitionHistogram(section, run.tasks);
    }
  }

  // A shuffle's figures (a group-by's or distinct's "group_by" section): partition counts before
  // and after coalescing, spill, and the merge tasks' sizes with the skewed ones marked.
  function renderShuffle(root, shuffle) {
    const section = el('section', { class: 'shuffle' });
    root.append(section);
    section.append(el('h2', {}, 'Shuffle'));
    const tasks = shuffle.tasks || [];
    const spilled = tasks.reduce((a, t) => a + (t.spilled_bytes || 0), 0);
    const facts = [
      ['hash partitions', shuffle.partitions],
      ['merge tasks after coalescing', shuffle.merge_tasks],
      ['spill partitions', shuffle.spill_partitions],
      ['spilled rows', shuffle.spilled_rows],
      ['spilled bytes (files)', formatBytes(shuffle.spilled_file_bytes)],
      ['spilled bytes (merge tasks)', formatBytes(spilled)],
      ['spill runs', shuffle.spill_runs],
      ['skewed partitions split', (shuffle.skewed || []).length],
      ['input rows', shuffle.input_rows],
      ['groups', shuffle.groups],
    ].filter(([, v]) => v !== undefined);
    section.append(el('table', { class: 'summary', 'data-chart': 'shuffle' },
      ...facts.map(([k, v]) => el('tr', {}, el('td', {}, k), el('td', {}, String(v))))));
    partitionHistogram(section, { partitions: tasks.map((t) => ({
      key: 'partitions ' + t.partitions.join('-'), bytes: t.estimated_bytes, skewed: t.skewed,
    })) }, 'Merge task sizes (estimated bytes');
  }

  function render(doc) {
    const root = document.getElementById('runs');
    root.replaceChildren();
    const runs = findRuns(doc, '', []);
    const status = document.getElementById('status');
    const live = doc.live ? (doc.live.finished ? 'live, finished: ' : 'live, updated ' +
      new Date().toLocaleTimeString() + ': ') : '';
    const ledgerJob = doc.job && doc.tasks && Array.isArray(doc.tasks.attempts);
    status.textContent = live + (doc.command ? 'sluice ' + doc.command + ': ' : '') +
      (ledgerJob ? 'job ' + doc.job.job + ', ' + doc.job.status : runs.length === 0 ?
        'no pipeline run yet' : runs.length + ' pipeline run' + (runs.length > 1 ? 's' : ''));
    if (ledgerJob) renderJob(root, doc);
    runs.forEach((found, i) => renderRun(root, found, i));
    if (doc.group_by && typeof doc.group_by === 'object') renderShuffle(root, doc.group_by);
    return runs;
  }

  // The live page (--ui): the document says so, and the page fetches it again every second until
  // the run has finished.
  function poll(live) {
    setTimeout(async () => {
      let next;
      try {
        next = await (await fetch('report.json', { cache: 'no-store' })).json();
      } catch (e) {
        document.getElementById('status').textContent = 'live: the job is no longer serving ' +
          'this page; showing its last update';
        return;
      }
      window.sluiceReport.runs = render(next);
      if (next.live && !next.live.finished) poll(next.live);
    }, live.refresh_ms || 1000);
  }

  const doc = JSON.parse(document.getElementById('report').textContent);
  window.sluiceReport = { render: render, runs: render(doc) };
  if (doc.live && !doc.live.finished) poll(doc.live);
})();
