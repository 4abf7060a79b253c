// Replays a journal to an MLflow tracking server. The state file maps local run ids to the
// server's run ids; a run being created when the process died is looked up by its
// `clara.run_key` tag before another is made. Params are write-once on the server, metrics
// are de-duplicated by (run, key, step, timestamp, value), tags and artifacts overwrite:
// a replay from the cursor never records anything twice.
import { readFileSync } from 'node:fs';
import type { JournalEntry, JournalEvent } from '../journal.js';
import { journalUid } from '../journal.js';
import { artifactFiles } from '../artifact-files.js';
import { MlflowClient, type MlflowRunStatus } from '../mlflow/client.js';
import { MlflowHttpError } from '../mlflow/http.js';
import type { KeyValue, WireMetric } from '../mlflow/batch.js';
import { decodeDouble } from '../mlflow/values.js';
import { EXPERIMENT_KIND, EXPERIMENT_KIND_TAG } from '../experiment-kind.js';
import { JournalSink, type SinkStateBase } from './journal-sink.js';
import type { SinkLog } from './sink.js';

interface ServerState extends SinkStateBase {
  server: string;
  experiments: Record<string, string>;
  runs: Record<string, { runId: string; artifactUri: string }>;
  /** The local run whose create call was in flight (look it up by tag before creating). */
  creating?: string;
}

const MAX_METRICS_PER_DRAIN_BATCH = 5000;
export const RUN_KEY_TAG = 'clara.run_key';

export class MlflowServerSink extends JournalSink<ServerState> {
  readonly description: string;
  private uid: string | null = null;

  constructor(
    readonly client: MlflowClient,
    journal: string,
    stateFile: string,
    log?: SinkLog,
    retry?: { minMs: number; maxMs: number },
  ) {
    super(
      journal,
      stateFile,
      {
        version: 1,
        journal,
        offset: 0,
        skipped: [],
        server: client.where,
        experiments: {},
        runs: {},
      },
      log,
      retry,
    );
    this.description = `MLflow server ${client.where}`;
  }

  protected isTransient(e: unknown): boolean {
    return !(e instanceof MlflowHttpError) || e.retryable || e.status === null;
  }

  private runKey(localId: string): string {
    this.uid ??= journalUid(this.journal);
    return `${this.uid}:${localId}`;
  }

  private async experimentId(name: string): Promise<string> {
    const known = this.state.experiments[name];
    if (known) return known;
    const id = await this.client.getOrCreateExperiment(name, { [EXPERIMENT_KIND_TAG]: EXPERIMENT_KIND });
    // Runs of this journal already on the server (sent under another state file: another
    // spelling of the URI, a lost state file) are adopted instead of created again.
    const prefix = `${this.runKey('')}`;
    const found = await this.client.searchRuns([id], `tags.\`${RUN_KEY_TAG}\` LIKE '${prefix.replace(/'/g, "\\'")}%'`);
    for (const r of found) {
      const local = (r.data.tags[RUN_KEY_TAG] ?? '').slice(prefix.length);
      if (local && !this.state.runs[local]) this.trust(local, { runId: r.info.run_id, artifactUri: r.info.artifact_uri });
    }
    this.state.experiments[name] = id;
    this.saveState();
    return id;
  }

  /** Local runs whose server run this process created, adopted by tag or checked. */
  private readonly verified = new Set<string>();

  /**
   * The server run of a local run. A mapping read from the state file (a file that may come
   * with someone else's MMAR) is trusted only after the server confirms that run carries this
   * journal's run key; its artifact location is then the server's, not the file's.
   */
  private async serverRun(local: string): Promise<{ runId: string; artifactUri: string }> {
    const r = this.state.runs[local];
    if (!r) throw new MlflowHttpError(`run '${local}' was never created on the server (its run_start was skipped)`, 400);
    if (this.verified.has(local)) return r;
    const refuse = (why: string) =>
      new MlflowHttpError(
        `${this.stateFile}: run '${local}' is mapped to server run ${JSON.stringify(r.runId)}, ${why}; delete the state file to send the journal again`,
        400,
      );
    if (typeof r.runId !== 'string' || !/^[0-9a-zA-Z_-]{1,64}$/.test(r.runId)) throw refuse('not a run id');
    let run;
    try {
      run = await this.client.getRun(r.runId);
    } catch (e) {
      if (e instanceof MlflowHttpError && e.status === 404) throw refuse('which the server does not have');
      throw e;
    }
    if (run.data.tags[RUN_KEY_TAG] !== this.runKey(local)) throw refuse(`which is not this journal's run (its ${RUN_KEY_TAG} tag differs)`);
    this.state.runs[local] = { runId: run.info.run_id, artifactUri: run.info.artifact_uri };
    this.verified.add(local);
    return this.state.runs[local];
  }

