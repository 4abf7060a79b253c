// The training loop of one job: epochs over a BatchSource, an optimizer step per
// batch, validation every `valInterval` epochs (and at the last one), best and last
// checkpoints, models/train_stats.json after every epoch, events to handlers and to
// the parent process, a progress line.
import * as tf from '@tensorflow/tfjs';
import { join } from 'node:path';
import { Rng } from '../util/random.js';
import type { BatchSource, LossFn, LrSchedule, OptimizerLike } from './components.js';
import type { TrainableNetwork } from './network.js';
import { assignWeights, snapshotWeights } from './network.js';
import { loadCheckpoint, disposeCheckpoint, saveCheckpoint, type ModelSpec, type TrainState } from './checkpoint.js';
import type { EventBus } from './event-bus.js';
import type { TrainStats } from '../jobs/train-stats.js';
import { emptyStats, TrainStatsWriter, TRAIN_STATS_FILE } from '../jobs/train-stats.js';
import { keyMetricInfo } from '../jobs/objective.js';
import { ProgressLine } from './progress-line.js';
import { yieldToEventLoop } from '../util/yield.js';
import type { Evaluator, EvaluationResult } from './evaluator.js';
import { nonFiniteLoss } from './non-finite.js';

export interface TrainerOptions {
  net: TrainableNetwork;
  loss: LossFn;
  optimizer: OptimizerLike;
  data: BatchSource;
  epochs: number;
  /** Validate every this many epochs (and after the last one). */
  valInterval: number;
  evaluator?: Evaluator;
  lrSchedule?: LrSchedule;
  baseLr: number;
  /** MMAR_CKPT_DIR: best/ and last/ go here, and train_stats.json. */
  ckptDir: string;
  keyMetricName: string;
  seed: number;
  backend: string;
  amp: string;
  bus: EventBus;
  /** How to rebuild the network (kept in the checkpoints for export/infer). */
  modelSpec?: ModelSpec;
  /** Extra metadata kept in checkpoints (config file, labels, spacing ...). */
  checkpointMeta?: Record<string, unknown>;
  /** Resume from this `last` checkpoint (weights, optimizer, epoch, best). */
  resumeFrom?: string;
  /** Load only the weights of this checkpoint (finetune). */
  initWeightsFrom?: string;
  /** Stop (validated, checkpointed, status finished) after this epoch though the lr schedule runs over `epochs` (an AutoML rung). */
  stopAfterEpoch?: number;
  progress?: ProgressLine;
  /** Where the stats go (default ckptDir/train_stats.json). */
  statsFile?: string;
  log?: (msg: string) => void;
}

export interface TrainResult {
  stats: TrainStats;
  bestCheckpoint?: string;
  lastCheckpoint: string;
}

function setLearningRate(opt: OptimizerLike, lr: number): void {
  const o = opt as unknown as { setLearningRate?: (lr: number) => void; learningRate?: number };
  if (typeof o.setLearningRate === 'function') o.setLearningRate(lr);
  else o.learningRate = lr;
}

export class Trainer {
  readonly stats: TrainStats;
  private readonly writer: TrainStatsWriter;
  private globalStep = 0;
  private startEpoch = 0;
  private rngSeed: number;
  private readonly log: (m: string) => void;
  private readonly progress: ProgressLine;
  readonly bestDir: string;
  readonly lastDir: string;

  constructor(private readonly o: TrainerOptions) {
    this.stats = emptyStats(o.keyMetricName, o.epochs, o.backend, o.amp);
    this.stats.seed = o.seed;
    if (o.evaluator?.lowerIsBetter(o.keyMetricName)) this.stats.key_metric_lower_is_better = true;
    this.writer = new TrainStatsWriter(o.statsFile ?? join(o.ckptDir, TRAIN_STATS_FILE), this.stats);
    this.rngSeed = new Rng(o.seed).nextSeed();
    this.progress = o.progress ?? new ProgressLine();
    this.log = o.log ?? ((m) => this.progress.log(m));
    this.bestDir = join(o.ckptDir, 'best');
    this.lastDir = join(o.ckptDir, 'last');
  }

