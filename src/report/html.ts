// The report page: one self-contained HTML file (inline CSS, inline SVG, images as data:
// URIs, no script, nothing fetched), built from RunData.
import { IMPORTANCE_METHOD, parameterImportance } from './importance.js';
import type { JobData, Param, RunData } from './run-data.js';
import { barChart, esc, fmt, lineChart, parallelCoordinates, type Series } from './svg.js';
import { betterThan, searchScore } from '../jobs/objective.js';

export interface SliceImage {
  caseId: string;
  view: 'axial' | 'coronal' | 'sagittal';
  png: Uint8Array;
  /** Dice of this case from the prediction shown. */
  dice?: number;
}

interface RenderOptions {
  images?: SliceImage[];
  /** Why there are no images (shown instead). */
  imagesNote?: string;
  /** Seconds: the page reloads itself (report --watch while the search runs). */
  refreshS?: number;
  now?: number;
}

const VALID = new Set(['FINISHED', 'PRUNED']);
const color2 = '#2ca02c';
const scored = (j: JobData) => VALID.has(j.status) && typeof j.score === 'number' && Number.isFinite(j.score);

function when(t: number | undefined): string {
  return t === undefined
    ? '–'
    : new Date(t)
        .toISOString()
        .replace('T', ' ')
        .replace(/\.\d+Z$/, ' UTC');
}

