#!/usr/bin/env python3
"""Builds the small ONNX test models in this folder, each with seeded input data.

Run:  /usr/bin/python3 test/models/make_models.py      (Debian python3-onnx and python3-numpy; no torch needed)

Every model NAME.onnx gets NAME.input.npy (its first input); models with several inputs also get
NAME.<inputname>.npy for every input. Models with a free batch dimension get a batch of 2 in their .npy files.
Weights and inputs come from numpy's default_rng with a fixed seed per model, so rerunning reproduces the
files byte for byte. See README.md for what each model covers. Outputs are not stored: tests compute the
reference with onnxruntime-node.
"""
import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
F = TensorProto.FLOAT


def rng(seed):
    return np.random.default_rng(seed)


def w(r, *shape, scale=0.5):
    return (r.standard_normal(shape) * scale).astype(np.float32)


def init(name, arr):
    return numpy_helper.from_array(np.asarray(arr), name)


def i64(name, values):
    return numpy_helper.from_array(np.asarray(values, dtype=np.int64), name)


def vi(name, dims, elem=F):
    return helper.make_tensor_value_info(name, elem, dims)


def save(model, name, inputs, *, check=True, external=None):
    """Checks, shape-infers and writes NAME.onnx plus NAME.input.npy (and NAME.<input>.npy if several)."""
    model.producer_name = "adequate/test/models/make_models.py"
    if check:
        onnx.checker.check_model(model)
        onnx.shape_inference.infer_shapes(model, strict_mode=True)
    path = os.path.join(HERE, name + ".onnx")
    if external is not None:
        # Float initializers go to the external file; int64 shape tensors stay inline (ONNX Runtime's shape
        # inference cannot read a Reshape's shape from external data).
        from onnx import external_data_helper as edh
        edh.convert_model_to_external_data(model, all_tensors_to_one_file=True, location=external,
                                           size_threshold=0)
        for t in model.graph.initializer:
            if t.data_type == TensorProto.INT64:
                del t.external_data[:]
                t.data_location = TensorProto.DEFAULT
    onnx.save_model(model, path)
    items = list(inputs.items())
    np.save(os.path.join(HERE, name + ".input.npy"), items[0][1])
    if len(items) > 1:
        for k, v in items:
            np.save(os.path.join(HERE, "%s.%s.npy" % (name, k)), v)
    print("wrote %-22s %7d bytes  ops: %s" % (name + ".onnx", os.path.getsize(path),
                                          " ".join(sorted({n.op_type for n in model.graph.node}))))


def opset_model(graph, opset, ir_version=None):
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    if ir_version is not None:
        m.ir_version = ir_version
    return m


def bn_params(r, prefix, c):
    return [
        init(prefix + "_scale", (1 + 0.2 * r.standard_normal(c)).astype(np.float32)),
        init(prefix + "_bias", (0.1 * r.standard_normal(c)).astype(np.float32)),
        init(prefix + "_mean", (0.1 * r.standard_normal(c)).astype(np.float32)),
        init(prefix + "_var", (0.5 + r.random(c)).astype(np.float32)),
    ]


def bn(prefix, x, y, eps=1e-5):
    return helper.make_node("BatchNormalization",
                            [x, prefix + "_scale", prefix + "_bias", prefix + "_mean", prefix + "_var"], [y],
                            name=prefix, epsilon=eps)


