"""The PyTorch reference model of docs/DESIGN.md, and a safetensors writer.

Shared by the fixture scripts and the training benchmark. Run with Debian's own interpreter
(/usr/bin/python3), which is where Debian's python3-torch lives.

Debian bookworm packages no `safetensors`, so `save_safetensors` implements the format's writer
following the official library's rules (safetensors/src/tensor.rs, `prepare`): tensors ordered by
dtype rank descending then name, offsets consecutive, compact JSON header with `__metadata__`
first when present, padded with spaces to a multiple of 8 bytes. dae's C++ writer follows the
same rules, which is what makes "load a PyTorch checkpoint, save it back bit for bit" testable.
"""
import json
import struct

import torch
from torch import nn

# Declaration order of the Rust crate's Dtype enum: the writer sorts by it, descending.
_DTYPE_RANK = ["BOOL", "U8", "I8", "F8_E5M2", "F8_E4M3", "F8_E8M0", "I16", "U16", "F16", "BF16",
               "I32", "U32", "F32", "C64", "F64", "I64", "U64"]
_DTYPE_NAME = {torch.float32: "F32", torch.float64: "F64", torch.int64: "I64", torch.int32: "I32",
               torch.uint8: "U8"}


def save_safetensors(path, tensors, metadata=None):
    """Writes {name: tensor} as safetensors, byte for byte as the official library would."""
    items = sorted(tensors.items(),
                   key=lambda kv: (-_DTYPE_RANK.index(_DTYPE_NAME[kv[1].dtype]), kv[0].encode()))
    header = {}
    if metadata:
        header["__metadata__"] = dict(sorted(metadata.items()))
    blobs, offset = [], 0
    for name, tensor in items:
        blob = tensor.detach().contiguous().cpu().numpy().tobytes()
        header[name] = {"dtype": _DTYPE_NAME[tensor.dtype], "shape": list(tensor.shape),
                        "data_offsets": [offset, offset + len(blob)]}
        blobs.append(blob)
        offset += len(blob)
    text = json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for blob in blobs:
            f.write(blob)


class Encoder(nn.Module):
    def __init__(self, latent):
        super().__init__()
        self.encoder_cnn = nn.Sequential(
            nn.Conv2d(1, 8, 3, stride=2, padding=1), nn.ReLU(True),
            nn.Conv2d(8, 16, 3, stride=2, padding=1), nn.BatchNorm2d(16), nn.ReLU(True),
            nn.Conv2d(16, 32, 3, stride=2, padding=0), nn.ReLU(True))
        self.flatten = nn.Flatten(start_dim=1)
        self.encoder_lin = nn.Sequential(nn.Linear(288, 128), nn.ReLU(True), nn.Linear(128, latent))

    def forward(self, x):
        return self.encoder_lin(self.flatten(self.encoder_cnn(x)))


class Decoder(nn.Module):
    def __init__(self, latent):
        super().__init__()
        self.decoder_lin = nn.Sequential(nn.Linear(latent, 128), nn.ReLU(True),
                                         nn.Linear(128, 288), nn.ReLU(True))
        self.unflatten = nn.Unflatten(dim=1, unflattened_size=(32, 3, 3))
        self.decoder_conv = nn.Sequential(
            nn.ConvTranspose2d(32, 16, 3, stride=2, output_padding=0), nn.BatchNorm2d(16), nn.ReLU(True),
            nn.ConvTranspose2d(16, 8, 3, stride=2, padding=1, output_padding=1), nn.BatchNorm2d(8),
            nn.ReLU(True),
            nn.ConvTranspose2d(8, 1, 3, stride=2, padding=1, output_padding=1))

    def forward(self, z):
        return torch.sigmoid(self.decoder_conv(self.unflatten(self.decoder_lin(z))))


class Autoencoder(nn.Module):
    def __init__(self, latent=4):
        super().__init__()
        self.encoder = Encoder(latent)
        self.decoder = Decoder(latent)

    def forward(self, x):
        return self.decoder(self.encoder(x))
