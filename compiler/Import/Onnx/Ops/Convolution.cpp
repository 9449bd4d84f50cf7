//===- Convolution.cpp - ONNX Conv, ConvTranspose, Gemm, MatMul -----------===//

#include "Import/Onnx/OnnxGraph.h"

namespace cnnc::onnx_import {

namespace {

/// ONNX auto_pad: explicit pads for SAME_UPPER/SAME_LOWER (the extra one at
/// the end / the beginning), zero for VALID. Returns false if unsupported.
bool autoPads(OnnxNode &n, const std::vector<int64_t> &kernel, const std::vector<int64_t> &stride,
              const std::vector<int64_t> &dilation, std::vector<int64_t> &pads) {
  std::string mode = n.attrString("auto_pad", "NOTSET");
  if (mode == "NOTSET")
    return true;
  if (mode == "VALID") {
    pads = {0, 0, 0, 0};
    return true;
  }
  if (mode != "SAME_UPPER" && mode != "SAME_LOWER") {
    n.fail("attribute auto_pad=" + mode + " is not supported");
    return false;
  }
  std::vector<int64_t> in = n.shape(0);
  if (in.size() != 4)
    return false;
  for (int d = 0; d < 2; ++d) {
    int64_t out = (in[2 + d] + stride[d] - 1) / stride[d];
    int64_t total = std::max<int64_t>(
        (out - 1) * stride[d] + (kernel[d] - 1) * dilation[d] + 1 - in[2 + d], 0);
    int64_t small = total / 2, large = total - small;
    pads[d] = mode == "SAME_UPPER" ? small : large;
    pads[2 + d] = mode == "SAME_UPPER" ? large : small;
  }
  return true;
}

/// Conv's and ConvTranspose's kernel, strides, dilations, pads and group,
/// checked against the 4-D weight `w`; false (reported) when unsupported.
struct ConvAttrs {
  std::vector<int64_t> kernel, stride, dilation, pads;
  int64_t groups = 1;
};
bool readConvAttrs(OnnxNode &n, const std::vector<int64_t> &w, ConvAttrs &a) {
  a.kernel = n.attrInts("kernel_shape", {w[2], w[3]});
  a.stride = n.attrInts("strides", {1, 1});
  a.dilation = n.attrInts("dilations", {1, 1});
  a.pads = n.attrInts("pads", {0, 0, 0, 0});
  a.groups = n.attrInt("group", 1);
  if (a.kernel != std::vector<int64_t>{w[2], w[3]}) {
    n.fail("kernel_shape " + shapeText(a.kernel) + " does not match the weight's " +
           shapeText(w));
    return false;
  }
  if (a.stride.size() != 2 || a.dilation.size() != 2 || a.pads.size() != 4) {
    n.fail("strides, dilations and pads must be 2-D");
    return false;
  }
  for (int64_t v : {a.stride[0], a.stride[1], a.dilation[0], a.dilation[1]})
    if (v < 1 || v > (int64_t(1) << 31)) {
      n.fail("strides and dilations must be in [1, 2^31]");
      return false;
    }
  for (int64_t v : a.pads)
    if (v < 0 || v > (int64_t(1) << 31)) {
      n.fail("pads must be in [0, 2^31], got " + shapeText(a.pads));
      return false;
    }
  return true;
}

/// A node's "params": its weight and, if named, its bias.
nlohmann::json weightAndBias(const std::string &weight, const std::string &bias) {
  nlohmann::json params = {{"weight", weight}};
  if (!bias.empty())
    params["bias"] = bias;
  return params;
}

void convertConv(OnnxNode &n) {
  std::string weight = n.initializer(1, "weight");
  std::string bias = n.hasInput(2) ? n.initializer(2, "bias") : "";
  std::vector<int64_t> w = n.shape(1);
  if (n.failed())
    return;
  if (w.size() != 4) {
    n.fail("only 2-D convolutions are supported (weight of shape " + shapeText(w) + ")");
    return;
  }
  ConvAttrs a;
  if (!readConvAttrs(n, w, a))
    return;
  auto &[kernel, stride, dilation, pads, groups] = a;
  if (!autoPads(n, kernel, stride, dilation, pads))
    return;
  bool padded = false;
  std::string x = n.runtimeWithPad(0, pads, padded);
  if (n.failed())
    return;
  nlohmann::json params = weightAndBias(weight, bias);
  n.bind(0, n.emit("conv2d", {x},
                   {{"out_channels", w[0]},
                    {"kernel", kernel},
                    {"stride", stride},
                    {"padding", pads},
                    {"dilation", dilation},
                    {"groups", groups},
                    {"bias", !bias.empty()}},
                   params));
}

/// Gemm as torch.nn.Linear writes it: Y = A B^T + C.
void convertGemm(OnnxNode &n) {
  std::string a = n.runtime(0);
  std::string weight = n.initializer(1, "weight");
  std::string bias = n.hasInput(2) ? n.initializer(2, "bias") : "";
  n.requireAttrInt("transA", 0);
  if (n.attrFloat("alpha", 1.0f) != 1.0f || n.attrFloat("beta", 1.0f) != 1.0f)
    n.fail("alpha and beta other than 1 are not supported");
  if (n.attrInt("transB", 0) != 1)
    n.fail("transB=0 is not supported: cnnc's dense layer keeps its weight as "
           "[out_features, in_features], as torch.nn.Linear (transB=1)");
  std::vector<int64_t> w = n.shape(1);
  std::vector<int64_t> c = bias.empty() ? std::vector<int64_t>{} : n.shape(2);
  if (n.failed())
    return;
  if (w.size() != 2)
    return n.fail("the weight must be a matrix, got " + shapeText(w));
  if (!bias.empty() && c != std::vector<int64_t>{w[0]})
    return n.fail("the bias must have shape [" + std::to_string(w[0]) + "], got " + shapeText(c));
  nlohmann::json params = weightAndBias(weight, bias);
  n.bind(0, n.emit("dense", {a}, {{"out_features", w[0]}, {"bias", !bias.empty()}}, params));
}

void convertConvTranspose(OnnxNode &n) {
  std::string weight = n.initializer(1, "weight");
  std::string bias = n.hasInput(2) ? n.initializer(2, "bias") : "";
  std::vector<int64_t> w = n.shape(1);
  if (n.failed())
    return;
  if (w.size() != 4)
    return n.fail("only 2-D transposed convolutions are supported (weight of shape " +
                  shapeText(w) + ")");
  ConvAttrs a;
  if (!readConvAttrs(n, w, a))
    return;
  auto &[kernel, stride, dilation, pads, groups] = a;
  std::vector<int64_t> outputPadding = n.attrInts("output_padding", {0, 0});
  n.requireAttrString("auto_pad", "NOTSET");
  if (n.hasAttr("output_shape"))
    return n.fail("attribute output_shape is not supported (export with explicit pads)");
  if (outputPadding.size() != 2)
    return n.fail("output_padding must be 2-D");
  std::string x = n.runtime(0);
  if (n.failed())
    return;
  nlohmann::json params = weightAndBias(weight, bias);
  n.bind(0, n.emit("conv_transpose2d", {x},
                   {{"out_channels", w[1] * groups},
                    {"kernel", kernel},
                    {"stride", stride},
                    {"padding", pads},
                    {"output_padding", outputPadding},
                    {"dilation", dilation},
                    {"groups", groups},
                    {"bias", !bias.empty()}},
                   params));
}

/// MatMul by a 2-D initializer (torch's nn.Linear over the last axis of a
/// rank > 2 tensor); a third input is the bias of the Add that followed it
/// (fused by the reader's pattern pass, OnnxPatterns.cpp).
void convertMatMul(OnnxNode &n) {
  std::string a = n.runtime(0);
  if (n.failed())
    return;
  const OnnxValue *b = n.input(1);
  if (b && b->kind == OnnxValue::Runtime)
    return n.fail("MatMul of two computed tensors is not supported (only by a weight)");
  std::string weight = n.initializer(1, "weight");
  std::string bias = n.hasInput(2) ? n.initializer(2, "bias") : "";
  std::vector<int64_t> w = n.shape(1);
  std::vector<int64_t> c = bias.empty() ? std::vector<int64_t>{} : n.shape(2);
  if (n.failed())
    return;
  if (w.size() != 2)
    return n.fail("the weight must be a matrix, got " + shapeText(w));
  if (!bias.empty() && c != std::vector<int64_t>{w[1]})
    return n.fail("the bias must have shape [" + std::to_string(w[1]) + "], got " + shapeText(c));
  nlohmann::json params = weightAndBias(weight, bias);
  n.bind(0, n.emit("matmul", {a}, {{"out_features", w[1]}, {"bias", !bias.empty()}}, params));
}

} // namespace

void addOnnxConvolutionOps(std::vector<OnnxOpEntry> &ops) {
  ops.push_back({"Conv", convertConv, nullptr, 2});
  ops.push_back({"Gemm", convertGemm, nullptr, 2});
  ops.push_back({"ConvTranspose", convertConvTranspose, nullptr, 2});
  ops.push_back({"MatMul", convertMatMul, nullptr, 2});
}

} // namespace cnnc::onnx_import
