#!/usr/bin/python3
"""PyTorch reference of examples/lenet, for side-by-side comparison with dae.

Same network (Conv2d(1,16,5,2,2) ReLU Conv2d(16,32,5,2,2) ReLU Flatten Linear(1568,128) ReLU
Linear(128,10)), cross-entropy, Adam (lr 1e-3), batch 64 with the last partial batch dropped,
images scaled to [0, 1], a fresh shuffle per epoch (another generator than dae's). Prints one
JSON object per epoch: epoch, train_loss, test_loss, test_accuracy, train_seconds (the training
steps, batch assembly included; evaluation excluded). Run with Debian's interpreter:

    /usr/bin/python3 bench/pytorch_lenet.py --data data/mnist --epochs 1 --threads 2
"""
import argparse
import json
import os
import sys
import time

import torch
from torch import nn

sys.path.insert(0, os.path.dirname(__file__))
from pytorch_train import read_idx  # noqa: E402


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", default="data/mnist")
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(1)

    def split(prefix):
        images = torch.from_numpy(read_idx(args.data, prefix + "-images-idx3-ubyte").copy()).float().div_(255)
        labels = torch.from_numpy(read_idx(args.data, prefix + "-labels-idx1-ubyte").copy()).long()
        return images.unsqueeze(1), labels

    train_images, train_labels = split("train")
    test_images, test_labels = split("t10k")
    model = nn.Sequential(nn.Conv2d(1, 16, 5, 2, 2), nn.ReLU(), nn.Conv2d(16, 32, 5, 2, 2), nn.ReLU(), nn.Flatten(),
                          nn.Linear(1568, 128), nn.ReLU(), nn.Linear(128, 10))
    optimiser = torch.optim.Adam(model.parameters(), lr=1e-3)
    steps = len(train_labels) // args.batch
    for epoch in range(1, args.epochs + 1):
        order = torch.randperm(len(train_labels))
        start = time.perf_counter()
        loss_sum = 0.0
        model.train()
        for step in range(steps):
            ids = order[step * args.batch:(step + 1) * args.batch]
            optimiser.zero_grad()
            loss = nn.functional.cross_entropy(model(train_images[ids]), train_labels[ids])
            loss.backward()
            optimiser.step()
            loss_sum += loss.item()
        train_seconds = time.perf_counter() - start
        model.eval()
        with torch.no_grad():
            logits = torch.cat([model(test_images[i:i + 1000]) for i in range(0, len(test_labels), 1000)])
        print(json.dumps({"epoch": epoch, "train_loss": loss_sum / steps,
                          "test_loss": nn.functional.cross_entropy(logits, test_labels).item(),
                          "test_accuracy": (logits.argmax(1) == test_labels).float().mean().item(),
                          "train_seconds": train_seconds}), flush=True)


if __name__ == "__main__":
    main()
