#!/usr/bin/env python3
"""Exports a set of public network topologies to ONNX, with random weights, for coverage tests of the whole flow.

Run:  /usr/bin/python3 scripts/export-zoo.py OUT_DIR [--size 224] [--only resnet18,mlp_keras,...]

Writes OUT_DIR/<name>.onnx for each model below (opset 13, batch 1, fixed shapes) and OUT_DIR/<name>.input.npy
(one seeded input). Needs Debian's python3-torch, python3-torchvision and python3-onnx; no internet (weights=None:
random initialisation, seeded). The files are large (VGG-19 is 548 MB): do not commit them.

  resnet18            torchvision ResNet-18: residual Add + Relu, BatchNorm folded into Conv
  mobilenet_v2        torchvision MobileNetV2: depthwise convolutions, ReLU6 (Clip), residual Add
  mobilenet_v3_small  torchvision MobileNetV3-small: squeeze-excitation (Mul of two tensors), HardSigmoid, HardSwish
  squeezenet1_1       torchvision SqueezeNet 1.1: Concat of the fire modules' branches
  shufflenet_v2       torchvision ShuffleNetV2 x0.5: channel shuffle (Reshape/Transpose), Split, ReduceMean pooling
  vgg19               torchvision VGG-19 (144 M parameters: the hardware scale test)
  densenet121         torchvision DenseNet-121: Concat, BatchNorm + ReLU before each Conv (unfoldable)
  googlenet           torchvision GoogLeNet (Inception v1 without LRN): four-branch Concat
  efficientnet_b0     torchvision EfficientNet-B0: SiLU (x * Sigmoid(x)), squeeze-excitation
  mlp_keras           a Keras-style MLP exported as MatMul, Add (bias), Relu
  mlp_bn1d            a BatchNorm1d MLP: Linear, BatchNorm1d, ReLU
"""
import argparse
import os
import zlib

import numpy as np
import torch
import torchvision


class KerasMlp(torch.nn.Module):
    """Dense layers as Keras and CNTK export them: x @ W (MatMul) + b (Add), then Relu."""

    def __init__(self, sizes):
        super().__init__()
        self.w = torch.nn.ParameterList([torch.nn.Parameter(torch.randn(a, b) / a ** 0.5) for a, b in zip(sizes, sizes[1:])])
        self.b = torch.nn.ParameterList([torch.nn.Parameter(torch.randn(b) * 0.1) for b in sizes[1:]])

    def forward(self, x):
        x = torch.flatten(x, 1)
        for i, (w, b) in enumerate(zip(self.w, self.b)):
            x = torch.matmul(x, w) + b
            if i < len(self.w) - 1:
                x = torch.relu(x)
        return x


def bn1d_mlp(sizes):
    """Linear -> BatchNorm1d -> ReLU blocks (PyTorch MLPs), with non-trivial running statistics."""
    layers = [torch.nn.Flatten()]
    for i, (a, b) in enumerate(zip(sizes, sizes[1:])):
        layers.append(torch.nn.Linear(a, b))
        if i < len(sizes) - 2:
            bn = torch.nn.BatchNorm1d(b)
            bn.running_mean.uniform_(-0.5, 0.5)
            bn.running_var.uniform_(0.5, 2.0)
            bn.weight.data.uniform_(0.5, 1.5)
            bn.bias.data.uniform_(-0.2, 0.2)
            layers += [bn, torch.nn.ReLU()]
    return torch.nn.Sequential(*layers)


def randomize_batchnorm(model):
    """Non-trivial BatchNorm statistics, so folding them is tested (weights=None leaves mean 0, variance 1)."""
    for m in model.modules():
        if isinstance(m, torch.nn.modules.batchnorm._BatchNorm):
            m.running_mean.uniform_(-0.1, 0.1)
            m.running_var.uniform_(0.5, 1.5)
    return model


MODELS = {
    'resnet18': lambda: torchvision.models.resnet18(weights=None),
    'mobilenet_v2': lambda: torchvision.models.mobilenet_v2(weights=None),
    'mobilenet_v3_small': lambda: torchvision.models.mobilenet_v3_small(weights=None),
    'squeezenet1_1': lambda: torchvision.models.squeezenet1_1(weights=None),
    'shufflenet_v2': lambda: torchvision.models.shufflenet_v2_x0_5(weights=None),
    'vgg19': lambda: torchvision.models.vgg19(weights=None),
    'densenet121': lambda: torchvision.models.densenet121(weights=None),
    'googlenet': lambda: torchvision.models.googlenet(weights=None, aux_logits=False, init_weights=True),
    'efficientnet_b0': lambda: torchvision.models.efficientnet_b0(weights=None),
    'mlp_keras': lambda: KerasMlp([784, 128, 64, 10]),
    'mlp_bn1d': lambda: bn1d_mlp([784, 128, 64, 10]),
}
MLP_SHAPE = (1, 1, 28, 28)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('out', help='folder to write the .onnx files into (created if missing)')
    ap.add_argument('--size', type=int, default=224, help='image height and width of the CNNs (default 224)')
    ap.add_argument('--only', default='', help='comma-separated model names (default: all): ' + ', '.join(MODELS))
    args = ap.parse_args()
    names = [n for n in args.only.split(',') if n] or list(MODELS)
    for n in names:
        if n not in MODELS:
            ap.error(f"unknown model '{n}'; expected one of {', '.join(MODELS)}")
    os.makedirs(args.out, exist_ok=True)
    for name in names:
        seed = zlib.crc32(name.encode())  # per model, so --only reproduces the same files
        torch.manual_seed(seed)
        model = randomize_batchnorm(MODELS[name]()).eval()
        shape = MLP_SHAPE if name.startswith('mlp_') else (1, 3, args.size, args.size)
        x = torch.from_numpy(np.random.default_rng(seed).standard_normal(shape).astype(np.float32))
        path = os.path.join(args.out, name + '.onnx')
        tmp = path + '.tmp'
        with torch.no_grad():
            torch.onnx.export(model, x, tmp, opset_version=13, input_names=['input'], output_names=['output'],
                              do_constant_folding=True)
        os.replace(tmp, path)
        np.save(os.path.join(args.out, name + '.input.npy'), x.numpy())
        print(f'{path}: {sum(p.numel() for p in model.parameters()):,} parameters')


if __name__ == '__main__':
    main()