# ---------------------------------------------------------------------------------------------------------------
def mixed_cnn():
    """Opset 14 CNN with most Conv/pool variants and the layout ops."""
    r = rng(1)
    inits = [
        init("c1_w", w(r, 8, 4, 3, 3)), init("c1_b", w(r, 8, scale=0.1)),
        *bn_params(r, "bn1", 8),
        init("dw_w", w(r, 8, 1, 3, 3)),
        init("g_w", w(r, 8, 4, 1, 1)), init("g_b", w(r, 8, scale=0.1)),
        i64("split_sizes", [3, 5]),
        *bn_params(r, "bn2", 5),
        i64("sl_starts", [1, 3]), i64("sl_ends", [4, 0]), i64("sl_axes", [2, 3]), i64("sl_steps", [1, -1]),
        i64("rs_shape", [0, 9, 8]),
        init("fc_w", w(r, 10, 72, scale=0.2)), init("fc_b", w(r, 10, scale=0.1)),
    ]
    nodes = [
        # [N,4,13,13] -> [N,8,7,6]: stride 2, asymmetric pads (top 1, left 0, bottom 2, right 1)
        helper.make_node("Conv", ["input", "c1_w", "c1_b"], ["c1"], name="conv_asym", kernel_shape=[3, 3],
                         strides=[2, 2], pads=[1, 0, 2, 1]),
        bn("bn1", "c1", "b1"),  # BatchNorm right after a Conv: folds into it
        helper.make_node("LeakyRelu", ["b1"], ["l1"], name="leaky", alpha=0.1),
        # depthwise (group = channels), dilation 2, no bias: [N,8,7,6]
        helper.make_node("Conv", ["l1", "dw_w"], ["dw"], name="conv_depthwise", kernel_shape=[3, 3], group=8,
                         dilations=[2, 2], pads=[2, 2, 2, 2]),
        helper.make_node("HardSwish", ["dw"], ["hs"], name="hardswish"),
        # grouped 1x1 conv, 2 groups
        helper.make_node("Conv", ["hs", "g_w", "g_b"], ["gc"], name="conv_grouped", kernel_shape=[1, 1], group=2),
        helper.make_node("Split", ["gc", "split_sizes"], ["sa", "sb"], name="split", axis=1),
        helper.make_node("Sigmoid", ["sa"], ["sa2"], name="sigmoid"),
        helper.make_node("Tanh", ["sb"], ["sb2"], name="tanh"),
        bn("bn2", "sb2", "sb3"),  # BatchNorm after Tanh: kept as a per-channel affine op
        helper.make_node("Concat", ["sa2", "sb3"], ["cat"], name="concat", axis=1),
        # two pools of the same tensor, added
        helper.make_node("MaxPool", ["cat"], ["mp"], name="maxpool", kernel_shape=[2, 2], strides=[2, 2]),
        helper.make_node("AveragePool", ["cat"], ["ap"], name="avgpool_ceil_incl", kernel_shape=[3, 3],
                         strides=[2, 2], pads=[1, 1, 1, 1], count_include_pad=1, ceil_mode=1),  # [N,8,4,4]
        helper.make_node("Slice", ["ap", "sl_starts", "sl_ends", "sl_axes", "sl_steps"], ["aps"],
                         name="slice_negstep"),  # rows 1..3, columns 3,2,1 -> [N,8,3,3]
        helper.make_node("Add", ["mp", "aps"], ["pooled"], name="add"),
        helper.make_node("Transpose", ["pooled"], ["tp"], name="transpose", perm=[0, 2, 3, 1]),  # [N,3,3,8]
        helper.make_node("Reshape", ["tp", "rs_shape"], ["rs"], name="reshape"),  # [N,9,8]
        helper.make_node("Flatten", ["rs"], ["flat"], name="flatten", axis=1),  # [N,72]
        helper.make_node("Gemm", ["flat", "fc_w", "fc_b"], ["fc"], name="fc", transB=1),
        helper.make_node("Softmax", ["fc"], ["probs"], name="softmax", axis=-1),
    ]
    g = helper.make_graph(nodes, "mixed_cnn", [vi("input", ["N", 4, 13, 13])], [vi("probs", ["N", 10])], inits)
    x = rng(101).standard_normal((2, 4, 13, 13)).astype(np.float32)
    save(opset_model(g, 14), "mixed_cnn", {"input": x})


def old_opset9():
    """Opset 9, IR version 4 written the old way: every initializer is also a graph input."""
    r = rng(2)
    inits = [
        init("conv_w", w(r, 4, 3, 3, 3)), init("conv_b", w(r, 4, scale=0.1)),
        *bn_params(r, "bn", 4),
        init("fc_w", w(r, 64, 10, scale=0.2)), init("fc_b", w(r, 10, scale=0.1)),
    ]
    nodes = [
        helper.make_node("Conv", ["input", "conv_w", "conv_b"], ["c"], name="conv", kernel_shape=[3, 3],
                         pads=[1, 1, 1, 1]),
        bn("bn", "c", "b"),
        helper.make_node("Relu", ["b"], ["r"], name="relu"),
        helper.make_node("Dropout", ["r"], ["d", "d_mask"], name="dropout", ratio=0.3),
        helper.make_node("Identity", ["d"], ["id"], name="identity"),
        helper.make_node("Clip", ["id"], ["clip"], name="clip6", min=0.0, max=1.5),
        helper.make_node("MaxPool", ["clip"], ["mp"], name="pool", kernel_shape=[2, 2], strides=[2, 2]),
        helper.make_node("Unsqueeze", ["mp"], ["us"], name="unsqueeze", axes=[0]),  # [1,1,4,4,4]
        helper.make_node("Squeeze", ["us"], ["sq"], name="squeeze", axes=[0]),  # [1,4,4,4]
        helper.make_node("Flatten", ["sq"], ["flat"], name="flatten"),
        helper.make_node("Gemm", ["flat", "fc_w", "fc_b"], ["fc"], name="fc"),
        helper.make_node("Softmax", ["fc"], ["output"], name="softmax", axis=1),
    ]
    graph_inputs = [vi("input", [1, 3, 8, 8])] + [vi(t.name, list(t.dims)) for t in inits]
    g = helper.make_graph(nodes, "old_opset9", graph_inputs, [vi("output", [1, 10])], inits)
    x = rng(102).standard_normal((1, 3, 8, 8)).astype(np.float32)
    save(opset_model(g, 9, ir_version=4), "old_opset9", {"input": x})