  private trainableVariables(): tf.Variable[] {
    return this.o.net
      .namedWeights()
      .filter((w) => w.trainable)
      .map((w) => w.variable);
  }

  /** Loads a resume or finetune checkpoint before training. */
  private async restore(): Promise<void> {
    const { resumeFrom, initWeightsFrom } = this.o;
    const from = resumeFrom ?? initWeightsFrom;
    if (!from) return;
    const ck = loadCheckpoint(from);
    try {
      assignWeights(this.o.net, ck.weights, ck.weightNames, ck.modelJson);
      if (resumeFrom && ck.state) {
        const s: TrainState = ck.state;
        this.startEpoch = s.epoch;
        this.globalStep = s.globalStep;
        this.rngSeed = s.rngSeed;
        this.stats.best_key_metric = s.bestKeyMetric;
        this.stats.best_key_metric_epoch = s.bestKeyMetricEpoch;
        const prev = ck.meta.stats as TrainStats | undefined;
        if (prev) {
          for (const k of ['train_loss', 'lr', 'epoch_time', 'samples_per_s'] as const) this.stats[k] = prev[k].slice(0, s.epoch);
          this.stats.val_metrics = prev.val_metrics.filter((v) => v.epoch <= s.epoch);
        }
        this.stats.epochs_completed = s.epoch;
        if (ck.optimizer) await this.o.optimizer.setWeights(ck.optimizer);
        this.log(`resumed from ${ck.modelJson}: ${s.epoch} epoch(s) done, best ${this.o.keyMetricName} ${s.bestKeyMetric ?? '-'}`);
      } else {
        this.log(`${resumeFrom ? 'resume checkpoint has no training state; ' : ''}loaded weights from ${ck.modelJson} (finetune from epoch 1)`);
      }
    } finally {
      disposeCheckpoint(ck);
    }
  }

  private lrFor(epoch: number, stepsPerEpoch: number): number {
    const s = this.o.lrSchedule;
    return s ? s.lr(epoch, this.globalStep, stepsPerEpoch, this.o.epochs) : this.o.baseLr;
  }

  private step(image: tf.Tensor, label: tf.Tensor): tf.Scalar {
    const vars = this.trainableVariables();
    const { value, grads } = tf.variableGrads(() => this.o.loss(this.o.net.apply(image, true), label), vars);
    this.o.optimizer.applyGradients(grads);
    tf.dispose(grads);
    return value;
  }

  private async saveCkpt(kind: 'best' | 'last', epoch: number, keyMetric: number | null): Promise<string> {
    const weights = snapshotWeights(this.o.net);
    const optimizer = kind === 'last' ? await this.o.optimizer.getWeights() : undefined;
    try {
      const state: TrainState | undefined =
        kind === 'last'
          ? {
              epoch,
              totalEpochs: this.o.epochs,
              globalStep: this.globalStep,
              bestKeyMetric: this.stats.best_key_metric,
              bestKeyMetricEpoch: this.stats.best_key_metric_epoch,
              rngSeed: this.rngSeed,
            }
          : undefined;
      return await saveCheckpoint(kind === 'best' ? this.bestDir : this.lastDir, {
        weights,
        topology: this.o.net.topology?.(),
        optimizer,
        state,
        meta: {
          kind,
          model: this.o.modelSpec,
          epoch,
          keyMetricName: this.o.keyMetricName,
          keyMetric,
          backend: this.o.backend,
          amp: this.o.amp,
          seed: this.o.seed,
          ...this.o.checkpointMeta,
          ...(kind === 'last' ? { stats: this.stats } : {}),
        },
      });
    } finally {
      tf.dispose(weights.map((w) => w.tensor));
      // getWeights returns the optimizer's own variables (kept) and fresh tensors (freed)
      if (optimizer) tf.dispose(optimizer.map((w) => w.tensor).filter((t) => !(t instanceof tf.Variable)));
    }
  }