  private trust(local: string, run: { runId: string; artifactUri: string }): void {
    this.state.runs[local] = run;
    this.verified.add(local);
  }

  private async startRun(e: Extract<JournalEvent, { type: 'run_start' }>): Promise<void> {
    if (this.state.runs[e.run]) return;
    const expId = await this.experimentId(e.experiment);
    if (this.state.runs[e.run]) return; // adopted from the server
    const key = this.runKey(e.run);
    if (this.state.creating === e.run) {
      const found = await this.client.searchRuns([expId], `tags.\`${RUN_KEY_TAG}\` = '${key.replace(/'/g, "\\'")}'`, 10);
      if (found.length > 0) {
        this.trust(e.run, { runId: found[0].info.run_id, artifactUri: found[0].info.artifact_uri });
        this.state.creating = undefined;
        return;
      }
    }
    const tags: Record<string, string> = { ...e.tags, [RUN_KEY_TAG]: key, 'mlflow.runName': e.name };
    if (e.parent) tags['mlflow.parentRunId'] = (await this.serverRun(e.parent)).runId;
    this.state.creating = e.run;
    this.saveState();
    const run = await this.client.createRun({ experimentId: expId, runName: e.name, startTime: e.time, tags });
    this.trust(e.run, { runId: run.info.run_id, artifactUri: run.info.artifact_uri });
    this.state.creating = undefined;
  }

  protected async apply(entries: JournalEntry[]): Promise<void> {
    for (let i = 0; i < entries.length; i++) {
      const entry = entries[i];
      const e = entry.event;
      try {
        switch (e.type) {
          case 'journal':
            this.advance(entry);
            break;
          case 'run_start':
            await this.startRun(e);
            this.advance(entry);
            break;
          case 'params':
          case 'metrics':
          case 'tags': {
            // Consecutive batchable events of one run become one (chunked) log-batch.
            const metrics: WireMetric[] = [],
              params: KeyValue[] = [],
              tags: KeyValue[] = [];
            let j = i;
            for (; j < entries.length; j++) {
              const x = entries[j].event;
              if (!('run' in x) || x.run !== e.run) break;
              if (x.type === 'params') for (const [key, value] of Object.entries(x.params)) params.push({ key, value });
              else if (x.type === 'tags') for (const [key, value] of Object.entries(x.tags)) tags.push({ key, value });
              else if (x.type === 'metrics')
                for (const m of x.metrics) metrics.push({ key: m.key, value: decodeDouble(m.value), step: m.step, timestamp: m.timestamp });
              else break;
              if (metrics.length >= MAX_METRICS_PER_DRAIN_BATCH) {
                j++;
                break;
              }
            }
            const last = entries[j - 1];
            try {
              await this.client.logBatch((await this.serverRun(e.run)).runId, { metrics, params, tags });
              this.advance(last);
            } catch (err) {
              if (this.isTransient(err)) throw err;
              if (j - i === 1) throw err;
              // One of the grouped events is bad: apply them one by one to skip only it.
              for (let k = i; k < j; k++) await this.apply([entries[k]]);
            }
            i = j - 1;
            break;
          }
          case 'artifact': {
            const run = await this.serverRun(e.run);
            const files = artifactFiles(e.path, e.artifactPath, {
              dir: this.runFolder,
              outside: (f) => this.log(`artifact file ${f} resolves outside the run folder ${this.runFolder}: not sent`),
            });
            if (!files) {
              this.skip(entry, `artifact '${e.path}' no longer exists`);
              break;
            }
            for (const f of files) await this.client.uploadArtifact(run.artifactUri, f.dest, readFileSync(f.local));
            this.advance(entry);
            break;
          }
          case 'run_end':
            await this.client.updateRun((await this.serverRun(e.run)).runId, { status: e.status as MlflowRunStatus, endTime: e.time });
            this.advance(entry);
            break;
          case 'run_reopen':
            await this.client.updateRun((await this.serverRun(e.run)).runId, { status: 'RUNNING' });
            this.advance(entry);
            break;
          case 'run_delete':
            await this.client.deleteRun((await this.serverRun(e.run)).runId);
            this.advance(entry);
            break;
          default:
            this.skip(entry, 'unknown event type');
        }
      } catch (err) {
        if (this.isTransient(err)) throw err;
        this.skip(entry, err instanceof Error ? err.message : String(err));
      }
    }
  }

  protected override async dispose(): Promise<void> {
    await this.client.close();
  }
}