def opset7():
    """Only ops as they were at opset 7 (IR version 3: initializers listed as graph inputs)."""
    r = rng(3)
    inits = [
        init("conv_w", w(r, 4, 2, 3, 3)), init("conv_b", w(r, 4, scale=0.1)),
        *bn_params(r, "bn", 4),
        init("mul_c", w(r, 4, 1, 1)), init("add_c", w(r, 1, 4, 1, 1, scale=0.1)),
        init("rs_shape", np.array([1, 128], dtype=np.int64)),
        init("fc_w", w(r, 128, 5, scale=0.2)), init("fc_b", w(r, 1, 5, scale=0.1)),
    ]
    nodes = [
        helper.make_node("Conv", ["input", "conv_w", "conv_b"], ["c"], name="conv", kernel_shape=[3, 3]),  # [1,4,4,4]
        helper.make_node("BatchNormalization", ["c", "bn_scale", "bn_bias", "bn_mean", "bn_var"], ["b"],
                         name="bn", epsilon=1e-3, spatial=1),
        helper.make_node("Mul", ["b", "mul_c"], ["m"], name="mul"),
        helper.make_node("Add", ["m", "add_c"], ["a"], name="add"),
        helper.make_node("LeakyRelu", ["a"], ["lr"], name="leaky", alpha=0.2),
        helper.make_node("Sigmoid", ["a"], ["sg"], name="sigmoid"),
        helper.make_node("Sum", ["lr", "sg", "a"], ["s"], name="sum"),
        helper.make_node("AveragePool", ["s"], ["ap"], name="avgpool", kernel_shape=[2, 2], strides=[1, 1],
                         pads=[0, 0, 1, 1], count_include_pad=0),  # [1,4,4,4]
        helper.make_node("MaxPool", ["s"], ["mp"], name="maxpool", kernel_shape=[3, 3], strides=[1, 1],
                         pads=[1, 1, 1, 1]),  # [1,4,4,4]
        helper.make_node("Concat", ["ap", "mp"], ["cat"], name="concat", axis=2),  # [1,4,8,4]
        helper.make_node("Transpose", ["cat"], ["tp"], name="transpose", perm=[0, 1, 3, 2]),  # [1,4,4,8]
        helper.make_node("Tanh", ["tp"], ["th"], name="tanh"),
        helper.make_node("Dropout", ["th"], ["dr"], name="dropout", ratio=0.5),
        helper.make_node("Clip", ["dr"], ["cl"], name="clip", min=-0.5, max=0.75),
        helper.make_node("Reshape", ["cl", "rs_shape"], ["flat"], name="reshape"),  # [1,128]
        helper.make_node("Gemm", ["flat", "fc_w", "fc_b"], ["fc"], name="fc", alpha=1.0, beta=1.0),
        helper.make_node("Softmax", ["fc"], ["output"], name="softmax"),
    ]
    graph_inputs = [vi("input", [1, 2, 6, 6])] + [vi(t.name, list(t.dims), t.data_type) for t in inits]
    g = helper.make_graph(nodes, "opset7", graph_inputs, [vi("output", [1, 5])], inits)
    x = rng(103).standard_normal((1, 2, 6, 6)).astype(np.float32)
    save(opset_model(g, 7, ir_version=3), "opset7", {"input": x})


