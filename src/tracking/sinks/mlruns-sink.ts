// Replays a journal into an `mlruns/` folder in MLflow's file-store layout:
//   mlruns/<exp_id>/meta.yaml
//   mlruns/<exp_id>/<run_id>/{meta.yaml, params/<key>, metrics/<key>, tags/<key>, artifacts/}
// metrics files hold `timestamp value step` lines. MLflow 3.x reads it with
// MLFLOW_ALLOW_FILE_STORE=true (`mlflow ui --backend-store-uri ./mlruns`).
import { appendFileSync, copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { userInfo } from 'node:os';
import type { JournalEntry, JournalEvent } from '../journal.js';
import { journalUid } from '../journal.js';
import { artifactFiles } from '../artifact-files.js';
import { decodeDouble } from '../mlflow/values.js';
import { EXPERIMENT_KIND, EXPERIMENT_KIND_TAG } from '../experiment-kind.js';
import { JournalSink, type SinkStateBase } from './journal-sink.js';
import type { SinkLog } from './sink.js';
import { ClaraError } from '../../util/errors.js';
import { writeFileAtomic } from '../../util/atomic-fs.js';

interface MlrunsState extends SinkStateBase {
  root: string;
  experiments: Record<string, string>;
  runs: Record<string, { experimentId: string; runId: string; deletedTime?: number }>;
}

const STATUS_CODE: Record<string, number> = { RUNNING: 1, SCHEDULED: 2, FINISHED: 3, FAILED: 4, KILLED: 5 };

function yamlStr(s: string): string {
  return JSON.stringify(s); // a double-quoted YAML scalar
}

/** A metric value the way Python's float repr writes it where it matters (nan, inf). */
function valueText(v: number): string {
  if (Number.isNaN(v)) return 'nan';
  if (v === Infinity) return 'inf';
  if (v === -Infinity) return '-inf';
  return String(v);
}

export class MlrunsSink extends JournalSink<MlrunsState> {
  readonly description: string;
  readonly root: string;
  /**
   * The first event applied after a (re)start may have been applied already by a process
   * that died before saving the cursor: its metric lines are appended only where missing.
   */
  private firstSinceStart = true;

  constructor(root: string, journal: string, stateFile: string, log?: SinkLog) {
    const abs = resolve(root);
    super(journal, stateFile, { version: 1, journal, offset: 0, skipped: [], root: abs, experiments: {}, runs: {} }, log);
    this.root = abs;
    this.description = `mlruns folder ${abs}`;
    checkMlrunsState(this.state, stateFile);
  }

  protected isTransient(): boolean {
    return true; // file system errors (disk full ...) are retried later
  }

  private experimentId(name: string, time: number): string {
    const known = this.state.experiments[name];
    if (known) return known;
    mkdirSync(this.root, { recursive: true });
    let id: string | undefined;
    for (const d of readdirSync(this.root)) {
      const meta = join(this.root, d, 'meta.yaml');
      if (!existsSync(meta)) continue;
      const m = /^name:\s*(.*)$/m.exec(readFileSync(meta, 'utf8'));
      if (!m) continue;
      let n = m[1].trim();
      if (n.startsWith('"')) n = JSON.parse(n) as string;
      else if (n.startsWith("'")) n = n.slice(1, -1).replace(/''/g, "'");
      if (n === name) {
        id = d;
        break;
      }
    }
    if (!id) {
      // Deterministic numeric id from the name (MLflow's are numeric strings too).
      id = String(BigInt('0x' + createHash('sha256').update(name).digest('hex').slice(0, 14)));
      const dir = join(this.root, id);
      writeFileAtomic(
        join(dir, 'meta.yaml'),
        [
          `artifact_location: ${yamlStr(pathToFileURL(dir).href)}`,
          `creation_time: ${time}`,
          `experiment_id: '${id}'`,
          `last_update_time: ${time}`,
          'lifecycle_stage: active',
          `name: ${yamlStr(name)}`,
          '',
        ].join('\n'),
      );
    }
    // Experiment tags live in <exp>/tags/<key>; a kind already there is kept.
    const kind = join(this.root, id, 'tags', EXPERIMENT_KIND_TAG);
    if (!existsSync(kind)) writeFileAtomic(kind, EXPERIMENT_KIND);
    this.state.experiments[name] = id;
    return id;
  }

  private runDir(local: string): string {
    const r = this.state.runs[local];
    if (!r) throw new Error(`run '${local}' has no run_start in the journal`);
    return join(this.root, r.experimentId, r.runId);
  }

  private writeRunMeta(
    dir: string,
    m: { runId: string; experimentId: string; name: string; start: number; end: number | null; status: number; deletedTime?: number },
  ): void {
    writeFileAtomic(
      join(dir, 'meta.yaml'),
      [
        `artifact_uri: ${yamlStr(pathToFileURL(join(dir, 'artifacts')).href)}`,
        ...(m.deletedTime !== undefined ? [`deleted_time: ${m.deletedTime}`] : []),
        `end_time: ${m.end ?? 'null'}`,
        "entry_point_name: ''",
        `experiment_id: '${m.experimentId}'`,
        `lifecycle_stage: ${m.deletedTime !== undefined ? 'deleted' : 'active'}`,
        `run_id: ${m.runId}`,
        `run_name: ${yamlStr(m.name)}`,
        "source_name: ''",
        'source_type: 4',
        "source_version: ''",
        `start_time: ${m.start}`,
        `status: ${m.status}`,
        'tags: []',
        `user_id: ${yamlStr(safeUser())}`,
        '',
      ].join('\n'),
    );
  }

  private startRun(e: Extract<JournalEvent, { type: 'run_start' }>): void {
    if (this.state.runs[e.run]) return;
    const experimentId = this.experimentId(e.experiment, e.time);
    const runId = createHash('sha256')
      .update(`${journalUid(this.journal)}:${e.run}`)
      .digest('hex')
      .slice(0, 32);
    this.state.runs[e.run] = { experimentId, runId };
    const dir = join(this.root, experimentId, runId);
    for (const sub of ['params', 'metrics', 'tags', 'artifacts']) mkdirSync(join(dir, sub), { recursive: true });
    this.writeRunMeta(dir, { runId, experimentId, name: e.name, start: e.time, end: null, status: STATUS_CODE.RUNNING });
    const tags: Record<string, string> = { ...e.tags, 'mlflow.runName': e.name, 'mlflow.user': safeUser() };
    if (e.parent) tags['mlflow.parentRunId'] = this.state.runs[e.parent]?.runId ?? '';
    this.writeTags(dir, tags);
  }

  private writeTags(dir: string, tags: Record<string, string>): void {
    for (const [k, v] of Object.entries(tags)) writeFileAtomic(join(dir, 'tags', k), v);
  }

  protected async apply(entries: JournalEntry[]): Promise<void> {
    for (const entry of entries) {
      const e = entry.event;
      switch (e.type) {
        case 'journal':
          break;
        case 'run_start':
          this.startRun(e);
          break;
        case 'params': {
          const dir = this.runDir(e.run);
          for (const [k, v] of Object.entries(e.params)) {
            const f = join(dir, 'params', k);
            if (existsSync(f) && readFileSync(f, 'utf8') !== v) {
              this.log(`param '${k}' of run ${e.run} already logged with another value; kept the first (params are write-once)`);
              continue;
            }
            writeFileAtomic(f, v);
          }
          break;
        }
        case 'metrics': {
          const dir = this.runDir(e.run);
          const byKey = new Map<string, string[]>();
          for (const m of e.metrics) {
            const lines = byKey.get(m.key) ?? [];
            lines.push(`${m.timestamp} ${valueText(decodeDouble(m.value))} ${m.step}\n`);
            byKey.set(m.key, lines);
          }
          for (const [k, lines] of byKey) {
            const f = join(dir, 'metrics', k);
            mkdirSync(dirname(f), { recursive: true });
            let add = lines;
            if (this.firstSinceStart && existsSync(f)) {
              const have = new Set(
                readFileSync(f, 'utf8')
                  .split('\n')
                  .map((l) => `${l}\n`),
              );
              add = lines.filter((l) => !have.has(l));
            }
            if (add.length) appendFileSync(f, add.join(''));
          }
          break;
        }
        case 'tags':
          this.writeTags(this.runDir(e.run), e.tags);
          break;
        case 'artifact': {
          const dir = this.runDir(e.run);
          const files = artifactFiles(e.path, e.artifactPath, {
            dir: this.runFolder,
            outside: (f) => this.log(`artifact file ${f} resolves outside the run folder ${this.runFolder}: not sent`),
          });
          if (!files) {
            this.skip(entry, `artifact '${e.path}' no longer exists`);
            continue;
          }
          for (const f of files) {
            const dest = join(dir, 'artifacts', ...f.dest.split('/'));
            mkdirSync(dirname(dest), { recursive: true });
            copyFileSync(f.local, dest);
          }
          break;
        }
        case 'run_end':
        case 'run_reopen':
        case 'run_delete': {
          const dir = this.runDir(e.run);
          const meta = readFileSync(join(dir, 'meta.yaml'), 'utf8');
          const r = this.state.runs[e.run];
          const name = /^run_name: (.*)$/m.exec(meta)?.[1] ?? '""';
          const start = Number(/^start_time: (\d+)$/m.exec(meta)?.[1] ?? e.time);
          if (e.type === 'run_delete') r.deletedTime = e.time;
          const endText = /^end_time: (\d+)$/m.exec(meta)?.[1];
          const status =
            e.type === 'run_end'
              ? (STATUS_CODE[e.status] ?? 4)
              : e.type === 'run_reopen'
                ? STATUS_CODE.RUNNING
                : Number(/^status: (\d+)$/m.exec(meta)?.[1] ?? STATUS_CODE.KILLED);
          this.writeRunMeta(dir, {
            runId: r.runId,
            experimentId: r.experimentId,
            name: JSON.parse(name) as string,
            start,
            end: e.type === 'run_end' ? e.time : e.type === 'run_reopen' || endText === undefined ? null : Number(endText),
            status,
            deletedTime: r.deletedTime,
          });
          break;
        }
      }
      this.advance(entry);
      this.firstSinceStart = false;
    }
  }
}

/** The ids a state file (which may come with a received MMAR) names become paths: only the shapes this sink writes. */
function checkMlrunsState(state: MlrunsState, file: string): void {
  const bad = (what: string, v: unknown) =>
    new ClaraError(`${what} ${JSON.stringify(v)} is not an id this program writes; delete the file to send the journal again`, { file });
  for (const [name, id] of Object.entries(state.experiments ?? {}))
    if (typeof id !== 'string' || !/^\d{1,40}$/.test(id)) throw bad(`experiment '${name}' id`, id);
  for (const r of Object.values(state.runs ?? {})) {
    if (typeof r?.experimentId !== 'string' || !/^\d{1,40}$/.test(r.experimentId)) throw bad('experiment id', r?.experimentId);
    if (typeof r.runId !== 'string' || !/^[0-9a-f]{32}$/.test(r.runId)) throw bad('run id', r.runId);
  }
}

function safeUser(): string {
  try {
    return userInfo().username;
  } catch {
    return 'unknown';
  }
}
