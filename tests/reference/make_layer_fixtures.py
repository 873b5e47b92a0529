#!/usr/bin/python3
"""Writes the PyTorch parity fixtures of tests/layers and tests/model.

Each fixture is a safetensors file of fixed weights, inputs, an upstream gradient `dy`, and what
PyTorch computes from them (outputs and every gradient). The C++ tests load the same weights and
inputs into dae's layers and compare. Weights and inputs are float32 values; PyTorch computes
from them in float64, so the reference is PyTorch's answer without float32 rounding (PyTorch's own
float32 gradients differ from the exact ones by up to 4e-5 relative, more than the 1e-5 we hold
dae to). Results are stored as float32 (the loss as float64). Re-run after changing a case:

    /usr/bin/python3 tests/reference/make_layer_fixtures.py

Run with Debian's interpreter (python3-torch). Output is deterministic (seeded, one thread).
"""
import os
import sys

import torch
from torch import nn

sys.path.insert(0, os.path.dirname(__file__))
from reference_model import Autoencoder, save_safetensors  # noqa: E402

ROOT = os.path.join(os.path.dirname(__file__), "..", "fixtures")
BATCH = 3


def out(area, name):
    path = os.path.join(ROOT, area, name + ".safetensors")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    return path


def f32(tensors):
    """Stores float64 results as float32 (every weight and input already is a float32 value)."""
    return {k: (v.detach().float() if v.dtype == torch.float64 else v.detach()) for k, v in tensors.items()}


def layer_case(name, layer, x_shape, extra=None):
    """Forward and backward of one layer (float32 values, float64 arithmetic), random dy."""
    layer.double()
    x = torch.randn(*x_shape).double().requires_grad_(True)
    y = layer(x)
    dy = torch.randn(*y.shape).double()
    y.backward(dy)
    tensors = {"x": x, "y": y, "dy": dy, "dx": x.grad}
    for pname, p in layer.named_parameters():
        tensors[pname] = p
        tensors["d" + pname] = p.grad
    for bname, b in layer.named_buffers():
        tensors[bname] = b
    tensors.update(extra or {})
    save_safetensors(out("layers", name), f32(tensors))


def batchnorm_case(name, channels, plane, training):
    layer = nn.BatchNorm2d(channels)
    with torch.no_grad():
        layer.weight.uniform_(0.5, 1.5)
        layer.bias.uniform_(-0.5, 0.5)
        layer.running_mean.uniform_(-0.2, 0.2)
        layer.running_var.uniform_(0.5, 2.0)
    before = {"running_mean_before": layer.running_mean.clone(),
              "running_var_before": layer.running_var.clone()}
    layer.train(training)
    layer_case(name, layer, (BATCH, channels, plane, plane), before)


def model_cases():
    torch.manual_seed(1)
    model = Autoencoder(4).double()  # float32 initial values, float64 arithmetic
    model.train()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, betas=(0.9, 0.999), eps=1e-8)
    state0 = {k: v.clone() for k, v in model.state_dict().items()}
    tensors = {"before." + k: v for k, v in state0.items()}
    for step in (1, 2):
        clean = torch.rand(8, 1, 28, 28)
        noisy = torch.clamp(clean + 0.3 * torch.randn_like(clean), 0.0, 1.0).double()
        clean = clean.double()
        optimizer.zero_grad()
        loss = nn.functional.mse_loss(model(noisy), clean)
        loss.backward()
        optimizer.step()
        tensors[f"step{step}.clean"] = clean
        tensors[f"step{step}.noisy"] = noisy
        tensors[f"step{step}.loss"] = loss.detach().reshape(1)
        for k, p in model.named_parameters():
            tensors[f"step{step}.grad.{k}"] = p.grad.clone()
        for k, v in model.state_dict().items():
            tensors[f"step{step}.after.{k}"] = v.clone()
    losses = {k: v for k, v in tensors.items() if k.endswith(".loss")}
    tensors = f32(tensors)
    tensors.update(losses)
    save_safetensors(out("model", "training_steps"), tensors)

    # A checkpoint with non-trivial running statistics, and its evaluation-mode outputs.
    for _ in range(3):
        clean = torch.rand(16, 1, 28, 28).double()
        optimizer.zero_grad()
        nn.functional.mse_loss(model(clean), clean).backward()
        optimizer.step()
    model.eval()
    model.float()  # the checkpoint holds float32 values, as any PyTorch checkpoint would
    save_safetensors(out("model", "reference_checkpoint"), model.state_dict())
    model.double()
    images = torch.rand(5, 1, 28, 28).double()
    with torch.no_grad():
        codes = model.encoder(images)
        save_safetensors(out("model", "reference_eval"), f32({
            "images": images, "codes": codes, "reconstructions": model(images)}))


