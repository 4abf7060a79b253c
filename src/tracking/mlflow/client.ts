// MLflow REST API 2.0 client (experiments, runs, log-batch, tags, search, metric history,
// artifacts through the mlflow-artifacts proxy). IDs stay strings.
import { MlflowHttp, MlflowHttpError, type Jitter } from './http.js';
import type { MlflowClientOptions } from './config.js';
import { chunkBatch, type Batch, type KeyValue, type WireMetric } from './batch.js';
import { decodeDouble, decodeInt, encodeDouble } from './values.js';

const API = '/api/2.0/mlflow';

export type MlflowRunStatus = 'RUNNING' | 'SCHEDULED' | 'FINISHED' | 'FAILED' | 'KILLED';

export interface MlflowRunInfo {
  run_id: string;
  experiment_id: string;
  run_name?: string;
  status: MlflowRunStatus;
  start_time?: number;
  end_time?: number;
  artifact_uri: string;
  lifecycle_stage?: string;
}

export interface MlflowRun {
  info: MlflowRunInfo;
  data: { params: Record<string, string>; tags: Record<string, string>; metrics: Record<string, number> };
}

export interface MetricRecord {
  key: string;
  value: number;
  step: number;
  timestamp: number;
}

export class MlflowClient {
  readonly http: MlflowHttp;

  constructor(opts: MlflowClientOptions, jitter?: Jitter) {
    this.http = new MlflowHttp(opts, jitter);
  }

  get where(): string {
    return this.http.where;
  }

  async getExperimentByName(name: string): Promise<{ experiment_id: string; name: string; artifact_location?: string; tags: Record<string, string> } | null> {
    try {
      const r = await this.http.send({ method: 'GET', path: `${API}/experiments/get-by-name`, query: { experiment_name: name } });
      const e = r.experiment as { experiment_id: string; name: string; artifact_location?: string; tags?: KeyValue[] };
      return { ...e, experiment_id: String(e.experiment_id), tags: Object.fromEntries((e.tags ?? []).map((t) => [t.key, t.value])) };
    } catch (e) {
      if (e instanceof MlflowHttpError && e.errorCode === 'RESOURCE_DOES_NOT_EXIST') return null;
      throw e;
    }
  }

  async createExperiment(name: string, tags: Record<string, string> = {}): Promise<string> {
    const r = await this.http.send({
      method: 'POST',
      path: `${API}/experiments/create`,
      json: { name, tags: Object.entries(tags).map(([key, value]) => ({ key, value })) },
    });
    return String(r.experiment_id);
  }

  async setExperimentTag(experimentId: string, key: string, value: string): Promise<void> {
    await this.http.send({ method: 'POST', path: `${API}/experiments/set-experiment-tag`, json: { experiment_id: experimentId, key, value } });
  }

  /**
   * The experiment's id, created when missing (tolerates a concurrent create); `tags` are
   * given to a new experiment and set on an existing one where it has none of that key.
   */
  async getOrCreateExperiment(name: string, tags: Record<string, string> = {}): Promise<string> {
    const e = await this.getExperimentByName(name);
    if (e) {
      for (const [k, v] of Object.entries(tags)) if (!(k in e.tags)) await this.setExperimentTag(e.experiment_id, k, v);
      return e.experiment_id;
    }
    try {
      return await this.createExperiment(name, tags);
    } catch (err) {
      if (err instanceof MlflowHttpError && err.errorCode === 'RESOURCE_ALREADY_EXISTS') {
        const again = await this.getExperimentByName(name);
        if (again) return again.experiment_id;
      }
      throw err;
    }
  }

  async createRun(r: { experimentId: string; runName?: string; startTime?: number; tags?: Record<string, string> }): Promise<MlflowRun> {
    const res = await this.http.send({
      method: 'POST',
      path: `${API}/runs/create`,
      json: {
        experiment_id: r.experimentId,
        run_name: r.runName,
        start_time: r.startTime ?? Date.now(),
        tags: Object.entries(r.tags ?? {}).map(([key, value]) => ({ key, value })),
      },
    });
    return parseRun(res.run);
  }

  async getRun(runId: string): Promise<MlflowRun> {
    const res = await this.http.send({ method: 'GET', path: `${API}/runs/get`, query: { run_id: runId } });
    return parseRun(res.run);
  }

  async updateRun(runId: string, u: { status?: MlflowRunStatus; endTime?: number; runName?: string }): Promise<void> {
    await this.http.send({
      method: 'POST',
      path: `${API}/runs/update`,
      json: { run_id: runId, status: u.status, end_time: u.endTime, run_name: u.runName },
    });
  }

  async deleteRun(runId: string): Promise<void> {
    await this.http.send({ method: 'POST', path: `${API}/runs/delete`, json: { run_id: runId } });
  }

  async setTag(runId: string, key: string, value: string): Promise<void> {
    await this.http.send({ method: 'POST', path: `${API}/runs/set-tag`, json: { run_id: runId, key, value } });
  }

