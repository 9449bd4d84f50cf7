//===- Pooling.cpp - ONNX pools and spatial means -------------------------===//

#include "Import/Onnx/OnnxGraph.h"

#include <algorithm>

namespace cnnc::onnx_import {

namespace {

void convertPool(OnnxNode &n, bool average) {
  std::vector<int64_t> kernel = n.attrInts("kernel_shape", {});
  std::vector<int64_t> stride = n.attrInts("strides", {1, 1});
  std::vector<int64_t> pads = n.attrInts("pads", {0, 0, 0, 0});
  bool ceil = n.attrInt("ceil_mode", 0) != 0;
  std::string autoPad = n.attrString("auto_pad", "NOTSET");
  if (autoPad == "VALID")
    pads = {0, 0, 0, 0};
  else if (autoPad != "NOTSET")
    return n.fail("attribute auto_pad=" + autoPad + " is not supported");
  if (kernel.size() != 2 || stride.size() != 2 || pads.size() != 4)
    return n.fail("only 2-D pools are supported");
  for (int64_t v : pads)
    if (v < 0 || v > (int64_t(1) << 31))
      return n.fail("pads must be in [0, 2^31], got " + shapeText(pads));
  bool countIncludePad = false;
  if (average) {
    countIncludePad = n.attrInt("count_include_pad", 0) != 0;
  } else {
    if (n.attrInts("dilations", {1, 1}) != std::vector<int64_t>{1, 1})
      return n.fail("dilated max pooling is not supported");
    n.requireAttrInt("storage_order", 0);
    n.requireSingleOutput();
  }
  bool ownPads = std::any_of(pads.begin(), pads.end(), [](int64_t p) { return p != 0; });
  std::string x;
  const OnnxValue *in = n.input(0);
  if (average && in && in->kind == OnnxValue::Pending && in->pending->kind == PendingView::Pad) {
    // An explicit zero Pad counts its zeros: the pool's own padding with
    // count_include_pad, if the pool has none of its own to count otherwise.
    if (ownPads && !countIncludePad)
      return n.fail("a zero Pad before an AveragePool with its own padding and "
                    "count_include_pad=0 is not supported");
    bool padded;
    x = n.runtimeWithPad(0, pads, padded);
    countIncludePad = true;
  } else {
    x = n.runtime(0);
  }
  if (n.failed())
    return;
  nlohmann::json attrs = {{"kernel", kernel}, {"stride", stride}, {"padding", pads},
                          {"ceil_mode", ceil}};
  if (average)
    attrs["count_include_pad"] = countIncludePad;
  n.bind(0, n.emit(average ? "avgpool2d" : "maxpool2d", {x}, attrs));
}

void convertMaxPool(OnnxNode &n) { convertPool(n, false); }
void convertAveragePool(OnnxNode &n) { convertPool(n, true); }

void convertGlobalAveragePool(OnnxNode &n) {
  std::string x = n.runtime(0);
  if (n.failed())
    return;
  n.bind(0, n.emit("global_avgpool2d", {x}));
}

/// ReduceMean over H and W of an NCHW tensor (torch's x.mean([2, 3])).
void convertReduceMean(OnnxNode &n) {
  std::vector<int64_t> axes;
  if (n.opset() >= 18 && n.hasInput(1)) {
    const ConstTensor *c = n.constant(1, "axes");
    if (!c)
      return;
    axes = c->asInts();
  } else {
    axes = n.attrInts("axes", {});
  }
  bool keep = n.attrInt("keepdims", 1) != 0;
  n.attrInt("noop_with_empty_axes", 0);
  std::vector<int64_t> in = n.shape(0);
  std::string x = n.runtime(0);
  if (n.failed())
    return;
  for (int64_t &a : axes)
    if (a < 0)
      a += (int64_t)in.size();
  std::sort(axes.begin(), axes.end());
  if (in.size() != 4 || axes != std::vector<int64_t>{2, 3})
    return n.fail("only the mean over the spatial axes [2, 3] of an NCHW tensor is supported");
  std::string pooled = n.emit("global_avgpool2d", {x});
  n.bind(0, keep ? pooled : n.emit("flatten", {pooled}, {}, {}, "flatten"));
}

} // namespace

void addOnnxPoolingOps(std::vector<OnnxOpEntry> &ops) {
  ops.push_back({"MaxPool", convertMaxPool});
  ops.push_back({"AveragePool", convertAveragePool});
  ops.push_back({"GlobalAveragePool", convertGlobalAveragePool});
  ops.push_back({"ReduceMean", convertReduceMean});
}

} // namespace cnnc::onnx_import