def gemm_variants():
    """Two inputs, two outputs: Gemm attributes, MatMul, Sum/Max/Min, Sub/Mul/Div by constants, constant Pad."""
    r = rng(4)
    inits = [
        init("g1_w", w(r, 4, 6)), init("g1_c", w(r, 4, scale=0.1)),
        init("g2a", w(r, 4, 3)),
        init("g3_b", w(r, 4, 4)), init("g3_c", np.array([0.25], dtype=np.float32)),
        init("mm_w", w(r, 4, 4)),
        init("min_c", w(r, 4)),
        init("three", np.array(3.0, dtype=np.float32)),
        init("sub_c", w(r, 1, 4)),
        init("mul_c", w(r, 4)),
        i64("pads", [0, 1, 0, 2]), init("pad_value", np.array(0.5, dtype=np.float32)),
    ]
    nodes = [
        # x [N,6] -> [N,4]: alpha, beta, transB, 1-D bias broadcast
        helper.make_node("Gemm", ["x", "g1_w", "g1_c"], ["g1"], name="gemm_alpha_beta_transB",
                         alpha=0.5, beta=2.0, transB=1),
        # transA on a constant A [4,3]: A^T [3,4] x g1^T [4,N] -> [3,N], no C; transposed back to [N,3]
        helper.make_node("Transpose", ["g1"], ["g1t"], name="t_in", perm=[1, 0]),  # [4,N]
        helper.make_node("Gemm", ["g2a", "g1t"], ["g2"], name="gemm_transA_noC", transA=1),  # [3,N]
        helper.make_node("Transpose", ["g2"], ["aux"], name="t_out", perm=[1, 0]),  # [N,3]
        # transA and transB on a runtime A (y^T [4,N]) and constant B [4,4], C of shape [1] broadcast
        helper.make_node("Transpose", ["y"], ["yt"], name="t_y", perm=[1, 0]),  # [4,N]
        helper.make_node("Gemm", ["yt", "g3_b", "g3_c"], ["g3"], name="gemm_transA_transB", transA=1, transB=1,
                         alpha=1.5),  # [N,4]
        helper.make_node("MatMul", ["y", "mm_w"], ["mm"], name="matmul"),  # [N,4]
        helper.make_node("Sum", ["g1", "mm", "g3"], ["s"], name="sum"),
        helper.make_node("Max", ["s", "mm"], ["mx"], name="max"),
        helper.make_node("Min", ["mx", "min_c"], ["mn"], name="min_broadcast"),
        helper.make_node("Div", ["mn", "three"], ["dv"], name="div_const"),
        helper.make_node("Sub", ["dv", "sub_c"], ["sb"], name="sub_const"),
        helper.make_node("Mul", ["sb", "mul_c"], ["ml"], name="mul_const"),
        helper.make_node("Pad", ["ml", "pads", "pad_value"], ["out"], name="pad_const", mode="constant"),  # [N,7]
    ]
    g = helper.make_graph(nodes, "gemm_variants", [vi("x", ["N", 6]), vi("y", ["N", 4])],
                          [vi("out", ["N", 7]), vi("aux", ["N", 3])], inits)
    rr = rng(104)
    save(opset_model(g, 13), "gemm_variants",
         {"x": rr.standard_normal((2, 6)).astype(np.float32), "y": rr.standard_normal((2, 4)).astype(np.float32)})


def lrn_pool():
    """LRN, HardSigmoid, global pools and LogSoftmax."""
    r = rng(5)
    inits = [
        init("conv_w", w(r, 8, 6, 3, 3, scale=0.3)), init("conv_b", w(r, 8, scale=0.1)),
        init("fc_w", w(r, 5, 16)), init("fc_b", w(r, 5, scale=0.1)),
    ]
    nodes = [
        helper.make_node("Conv", ["input", "conv_w", "conv_b"], ["c"], name="conv", kernel_shape=[3, 3]),  # [N,8,5,5]
        helper.make_node("Relu", ["c"], ["r"], name="relu"),
        helper.make_node("LRN", ["r"], ["lrn"], name="lrn", size=3, alpha=0.05, beta=0.75, bias=1.5),
        helper.make_node("HardSigmoid", ["lrn"], ["hsig"], name="hardsigmoid", alpha=0.3, beta=0.4),
        helper.make_node("GlobalAveragePool", ["hsig"], ["gap"], name="gap"),  # [N,8,1,1]
        helper.make_node("GlobalMaxPool", ["lrn"], ["gmp"], name="gmp"),
        helper.make_node("Concat", ["gap", "gmp"], ["cat"], name="concat", axis=1),  # [N,16,1,1]
        helper.make_node("Flatten", ["cat"], ["flat"], name="flatten"),
        helper.make_node("Gemm", ["flat", "fc_w", "fc_b"], ["fc"], name="fc", transB=1),
        helper.make_node("LogSoftmax", ["fc"], ["logprobs"], name="logsoftmax", axis=1),
    ]
    g = helper.make_graph(nodes, "lrn_pool", [vi("input", ["N", 6, 7, 7])], [vi("logprobs", ["N", 5])], inits)
    x = (rng(105).standard_normal((2, 6, 7, 7)) * 2).astype(np.float32)
    save(opset_model(g, 13), "lrn_pool", {"input": x})


