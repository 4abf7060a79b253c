// Axial / coronal / sagittal slices of a volume with ground truth and prediction
// overlaid (ground truth green, prediction red, both yellow), as RGB pixels for the PNG
// encoder. Volumes are [i, j, k] in C order (k fastest), as the NIfTI reader returns
// them. Each slice goes through the centre of the ground truth's foreground (else the
// prediction's, else the volume's middle), upscaled by an integer factor to >= 160 px.
type View = 'axial' | 'coronal' | 'sagittal';
export const VIEWS: View[] = ['axial', 'coronal', 'sagittal'];

type Arr = ArrayLike<number>;

interface RgbImage {
  width: number;
  height: number;
  rgb: Uint8Array;
}

/** The foreground's centre (rounded) or the middle of the volume. */
export function foregroundCentre(shape: number[], ...masks: (Arr | undefined)[]): number[] {
  const [, nj, nk] = shape;
  for (const m of masks) {
    if (!m) continue;
    let n = 0,
      si = 0,
      sj = 0,
      sk = 0;
    for (let x = 0; x < m.length; x++) {
      if (m[x] > 0) {
        const k = x % nk,
          j = Math.floor(x / nk) % nj,
          i = Math.floor(x / (nk * nj));
        si += i;
        sj += j;
        sk += k;
        n++;
      }
    }
    if (n > 0) return [Math.round(si / n), Math.round(sj / n), Math.round(sk / n)];
  }
  return shape.slice(0, 3).map((s) => Math.floor(s / 2));
}

/** 1st and 99th percentiles of the values (a robust display window). */
export function window(data: Arr): [number, number] {
  const step = Math.max(1, Math.floor(data.length / 20000));
  const s: number[] = [];
  for (let x = 0; x < data.length; x += step) if (Number.isFinite(data[x])) s.push(data[x]);
  if (s.length === 0) return [0, 1];
  s.sort((a, b) => a - b);
  const lo = s[Math.floor(0.01 * (s.length - 1))],
    hi = s[Math.ceil(0.99 * (s.length - 1))];
  return hi > lo ? [lo, hi] : [lo, lo + 1];
}

/**
 * One slice: axial = fixed k (rows j, columns i), coronal = fixed j (rows k from the top,
 * columns i), sagittal = fixed i (rows k from the top, columns j).
 */
export function renderSlice(view: View, shape: number[], image: Arr, label: Arr | undefined, pred: Arr | undefined, at: number[], minSize = 160): RgbImage {
  const [ni, nj, nk] = shape;
  const idx = (i: number, j: number, k: number) => (i * nj + j) * nk + k;
  let w: number, h: number, at2: (c: number, r: number) => number;
  if (view === 'axial') {
    w = ni;
    h = nj;
    at2 = (c, r) => idx(c, nj - 1 - r, at[2]);
  } else if (view === 'coronal') {
    w = ni;
    h = nk;
    at2 = (c, r) => idx(c, at[1], nk - 1 - r);
  } else {
    w = nj;
    h = nk;
    at2 = (c, r) => idx(at[0], c, nk - 1 - r);
  }
  const f = Math.max(1, Math.ceil(minSize / Math.max(w, h)));
  const W = w * f,
    H = h * f;
  const rgb = new Uint8Array(W * H * 3);
  const [lo, hi] = window(image);
  for (let r = 0; r < h; r++) {
    for (let c = 0; c < w; c++) {
      const x = at2(c, r);
      const g = Math.round(255 * Math.min(1, Math.max(0, (image[x] - lo) / (hi - lo))));
      const gt = label ? label[x] > 0 : false,
        pr = pred ? pred[x] > 0 : false;
      let px: [number, number, number] = [g, g, g];
      const mix = (col: [number, number, number]) => px.map((v, q) => Math.round(0.45 * v + 0.55 * col[q])) as [number, number, number];
      if (gt && pr) px = mix([255, 230, 0]);
      else if (gt) px = mix([0, 220, 0]);
      else if (pr) px = mix([255, 0, 0]);
      for (let dy = 0; dy < f; dy++) {
        for (let dx = 0; dx < f; dx++) {
          const o = ((r * f + dy) * W + c * f + dx) * 3;
          rgb[o] = px[0];
          rgb[o + 1] = px[1];
          rgb[o + 2] = px[2];
        }
      }
    }
  }
  return { width: W, height: H, rgb };
}

/** Dice of two binary masks (foreground > 0); undefined when both are empty. */
export function binaryDice(a: Arr, b: Arr): number | undefined {
  let inter = 0,
    na = 0,
    nb = 0;
  for (let x = 0; x < a.length; x++) {
    const p = a[x] > 0,
      q = b[x] > 0;
    if (p) na++;
    if (q) nb++;
    if (p && q) inter++;
  }
  return na + nb === 0 ? undefined : (2 * inter) / (na + nb);
}
