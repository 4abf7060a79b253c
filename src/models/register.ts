// Registers the built-in models (MONAI 4.x and Clara 3.x names).
import { registry } from '../components/registry.js';
import { SEGRESNET_ARGS, UNET_ARGS, segResNetFactory, unetFactory } from './factories.js';

registry.register({
  names: ['UNet', 'monai.networks.nets.UNet'],
  kind: 'model',
  factory: unetFactory,
  args: UNET_ARGS,
  description: "MONAI's residual UNet (strided conv down, transposed conv up, skip concat)",
});
registry.register({
  names: ['SegResNet', 'SegResnet', 'monai.networks.nets.SegResNet'],
  kind: 'model',
  factory: segResNetFactory,
  args: SEGRESNET_ARGS,
  description: "MONAI's SegResNet (Myronenko 2018, no VAE branch); Clara 3.x SegResnet args",
});