def external_data():
    """Float initializers stored in external_data.onnx.data next to the model (the int64 shape stays inline)."""
    r = rng(6)
    inits = [
        init("conv_w", w(r, 3, 2, 3, 3)), init("conv_b", w(r, 3, scale=0.1)),
        init("mm_w", w(r, 27, 4, scale=0.3)), init("add_b", w(r, 4, scale=0.1)),
        i64("flat_shape", [-1, 27]),
    ]
    nodes = [
        helper.make_node("Conv", ["input", "conv_w", "conv_b"], ["c"], name="conv", kernel_shape=[3, 3]),  # [N,3,3,3]
        helper.make_node("Relu", ["c"], ["r"], name="relu"),
        helper.make_node("Reshape", ["r", "flat_shape"], ["flat"], name="reshape"),
        helper.make_node("MatMul", ["flat", "mm_w"], ["mm"], name="matmul"),
        helper.make_node("Add", ["mm", "add_b"], ["output"], name="add"),
    ]
    g = helper.make_graph(nodes, "external_data", [vi("input", ["N", 2, 5, 5])], [vi("output", ["N", 4])], inits)
    x = rng(106).standard_normal((2, 2, 5, 5)).astype(np.float32)
    data = os.path.join(HERE, "external_data.onnx.data")
    if os.path.exists(data):
        os.remove(data)  # onnx appends to an existing file
    save(opset_model(g, 13), "external_data", {"input": x}, external="external_data.onnx.data")


def qdq():
    """QuantizeLinear/DequantizeLinear: per-tensor on activations, per-axis on weights (axis 0 and axis 1)."""
    r = rng(7)
    conv_w = w(r, 4, 3, 3, 3)
    conv_scale = (np.abs(conv_w).reshape(4, -1).max(axis=1) / 127).astype(np.float32)
    conv_q = np.clip(np.round(conv_w / conv_scale[:, None, None, None]), -127, 127).astype(np.int8)
    fc_w = w(r, 36, 5, scale=0.3)  # [K, M], per-axis along M (axis 1)
    fc_scale = (np.abs(fc_w).max(axis=0) / 127).astype(np.float32)
    fc_q = np.clip(np.round(fc_w / fc_scale[None, :]), -127, 127).astype(np.int8)
    inits = [
        init("x_scale", np.array(0.02, dtype=np.float32)), init("x_zp", np.array(128, dtype=np.uint8)),
        init("conv_wq", conv_q), init("conv_ws", conv_scale), init("conv_wzp", np.zeros(4, dtype=np.int8)),
        init("conv_b", w(r, 4, scale=0.1)),
        init("a_scale", np.array(0.05, dtype=np.float32)), init("a_zp", np.array(0, dtype=np.int8)),
        init("fc_wq", fc_q), init("fc_ws", fc_scale), init("fc_wzp", np.zeros(5, dtype=np.int8)),
        init("fc_b", w(r, 5, scale=0.1)),
    ]
    nodes = [
        helper.make_node("QuantizeLinear", ["input", "x_scale", "x_zp"], ["xq"], name="q_in"),
        helper.make_node("DequantizeLinear", ["xq", "x_scale", "x_zp"], ["xd"], name="dq_in"),
        helper.make_node("DequantizeLinear", ["conv_wq", "conv_ws", "conv_wzp"], ["conv_w"], name="dq_conv_w",
                         axis=0),
        helper.make_node("Conv", ["xd", "conv_w", "conv_b"], ["c"], name="conv", kernel_shape=[3, 3],
                         strides=[2, 2]),  # [N,4,3,3]
        helper.make_node("Relu", ["c"], ["r"], name="relu"),
        helper.make_node("QuantizeLinear", ["r", "a_scale", "a_zp"], ["rq"], name="q_act"),
        helper.make_node("DequantizeLinear", ["rq", "a_scale", "a_zp"], ["rd"], name="dq_act"),
        helper.make_node("Flatten", ["rd"], ["flat"], name="flatten"),  # [N,36]
        helper.make_node("DequantizeLinear", ["fc_wq", "fc_ws", "fc_wzp"], ["fc_w"], name="dq_fc_w", axis=1),
        helper.make_node("Gemm", ["flat", "fc_w", "fc_b"], ["logits"], name="fc"),
    ]
    g = helper.make_graph(nodes, "qdq", [vi("input", ["N", 3, 8, 8])], [vi("logits", ["N", 5])], inits)
    x = rng(107).uniform(-1.5, 1.5, (2, 3, 8, 8)).astype(np.float32)
    save(opset_model(g, 13), "qdq", {"input": x})


