"""The train_step benchmark's UNet in PyTorch on the CPU (same architecture as
benchmarks/unet3d.ts: F filters, three levels, two 3x3x3 conv + ReLU per level,
2x2x2 max-pool, nearest x2 up-sampling, skip concat, 1x1x1 conv to 2 classes,
softmax, soft Dice, Adam 1e-3, batch 2). Prints one JSON line with step times.
usage: python3 benchmarks/train_step_torch.py D F REPS [THREADS]
       python3 benchmarks/train_step_torch.py --serve MODEL THREADS   (see serve() below)"""
import json
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as fn


def conv(ci, co, k=3):
    return nn.Conv3d(ci, co, k, padding=k // 2, bias=False)


class UNet(nn.Module):
    def __init__(self, f):
        super().__init__()
        self.e1a, self.e1b = conv(1, f), conv(f, f)
        self.e2a, self.e2b = conv(f, 2 * f), conv(2 * f, 2 * f)
        self.ba, self.bb = conv(2 * f, 4 * f), conv(4 * f, 4 * f)
        self.d2a, self.d2b = conv(6 * f, 2 * f), conv(2 * f, 2 * f)
        self.d1a, self.d1b = conv(3 * f, f), conv(f, f)
        self.out = conv(f, 2, 1)

    def forward(self, x):
        r = torch.relu
        e1 = r(self.e1b(r(self.e1a(x))))
        e2 = r(self.e2b(r(self.e2a(fn.max_pool3d(e1, 2)))))
        b = r(self.bb(r(self.ba(fn.max_pool3d(e2, 2)))))
        up = lambda t: fn.interpolate(t, scale_factor=2, mode="nearest")
        d2 = r(self.d2b(r(self.d2a(torch.cat([up(b), e2], 1)))))
        d1 = r(self.d1b(r(self.d1a(torch.cat([up(d2), e1], 1)))))
        return torch.softmax(self.out(d1), 1)


def main():
    d, f, reps = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
    threads = int(sys.argv[4]) if len(sys.argv) > 4 else 2
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    model = UNet(f)
    opt = torch.optim.Adam(model.parameters(), 1e-3)
    x = torch.randn(2, 1, d, d, d)
    y = fn.one_hot(torch.randint(0, 2, (2, d, d, d)), 2).permute(0, 4, 1, 2, 3).float()
    times, cpus, losses = [], [], []
    for _ in range(reps + 1):  # the first step is a warm-up
        t0 = time.perf_counter()
        c0 = time.process_time()
        opt.zero_grad()
        p = model(x)
        loss = 1 - 2 * (p * y).sum() / (p.sum() + y.sum())
        loss.backward()
        opt.step()
        losses.append(loss.item())
        times.append(time.perf_counter() - t0)
        cpus.append(time.process_time() - c0)
    print(json.dumps({"torch": torch.__version__, "threads": threads, "mkldnn": torch.backends.mkldnn.is_available(),
                      "step_s": times[1:], "cpu_s": cpus[1:], "loss": losses}))


if __name__ == "__main__" and (len(sys.argv) < 2 or sys.argv[1] != "--serve"):
    main()


# --serve MODEL THREADS: the model section's PyTorch peer. MONAI's networks with the product's
# benchmark configs (benchmarks/lib/model-workloads.ts), batch 2, softmax + MONAI DiceLoss
# (include_background=False, to_onehot_y=True), Adam 1e-3; relu-unet-small / -large: the UNet
# above (F=8 at 32³, F=16 at 64³) with its soft Dice. Each stdin line 'fp32' | 'bf16' runs
# one timed step (bf16: torch.autocast('cpu', dtype=torch.bfloat16)) and prints a JSON line.
def serve(model_name, threads):
    from monai.losses import DiceLoss
    from monai.networks.nets import UNet as MonaiUNet, SegResNet

    torch.set_num_threads(threads)
    torch.manual_seed(0)
    if model_name in ("relu-unet-small", "relu-unet-large"):
        net, d = (UNet(8), 32) if model_name == "relu-unet-small" else (UNet(16), 64)
    elif model_name == "unet-example":
        net, d = MonaiUNet(spatial_dims=3, in_channels=1, out_channels=2, channels=(8, 16, 32), strides=(2, 2),
                           num_res_units=0, norm="instance", act="relu"), 32
    elif model_name == "unet-clara":
        net, d = MonaiUNet(spatial_dims=3, in_channels=1, out_channels=2, channels=(16, 32, 64, 128, 256),
                           strides=(2, 2, 2, 2), num_res_units=1, norm="batch"), 64
    elif model_name == "segresnet":
        net, d = SegResNet(spatial_dims=3, in_channels=1, out_channels=2, init_filters=8), 32
    else:
        raise SystemExit(f"unknown model {model_name}")
    net.train()
    opt = torch.optim.Adam(net.parameters(), 1e-3)
    if isinstance(net, UNet):
        # the ReLU UNet's own loss (main() above): soft Dice of its softmax output and a one-hot label
        y = fn.one_hot(torch.randint(0, 2, (2, d, d, d)), 2).permute(0, 4, 1, 2, 3).float()
        x = torch.randn(2, 1, d, d, d)
        loss_fn = lambda p, t: 1 - 2 * (p * t).sum() / (p.sum() + t.sum())
    else:
        loss_fn = DiceLoss(include_background=False, to_onehot_y=True, softmax=True)
        y = (torch.rand(2, 1, d, d, d) < 0.3).float()
        x = y + 0.5 * torch.randn(2, 1, d, d, d)
    print(json.dumps({"ready": True, "torch": torch.__version__}), flush=True)
    for line in sys.stdin:
        mode = line.strip()
        if mode == "quit":
            break
        t0, c0 = time.perf_counter(), time.process_time()
        opt.zero_grad()
        if mode == "bf16":
            with torch.autocast("cpu", dtype=torch.bfloat16):
                out = net(x)
            loss = loss_fn(out.float(), y)
        else:
            loss = loss_fn(net(x), y)
        loss.backward()
        opt.step()
        print(json.dumps({"s": time.perf_counter() - t0, "cpu_s": time.process_time() - c0, "loss": loss.item()}), flush=True)


if __name__ == "__main__" and len(sys.argv) > 1 and sys.argv[1] == "--serve":
    serve(sys.argv[2], int(sys.argv[3]))
