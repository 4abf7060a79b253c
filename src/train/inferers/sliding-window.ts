// monai.inferers.sliding_window_inference on channels-last volumes: MONAI's window placement
// (_get_scan_interval, dense_patch_slices), importance map (compute_importance_map: constant or
// separable gaussian with sigma_scale, clamped at max(min, 1e-3)), padding of images smaller than
// the roi (split floor/ceil, cropped back afterwards), and blending (sum of w·pred / sum of w).
import * as tf from '@tensorflow/tfjs';
import type { Inferer, Predictor } from './inferer.js';

export type BlendMode = 'constant' | 'gaussian';
export type PaddingMode = 'constant' | 'reflect' | 'symmetric';

export interface SlidingWindowOptions {
  roiSize: number[];
  swBatchSize?: number;
  overlap?: number | number[];
  mode?: BlendMode;
  sigmaScale?: number | number[];
  paddingMode?: PaddingMode;
  cval?: number;
  /** Called after each window batch with (done, total). */
  progress?: (done: number, total: number) => void;
}

type V3 = [number, number, number];

const rep = (v: number | number[], what: string): V3 => {
  const a = typeof v === 'number' ? [v, v, v] : v;
  if (a.length !== 3) throw new Error(`${what} needs 1 or 3 values, got ${JSON.stringify(v)}`);
  return a as V3;
};

/** MONAI's _get_scan_interval. */
export function scanInterval(image: V3, roi: V3, overlap: V3): V3 {
  return image.map((s, i) => {
    if (roi[i] === s) return roi[i];
    const interval = Math.floor(roi[i] * (1 - overlap[i]));
    return interval > 0 ? interval : 1;
  }) as V3;
}

/** MONAI's dense_patch_slices: window start positions, in C order over (d, h, w). */
export function windowStarts(image: V3, patch0: V3, interval: V3): V3[] {
  const patch = image.map((s, i) => Math.min(s, patch0[i] || s)) as V3;
  const perDim = [0, 1, 2].map((i) => {
    let n = 1;
    if (interval[i] !== 0) {
      const num = Math.ceil(image[i] / interval[i]);
      let found = -1;
      for (let d = 0; d < num; d++)
        if (d * interval[i] + patch[i] >= image[i]) {
          found = d;
          break;
        }
      n = found >= 0 ? found + 1 : 1;
    }
    return Array.from({ length: n }, (_, k) => {
      const s = k * interval[i];
      return s - Math.max(s + patch[i] - image[i], 0);
    });
  });
  const out: V3[] = [];
  for (const a of perDim[0]) for (const b of perDim[1]) for (const c of perDim[2]) out.push([a, b, c]);
  return out;
}

/** MONAI's compute_importance_map, flattened in C order over the patch. */
export function importanceMap(patch: V3, mode: BlendMode, sigmaScale: V3): Float32Array {
  const n = patch[0] * patch[1] * patch[2];
  const map = new Float32Array(n);
  if (mode === 'constant') {
    map.fill(1);
  } else {
    const g = patch.map((p, i) => {
      const sigma = p * sigmaScale[i];
      return Float32Array.from({ length: p }, (_, k) => {
        const x = -(p - 1) / 2 + k;
        return Math.exp((x * x) / (-2 * sigma * sigma));
      });
    });
    let q = 0;
    for (let a = 0; a < patch[0]; a++)
      for (let b = 0; b < patch[1]; b++) for (let c = 0; c < patch[2]; c++) map[q++] = Math.fround(Math.fround(g[0][a] * g[1][b]) * g[2][c]);
  }
  let min = Infinity;
  for (const v of map) min = Math.min(min, v);
  const floor = Math.max(min, 1e-3);
  for (let i = 0; i < n; i++) if (map[i] < floor) map[i] = floor;
  return map;
}

export class SlidingWindowInferer implements Inferer {
  readonly name = 'SlidingWindowInferer';
  constructor(readonly o: SlidingWindowOptions) {
    if (o.roiSize.length !== 3) throw new Error(`roi_size needs 3 values, got ${JSON.stringify(o.roiSize)}`);
    for (const v of rep(o.overlap ?? 0.25, 'overlap'))
      if (!(v >= 0 && v < 1)) throw new Error(`overlap must be >= 0 and < 1, got ${JSON.stringify(o.overlap)}`);
    if (!Number.isInteger(o.swBatchSize ?? 1) || (o.swBatchSize ?? 1) < 1) throw new Error(`sw_batch_size must be a positive integer, got ${o.swBatchSize}`);
  }

  infer(input: tf.Tensor5D, predict: Predictor): tf.Tensor5D {
    const [batch, ...sp] = input.shape;
    const image0 = [sp[0], sp[1], sp[2]] as V3;
    const roi = this.o.roiSize.map((r, i) => (r > 0 ? r : image0[i])) as V3; // fall_back_tuple
    const image = image0.map((s, i) => Math.max(s, roi[i])) as V3;
    const padBefore = image0.map((s, i) => Math.floor(Math.max(roi[i] - s, 0) / 2)) as V3;
    const needPad = image.some((s, i) => s !== image0[i]);
    const padded = needPad ? this.pad(input, image0, image, padBefore) : input;
    try {
      return this.run(padded, batch, image, roi, predict, image0, padBefore);
    } finally {
      if (padded !== input) padded.dispose();
    }
  }

