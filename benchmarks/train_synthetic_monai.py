#!/usr/bin/env python3
"""The MONAI + PyTorch side of benchmarks/train_synthetic_peers.ts: trains an MMAR written by
`clara-train init --example synthetic DIR` from its own config/config_train.json, with MONAI's
classes for the config's names (the example's names and arguments are MONAI's):
UNet(train.model.args), DiceLoss / FocalLoss as the config enables them, Adam(lr), StepLR,
the train pre_transforms and a CacheDataset(cache_rate, num_workers) + DataLoader(batch_size,
shuffle, num_workers), validation every num_interval_per_valid epochs (and at the last)
with the validate section's pre_transforms, SlidingWindowInferer(roi_size, sw_batch_size,
overlap), softmax + argmax, mean Dice without background, the best model saved with
torch.save when the mean Dice improves. An epoch's time covers what clara-train's epoch_time
covers: the training iterations (data loading included), the validation when due and the
best-model save.
Prints one JSON line: {"epoch_time": [...], "data_wait_s": [...] (waiting for the DataLoader),
"val_s": [...] (validation + best save), "train_loss": [...], "val": [{"epoch", "mean_dice"}], ...}.
usage: python3 benchmarks/train_synthetic_monai.py MMAR_DIR [--threads N] [--workers N] [--epochs N]"""
import argparse
import json
import os
import re
import tempfile
import time

import torch
import monai
import monai.transforms as mt
from monai.data import CacheDataset, DataLoader, decollate_batch
from monai.inferers import SlidingWindowInferer
from monai.losses import DiceLoss, FocalLoss
from monai.metrics import DiceMetric
from monai.networks.nets import UNet
from monai.utils import set_determinism


def resolve(v, scalars):
    """Clara's "{VAR}" substitution for the few places the example uses it."""
    if isinstance(v, str):
        m = re.fullmatch(r"\{(\w+)\}", v)
        if m and m.group(1) in scalars:
            return scalars[m.group(1)]
    return v


