// Clara 3.x (TensorFlow-era) post-transforms of config_validation.json, on channel-first tensors:
//   ArgmaxAcrossChannels(fields)               class index per voxel (one channel)
//   SplitBasedOnLabel(field, label_names)      one binary channel per label value i, named label_names[i]
//   CopyProperties(fields, from_field, properties)  copies meta entries (e.g. the affine) from another field
import { ClaraError } from '../util/errors.js';
import { getTensor, keyList, Transform } from './base.js';
import type { MetaDict, Sample } from './types.js';

export class ArgmaxAcrossChannels extends Transform {
  readonly name = 'ArgmaxAcrossChannels';
  readonly fields: string[];
  constructor(fields: string | string[]) {
    super();
    this.fields = keyList(fields, this.name, 'fields');
  }
  apply(sample: Sample): Sample {
    const s = { ...sample };
    for (const f of this.fields) {
      const t = getTensor(s, f, this.name);
      const c = t.shape[0],
        n = t.data.length / c;
      const out = new Float32Array(n);
      for (let v = 0; v < n; v++) {
        let best = 0;
        for (let ch = 1; ch < c; ch++) if (t.data[ch * n + v] > t.data[best * n + v]) best = ch;
        out[v] = best;
      }
      s[f] = { data: out, shape: [1, ...t.shape.slice(1)] };
    }
    return s;
  }
}

export class SplitBasedOnLabel extends Transform {
  readonly name = 'SplitBasedOnLabel';
  constructor(
    readonly field: string,
    readonly labelNames: string[],
  ) {
    super();
    if (!Array.isArray(labelNames) || labelNames.length === 0 || !labelNames.every((x) => typeof x === 'string')) {
      throw new ClaraError(`SplitBasedOnLabel: label_names must be a non-empty list of names, got ${JSON.stringify(labelNames)}`);
    }
  }
  apply(sample: Sample): Sample {
    const s = { ...sample };
    const t = getTensor(s, this.field, this.name);
    if (t.shape[0] !== 1)
      throw new ClaraError(`SplitBasedOnLabel: '${this.field}' must be a one-channel label map, got ${t.shape[0]} channels (add ArgmaxAcrossChannels)`);
    const meta = s[`${this.field}_meta_dict`] as MetaDict | undefined;
    this.labelNames.forEach((name, i) => {
      const out = new Float32Array(t.data.length);
      for (let v = 0; v < out.length; v++) out[v] = Math.round(t.data[v]) === i ? 1 : 0;
      s[name] = { data: out, shape: [...t.shape] };
      if (meta) s[`${name}_meta_dict`] = { ...meta };
    });
    return s;
  }
}

export class CopyProperties extends Transform {
  readonly name = 'CopyProperties';
  readonly fields: string[];
  constructor(
    fields: string | string[],
    readonly fromField: string,
    readonly properties: string[],
  ) {
    super();
    this.fields = keyList(fields, this.name, 'fields');
  }
  apply(sample: Sample): Sample {
    const s = { ...sample };
    const from = s[`${this.fromField}_meta_dict`] as MetaDict | undefined;
    if (!from) throw new ClaraError(`CopyProperties: '${this.fromField}' has no meta data to copy from`);
    for (const f of this.fields) {
      const meta: MetaDict = { ...((s[`${f}_meta_dict`] as MetaDict | undefined) ?? from) };
      for (const p of this.properties) {
        if (!(p in from)) throw new ClaraError(`CopyProperties: '${this.fromField}' has no property '${p}' (it has ${Object.keys(from).join(', ')})`);
        const v = from[p];
        meta[p] = Array.isArray(v) ? JSON.parse(JSON.stringify(v)) : v;
      }
      s[`${f}_meta_dict`] = meta;
    }
    return s;
  }
}