def main():
    torch.set_num_threads(1)
    torch.manual_seed(0)
    layer_case("conv_1x28x28_8_s2p1", nn.Conv2d(1, 8, 3, stride=2, padding=1), (BATCH, 1, 28, 28))
    layer_case("conv_8x14x14_16_s2p1", nn.Conv2d(8, 16, 3, stride=2, padding=1), (BATCH, 8, 14, 14))
    layer_case("conv_16x7x7_32_s2p0", nn.Conv2d(16, 32, 3, stride=2, padding=0), (BATCH, 16, 7, 7))
    layer_case("convt_32x3x3_16_s2p0op0", nn.ConvTranspose2d(32, 16, 3, stride=2), (BATCH, 32, 3, 3))
    layer_case("convt_16x7x7_8_s2p1op1",
               nn.ConvTranspose2d(16, 8, 3, stride=2, padding=1, output_padding=1), (BATCH, 16, 7, 7))
    layer_case("convt_8x14x14_1_s2p1op1",
               nn.ConvTranspose2d(8, 1, 3, stride=2, padding=1, output_padding=1), (BATCH, 8, 14, 14))
    layer_case("linear_288_128", nn.Linear(288, 128), (BATCH, 288))
    layer_case("linear_128_4", nn.Linear(128, 4), (BATCH, 128))
    batchnorm_case("batchnorm_16x7x7_train", 16, 7, training=True)
    batchnorm_case("batchnorm_8x14x14_eval", 8, 14, training=False)

    x = torch.cat([torch.randn(BATCH * 100), torch.tensor([-100.0, -30.0, 30.0, 100.0] * BATCH)])
    x = x.reshape(BATCH, 104).double()
    for name, fn in (("relu", torch.relu), ("sigmoid", torch.sigmoid)):
        xi = x.clone().requires_grad_(True)
        y = fn(xi)
        dy = torch.randn(*y.shape).double()
        y.backward(dy)
        save_safetensors(out("layers", name), f32({"x": xi, "y": y, "dy": dy, "dx": xi.grad}))

    y = torch.rand(BATCH, 784).double().requires_grad_(True)
    target = torch.rand(BATCH, 784).double()
    loss = nn.functional.mse_loss(y, target)
    loss.backward()
    tensors = f32({"y": y, "target": target, "dy": y.grad})
    tensors["loss"] = loss.detach().reshape(1)
    save_safetensors(out("layers", "mse"), tensors)
    model_cases()
    cross_entropy_case()


def cross_entropy_case():
    """Softmax cross-entropy (mean) on 64 samples of 10 logits: ordinary logits, a row at +-100
    (where a naive softmax overflows) and a tie; the labels are int32, as dae::Labels holds them."""
    torch.manual_seed(1)
    logits = (3 * torch.randn(64, 10)).double()
    logits[5] = torch.tensor([100.0, -100.0, 30.0, -30.0, 0.0, 99.0, -99.0, 1.0, 2.0, 3.0])
    logits[6] = torch.tensor([4.0, 4.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0])  # tie: argmax is 0
    logits.requires_grad_(True)
    labels = torch.randint(0, 10, (64,))
    loss = nn.functional.cross_entropy(logits, labels)
    loss.backward()
    correct = (logits.detach().argmax(dim=1) == labels).sum().double()
    tensors = f32({"logits": logits, "dlogits": logits.grad})
    tensors["labels"] = labels.to(torch.int32)
    tensors["loss"] = loss.detach().reshape(1)
    tensors["correct"] = correct.reshape(1)
    save_safetensors(out("layers", "cross_entropy"), tensors)


if __name__ == "__main__":
    main()
