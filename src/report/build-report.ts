// Writes automl/<run_id>/report.html (or another file): the run's data, the best job's
// prediction images (made once per best job, kept under automl/<run_id>/report/), one
// self-contained page, written atomically so a browser never sees half a report.
import { join, resolve } from 'node:path';
import { writeFileAtomic } from '../util/atomic-fs.js';
import { renderReport } from './html.js';
import { predictionImages } from './images.js';
import { loadRunData, type RunData } from './run-data.js';
import { collectRunInfo } from './run-info.js';

interface BuildReportOptions {
  mmarRoot: string;
  runId: string;
  /** Default automl/<run_id>/report.html. */
  output?: string;
  /** Make the prediction images (default true). */
  images?: boolean;
  refreshS?: number;
  log?: (line: string) => void;
}

function reportDir(runRoot: string): string {
  return join(runRoot, 'report');
}

export async function buildReport(o: BuildReportOptions): Promise<{ file: string; data: RunData; images: number; imagesNote?: string }> {
  const mmar = resolve(o.mmarRoot);
  const data = loadRunData(mmar, o.runId);
  if (!data.info) data.info = { ...collectRunInfo(), here: true };
  let images: Awaited<ReturnType<typeof predictionImages>> = { images: [] };
  if (o.images === false) images.note = 'not asked for (--no-images)';
  else if (!data.best) images.note = 'no job has a score yet';
  else images = await predictionImages(data.best.name, data.best.folder, reportDir(data.runRoot), { log: o.log });
  const html = renderReport(data, {
    images: images.images,
    ...(images.note ? { imagesNote: images.note } : {}),
    ...(o.refreshS ? { refreshS: o.refreshS } : {}),
  });
  const file = resolve(o.output ?? join(data.runRoot, 'report.html'));
  writeFileAtomic(file, html);
  return { file, data, images: images.images.length, ...(images.note ? { imagesNote: images.note } : {}) };
}
