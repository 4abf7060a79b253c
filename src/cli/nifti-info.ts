// `clara-train nifti info FILE [--json]`: header, affine (and its source), scaling and data stats.
import type { Command } from 'commander';
import { openSync, readSync, closeSync } from 'node:fs';
import { readNifti, type NiftiImage } from '../io/nifti/index.js';

export interface NiftiInfo {
  file: string;
  format: string;
  gzip: boolean;
  byteOrder: 'little' | 'big';
  shape: number[];
  dtype: string;
  datatypeCode: number;
  voxelSize: number[];
  xyztUnits: number;
  affine: number[][];
  affineSource: string;
  sformCode: number;
  qformCode: number;
  sclSlope: number;
  sclInter: number;
  scaled: boolean;
  min: number | null;
  max: number | null;
  mean: number | null;
  nanCount: number;
  description: string;
}

function isGzipFile(file: string): boolean {
  const fd = openSync(file, 'r');
  try {
    const b = Buffer.alloc(2);
    return readSync(fd, b, 0, 2, 0) === 2 && b[0] === 0x1f && b[1] === 0x8b;
  } finally {
    closeSync(fd);
  }
}

/** Stats of the scaled data (NaNs counted and left out). */
function scaledStats(img: NiftiImage): { min: number | null; max: number | null; mean: number | null; nanCount: number } {
  const { data, sclSlope: s, sclInter: b } = img;
  let min = Infinity,
    max = -Infinity,
    sum = 0,
    count = 0,
    nan = 0;
  for (let i = 0; i < data.length; i++) {
    const v = data[i] * s + b;
    if (Number.isNaN(v)) {
      nan++;
      continue;
    }
    if (v < min) min = v;
    if (v > max) max = v;
    sum += v;
    count++;
  }
  return count ? { min, max, mean: sum / count, nanCount: nan } : { min: null, max: null, mean: null, nanCount: nan };
}

async function niftiInfo(file: string): Promise<NiftiInfo> {
  const img = await readNifti(file);
  const h = img.header;
  return {
    file,
    format: `NIfTI-${h.version}`,
    gzip: isGzipFile(file),
    byteOrder: h.littleEndian ? 'little' : 'big',
    shape: img.shape,
    dtype: img.dtype,
    datatypeCode: h.datatypeCode,
    voxelSize: img.pixdim,
    xyztUnits: h.xyztUnits,
    affine: img.affine,
    affineSource: img.affineSource,
    sformCode: h.sformCode,
    qformCode: h.qformCode,
    sclSlope: h.sclSlope,
    sclInter: h.sclInter,
    scaled: img.isScaled,
    ...scaledStats(img),
    description: h.descrip,
  };
}

const SPACE_UNITS: Record<number, string> = { 1: 'm', 2: 'mm', 3: 'um' };
const fmt = (v: number) => (Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(7))));

function formatNiftiInfo(i: NiftiInfo): string {
  const unit = SPACE_UNITS[i.xyztUnits & 7] ?? '(units unknown)';
  const cols = i.affine.map((r) => r.map(fmt));
  const width = Math.max(...cols.flat().map((s) => s.length));
  const lines = [
    `file         ${i.file}`,
    `format       ${i.format}, ${i.byteOrder}-endian${i.gzip ? ', gzip' : ''}`,
    `dims         ${i.shape.join(' x ')}`,
    `datatype     ${i.dtype} (code ${i.datatypeCode})`,
    `voxel size   ${i.voxelSize.slice(0, 3).map(fmt).join(' x ')} ${unit}${i.voxelSize.length > 3 ? `  (pixdim[4..]: ${i.voxelSize.slice(3).map(fmt).join(', ')})` : ''}`,
    `affine       from ${i.affineSource}  (sform_code ${i.sformCode}, qform_code ${i.qformCode})`,
    ...cols.map((r) => `             [ ${r.map((s) => s.padStart(width)).join('  ')} ]`),
    `scl_slope    ${fmt(i.sclSlope)}   scl_inter ${fmt(i.sclInter)}   ${i.scaled ? '(applied)' : '(no scaling)'}`,
    `scaled data  min ${i.min === null ? '-' : fmt(i.min)}   max ${i.max === null ? '-' : fmt(i.max)}   mean ${i.mean === null ? '-' : fmt(i.mean)}${i.nanCount ? `   (${i.nanCount} NaN)` : ''}`,
  ];
  if (i.description) lines.push(`description  ${i.description}`);
  return lines.join('\n');
}

/** JSON, with NaN and ±Infinity as the strings "NaN", "Infinity", "-Infinity" (JSON has no such numbers; null would lose them). */
function niftiInfoJson(i: NiftiInfo): string {
  return JSON.stringify(i, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v), 2);
}

export function registerNifti(program: Command): void {
  const nifti = program.command('nifti').description('NIfTI file tools');
  nifti
    .command('info')
    .description('show dims, datatype, voxel sizes, affine (sform/qform/pixdim), scl_slope/inter and min/max/mean of the scaled data')
    .argument('<file>', '.nii or .nii.gz file')
    .option('--json', 'print JSON')
    .action(async (file: string, opts: { json?: boolean }) => {
      const info = await niftiInfo(file);
      console.log(opts.json ? niftiInfoJson(info) : formatNiftiInfo(info));
    });
}
