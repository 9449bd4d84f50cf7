"""Fashion-MNIST (Debian's dataset-fashion-mnist) for PyTorch-side scripts, and
models/lenet.json's LeNet-5 as a PyTorch module (ReLU, max pools)."""
import gzip
import os
import struct

import torch
import torch.nn as nn
import torch.nn.functional as F

DATA = "/usr/share/datasets/fashion-mnist"


def read_idx(path):
    """An IDX file: images as uint8 [N, 1, 28, 28], labels as int64 [N]."""
    raw = gzip.open(path).read()
    magic, n = struct.unpack(">II", raw[:8])
    if magic == 2051:
        return torch.frombuffer(bytearray(raw[16:]), dtype=torch.uint8).reshape(n, 1, 28, 28)
    return torch.frombuffer(bytearray(raw[8:]), dtype=torch.uint8).long()


def load(split, data=DATA):
    """(images as float pixels / 255, labels) of "train" or "test"."""
    prefix = "train" if split == "train" else "t10k"
    x = read_idx(os.path.join(data, f"{prefix}-images-idx3-ubyte.gz")).float() / 255.0
    y = read_idx(os.path.join(data, f"{prefix}-labels-idx1-ubyte.gz"))
    return x, y


class LeNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 6, 5, padding=2)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1, self.fc2, self.fc3 = nn.Linear(400, 120), nn.Linear(120, 84), nn.Linear(84, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = torch.flatten(x, 1)
        return self.fc3(F.relu(self.fc2(F.relu(self.fc1(x)))))