def symbolic_dims():
    """A symbolic batch N and a symbolic height H: importing needs --input-shape input=1x2xHx8 (e.g. H=6)."""
    r = rng(8)
    inits = [init("conv_w", w(r, 4, 2, 1, 1)), init("conv_b", w(r, 4, scale=0.1)),
             init("fc_w", w(r, 3, 4)), init("fc_b", w(r, 3, scale=0.1))]
    nodes = [
        helper.make_node("Conv", ["input", "conv_w", "conv_b"], ["c"], name="conv1x1", kernel_shape=[1, 1]),
        helper.make_node("Relu", ["c"], ["r"], name="relu"),
        helper.make_node("GlobalAveragePool", ["r"], ["gap"], name="gap"),
        helper.make_node("Flatten", ["gap"], ["flat"], name="flatten"),
        helper.make_node("Gemm", ["flat", "fc_w", "fc_b"], ["output"], name="fc", transB=1),
    ]
    g = helper.make_graph(nodes, "symbolic_dims", [vi("input", ["N", 2, "H", 8])], [vi("output", ["N", 3])], inits)
    x = rng(108).standard_normal((2, 2, 6, 8)).astype(np.float32)
    save(opset_model(g, 13), "symbolic_dims", {"input": x})


def shape_ops():
    """Shape -> Gather -> Mul -> Unsqueeze -> Concat -> Reshape, Constant and ConstantOfShape: all fold once the
    batch is fixed."""
    r = rng(9)
    nodes = [
        helper.make_node("Shape", ["input"], ["shp"], name="shape"),  # [3] = (N, 4, 6)
        helper.make_node("Constant", [], ["i0"], name="c_i0", value=numpy_helper.from_array(np.array(0, np.int64))),
        helper.make_node("Constant", [], ["i1"], name="c_i1", value=numpy_helper.from_array(np.array(1, np.int64))),
        helper.make_node("Constant", [], ["i2"], name="c_i2", value=numpy_helper.from_array(np.array(2, np.int64))),
        helper.make_node("Constant", [], ["ax0"], name="c_ax0", value=numpy_helper.from_array(np.array([0], np.int64))),
        helper.make_node("Gather", ["shp", "i0"], ["d0"], name="gather0", axis=0),
        helper.make_node("Gather", ["shp", "i1"], ["d1"], name="gather1", axis=0),
        helper.make_node("Gather", ["shp", "i2"], ["d2"], name="gather2", axis=0),
        helper.make_node("Mul", ["d1", "d2"], ["p"], name="mul_dims"),
        helper.make_node("Unsqueeze", ["d0", "ax0"], ["u0"], name="unsq0"),
        helper.make_node("Unsqueeze", ["p", "ax0"], ["u1"], name="unsq1"),
        helper.make_node("Concat", ["u0", "u1"], ["newshape"], name="concat_shape", axis=0),  # (N, 24)
        helper.make_node("Reshape", ["input", "newshape"], ["flat"], name="reshape"),
        helper.make_node("ConstantOfShape", ["u1"], ["offs"], name="const_of_shape",
                         value=numpy_helper.from_array(np.array([0.25], np.float32))),  # [24] of 0.25
        helper.make_node("Add", ["flat", "offs"], ["shifted"], name="add"),
        helper.make_node("Constant", [], ["fc_w"], name="c_fc_w", value=numpy_helper.from_array(w(r, 24, 5))),
        helper.make_node("MatMul", ["shifted", "fc_w"], ["output"], name="matmul"),
    ]
    g = helper.make_graph(nodes, "shape_ops", [vi("input", ["N", 4, 6])], [vi("output", ["N", 5])], [])
    x = rng(109).standard_normal((2, 4, 6)).astype(np.float32)
    save(opset_model(g, 13), "shape_ops", {"input": x})


if __name__ == "__main__":
    mixed_cnn()
    old_opset9()
    opset7()
    gemm_variants()
    lrn_pool()
    external_data()
    qdq()
    symbolic_dims()
    shape_ops()
