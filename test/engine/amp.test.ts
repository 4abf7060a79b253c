// use_amp on the native CPU path really runs the convolutions of a training step on the AMX
// tiles where they beat fp32: in one step of the synthetic example's MONAI UNet (and of
// SegResNet) every conv pass the AMX kernels take and pay for (forward: cin, cout >= 8; input
// gradient: the summed cout >= 8, any cin; filter gradient: both >= 16, or >= 8 at stride 1;
// and enough multiply-adds: 1x1x1 8 M, input gradient into cin < 8 0.8 M, 16+ channels on both
// sides 2 M, else 4 M; native conv3d_amx_pays_*) is counted by the addon's AMX call counter, per pass (forward, input gradient, filter gradient), none without AMP, and
// none with AMX switched off (then every conv runs the AVX-512 kernels' exact bf16 emulation: a
// loss off fp32's, near the AMX step's); on the tensorflow backend (which cannot run bf16) an
// AMP step runs no AMX call.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import '../../src/models/register.js';
import { registry } from '../../src/components/registry.js';
import type { SegModel } from '../../src/models/seg-model.js';
import { diceLoss } from '../../src/losses/dice.js';
import { Adam } from '../../src/optimizers/optimizer.js';
import { withAmp } from '../../src/engine/amp.js';
import { registerNativeKernels } from '../../src/engine/native-kernels.js';
import { amxCallCounts, amxStatus, setAmx } from '../../src/native/amx.js';
import { Rng } from '../../src/util/random.js';
import { useTestBackend } from '../helpers/test-backend.js';

let backend = 'cpu';
before(async () => {
  backend = await useTestBackend();
  if (backend === 'cpu') registerNativeKernels();
});

const MODELS = {
  UNet: { spatial_dims: 3, in_channels: 1, out_channels: 2, channels: [8, 16, 32], strides: [2, 2], num_res_units: 0, norm: 'instance', act: 'relu' },
  SegResNet: { spatial_dims: 3, in_channels: 1, out_channels: 2, init_filters: 8, blocks_down: [1, 2], blocks_up: [1] },
} as const;

type Pass = 'forward' | 'backpropInput' | 'backpropFilter';
const PASS_OF: Record<string, Pass> = {
  Conv3D: 'forward',
  Conv3DBackpropInputV2: 'backpropInput',
  Conv3DBackpropFilterV2: 'backpropFilter',
  // the same passes with PyTorch's padding inside the conv (engine/kernels/padded-conv3d.ts)
  ClaraConv3D: 'forward',
  ClaraConv3DBackpropInput: 'backpropInput',
  ClaraConv3DBackpropFilter: 'backpropFilter',
};

/** The conv kernels of one profiled step, per pass: all of them, and those the AMX kernels take. */
function convKernels(kernels: { name: string; inputShapes: number[][]; outputShapes: number[][] }[]): Record<Pass, { all: number; amx: number }> {
  const r = { forward: { all: 0, amx: 0 }, backpropInput: { all: 0, amx: 0 }, backpropFilter: { all: 0, amx: 0 } };
  const px = (s: number[]) => s[0] * s[1] * s[2] * s[3];
  for (const k of kernels) {
    const pass = PASS_OF[k.name];
    if (!pass) continue;
    const [a, b] = k.inputShapes;
    const [out] = k.outputShapes;
    // Conv3D (x, filter) -> y, Conv3DBackpropInputV2 (dy, filter) -> dx: filter [kd, kh, kw, cin,
    // cout]; Conv3DBackpropFilterV2 (x, dy) -> filter: x [.., cin], dy [.., cout]
    const filter = pass === 'backpropFilter' ? out : b;
    const [cin, cout] = [filter[3], filter[4]];
    const dyPx = pass === 'forward' ? px(out) : pass === 'backpropInput' ? px(a) : px(b);
    const macs = dyPx * filter[0] * filter[1] * filter[2] * cin * cout;
    r[pass].all++;
    // the input gradient sums over cout: it takes any cin (a UNet's last transposed conv); the
    // filter gradient's tiles are cin x cout: it takes 16 and more of each
    // (stride 1 at 8 and more of each: the tiles narrowed to one block of each); a strided
    // filter gradient has x at least about twice dy's depth
    const stride1 = pass === 'backpropFilter' && a[1] < 2 * b[1] - 1;
    const takes =
      pass === 'backpropInput' ? cout >= 8 : pass === 'forward' ? cin >= 8 && cout >= 8 : (cin >= 16 && cout >= 16) || (stride1 && cin >= 8 && cout >= 8);
    const pointwise = filter[0] * filter[1] * filter[2] === 1;
    const need = pointwise ? 8e6 : pass === 'backpropInput' && cin < 8 ? 8e5 : cin >= 16 && cout >= 16 ? 2e6 : 4e6;
    const pays = takes && macs >= need;
    if (pays) r[pass].amx++;
  }
  return r;
}

