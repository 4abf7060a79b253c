// Test helpers: a deterministic "load" transform that builds a volume from an item's id
// (taking `ms` of wall time, like reading a file) so datasets can be tested without files.
import { Transform } from '../../src/transforms/base.js';
import type { Sample } from '../../src/transforms/types.js';

export class SyntheticLoad extends Transform {
  readonly name = 'SyntheticLoad';
  calls = 0;
  constructor(
    readonly shape: [number, number, number] = [8, 8, 8],
    readonly ms = 0,
  ) {
    super();
  }
  async apply(s: Sample): Promise<Sample> {
    this.calls++;
    if (this.ms > 0) await new Promise((r) => setTimeout(r, this.ms));
    const id = s.id as number;
    const n = this.shape[0] * this.shape[1] * this.shape[2];
    const image = new Float32Array(n),
      label = new Float32Array(n);
    for (let v = 0; v < n; v++) {
      image[v] = ((v * 31 + id * 7) % 101) - 20;
      label[v] = (v + id) % 5 === 0 ? 1 : 0;
    }
    const meta = {
      affine: [
        [1, 0, 0, 0],
        [0, 1, 0, 0],
        [0, 0, 1, 0],
        [0, 0, 0, 1],
      ],
      original_affine: [],
      spatial_shape: this.shape,
      pixdim: [1, 1, 1],
      filename_or_obj: `item${id}`,
    };
    return {
      ...s,
      image: { data: image, shape: [1, ...this.shape] },
      label: { data: label, shape: [1, ...this.shape] },
      image_meta_dict: meta,
      label_meta_dict: { ...meta },
    };
  }
}

export function items(n: number): Sample[] {
  return Array.from({ length: n }, (_, id) => ({ id }));
}
