// Reads a Decathlon-style datalist (data_list_file_path, data_list_key) and resolves its
// file names against data_file_base_dir. Stands in until src/io's datalist reader lands.
import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { ClaraError } from '../util/errors.js';
import type { Sample } from '../transforms/types.js';

export function readDatalist(file: string, key: string, baseDir?: string): Sample[] {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new ClaraError(`cannot read the datalist: ${(e as Error).message}`, { file });
  }
  const list = (json as Record<string, unknown>)?.[key];
  if (!Array.isArray(list)) {
    const keys = json && typeof json === 'object' ? Object.keys(json) : [];
    throw new ClaraError(`datalist has no list '${key}'` + (keys.length ? ` (it has ${keys.join(', ')})` : ''), { file, path: key });
  }
  const base = baseDir ?? '.';
  return list.map((item, i) => {
    const entry = typeof item === 'string' ? { image: item } : item;
    if (!entry || typeof entry !== 'object') throw new ClaraError(`entry must be an object or a file name`, { file, path: `${key}[${i}]` });
    const out: Sample = {};
    for (const [k, v] of Object.entries(entry as Record<string, unknown>)) {
      if (typeof v === 'string' && /\.(nii|nii\.gz|hdr|img)$/i.test(v)) out[k] = isAbsolute(v) ? v : resolve(base, v);
      else if (Array.isArray(v) && v.every((x) => typeof x === 'string'))
        throw new ClaraError(`'${k}' lists several files; multi-file entries are not supported yet`, { file, path: `${key}[${i}].${k}` });
      else out[k] = v;
    }
    return out;
  });
}