async function profiledStep(model: keyof typeof MODELS, amp: boolean) {
  const place = { file: 'test', path: model };
  const net = registry.require(model, place, 'model').factory({ ...MODELS[model] }, place) as SegModel;
  const rng = new Rng(11),
    n = 48 ** 3; // the synthetic example's size: its deeper convs have the work AMX pays for
  const yv = Float32Array.from({ length: n }, () => (rng.random() < 0.3 ? 1 : 0));
  const xv = yv.map((v) => v + rng.normal(0, 0.5));
  const x = tf.tensor5d(xv, [1, 48, 48, 48, 1]),
    y = tf.tensor5d(yv, [1, 48, 48, 48, 1]);
  const loss = diceLoss({ includeBackground: false, toOnehotY: true, softmax: true });
  const opt = new Adam({ lr: 1e-3 });
  const before = amxCallCounts();
  let value = NaN;
  const info = await tf.profile(() => {
    withAmp(amp, () => {
      value = opt.minimize(() => loss(net.apply(x, true), y) as tf.Scalar, net.parameters());
    });
  });
  const after = amxCallCounts();
  tf.dispose([x, y]);
  opt.dispose();
  net.dispose();
  const calls = {
    forward: after.forward - before.forward,
    backpropInput: after.backpropInput - before.backpropInput,
    backpropFilter: after.backpropFilter - before.backpropFilter,
  };
  return { calls, convs: convKernels(info.kernels), value };
}

for (const model of Object.keys(MODELS) as (keyof typeof MODELS)[]) {
  test(`use_amp: a ${model} training step runs every conv pass the AMX kernels take and pay for on AMX, none without AMP`, async (t) => {
    if (backend !== 'cpu') {
      // the tensorflow backend has no bf16 convolutions: an AMP step there never reaches AMX
      const { calls, value } = await profiledStep(model, true);
      assert.ok(Number.isFinite(value));
      assert.deepEqual(calls, { forward: 0, backpropInput: 0, backpropFilter: 0 });
      return;
    }
    const s = amxStatus();
    if (!s.usable) return t.skip(`AMX not usable here: ${s.reason}`);
    const amp = await profiledStep(model, true);
    const fp32 = await profiledStep(model, false);
    for (const pass of ['forward', 'backpropInput', 'backpropFilter'] as const) {
      assert.ok(amp.convs[pass].amx > 0, `${pass}: the step has AMX-sized convolutions (${JSON.stringify(amp.convs)})`);
      assert.equal(amp.calls[pass], amp.convs[pass].amx, `${pass}: AMX calls vs conv kernels the AMX path takes (${JSON.stringify(amp.convs)})`);
      assert.equal(fp32.calls[pass], 0, `${pass}: AMX calls without AMP`);
    }
    // bf16 moved the loss, a little
    assert.ok(amp.value !== fp32.value && Math.abs(amp.value - fp32.value) < 0.02, `loss amp ${amp.value} vs fp32 ${fp32.value}`);
  });
}

test('use_amp with AMX switched off (CLARA_AMX=0, setAmx(false)): the step runs no AMX call and a bf16 loss', async (t) => {
  if (backend !== 'cpu') return t.skip('AMX is a cpu-native path');
  const s = amxStatus();
  if (!s.usable) return t.skip(`AMX not usable here: ${s.reason}`);
  const on = await profiledStep('UNet', true);
  const fp32 = await profiledStep('UNet', false);
  setAmx(false);
  let off: Awaited<ReturnType<typeof profiledStep>>;
  try {
    off = await profiledStep('UNet', true);
  } finally {
    setAmx(true);
  }
  assert.deepEqual(off.calls, { forward: 0, backpropInput: 0, backpropFilter: 0 });
  // every conv in the AVX-512 kernels' exact bf16 emulation (with AMX, use_amp runs the passes
  // the tiles do not pay for in fp32): not the fp32 loss, and like the AMX step's within bf16
  // rounding of it (measured on 48³: off - fp32 5e-6, AMX - off 3e-6; bound 1e-4 relative)
  assert.notEqual(off.value, fp32.value, 'AVX-512 bf16 loss vs fp32 loss');
  assert.ok(Math.abs(off.value - fp32.value) < 1e-4 * fp32.value, `loss AVX-512 bf16 ${off.value} vs fp32 ${fp32.value}`);
  assert.ok(Math.abs(on.value - off.value) < 1e-4 * fp32.value, `loss AMX ${on.value} vs AVX-512 bf16 ${off.value}`);
});