function duration(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return '–';
  const s = Math.round(ms / 1000);
  if (s < 120) return `${s} s`;
  if (s < 7200) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.round((s % 3600) / 60)} min`;
}

export function paramValue(p: Param, v: number | undefined): string {
  if (v === undefined) return '–';
  if (p.kind === 'cat' && p.categories) return p.categories[Math.round(v)] ?? String(v);
  return fmt(v);
}

const CSS = `
body{font:14px/1.4 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:20px 28px;color:#222;background:#fff}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #ddd;padding-bottom:3px}
h3{font-size:14px;margin:12px 0 4px}
table{border-collapse:collapse;font-size:13px;margin:4px 0}td,th{border:1px solid #ddd;padding:3px 7px;text-align:left;vertical-align:top}
th{background:#f4f4f4}td.num{text-align:right;font-variant-numeric:tabular-nums}
tr.best td{background:#fff7d6}
.sub{color:#666}.note{color:#777;font-size:12px}
.charts{display:flex;flex-wrap:wrap;gap:14px}
figure{margin:0}figcaption{font-size:12px;color:#444;text-align:center}
svg text{font-size:10px;fill:#333}svg .label{font-size:11px;fill:#222}svg .legend{font-size:10px}
svg .axis line{stroke:#888;stroke-width:1}svg line.grid{stroke:#eee}svg .nodata{fill:#999;font-size:13px}
.images{display:flex;flex-wrap:wrap;gap:10px}.images figure img{image-rendering:pixelated;border:1px solid #ccc;width:192px}
.job{border:1px solid #eee;border-radius:4px;padding:6px 8px;margin:8px 0}
.key{display:inline-block;width:10px;height:10px;margin:0 3px 0 8px;vertical-align:middle}
`;

export function renderReport(d: RunData, o: RenderOptions = {}): string {
  const now = o.now ?? Date.now();
  const best = d.best;
  const jobs = d.jobs;
  const parts: string[] = [];
  const status = d.ended ? `ended: ${esc(d.endReason ?? '')}` : 'running (or stopped without a clean end)';
  parts.push(
    `<h1>AutoML run ${esc(d.runId)}</h1><div class="sub">MMAR ${esc(d.mmarRoot)} · ${status} · ${jobs.length} job(s) · ` +
      `${best ? `best <b>${esc(best.name)}</b> score <b>${fmt(best.score)}</b>` : 'no job scored yet'} · generated ${when(now)}</div>`,
  );

  // Facts.
  const info = d.info;
  const backends = [...new Set(jobs.map((j) => j.backend).filter(Boolean))].join(', ') || info?.backend || '–';
  const amps = [...new Set(jobs.map((j) => j.amp).filter(Boolean))].join(', ') || '–';
  const ended = jobs.filter((j) => j.end !== undefined && j.start !== undefined);
  const meanJob = ended.length ? ended.reduce((a, j) => a + (j.end! - j.start!), 0) / ended.length : undefined;
  const epochTimes = jobs.flatMap((j) => j.epochTime.map((p) => p.y)).filter(Number.isFinite);
  const wall = d.start !== undefined ? (d.ended ? d.end! : now) - d.start : undefined;
  const facts: [string, string][] = [
    [
      'controller',
      `${esc(d.controller ?? info?.controller ?? '–')}${info?.controllerArgs ? ` <span class="note">${esc(JSON.stringify(info.controllerArgs))}</span>` : ''}`,
    ],
    ['seed', esc(d.seed ?? '–')],
    ['workers', esc(d.workers.map((w) => (w.length ? w.join(',') : 'cpu')).join(':') || '–')],
    ['backend (jobs)', esc(backends)],
    ['AMP (jobs)', esc(amps)],
    [
      'machine',
      info
        ? `${esc(info.host)} · ${esc(info.os)} · ${esc(info.cpus)}× ${esc(info.cpuModel)} · ${esc(info.memoryGb)} GB · node ${esc(info.node)}${info.gpus.length ? ` · GPUs: ${esc(info.gpus.join('; '))}` : ' · no GPU'}${info.here ? ' <span class="note">(the machine that made this report; the run recorded none)</span>' : ''}`
        : '–',
    ],
    ['started / ended', `${when(d.start)} / ${d.ended ? when(d.end) : '–'}`],
    ['wall time', `${duration(wall)}${d.resumes ? ` · resumed ${d.resumes}×` : ''}`],
    [
      'jobs',
      `${jobs.filter((j) => j.status === 'FINISHED').length} finished, ${jobs.filter((j) => j.status === 'PRUNED').length} pruned, ${jobs.filter((j) => ['FAILED', 'TIMEOUT'].includes(j.status)).length} failed, ${jobs.filter((j) => j.status === 'KILLED').length} killed, ${jobs.filter((j) => j.status === 'RUNNING').length} running`,
    ],
    [
      'mean job time / epoch time',
      `${duration(meanJob)} / ${epochTimes.length ? `${fmt(epochTimes.reduce((a, b) => a + b, 0) / epochTimes.length, 3)} s` : '–'}`,
    ],
  ];
  parts.push(`<h2>Run</h2><table class="facts">${facts.map(([k, v]) => `<tr><th>${k}</th><td>${v}</td></tr>`).join('')}</table>`);

  // Leaderboard.
  const board = [...jobs].sort((a, b) => (scored(b) ? searchScore(b) : -Infinity) - (scored(a) ? searchScore(a) : -Infinity) || a.name.localeCompare(b.name));
  const head = ['#', 'job', 'status', 'score', 'worker', 'time', 'epochs', ...d.params.map((p) => esc(p.label))];
  parts.push(
    `<h2>Leaderboard</h2><table class="leaderboard"><tr>${head.map((h) => `<th>${h}</th>`).join('')}</tr>` +
      board
        .map(
          (j, i) =>
            `<tr${j === best ? ' class="best"' : ''}><td class="num">${i + 1}</td><td>${esc(j.name)}</td><td>${esc(j.status)}${j.error ? ` <span class="note" title="${esc(j.error)}">(why)</span>` : ''}</td>` +
            `<td class="num">${scored(j) ? fmt(j.score) : '–'}</td><td class="num">${j.worker}</td><td class="num">${duration(j.end !== undefined && j.start !== undefined ? j.end - j.start : undefined)}</td>` +
            `<td class="num">${j.epochsCompleted ?? '–'}${j.totalEpochs ? `/${j.totalEpochs}` : ''}</td>` +
            d.params.map((p) => `<td class="num">${esc(paramValue(p, j.values[p.key]))}</td>`).join('') +
            '</tr>',
        )
        .join('') +
      '</table>',
  );

  // Best score over time and over jobs.
  const byEnd = jobs.filter((j) => j.end !== undefined).sort((a, b) => a.end! - b.end!);
  const overTime: { x: number; y: number }[] = [];
  const overJobs: { x: number; y: number }[] = [];
  const each: { x: number; y: number }[] = [];
  let bestSoFar = -Infinity;
  let bestJob: JobData | undefined;
  byEnd.forEach((j, i) => {
    if (scored(j)) {
      each.push({ x: i + 1, y: j.score! });
      if (betterThan(j, bestJob)) {
        bestJob = j;
        bestSoFar = j.score!;
      }
    }
    if (Number.isFinite(bestSoFar)) {
      overTime.push({ x: (j.end! - (d.start ?? j.end!)) / 60000, y: bestSoFar });
      overJobs.push({ x: i + 1, y: bestSoFar });
    }
  });
  parts.push(
    '<h2>Best score</h2><div class="charts">' +
      lineChart({
        id: 'best-over-time',
        title: 'best score over time',
        series: [{ name: 'best so far', points: overTime, step: true, dots: true }],
        xLabel: 'minutes since start',
        yLabel: 'score',
      }) +
      lineChart({
        id: 'best-over-jobs',
        title: 'score of each job and best so far',
        series: [
          { name: 'best so far', points: overJobs, step: true },
          { name: 'job score', points: each, dots: true, color: '#999', dashed: true },
        ],
        xLabel: 'jobs ended',
        yLabel: 'score',
        legend: true,
      }) +
      '</div>',
  );

  // Best job: per-case metrics and images.
  parts.push(`<h2>Best job${best ? `: ${esc(best.name)}` : ''}</h2>`);
  if (best?.perCase && Object.keys(best.perCase).length) {
    const cases = Object.keys(best.perCase);
    const metrics = [...new Set(cases.flatMap((c) => Object.keys(best.perCase![c])))];
    const dice = metrics.find((m) => /dice/i.test(m)) ?? metrics[0];
    parts.push(
      '<div class="charts">' +
        barChart({
          id: 'per-case',
          title: `${dice} per validation case (last validation of ${best.name})`,
          rows: cases.map((c) => ({ label: c, value: best.perCase![c][dice] })),
          max: /dice/i.test(dice) ? 1 : undefined,
        }) +
        '</div>',
    );
    parts.push(
      `<table class="per-case"><tr><th>case</th>${metrics.map((m) => `<th>${esc(m)}</th>`).join('')}</tr>` +
        cases.map((c) => `<tr><td>${esc(c)}</td>${metrics.map((m) => `<td class="num">${fmt(best.perCase![c][m])}</td>`).join('')}</tr>`).join('') +
        '</table>',
    );
  } else
    parts.push(
      `<p class="note">No per-case metrics${best ? ` (${esc(best.name)} has no val_per_case in models/train_stats.json${best.folder ? '' : '; its folder is gone'})` : ''}.</p>`,
    );
  if (o.images?.length) {
    parts.push(
      '<h3>Predictions (ground truth in green, prediction in red, overlap yellow)</h3><div class="images">' +
        o.images
          .map(
            (im) =>
              `<figure class="slice"><img alt="${esc(`${im.caseId} ${im.view}`)}" src="data:image/png;base64,${Buffer.from(im.png).toString('base64')}"><figcaption>${esc(im.caseId)} · ${im.view}${im.dice !== undefined ? ` · Dice ${fmt(im.dice, 3)}` : ''}</figcaption></figure>`,
          )
          .join('') +
        '</div>',
    );
  } else if (o.imagesNote) parts.push(`<p class="note">No prediction images: ${esc(o.imagesNote)}</p>`);

  // Parallel coordinates.
  const axes = [
    ...d.params.map((p) => ({
      label: p.label,
      values: jobs.map((j) => j.values[p.key]),
      ...(p.categories ? { categories: p.categories } : {}),
      ...(p.log ? { log: true } : {}),
    })),
    { label: 'score', values: jobs.map((j) => (scored(j) ? j.score : undefined)) },
  ];
  parts.push(
    '<h2>Searched parameters</h2><div class="charts">' +
      parallelCoordinates({
        id: 'parallel-coordinates',
        title: 'parallel coordinates of the searched parameters, coloured by score (grey: no score)',
        axes,
        colorBy: jobs.map((j) => (scored(j) ? j.score : undefined)),
        rowNames: jobs.map((j) => j.name),
      }),
  );
  const imp = parameterImportance(
    d.params,
    jobs.filter(scored).map((j) => ({ values: j.values, score: j.score! })),
  );
  parts.push(
    imp.length
      ? barChart({
          id: 'importance',
          title: `parameter importance (${jobs.filter(scored).length} scored jobs)`,
          rows: imp.map((x) => ({ label: x.label, value: x.eta2 })),
          max: 1,
          note: `method: ${IMPORTANCE_METHOD}`,
          valueLabel: (v) => v.toFixed(2),
        })
      : `<p class="note">Parameter importance needs at least 3 scored jobs (method: ${esc(IMPORTANCE_METHOD)}).</p>`,
  );
  parts.push('</div>');

  // Learning curves.
  parts.push('<h2>Learning curves</h2>');
  for (const j of [...jobs].sort((a, b) => a.name.localeCompare(b.name))) {
    const src = j.source === 'none' ? 'no curves recorded' : `from ${j.source}`;
    parts.push(
      `<div class="job"><b>${esc(j.name)}</b> <span class="sub">${esc(j.status)}${scored(j) ? ` · score ${fmt(j.score)}` : ''} · ${esc(src)}</span><div class="charts">` +
        lineChart({ id: `loss-${j.name}`, title: 'train loss', series: [{ name: 'train_loss', points: j.loss }], xLabel: 'epoch', width: 280, height: 170 }) +
        lineChart({
          id: `val-${j.name}`,
          title: `validation ${j.keyMetric ?? 'key metric'}`,
          series: [{ name: j.keyMetric ?? 'val', points: j.val, dots: true, color: color2 }],
          xLabel: 'epoch',
          width: 280,
          height: 170,
        }) +
        lineChart({
          id: `lr-${j.name}`,
          title: 'learning rate',
          series: [{ name: 'lr', points: j.lr, color: '#9467bd' }],
          xLabel: 'epoch',
          width: 280,
          height: 170,
          logY: true,
        }) +
        '</div></div>',
    );
  }

  // System metrics.
  parts.push('<h2>System metrics</h2>');
  const withSys = jobs.filter((j) => j.system.length > 0);
  if (withSys.length) {
    const stat = (xs: (number | undefined)[]) => {
      const v = xs.filter((x): x is number => x !== undefined && Number.isFinite(x));
      return v.length ? { mean: v.reduce((a, b) => a + b, 0) / v.length, max: Math.max(...v) } : undefined;
    };
    const rows = withSys.map((j) => {
      const cpu = stat(j.system.map((s) => s.cpu)),
        pc = stat(j.system.map((s) => s.procCpu)),
        rss = stat(j.system.map((s) => s.rssMb));
      const gu = stat(j.system.map((s) => s.gpuUtil)),
        gm = stat(j.system.map((s) => s.gpuMemMb));
      return (
        `<tr><td>${esc(j.name)}</td><td class="num">${j.system.length}</td><td class="num">${fmt(cpu?.mean, 3)} / ${fmt(cpu?.max, 3)}</td><td class="num">${fmt(pc?.mean, 3)} / ${fmt(pc?.max, 3)}</td>` +
        `<td class="num">${fmt(rss?.max, 4)}</td><td class="num">${gu ? `${fmt(gu.mean, 3)} / ${fmt(gu.max, 3)}` : '–'}</td><td class="num">${gm ? fmt(gm.max, 4) : '–'}</td></tr>`
      );
    });
    parts.push(
      '<table class="system"><tr><th>job</th><th>samples</th><th>machine CPU % mean / max</th><th>job process CPU % mean / max</th><th>job RSS max (MB)</th><th>GPU util % mean / max</th><th>GPU memory max (MB)</th></tr>' +
        rows.join('') +
        '</table>',
    );
    parts.push(
      '<div class="charts">' +
        lineChart({
          id: 'system-cpu',
          title: 'job process CPU % (100 = one core)',
          series: withSys.map((j) => ({ name: j.name, points: j.system.map((s) => ({ x: s.t, y: s.procCpu ?? s.cpu })) })),
          xLabel: 'seconds since the job started',
          legend: true,
        }) +
        lineChart({
          id: 'system-rss',
          title: 'job resident memory (MB)',
          series: withSys.map((j) => ({ name: j.name, points: j.system.map((s) => ({ x: s.t, y: s.rssMb ?? NaN })) })),
          xLabel: 'seconds since the job started',
          legend: true,
        }) +
        (withSys.some((j) => j.system.some((s) => s.gpuUtil !== undefined))
          ? lineChart({
              id: 'system-gpu',
              title: 'GPU utilisation %',
              series: withSys.map((j) => ({ name: j.name, points: j.system.filter((s) => s.gpuUtil !== undefined).map((s) => ({ x: s.t, y: s.gpuUtil! })) })),
              xLabel: 'seconds since the job started',
              legend: true,
            })
          : '') +
        '</div><p class="note">Sampled every 10 s by each job (models/system_metrics.jsonl); logged to MLflow as system/cpu_utilization_percentage, system/system_memory_usage_megabytes, system/gpu_&lt;i&gt;_* (machine-wide, as MLflow measures them) and system/process_* (the job process).</p>',
    );
  } else parts.push('<p class="note">No system metrics recorded (jobs sample every 10 s; shorter jobs, or jobs whose folders are gone, have none).</p>');

  const refresh = o.refreshS ? `<meta http-equiv="refresh" content="${o.refreshS}">` : '';
  return (
    `<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">${refresh}<meta name="viewport" content="width=device-width, initial-scale=1">` +
    `<title>clara-train AutoML ${esc(d.runId)}</title><style>${CSS}</style></head><body>\n${parts.join('\n')}\n</body></html>\n`
  );
}

export type { Series };
