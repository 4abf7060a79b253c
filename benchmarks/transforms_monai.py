#!/usr/bin/env python3
"""The MONAI side of benchmarks/transforms.ts: the same pipeline on the same volume (raw
float32 C-order files written by the TS benchmark). Prints one JSON line:
{"monai": version, "torch_threads": n, "seconds": median per sample pipeline}.
Usage: transforms_monai.py IMAGE.raw LABEL.raw I J K REPS THREADS CROP"""
import json
import sys
import time

import numpy as np
import torch
import monai
import monai.transforms as mt
from monai.data import MetaTensor


def main():
    img_path, lab_path = sys.argv[1], sys.argv[2]
    shape = tuple(int(x) for x in sys.argv[3:6])
    reps, threads, crop = int(sys.argv[6]), int(sys.argv[7]), int(sys.argv[8])
    torch.set_num_threads(threads)
    img = np.fromfile(img_path, dtype=np.float32).reshape(shape)
    lab = np.fromfile(lab_path, dtype=np.float32).reshape(shape)
    keys = ["image", "label"]
    pipe = mt.Compose([
        mt.Spacingd(keys, pixdim=[1.25, 1.25, 1.25], mode=["bilinear", "nearest"]),
        mt.ScaleIntensityRanged(["image"], a_min=-57, a_max=164, b_min=0.0, b_max=1.0, clip=True),
        mt.CropForegroundd(keys, source_key="image"),
        mt.RandCropByPosNegLabeld(keys, label_key="label", spatial_size=[crop, crop, crop], pos=1, neg=1, num_samples=4, image_key="image", image_threshold=0),
        mt.RandFlipd(keys, prob=1.0, spatial_axis=0),
        mt.RandGaussianNoised(["image"], prob=1.0, std=0.1),
    ])
    pipe.set_random_state(seed=0)
    times = []
    for r in range(reps + 1):
        d = {"image": MetaTensor(torch.from_numpy(img.copy())[None], affine=torch.eye(4, dtype=torch.float64)),
             "label": MetaTensor(torch.from_numpy(lab.copy())[None], affine=torch.eye(4, dtype=torch.float64))}
        t0 = time.perf_counter()
        pipe(d)
        if r > 0:
            times.append(time.perf_counter() - t0)
    print(json.dumps({"monai": monai.__version__, "torch_threads": threads, "seconds": float(np.median(times))}))


if __name__ == "__main__":
    main()
