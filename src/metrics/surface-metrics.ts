// Case metrics over class-index volumes in physical spacing: MONAI's HausdorffDistanceMetric
// (95th percentile by default) and SurfaceDiceMetric (normalised surface Dice at a tolerance
// in mm). A case's value is the mean over its classes (background left out unless asked) of
// the defined values (NaN = the class is in neither volume; MONAI's "mean" reduction).
import { classSurfaceDistances, hausdorffFromPair, surfaceDiceFromPair } from './surface-distance.js';

interface CaseGeometry {
  /** Spatial shape of the volumes (3 axes, C order). */
  shape: number[];
  /** Voxel spacing along those axes (mm). */
  spacing: number[];
}

/** The shape the evaluator runs (train/components' CaseMetric). */
interface SurfaceCaseMetric {
  name: string;
  /** Lower values are better (the trainer keeps the lowest as its best). */
  lowerIsBetter?: boolean;
  ofCase(pred: Int32Array, label: Int32Array, numClasses: number, geom?: CaseGeometry): number;
}

function classes(numClasses: number, includeBackground: boolean): number[] {
  const out: number[] = [];
  for (let c = includeBackground ? 0 : 1; c < numClasses; c++) out.push(c);
  return out;
}

function meanDefined(xs: number[]): number {
  const ok = xs.filter((x) => !Number.isNaN(x));
  return ok.length ? ok.reduce((a, b) => a + b, 0) / ok.length : NaN;
}

function geometry(pred: Int32Array, geom: CaseGeometry | undefined, name: string): CaseGeometry {
  if (!geom || geom.shape.length !== 3) throw new Error(`${name}: needs the case's 3-D shape and spacing`);
  if (geom.shape.reduce((a, b) => a * b, 1) !== pred.length) throw new Error(`${name}: shape [${geom.shape}] does not hold ${pred.length} voxels`);
  return geom;
}

/** Per-class Hausdorff distance (percentile 0..100, undefined = maximum) of one case. */
export function hausdorffPerClass(pred: Int32Array, label: Int32Array, cls: number[], geom: CaseGeometry, percentile?: number): number[] {
  return cls.map((c) => hausdorffFromPair(classSurfaceDistances(pred, label, c, geom.shape, geom.spacing), percentile));
}

/** Per-class normalised surface Dice of one case; one tolerance per class (or one for all). */
export function surfaceDicePerClass(pred: Int32Array, label: Int32Array, cls: number[], geom: CaseGeometry, tolerance: number | number[]): number[] {
  return cls.map((c, i) =>
    surfaceDiceFromPair(classSurfaceDistances(pred, label, c, geom.shape, geom.spacing), Array.isArray(tolerance) ? tolerance[i] : tolerance),
  );
}

export function hausdorffMetric(o: { name?: string; percentile?: number; includeBackground?: boolean } = {}): SurfaceCaseMetric {
  const name = o.name ?? 'val_hd95';
  return {
    name,
    lowerIsBetter: true,
    ofCase: (pred, label, numClasses, geom) =>
      meanDefined(hausdorffPerClass(pred, label, classes(numClasses, o.includeBackground ?? false), geometry(pred, geom, name), o.percentile ?? 95)),
  };
}

export function surfaceDiceMetric(o: { name?: string; tolerance?: number | number[]; includeBackground?: boolean } = {}): SurfaceCaseMetric {
  const name = o.name ?? 'val_nsd';
  return {
    name,
    ofCase(pred, label, numClasses, geom) {
      const cls = classes(numClasses, o.includeBackground ?? false);
      const tol = o.tolerance ?? 1;
      if (Array.isArray(tol) && tol.length !== cls.length) throw new Error(`${name}: ${tol.length} class_thresholds for ${cls.length} classes`);
      return meanDefined(surfaceDicePerClass(pred, label, cls, geometry(pred, geom, name), tol));
    },
  };
}
