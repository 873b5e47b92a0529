#!/usr/bin/python3
"""PyTorch reference training of the docs/DESIGN.md pipeline, for side-by-side comparison with dae.

Same model (tests/reference/reference_model.py), data, split sizes, noise, loss, optimiser, batch
size and epoch structure as `dae_mnist train`; the random streams differ (another generator).
Prints one JSON object per epoch: epoch, train_loss, val_loss, seconds, train_seconds,
images_per_second. Run with Debian's interpreter (python3-torch):

    /usr/bin/python3 bench/pytorch_train.py --data data/mnist --epochs 30 --threads 2
"""
import argparse
import gzip
import json
import os
import sys
import time

import numpy as np
import torch
from torch import nn

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "reference"))
from reference_model import Autoencoder  # noqa: E402


def read_idx(folder, name):
    for path in (os.path.join(folder, name), os.path.join(folder, name + ".gz")):
        if os.path.exists(path):
            opener = gzip.open if path.endswith(".gz") else open
            with opener(path, "rb") as f:
                data = f.read()
            dims = data[3]
            shape = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(dims)]
            return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)
    sys.exit(f"pytorch_train.py: {name} not found in {folder}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", default="data/mnist")
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    images = torch.from_numpy(read_idx(args.data, "train-images-idx3-ubyte").copy()).float().div_(255.0)
    images = images.unsqueeze(1)                                               # (N,1,28,28)
    validation_count = round(len(images) * 0.2)
    order = torch.randperm(len(images))
    train_images = images[order[validation_count:]]
    val_images = images[order[:validation_count]]

    model = Autoencoder(4)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, betas=(0.9, 0.999), eps=1e-8)
    loss_fn = nn.MSELoss()
    for epoch in range(1, args.epochs + 1):
        start = time.perf_counter()
        model.train()
        losses = []
        for batch in torch.randperm(len(train_images)).split(args.batch):
            clean = train_images[batch]
            noisy = torch.clamp(clean + 0.3 * torch.randn_like(clean), 0.0, 1.0)
            loss = loss_fn(model(noisy), clean)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        train_seconds = time.perf_counter() - start
        model.eval()
        squared_error = 0.0
        with torch.no_grad():
            for clean in val_images.split(args.batch):
                noisy = torch.clamp(clean + 0.3 * torch.randn_like(clean), 0.0, 1.0)
                squared_error += float(((model(noisy) - clean) ** 2).sum())
        seconds = time.perf_counter() - start
        print(json.dumps({"epoch": epoch, "train_loss": sum(losses) / len(losses),
                          "val_loss": squared_error / val_images.numel(), "seconds": seconds,
                          "train_seconds": train_seconds,
                          "images_per_second": len(train_images) / train_seconds}), flush=True)


if __name__ == "__main__":
    main()
