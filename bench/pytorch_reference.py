#!/usr/bin/env python3
"""PyTorch-eager reference for the CUDA training benchmark (bench/bench_cuda_training.cu).

The reference denoising autoencoder of docs/DESIGN.md, trained the way the reference notebook
does it: 48,000 images, batch 256, noise clamp(x + 0.3 N(0,1), 0, 1), MSE, Adam(1e-3), with the
per-batch `loss.item()` of a typical training loop. The images are synthetic uint8 (the speed does
not depend on their content), resident on the GPU like dae's DeviceImageSet, so both sides time
the same work. Prints one JSON line: device, epochs, seconds (total and per epoch), final loss.

    python3 bench/pytorch_reference.py --epochs 30 [--json out.json] [--no-item]
"""
import argparse
import json
import os
import sys
import time

import torch
from torch import nn

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "reference"))
from reference_model import Decoder, Encoder  # noqa: E402  (the one definition of the model)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--images", type=int, default=48000)
    parser.add_argument("--json", help="also write the result here")
    parser.add_argument("--no-item", action="store_true", help="do not call loss.item() per batch")
    args = parser.parse_args()

    device = torch.device("cuda")
    torch.manual_seed(0)
    data = torch.randint(0, 256, (args.images, 1, 28, 28), dtype=torch.uint8, device=device)
    encoder, decoder = Encoder(4).to(device), Decoder(4).to(device)
    optimizer = torch.optim.Adam(list(encoder.parameters()) + list(decoder.parameters()), lr=1e-3)
    loss_fn = nn.MSELoss()
    encoder.train()
    decoder.train()

    def epoch():
        order = torch.randperm(args.images, device=device)
        total, batches = 0.0, 0
        running = torch.zeros((), device=device)
        for first in range(0, args.images, args.batch):
            clean = data[order[first:first + args.batch]].float() / 255.0
            noisy = torch.clamp(clean + 0.3 * torch.randn_like(clean), 0.0, 1.0)
            loss = loss_fn(decoder(encoder(noisy)), clean)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            if args.no_item:
                running += loss.detach()
            else:
                total += loss.item()
            batches += 1
        if args.no_item:
            total = running.item()
        return total / batches

    epoch()  # warm-up (cuDNN autotuning, allocator), not timed
    torch.cuda.synchronize()
    start = time.perf_counter()
    per_epoch = []
    loss = float("nan")
    for _ in range(args.epochs):
        t0 = time.perf_counter()
        loss = epoch()
        torch.cuda.synchronize()
        per_epoch.append(time.perf_counter() - t0)
    seconds = time.perf_counter() - start
    result = {
        "device": torch.cuda.get_device_name(0),
        "torch": torch.__version__,
        "epochs": args.epochs,
        "seconds": seconds,
        "seconds_per_epoch": seconds / args.epochs,
        "fastest_epoch": min(per_epoch),
        "final_train_loss": loss,
        "loss_item_per_batch": not args.no_item,
    }
    print(json.dumps(result))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f, indent=1)


if __name__ == "__main__":
    main()