def transforms(entries, by_name):
    out = []
    for e in entries:
        if "ref" in e:
            e = by_name[e["ref"]]
        name = e["name"].split("#")[0]
        by_name[name] = e
        args = dict(e.get("args", {}))
        if name == "LoadImaged":
            args.setdefault("image_only", True)
        out.append(getattr(mt, name)(**args))
    return mt.Compose(out)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("mmar")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--workers", type=int, default=None, help="DataLoader/CacheDataset workers (default: the config's)")
    p.add_argument("--epochs", type=int, default=None)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    cfg = json.load(open(os.path.join(a.mmar, "config", "config_train.json")))
    env = json.load(open(os.path.join(a.mmar, "config", "environment.json")))
    scalars = {k: v for k, v in cfg.items() if not isinstance(v, (dict, list))}
    scalars.update(env)
    seed = cfg.get("determinism", {}).get("random_seed", 0)
    set_determinism(seed=seed)
    epochs = a.epochs or cfg["epochs"]
    interval = cfg.get("num_interval_per_valid", 1)
    tr, va = cfg["train"], cfg["validate"]

    data_root = os.path.join(a.mmar, resolve(tr["dataset"]["data_file_base_dir"], scalars))
    datalist = json.load(open(os.path.join(a.mmar, resolve(tr["dataset"]["data_list_file_path"], scalars))))
    fix = lambda items: [{k: os.path.join(data_root, v) for k, v in it.items()} for it in items]
    by_name = {}
    train_tf = transforms(tr["pre_transforms"], by_name)
    val_tf = transforms(va["pre_transforms"], by_name)
    dl_args, ds_args = tr["dataloader"]["args"], tr["dataset"]["args"]
    workers = dl_args.get("num_workers", 0) if a.workers is None else a.workers
    ds_workers = ds_args.get("num_workers", 0) if a.workers is None else a.workers
    train_ds = CacheDataset(fix(datalist["training"]), train_tf, cache_rate=ds_args.get("cache_rate", 1.0), num_workers=ds_workers, progress=False)
    val_ds = CacheDataset(fix(datalist["validation"]), val_tf, cache_rate=va["dataset"]["args"].get("cache_rate", 1.0), num_workers=ds_workers, progress=False)
    train_dl = DataLoader(train_ds, batch_size=dl_args["batch_size"], shuffle=dl_args.get("shuffle", True), num_workers=workers)
    val_dl = DataLoader(val_ds, batch_size=va["dataloader"]["args"]["batch_size"], shuffle=False, num_workers=workers)

    margs = dict(tr["model"]["args"])
    net = UNet(**margs)
    losses = []
    for entry in tr["loss"]:
        disabled = scalars.get(entry.get("apply", {}).get("@disabled"), entry.get("disabled", False))
        if disabled:
            continue
        cls = {"DiceLoss": DiceLoss, "FocalLoss": FocalLoss}[entry["name"]]
        losses.append(cls(**entry["args"]))
    loss_fn = lambda y, t: sum(f(y, t) for f in losses)
    lr = float(resolve(tr["optimizer"]["args"]["lr"], scalars))
    opt = torch.optim.Adam(net.parameters(), lr)
    sch = tr["lr_scheduler"]["args"]
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=sch["step_size"], gamma=sch["gamma"])
    inf = va["inferer"]["args"]
    inferer = SlidingWindowInferer(roi_size=inf["roi_size"], sw_batch_size=inf["sw_batch_size"], overlap=inf["overlap"])
    n_cls = margs["out_channels"]
    post_pred = mt.Compose([mt.Activations(softmax=True), mt.AsDiscrete(argmax=True, to_onehot=n_cls)])
    post_label = mt.AsDiscrete(to_onehot=n_cls)
    dice = DiceMetric(include_background=False, reduction="mean")
    ckpt_dir = tempfile.mkdtemp(prefix="monai-synthetic-")

    epoch_time, data_time, val_time, train_loss, val, best = [], [], [], [], [], None
    t_all = time.perf_counter()
    for ep in range(1, epochs + 1):
        t0 = time.perf_counter()
        net.train()
        s, n, wait = 0.0, 0, 0.0
        it = iter(train_dl)
        while True:
            td = time.perf_counter()
            batch = next(it, None)
            wait += time.perf_counter() - td
            if batch is None:
                break
            x, y = batch["image"], batch["label"]
            opt.zero_grad()
            loss = loss_fn(net(x), y)
            loss.backward()
            opt.step()
            s += loss.item() * x.shape[0]
            n += x.shape[0]
        sched.step()
        train_loss.append(s / n)
        data_time.append(wait)
        tv = time.perf_counter()
        if ep % interval == 0 or ep == epochs:
            net.eval()
            with torch.no_grad():
                for batch in val_dl:
                    out = inferer(batch["image"], net)
                    dice(y_pred=[post_pred(o) for o in decollate_batch(out)], y=[post_label(l) for l in decollate_batch(batch["label"])])
            m = dice.aggregate().item()
            dice.reset()
            val.append({"epoch": ep, "mean_dice": m})
            if best is None or m > best:
                best = m
                torch.save(net.state_dict(), os.path.join(ckpt_dir, "best.pt"))
        val_time.append(time.perf_counter() - tv)
        epoch_time.append(time.perf_counter() - t0)
    total = time.perf_counter() - t_all
    for f in os.listdir(ckpt_dir):
        os.remove(os.path.join(ckpt_dir, f))
    os.rmdir(ckpt_dir)
    print(json.dumps({"monai": monai.__version__, "torch": torch.__version__, "threads": a.threads, "workers": workers,
                      "epoch_time": epoch_time, "data_wait_s": data_time, "val_s": val_time, "train_loss": train_loss, "val": val, "best_mean_dice": best, "epochs_total_s": total}))


if __name__ == "__main__":
    main()
