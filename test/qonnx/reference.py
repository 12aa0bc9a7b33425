"""An independent NumPy reference of the QONNX quantizers, written from the QONNX operator documentation
(docs/qonnx-custom-ops: Quant, BipolarQuant, Trunc v1/v2) and FINN's MultiThreshold description, for the tests in
test/qonnx/. Every array is float32, as the QONNX execution computes.

Usage: reference.py CASES.json OUT_DIR  (each case: {"name", "op", "attrs", "inputs": {name: [shape, flat values]}});
writes OUT_DIR/<name>.npy with the op's output."""
import json
import sys

import numpy as np


def rounding(mode):
    mode = mode.upper()
    table = {
        "ROUND": np.round,  # half to even
        "CEIL": np.ceil,
        "FLOOR": np.floor,
        "ROUND_TO_ZERO": np.trunc,
        "DOWN": np.trunc,
        "UP": lambda v: np.sign(v) * np.ceil(np.abs(v)),
        "HALF_UP": lambda v: np.sign(v) * np.floor(np.abs(v) + np.float32(0.5)),
        "HALF_DOWN": lambda v: np.sign(v) * np.ceil(np.abs(v) - np.float32(0.5)),
    }
    return table[mode]


def int_range(bits, signed, narrow):
    if signed:
        return -(2 ** (bits - 1)) + (1 if narrow else 0), 2 ** (bits - 1) - 1
    return 0, 2 ** bits - 1 - (1 if narrow else 0)


def quant(x, scale, zp, bits, signed, narrow, mode):
    v = x / scale + zp
    if bits == 1 and signed:
        q = np.where(v >= 0, np.float32(1), np.float32(-1))
    else:
        lo, hi = int_range(bits, signed, narrow)
        q = rounding(mode)(np.clip(v, np.float32(lo), np.float32(hi)))
    return ((q - zp) * scale).astype(np.float32)


def bipolar(x, scale):
    return (np.where(x >= 0, np.float32(1), np.float32(-1)) * scale).astype(np.float32)


def trunc_v1(x, scale, zp, in_bits, out_bits, mode):
    v = np.round(x / scale + zp) / np.float32(2.0 ** (in_bits - out_bits))
    return ((rounding(mode)(v) - zp) * scale).astype(np.float32)


def trunc_v2(x, scale, zp, in_bits, out_scale, out_bits, signed, narrow, mode):
    t = np.float32(2.0 ** np.round(np.log2(out_scale / scale)))
    v = np.round(x / scale + zp) / t
    lo, hi = int_range(out_bits, signed, narrow)
    v = rounding(mode)(np.clip(v, np.float32(lo), np.float32(hi)))
    return ((v - zp / t) * out_scale).astype(np.float32)


def multithreshold(x, thresholds, axis, out_scale, out_bias):
    moved = np.moveaxis(x, axis, -1)[..., None]  # [..., C, 1] against [C or 1, L]
    count = np.sum(moved >= thresholds, axis=-1)
    return np.moveaxis(np.float32(out_scale) * count + np.float32(out_bias), -1, axis).astype(np.float32)


def main():
    cases = json.load(open(sys.argv[1]))
    for c in cases:
        ins = {k: np.array(v[1], dtype=np.float32).reshape(v[0]) for k, v in c["inputs"].items()}
        a = c["attrs"]
        op = c["op"]
        if op == "Quant":
            y = quant(ins["x"], ins["scale"], ins["zp"], a["bits"], a["signed"], a["narrow"], a["rounding"])
        elif op == "BipolarQuant":
            y = bipolar(ins["x"], ins["scale"])
        elif op == "TruncV1":
            y = trunc_v1(ins["x"], ins["scale"], ins["zp"], a["in_bits"], a["out_bits"], a["rounding"])
        elif op == "TruncV2":
            y = trunc_v2(ins["x"], ins["scale"], ins["zp"], a["in_bits"], ins["out_scale"], a["out_bits"], a["signed"], a["narrow"], a["rounding"])
        elif op == "MultiThreshold":
            y = multithreshold(ins["x"], ins["thresholds"], a["axis"], a["out_scale"], a["out_bias"])
        else:
            raise SystemExit("unknown op " + op)
        np.save(f"{sys.argv[2]}/{c['name']}.npy", y)


main()
