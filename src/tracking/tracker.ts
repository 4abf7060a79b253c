// What handlers call to record runs. The local journal sits behind it; sinks replay
// the journal to an MLflow server or an mlruns folder.

export interface RunRef {
  /** Local id (stable across restarts, recorded in the journal). */
  localId: string;
}

export interface MetricPoint {
  key: string;
  value: number;
  step: number;
  timestamp?: number;
}

export type RunStatus = 'FINISHED' | 'FAILED' | 'KILLED';

export interface Tracker {
  startRun(r: { name: string; parentId?: string; tags?: Record<string, string> }): Promise<RunRef>;
  logParams(run: RunRef, p: Record<string, string | number | boolean>): void;
  logMetrics(run: RunRef, m: MetricPoint[]): void;
  setTags(run: RunRef, tags: Record<string, string>): void;
  logArtifact(run: RunRef, localPath: string, artifactPath?: string): void;
  endRun(run: RunRef, status: RunStatus): Promise<void>;
  flush(): Promise<void>;
}
