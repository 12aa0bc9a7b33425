#!/usr/bin/env python3
"""Train a small residual, depthwise-separable CNN on Fashion-MNIST and export it to ONNX (model.onnx).

Run from anywhere:  /usr/bin/python3 examples/resnet-dw-fashion/train.py

The network exercises what real CNNs bring to adequate (issue 14): a ResNet basic block (two 3x3 convolutions, a
residual Add, then ReLU), a depthwise-separable downsampling block (depthwise 3x3 stride 2, pointwise 1x1), a
MobileNetV2 inverted-residual block (expand 1x1, depthwise 3x3, ReLU6, project 1x1, residual Add without
activation), BatchNorm after every convolution (folded at import), global average pooling and a dense classifier.

Preprocessing: x = pixel / 255 (float32 in [0, 1]); no mean/std normalisation.
Input  `input`  : float32 [batch, 1, 28, 28] (NCHW)
Output `logits` : float32 [batch, 10] (raw logits, no softmax)
Data: Debian's `dataset-fashion-mnist` package (/usr/share/datasets/fashion-mnist/*.gz).

Deterministic: fixed seeds, deterministic algorithms, one CPU thread. Adam with a cosine learning-rate schedule,
random horizontal flips. Writes model.onnx and accuracy.json (float32 top-1 on the 10,000 test images, measured here
in PyTorch).
"""
import gzip
import json
import math
import os
import random
import sys
import time

import numpy as np
import torch
import torch.nn as nn

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = "/usr/share/datasets/fashion-mnist"

SEED = 0
EPOCHS = int(os.environ.get("EPOCHS", "10"))
BATCH = 128
LR = 3e-3


def read_idx(path):
    with gzip.open(path, "rb") as f:
        raw = f.read()
    magic = int.from_bytes(raw[0:4], "big")
    ndim = magic & 0xFF
    assert (magic >> 8) == 0x08, "expected unsigned byte IDX data: %s" % path
    dims = [int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def load(split):
    prefix = "train" if split == "train" else "t10k"
    x = read_idx(os.path.join(DATA, prefix + "-images-idx3-ubyte.gz"))
    y = read_idx(os.path.join(DATA, prefix + "-labels-idx1-ubyte.gz"))
    x = (x.astype(np.float32) / 255.0).reshape(-1, 1, 28, 28)
    return torch.from_numpy(x), torch.from_numpy(y.astype(np.int64))


def conv_bn(cin, cout, k, stride=1, groups=1):
    return [nn.Conv2d(cin, cout, k, stride=stride, padding=k // 2, groups=groups, bias=False), nn.BatchNorm2d(cout)]


class BasicBlock(nn.Module):
    """ResNet basic block: relu(x + bn(conv(relu(bn(conv(x))))))."""

    def __init__(self, c):
        super().__init__()
        self.body = nn.Sequential(*conv_bn(c, c, 3), nn.ReLU(), *conv_bn(c, c, 3))
        self.relu = nn.ReLU()

    def forward(self, x):
        return self.relu(x + self.body(x))


class InvertedResidual(nn.Module):
    """MobileNetV2 block with stride 1: x + project(relu6(depthwise(relu6(expand(x)))))."""

    def __init__(self, c, expand):
        super().__init__()
        h = c * expand
        self.body = nn.Sequential(*conv_bn(c, h, 1), nn.ReLU6(), *conv_bn(h, h, 3, groups=h), nn.ReLU6(),
                                  *conv_bn(h, c, 1))

    def forward(self, x):
        return x + self.body(x)


class ResDwNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            *conv_bn(1, 16, 3), nn.ReLU(), nn.MaxPool2d(2),          # 16x14x14
            BasicBlock(16),
            *conv_bn(16, 16, 3, stride=2, groups=16), nn.ReLU(),     # depthwise, 16x7x7
            *conv_bn(16, 32, 1), nn.ReLU(),                          # pointwise, 32x7x7
            InvertedResidual(32, 2),
        )
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(32, 10)

    def forward(self, x):
        return self.classifier(torch.flatten(self.pool(self.features(x)), 1))


@torch.no_grad()
def accuracy(model, x, y):
    model.eval()
    correct = 0
    for i in range(0, len(x), 1000):
        correct += (model(x[i:i + 1000]).argmax(1) == y[i:i + 1000]).sum().item()
    return correct / len(x)


def main():
    torch.set_num_threads(1)
    torch.manual_seed(SEED)
    np.random.seed(SEED)
    random.seed(SEED)
    torch.use_deterministic_algorithms(True)

    xtr, ytr = load("train")
    xte, yte = load("test")
    print("train", tuple(xtr.shape), "test", tuple(xte.shape))

    model = ResDwNet()
    opt = torch.optim.Adam(model.parameters(), lr=LR)
    steps = EPOCHS * math.ceil(len(xtr) / BATCH)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: 0.5 * (1 + math.cos(math.pi * min(s, steps) / steps)))
    loss_fn = nn.CrossEntropyLoss()
    gen = torch.Generator().manual_seed(SEED)
    for epoch in range(EPOCHS):
        model.train()
        t0 = time.time()
        perm = torch.randperm(len(xtr), generator=gen)
        total = 0.0
        for i in range(0, len(xtr), BATCH):
            idx = perm[i:i + BATCH]
            xb = xtr[idx]
            flip = torch.rand(len(idx), generator=gen) < 0.5
            xb = torch.where(flip[:, None, None, None], xb.flip(3), xb)
            opt.zero_grad()
            loss = loss_fn(model(xb), ytr[idx])
            loss.backward()
            opt.step()
            sched.step()
            total += loss.item() * len(idx)
        acc = accuracy(model, xte, yte)
        print("epoch %d loss %.4f test_acc %.4f (%.1fs)"
              % (epoch + 1, total / len(xtr), acc, time.time() - t0), flush=True)

    model.eval()
    acc = accuracy(model, xte, yte)
    correct = int(round(acc * len(xte)))
    print("FINAL float32 top-1 on %d test images: %.4f (%d correct)" % (len(xte), acc, correct))

    out = os.path.join(HERE, "model.onnx")
    torch.onnx.export(
        model, torch.zeros(1, 1, 28, 28), out,
        opset_version=13, input_names=["input"], output_names=["logits"],
        dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}},
        do_constant_folding=True,
    )
    import onnx
    onnx.checker.check_model(onnx.load(out))
    print("wrote", out)
    with open(os.path.join(HERE, "accuracy.json"), "w") as f:
        json.dump({"dataset": "Fashion-MNIST test (t10k), 10000 images", "preprocessing": "x / 255",
                   "top1": acc, "correct": correct, "count": len(xte)}, f, indent=2)
        f.write("\n")


if __name__ == "__main__":
    sys.exit(main())
