// A seeded synthetic segmentation task that needs no download: CT-like volumes (int16,
// Hounsfield-like values) with textured ellipsoid "organs" in a noisy, slowly varying
// background, and their uint8 label maps.
import { Rng } from '../../util/random.js';
import type { Affine } from '../../io/volume.js';

export interface SyntheticOptions {
  /** Edge length in voxels (cubic volumes). */
  size: number;
  /** Voxel spacing in mm (written in the affine). */
  spacing: number;
  /** Organ classes (1: one organ; 2: a second, smaller and darker organ with label 2). */
  classes: 1 | 2;
  /** Noise standard deviation (HU). */
  noise: number;
}

export const DEFAULT_SYNTHETIC: SyntheticOptions = { size: 48, spacing: 1.5, classes: 1, noise: 30 };

export interface SyntheticCase {
  shape: [number, number, number];
  affine: Affine;
  image: Int16Array;
  label: Uint8Array;
}

/** A random rotation matrix (uniform unit quaternion). */
function randomRotation(rng: Rng): number[][] {
  const u1 = rng.random(),
    u2 = rng.random(),
    u3 = rng.random();
  const a = Math.sqrt(1 - u1),
    b = Math.sqrt(u1);
  const [w, x, y, z] = [a * Math.sin(2 * Math.PI * u2), a * Math.cos(2 * Math.PI * u2), b * Math.sin(2 * Math.PI * u3), b * Math.cos(2 * Math.PI * u3)];
  return [
    [1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)],
    [2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)],
    [2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)],
  ];
}

interface Organ {
  label: number;
  center: number[];
  radii: number[];
  rot: number[][];
  mean: number;
  /** Texture: amplitude and a random wave vector. */
  amp: number;
  wave: number[];
}

function makeOrgan(rng: Rng, n: number, label: number, scale: number, mean: number, centerLo: number, centerHi: number): Organ {
  return {
    label,
    center: [0, 1, 2].map(() => rng.uniform(centerLo, centerHi) * n),
    radii: [0, 1, 2].map(() => rng.uniform(0.17, 0.27) * n * scale),
    rot: randomRotation(rng),
    mean,
    amp: rng.uniform(10, 25),
    wave: [0, 1, 2].map(() => rng.uniform(-1, 1) * ((2 * Math.PI) / 6)),
  };
}

/** One case, fully determined by `seed`. */
export function syntheticCase(seed: number, o: SyntheticOptions = DEFAULT_SYNTHETIC): SyntheticCase {
  const rng = new Rng(seed);
  const n = o.size;
  const organs: Organ[] = [makeOrgan(rng, n, 1, 1, rng.uniform(90, 130), 0.38, 0.62)];
  if (o.classes === 2) organs.push(makeOrgan(rng, n, 2, 0.6, rng.uniform(180, 220), 0.3, 0.7));
  // Slowly varying background: a few random low-frequency cosines.
  const waves = Array.from({ length: 4 }, () => ({
    k: [0, 1, 2].map(() => rng.uniform(-1, 1) * ((2 * Math.PI) / n) * 2),
    ph: rng.uniform(0, 2 * Math.PI),
    a: rng.uniform(5, 20),
  }));
  const bgMean = rng.uniform(-70, -40);
  const image = new Int16Array(n * n * n);
  const label = new Uint8Array(n * n * n);
  const q = [0, 0, 0];
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      for (let k = 0; k < n; k++) {
        const idx = (i * n + j) * n + k;
        let v = bgMean;
        for (const w of waves) v += w.a * Math.cos(w.k[0] * i + w.k[1] * j + w.k[2] * k + w.ph);
        for (const org of organs) {
          const d = [i - org.center[0], j - org.center[1], k - org.center[2]];
          for (let r = 0; r < 3; r++) q[r] = (org.rot[0][r] * d[0] + org.rot[1][r] * d[1] + org.rot[2][r] * d[2]) / org.radii[r];
          if (q[0] * q[0] + q[1] * q[1] + q[2] * q[2] <= 1) {
            label[idx] = org.label;
            v = org.mean + org.amp * Math.sin(org.wave[0] * i + org.wave[1] * j + org.wave[2] * k);
          }
        }
        v += rng.normal(0, o.noise);
        image[idx] = Math.max(-1024, Math.min(3000, Math.round(v)));
      }
    }
  }
  const s = o.spacing;
  const c = -((n - 1) * s) / 2;
  return {
    shape: [n, n, n],
    affine: [
      [s, 0, 0, c],
      [0, s, 0, c],
      [0, 0, s, c],
      [0, 0, 0, 1],
    ],
    image,
    label,
  };
}