  /** log-batch, split into as many calls as the server's limits need. */
  async logBatch(runId: string, b: Partial<Batch>): Promise<number> {
    const chunks = chunkBatch({ metrics: b.metrics ?? [], params: b.params ?? [], tags: b.tags ?? [] });
    for (const c of chunks) {
      await this.http.send({
        method: 'POST',
        path: `${API}/runs/log-batch`,
        json: {
          run_id: runId,
          metrics: c.metrics.map((m: WireMetric) => ({ key: m.key, value: encodeDouble(m.value), step: m.step, timestamp: m.timestamp })),
          params: c.params as KeyValue[],
          tags: c.tags as KeyValue[],
        },
      });
    }
    return chunks.length;
  }

  /** runs/search over all pages. */
  async searchRuns(experimentIds: string[], filter = '', maxResults = 1000): Promise<MlflowRun[]> {
    const out: MlflowRun[] = [];
    let pageToken: string | undefined;
    do {
      const r = await this.http.send({
        method: 'POST',
        path: `${API}/runs/search`,
        json: { experiment_ids: experimentIds, filter, max_results: maxResults, page_token: pageToken },
      });
      for (const run of (r.runs as unknown[] | undefined) ?? []) out.push(parseRun(run));
      pageToken = (r.next_page_token as string | undefined) || undefined;
    } while (pageToken);
    return out;
  }

  /** metrics/get-history over all pages, in the server's order. */
  async getMetricHistory(runId: string, key: string): Promise<MetricRecord[]> {
    const out: MetricRecord[] = [];
    let pageToken: string | undefined;
    do {
      const r = await this.http.send({
        method: 'GET',
        path: `${API}/metrics/get-history`,
        query: { run_id: runId, metric_key: key, max_results: 25000, page_token: pageToken },
      });
      for (const m of (r.metrics as Record<string, unknown>[] | undefined) ?? []) {
        out.push({ key: String(m.key), value: decodeDouble(m.value), step: decodeInt(m.step), timestamp: decodeInt(m.timestamp) });
      }
      pageToken = (r.next_page_token as string | undefined) || undefined;
    } while (pageToken);
    return out;
  }

  /** Uploads bytes to `<artifact_uri>/<artifactPath>` through the mlflow-artifacts proxy. */
  async uploadArtifact(artifactUri: string, artifactPath: string, data: Buffer | Uint8Array): Promise<void> {
    await this.http.send({ method: 'PUT', path: artifactProxyPath(artifactUri, artifactPath), body: data });
  }

  async downloadArtifact(artifactUri: string, artifactPath: string): Promise<Buffer> {
    return this.http.send({ method: 'GET', path: artifactProxyPath(artifactUri, artifactPath), raw: true });
  }

  async listArtifacts(runId: string, path?: string): Promise<{ path: string; is_dir: boolean; file_size?: number }[]> {
    const r = await this.http.send({ method: 'GET', path: `${API}/artifacts/list`, query: { run_id: runId, path } });
    return ((r.files as { path: string; is_dir: boolean; file_size?: unknown }[] | undefined) ?? []).map((f) => ({
      path: f.path,
      is_dir: !!f.is_dir,
      file_size: f.file_size === undefined ? undefined : decodeInt(f.file_size),
    }));
  }

  async close(): Promise<void> {
    await this.http.close();
  }
}

/**
 * `/api/2.0/mlflow-artifacts/artifacts/<path>` for an artifact of a run whose artifact_uri
 * is `mlflow-artifacts:/<exp>/<run>/artifacts` (or `mlflow-artifacts://host:port/...`).
 */
export function artifactProxyPath(artifactUri: string, artifactPath: string): string {
  const m = /^mlflow-artifacts:(?:\/\/[^/]*)?\/?(.*)$/.exec(artifactUri);
  if (!m) {
    throw new MlflowHttpError(
      `run artifact_uri '${artifactUri}' is not served by the tracking server (mlflow-artifacts:/...); ` +
        'start the server with --serve-artifacts (the default) and --artifacts-destination',
      null,
    );
  }
  const segs = [...m[1].split('/'), ...artifactPath.split('/')].filter((s) => s.length > 0);
  if (segs.some((s) => s === '.' || s === '..')) {
    throw new MlflowHttpError(`artifact path '${artifactPath}' of run artifact_uri '${artifactUri}' has a '.' or '..' segment`, 400);
  }
  return `/api/2.0/mlflow-artifacts/artifacts/${segs.map(encodeURIComponent).join('/')}`;
}

function parseRun(raw: unknown): MlflowRun {
  const r = raw as { info: Record<string, unknown>; data?: { params?: KeyValue[]; tags?: KeyValue[]; metrics?: { key: string; value: unknown }[] } };
  const info = r.info;
  return {
    info: {
      run_id: String(info.run_id ?? info.run_uuid),
      experiment_id: String(info.experiment_id),
      run_name: info.run_name as string | undefined,
      status: info.status as MlflowRunStatus,
      start_time: info.start_time === undefined ? undefined : decodeInt(info.start_time),
      end_time: info.end_time === undefined ? undefined : decodeInt(info.end_time),
      artifact_uri: String(info.artifact_uri ?? ''),
      lifecycle_stage: info.lifecycle_stage as string | undefined,
    },
    data: {
      params: Object.fromEntries((r.data?.params ?? []).map((p) => [p.key, p.value])),
      tags: Object.fromEntries((r.data?.tags ?? []).map((p) => [p.key, p.value])),
      metrics: Object.fromEntries((r.data?.metrics ?? []).map((p) => [p.key, decodeDouble(p.value)])),
    },
  };
}
