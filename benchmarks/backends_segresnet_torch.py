"""The backends benchmark's SegResNet step in PyTorch (MONAI's SegResNet, init_filters 8,
2 classes, batch 2 of 32^3, softmax + soft Dice, Adam 1e-3). Prints one JSON line.
usage: python3 benchmarks/backends_segresnet_torch.py REPS THREADS"""
import json
import sys
import time

import torch
from monai.networks.nets import SegResNet

reps, threads = int(sys.argv[1]), int(sys.argv[2])
torch.set_num_threads(threads)
torch.manual_seed(1)
net = SegResNet(spatial_dims=3, in_channels=1, out_channels=2, init_filters=8)
opt = torch.optim.Adam(net.parameters(), 1e-3)
x = torch.rand(2, 1, 32, 32, 32)
y = torch.nn.functional.one_hot((x[:, 0] > 0.5).long(), 2).permute(0, 4, 1, 2, 3).float()
steps, cpus = [], []
for i in range(1 + reps):
    t0, c0 = time.perf_counter(), time.process_time()
    opt.zero_grad()
    p = torch.softmax(net(x), 1)
    loss = 1 - 2 * (p * y).sum() / (p.sum() + y.sum())
    loss.backward()
    opt.step()
    if i > 0:
        steps.append(time.perf_counter() - t0)
        cpus.append(time.process_time() - c0)
print(json.dumps({"torch": torch.__version__, "step_s": steps, "cpu_s": cpus}))