  private pad(x: tf.Tensor5D, image0: V3, image: V3, before: V3): tf.Tensor5D {
    const p: [number, number][] = [[0, 0], ...image0.map((s, i) => [before[i], image[i] - s - before[i]] as [number, number]), [0, 0]];
    const mode = this.o.paddingMode ?? 'constant';
    return mode === 'constant' ? tf.pad(x, p, this.o.cval ?? 0) : tf.mirrorPad(x, p, mode);
  }

  /** Copies windows (batch item idx / nWin, start starts[idx % nWin]) into one [n, pd, ph, pw, cin] buffer. */
  private gather(xv: Float32Array, idxs: number[], starts: V3[], nWin: number, image: V3, patch: V3, cin: number): Float32Array {
    const [D, H, W] = image,
      [pd, ph, pw] = patch;
    const row = pw * cin;
    const buf = new Float32Array(idxs.length * pd * ph * row);
    let q = 0;
    for (const idx of idxs) {
      const n = Math.floor(idx / nWin);
      const [a, b, c] = starts[idx % nWin];
      for (let i = 0; i < pd; i++)
        for (let j = 0; j < ph; j++) {
          const o = (((n * D + a + i) * H + b + j) * W + c) * cin;
          buf.set(xv.subarray(o, o + row), q);
          q += row;
        }
    }
    return buf;
  }

  private run(x: tf.Tensor5D, batch: number, image: V3, roi: V3, predict: Predictor, image0: V3, before: V3): tf.Tensor5D {
    const patch = image.map((s, i) => Math.min(s, roi[i])) as V3;
    const starts = windowStarts(image, roi, scanInterval(image, roi, rep(this.o.overlap ?? 0.25, 'overlap')));
    const w = importanceMap(patch, this.o.mode ?? 'constant', rep(this.o.sigmaScale ?? 0.125, 'sigma_scale'));
    const nWin = starts.length,
      total = nWin * batch,
      swb = this.o.swBatchSize ?? 1;
    const [D, H, W] = image,
      [pd, ph, pw] = patch,
      vox = D * H * W,
      pvox = pd * ph * pw;
    let out: Float32Array | null = null;
    let C = 0;
    const cin = x.shape[4];
    const xv = x.dataSync() as Float32Array;
    for (let g = 0; g < total; g += swb) {
      const idxs = Array.from({ length: Math.min(swb, total - g) }, (_, k) => g + k);
      // windows are copied out in JS: tfjs-cpu's generic 5D slice is far slower than a row copy
      const win = tf.tensor5d(this.gather(xv, idxs, starts, nWin, image, patch, cin), [idxs.length, pd, ph, pw, cin]);
      const pred = predict(win);
      win.dispose();
      if (pred.shape.slice(1, 4).join(',') !== patch.join(',')) {
        pred.dispose();
        throw new Error(
          `SlidingWindowInferer: the predictor returned spatial size [${pred.shape.slice(1, 4)}] for a window of [${patch}]; it must keep the size`,
        );
      }
      if (!out) {
        C = pred.shape[4];
        out = new Float32Array(batch * vox * C);
      }
      const pv = pred.dataSync() as Float32Array;
      pred.dispose();
      idxs.forEach((idx, k) => {
        const n = Math.floor(idx / nWin);
        const [a, b, c] = starts[idx % nWin];
        let q = k * pvox * C,
          m = 0;
        for (let i = 0; i < pd; i++)
          for (let j = 0; j < ph; j++) {
            let o = ((n * D + a + i) * H + b + j) * W * C + c * C;
            for (let l = 0; l < pw; l++, m++) for (let ch = 0; ch < C; ch++) out![o++] += Math.fround(pv[q++] * w[m]);
          }
      });
      this.o.progress?.(Math.min(g + swb, total), total);
    }
    // count map: every window's weights, per voxel
    const count = new Float32Array(vox);
    for (const [a, b, c] of starts) {
      let m = 0;
      for (let i = 0; i < pd; i++)
        for (let j = 0; j < ph; j++) {
          let o = ((a + i) * H + b + j) * W + c;
          for (let l = 0; l < pw; l++) count[o++] += w[m++];
        }
    }
    // divide, and crop the padding back off
    const [d0, h0, w0] = image0;
    const res = new Float32Array(batch * d0 * h0 * w0 * C);
    let r = 0;
    for (let n = 0; n < batch; n++)
      for (let i = 0; i < d0; i++)
        for (let j = 0; j < h0; j++) {
          const vi = ((i + before[0]) * H + j + before[1]) * W + before[2];
          let o = (n * vox + vi) * C;
          for (let l = 0; l < w0; l++) {
            const cnt = count[vi + l];
            for (let ch = 0; ch < C; ch++) res[r++] = out![o++] / cnt;
          }
        }
    return tf.tensor5d(res, [batch, d0, h0, w0, C]);
  }
}