  async run(): Promise<TrainResult> {
    const o = this.o;
    const t0 = Date.now();
    await this.restore();
    this.writer.write();
    await o.bus.emit('train_start', {
      epoch: this.startEpoch,
      info: {
        epochs: o.epochs,
        start_epoch: this.startEpoch,
        seed: o.seed,
        backend: o.backend,
        amp: o.amp,
        key_metric: o.keyMetricName,
        val_interval: o.valInterval,
        base_lr: o.baseLr,
      },
    });
    let bestCheckpoint: string | undefined = this.stats.best_key_metric_epoch !== null ? join(this.bestDir, 'model.json') : undefined;
    let lastCheckpoint = join(this.lastDir, 'model.json');
    let lastVal: number | null = this.stats.best_key_metric;
    const epochTimes: number[] = [];
    try {
      const endEpoch = Math.min(o.epochs, o.stopAfterEpoch ?? o.epochs);
      for (let epoch = this.startEpoch; epoch < endEpoch; epoch++) {
        const e1 = epoch + 1;
        const te = Date.now();
        if (epoch > this.startEpoch && o.data.updateCache) await o.data.updateCache();
        await o.bus.emit('epoch_start', { epoch: e1 });
        const stepsPerEpoch = o.data.batchesPerEpoch?.() ?? 0;
        let lr = this.lrFor(epoch, stepsPerEpoch);
        setLearningRate(o.optimizer, lr);
        let lossSum = 0,
          lossN = 0,
          samples = 0,
          it = 0;
        const trainStart = Date.now();
        for await (const batch of o.data.epoch(epoch)) {
          if (o.lrSchedule?.perIteration) {
            lr = this.lrFor(epoch, stepsPerEpoch);
            setLearningRate(o.optimizer, lr);
          }
          const n = batch.image.shape[0];
          const lossT = this.step(batch.image, batch.label);
          tf.dispose([batch.image, batch.label]);
          const loss = (await lossT.data())[0];
          lossT.dispose();
          if (!Number.isFinite(loss)) throw nonFiniteLoss(loss, e1, it + 1);
          await yieldToEventLoop();
          it++;
          this.globalStep++;
          samples += n;
          lossSum += loss * n;
          lossN += n;
          const sps = samples / Math.max(1e-9, (Date.now() - trainStart) / 1000);
          void o.bus.emit('iteration_end', { epoch: e1, iteration: this.globalStep, metrics: { train_loss: loss, lr } });
          const perEpoch = epochTimes.length ? epochTimes.reduce((a, b) => a + b, 0) / epochTimes.length : undefined;
          const eta = perEpoch !== undefined ? perEpoch * (o.epochs - e1) + Math.max(0, perEpoch - (Date.now() - te) / 1000) : undefined;
          this.progress.update({
            epoch: e1,
            totalEpochs: o.epochs,
            iteration: it,
            iterationsPerEpoch: stepsPerEpoch || undefined,
            loss: lossSum / lossN,
            keyMetricName: o.keyMetricName,
            keyMetric: lastVal,
            best: this.stats.best_key_metric,
            bestEpoch: this.stats.best_key_metric_epoch,
            samplesPerS: sps,
            etaS: eta,
            lr,
          });
        }
        if (it === 0) throw new Error(`epoch ${e1} produced no training batch: the training data list is empty or every sample was filtered out`);
        const trainTime = (Date.now() - trainStart) / 1000;
        const trainLoss = lossSum / lossN;
        const samplesPerS = samples / Math.max(1e-9, trainTime);
        const metrics: Record<string, number> = { train_loss: trainLoss, lr, samples_per_s: samplesPerS };

        let val: EvaluationResult | undefined;
        const validateNow = o.evaluator && (e1 % o.valInterval === 0 || e1 === o.epochs || e1 === endEpoch);
        if (validateNow && o.evaluator) {
          val = await o.evaluator.run();
          const key = val.metrics[o.keyMetricName];
          lastVal = Number.isFinite(key) ? key : null;
          if (lastVal === null) this.log(`epoch ${e1}: validation ${o.keyMetricName} is ${key}; not counted as a best`);
          this.stats.val_metrics.push({ epoch: e1, metrics: val.metrics });
          this.stats.val_per_case = val.perCase;
          Object.assign(metrics, val.metrics);
          const lower = o.evaluator.lowerIsBetter(o.keyMetricName);
          const improved =
            lastVal !== null && (this.stats.best_key_metric === null || (lower ? lastVal < this.stats.best_key_metric : lastVal > this.stats.best_key_metric));
          if (improved) {
            this.stats.best_key_metric = lastVal;
            this.stats.best_key_metric_epoch = e1;
            this.stats.best_val_per_case = val.perCase;
            bestCheckpoint = await this.saveCkpt('best', e1, lastVal);
            this.stats.best_key_metric_path = bestCheckpoint;
          }
          await o.bus.emit('validation_end', {
            epoch: e1,
            metrics: { ...val.metrics, best_key_metric: this.stats.best_key_metric ?? NaN },
            info: keyMetricInfo(o.keyMetricName, lower),
          });
        }
        const epochTime = (Date.now() - te) / 1000;
        epochTimes.push(epochTime);
        metrics.epoch_time = epochTime;
        this.stats.train_loss.push(trainLoss);
        this.stats.lr.push(lr);
        this.stats.epoch_time.push(epochTime);
        this.stats.samples_per_s.push(samplesPerS);
        this.stats.epochs_completed = e1;
        this.stats.global_step = this.globalStep;
        this.stats.total_time_s = (Date.now() - t0) / 1000;
        this.rngSeed = new Rng(this.rngSeed).nextSeed();
        lastCheckpoint = await this.saveCkpt('last', e1, lastVal);
        this.stats.last_checkpoint_path = lastCheckpoint;
        this.writer.write();
        this.log(
          `epoch ${e1}/${o.epochs}  loss ${trainLoss.toFixed(4)}` +
            (val
              ? `  ${o.keyMetricName} ${lastVal === null ? 'n/a' : lastVal.toFixed(4)} (best ${this.stats.best_key_metric?.toFixed(4) ?? '-'} @ ${this.stats.best_key_metric_epoch ?? '-'})`
              : '') +
            `  lr ${lr.toExponential(2)}  ${samplesPerS.toFixed(2)} samples/s  ${epochTime.toFixed(1)}s` +
            (process.env.CLARA_DEBUG_MEMORY ? `  tensors ${tf.memory().numTensors}` : ''),
        );
        await o.bus.emit('epoch_end', { epoch: e1, metrics });
      }
      if (endEpoch < o.epochs) this.log(`stopped after epoch ${endEpoch} of ${o.epochs} (--stop-after-epoch); --resume continues`);
      this.stats.status = 'finished';
      this.stats.total_time_s = (Date.now() - t0) / 1000;
      this.writer.write();
      await o.bus.emit('train_end', {
        epoch: this.stats.epochs_completed,
        metrics: {
          best_key_metric: this.stats.best_key_metric ?? NaN,
          best_key_metric_epoch: this.stats.best_key_metric_epoch ?? NaN,
          total_time_s: this.stats.total_time_s,
        },
        message: 'finished',
      });
      return { stats: this.stats, bestCheckpoint, lastCheckpoint };
    } catch (e) {
      this.stats.status = 'failed';
      this.stats.error = (e as Error).message;
      this.stats.total_time_s = (Date.now() - t0) / 1000;
      this.writer.write();
      await o.bus.emit('train_end', { epoch: this.stats.epochs_completed, message: `failed: ${(e as Error).message}` });
      throw e;
    } finally {
      await o.data.shutdown?.();
    }
  }
}
