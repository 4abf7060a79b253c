// Post transforms (on predictions, plain TypeScript: not hot): Activationsd, AsDiscreted.
import { ClaraError } from '../util/errors.js';
import { getTensor, MapTransform, perKey } from './base.js';
import * as K from './kernels.js';
import type { Sample } from './types.js';

/** sigmoid or softmax (over channels) per key. */
export class Activationsd extends MapTransform {
  readonly name = 'Activationsd';
  private readonly sig: boolean[];
  private readonly soft: boolean[];
  constructor(keys: string[], sigmoid: boolean | boolean[] = false, softmax: boolean | boolean[] = false) {
    super(keys);
    this.sig = perKey(sigmoid, keys, false, this.name, 'sigmoid');
    this.soft = perKey(softmax, keys, false, this.name, 'softmax');
    this.sig.forEach((s, i) => {
      if (s && this.soft[i]) throw new ClaraError('Activationsd: sigmoid and softmax are exclusive');
    });
  }
  protected applyKey(s: Sample, key: string, i: number): void {
    const t = getTensor(s, key, this.name);
    const out = new Float32Array(t.data.length);
    if (this.sig[i]) for (let j = 0; j < out.length; j++) out[j] = 1 / (1 + Math.exp(-t.data[j]));
    else if (this.soft[i]) {
      const c = t.shape[0],
        n = t.data.length / c;
      for (let v = 0; v < n; v++) {
        let m = -Infinity,
          z = 0;
        for (let ch = 0; ch < c; ch++) m = Math.max(m, t.data[ch * n + v]);
        for (let ch = 0; ch < c; ch++) z += Math.exp(t.data[ch * n + v] - m);
        for (let ch = 0; ch < c; ch++) out[ch * n + v] = Math.exp(t.data[ch * n + v] - m) / z;
      }
    } else out.set(t.data);
    s[key] = { data: out, shape: t.shape };
  }
}

/** argmax over channels, then optional one-hot (to_onehot / n_classes), or a threshold. */
export class AsDiscreted extends MapTransform {
  readonly name = 'AsDiscreted';
  constructor(
    keys: string[],
    readonly opts: {
      argmax?: boolean | boolean[];
      to_onehot?: number | boolean | (number | boolean)[] | null;
      n_classes?: number | null;
      threshold?: number | null;
      threshold_values?: boolean;
      logit_thresh?: number;
    } = {},
  ) {
    super(keys);
  }
  protected async applyKey(s: Sample, key: string, i: number): Promise<void> {
    const t = getTensor(s, key, this.name);
    let data = t.data,
      shape = t.shape;
    const argmax = perKey(this.opts.argmax, this.keys, false, this.name, 'argmax')[i];
    if (argmax) {
      const c = shape[0],
        n = data.length / c;
      const out = new Float32Array(n);
      for (let v = 0; v < n; v++) {
        let best = 0;
        for (let ch = 1; ch < c; ch++) if (data[ch * n + v] > data[best * n + v]) best = ch;
        out[v] = best;
      }
      data = out;
      shape = [1, ...shape.slice(1)];
    }
    const thr = this.opts.threshold ?? (this.opts.threshold_values ? (this.opts.logit_thresh ?? 0.5) : null);
    if (thr !== null && thr !== undefined) data = data.map((v) => (v >= thr ? 1 : 0));
    let oh = perKey(this.opts.to_onehot ?? null, this.keys, null, this.name, 'to_onehot')[i];
    if (oh === true) oh = this.opts.n_classes ?? null;
    if (typeof oh === 'number') {
      if (shape[0] !== 1) throw new ClaraError(`AsDiscreted: to_onehot needs a single-channel '${key}', got ${shape[0]} channels`);
      data = await K.oneHot(data, oh);
      shape = [oh, ...shape.slice(1)];
    }
    s[key] = { data, shape };
  }
}
