// Registers the inferers (MONAI 4.x and Clara 3.x names).
import type { BuildContext } from '../../components/registry.js';
import { registry } from '../../components/registry.js';
import { Args } from '../../components/args.js';
import { SimpleInferer } from './inferer.js';
import { type BlendMode, type PaddingMode, SlidingWindowInferer } from './sliding-window.js';

export function slidingWindowFactory(raw: Record<string, unknown>, ctx: BuildContext): SlidingWindowInferer {
  const a = new Args(raw, ctx);
  const roi = a.ints('roi_size', undefined);
  if (!roi) return a.fail('roi_size', 'a list of 3 window sizes (required)');
  if (roi.length === 1) roi.push(roi[0], roi[0]);
  if (roi.length !== 3) a.fail('roi_size', 'one or three integers');
  const overlap = a.has('overlap') ? a.numOrList('overlap')! : 0.25;
  for (const o of ([] as number[]).concat(overlap)) if (!(o >= 0 && o < 1)) a.fail('overlap', 'in [0, 1)');
  if (Array.isArray(overlap) && overlap.length !== 3) a.fail('overlap', 'a number or three numbers');
  const sigma = a.has('sigma_scale') ? a.numOrList('sigma_scale')! : 0.125;
  if (Array.isArray(sigma) && sigma.length !== 3) a.fail('sigma_scale', 'a number or three numbers');
  return new SlidingWindowInferer({
    roiSize: roi,
    swBatchSize: a.num('sw_batch_size', 1, { int: true, min: 1 }),
    overlap,
    mode: a.str<BlendMode>('mode', 'constant', ['constant', 'gaussian']),
    sigmaScale: sigma,
    paddingMode: a.str<PaddingMode>('padding_mode', 'constant', ['constant', 'reflect', 'symmetric']),
    cval: a.num('cval', 0),
  });
}

registry.register({
  names: ['SlidingWindowInferer', 'TFScanWindowInferer', 'TFSlidingWindowInferer', 'monai.inferers.SlidingWindowInferer'],
  kind: 'inferer',
  factory: slidingWindowFactory,
  args: ['roi_size', 'sw_batch_size', 'overlap', 'mode', 'sigma_scale', 'padding_mode', 'cval', 'sw_device', 'device', 'progress'],
  description: "MONAI's sliding-window inference",
});
registry.register({
  names: ['SimpleInferer', 'TFSimpleInferer', 'monai.inferers.SimpleInferer'],
  kind: 'inferer',
  factory: () => new SimpleInferer(),
  args: [],
  description: 'the whole volume in one call',
});
