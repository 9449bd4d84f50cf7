//===- ShapeInference.cpp - PyTorch output-shape rules ---------------------===//

#include "Cnn/ShapeInference.h"

#include "llvm/Support/MathExtras.h"

using llvm::ArrayRef;

namespace mlir::cnn::shape {

std::string toString(ArrayRef<int64_t> shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i)
    s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

std::optional<int64_t> numElements(ArrayRef<int64_t> shape) {
  int64_t n = 1;
  for (int64_t d : shape) {
    if (d < 0 || llvm::MulOverflow(n, d, n))
      return std::nullopt;
  }
  return n;
}

/// Every rule needs static, positive sizes below 2^40 (so sums of a few
/// sizes and paddings never overflow int64).
static constexpr int64_t kMaxSize = int64_t(1) << 40;
static std::string checkDims(ArrayRef<int64_t> shape, const char *what) {
  for (int64_t d : shape)
    if (d <= 0 || d > kMaxSize)
      return std::string(what) + " dimensions must be static and positive, got " +
             toString(shape);
  return "";
}
static std::string checkAttr(ArrayRef<int64_t> values, const char *what, int64_t min) {
  for (int64_t v : values)
    if (v < min || v > kMaxSize)
      return std::string(what) + " must be " + (min > 0 ? "positive" : "non-negative") +
             " (and below 2^40), got " + toString(values);
  return "";
}

int64_t pooledSize(int64_t in, int64_t kernel, int64_t stride, int64_t padBegin,
                   int64_t padEnd, bool ceilMode) {
  int64_t span = in + padBegin + padEnd - kernel;
  if (span < 0)
    return 0;
  int64_t out = (ceilMode ? llvm::divideCeil(span, stride) : span / stride) + 1;
  // PyTorch: the last window must start inside the input or the leading pad.
  if (ceilMode && (out - 1) * stride >= in + padBegin)
    --out;
  return out;
}

/// What conv2d and conv_transpose2d check alike: ranks, attribute sizes and
/// ranges, static dimensions. `weightForm` names the weight's layout.
static std::string checkConvArguments(ArrayRef<int64_t> x, ArrayRef<int64_t> w,
                                      ArrayRef<int64_t> stride, ArrayRef<int64_t> padding,
                                      ArrayRef<int64_t> dilation, int64_t groups,
                                      const char *weightForm) {
  if (x.size() != 4)
    return "input must be [N, C, H, W], got " + toString(x);
  if (w.size() != 4)
    return std::string("weight must be ") + weightForm + ", got " + toString(w);
  if (stride.size() != 2 || dilation.size() != 2 || padding.size() != 4)
    return "stride and dilation need 2 values, padding 4";
  if (auto e = checkAttr(stride, "stride", 1); !e.empty())
    return e;
  if (auto e = checkAttr(dilation, "dilation", 1); !e.empty())
    return e;
  if (auto e = checkAttr(padding, "padding", 0); !e.empty())
    return e;
  if (groups <= 0)
    return "groups must be positive, got " + std::to_string(groups);
  if (auto e = checkDims(x, "input"); !e.empty())
    return e;
  return checkDims(w, "weight");
}

ShapeOrError conv2d(ArrayRef<int64_t> x, ArrayRef<int64_t> w,
                    std::optional<ArrayRef<int64_t>> b, ArrayRef<int64_t> stride,
                    ArrayRef<int64_t> padding, ArrayRef<int64_t> dilation,
                    int64_t groups) {
  if (auto e = checkConvArguments(x, w, stride, padding, dilation, groups,
                                  "[O, C/groups, kh, kw]");
      !e.empty())
    return ShapeOrError::fail(e);
  if (x[1] % groups != 0)
    return ShapeOrError::fail("input channels (" + std::to_string(x[1]) +
                              ") are not divisible by groups (" +
                              std::to_string(groups) + ")");
  if (w[0] % groups != 0)
    return ShapeOrError::fail("output channels (" + std::to_string(w[0]) +
                              ") are not divisible by groups (" +
                              std::to_string(groups) + ")");
  if (w[1] != x[1] / groups)
    return ShapeOrError::fail("weight " + toString(w) + " expects " +
                              std::to_string(w[1] * groups) +
                              " input channels, but the input " + toString(x) +
                              " has " + std::to_string(x[1]));
  if (b && (b->size() != 1 || (*b)[0] != w[0]))
    return ShapeOrError::fail("bias must be [" + std::to_string(w[0]) + "], got " +
                              toString(*b));
  Shape out{x[0], w[0], 0, 0};
  for (int i = 0; i < 2; ++i) {
    int64_t padded = x[2 + i] + padding[i] + padding[i + 2];
    int64_t extent = dilation[i] * (w[2 + i] - 1) + 1;
    if (extent > padded)
      return ShapeOrError::fail("kernel " + toString(w.drop_front(2)) +
                                " (dilated extent " + std::to_string(extent) +
                                ") is larger than the padded input " +
                                toString({x[2] + padding[0] + padding[2],
                                          x[3] + padding[1] + padding[3]}));
    out[2 + i] = (padded - extent) / stride[i] + 1;
  }
  return {out, ""};
}

ShapeOrError dense(ArrayRef<int64_t> x, ArrayRef<int64_t> w,
                   std::optional<ArrayRef<int64_t>> b) {
  if (x.size() < 2)
    return ShapeOrError::fail("input must be [N, F] or [N, ..., F], got " + toString(x));
  if (w.size() != 2)
    return ShapeOrError::fail("weight must be [out, F], got " + toString(w));
  if (auto e = checkDims(x, "input"); !e.empty())
    return ShapeOrError::fail(e);
  if (auto e = checkDims(w, "weight"); !e.empty())
    return ShapeOrError::fail(e);
  if (w[1] != x.back())
    return ShapeOrError::fail("weight " + toString(w) + " expects " +
                              std::to_string(w[1]) + " input features, but the input " +
                              toString(x) + " has " + std::to_string(x.back()));
  if (b && (b->size() != 1 || (*b)[0] != w[0]))
    return ShapeOrError::fail("bias must be [" + std::to_string(w[0]) + "], got " +
                              toString(*b));
  Shape out(x.begin(), x.end());
  out.back() = w[0];
  return {out, ""};
}

ShapeOrError convTranspose2d(ArrayRef<int64_t> x, ArrayRef<int64_t> w,
                             std::optional<ArrayRef<int64_t>> b, ArrayRef<int64_t> stride,
                             ArrayRef<int64_t> padding, ArrayRef<int64_t> outputPadding,
                             ArrayRef<int64_t> dilation, int64_t groups) {
  if (auto e = checkConvArguments(x, w, stride, padding, dilation, groups,
                                  "[C, O/groups, kh, kw]");
      !e.empty())
    return ShapeOrError::fail(e);
  if (outputPadding.size() != 2)
    return ShapeOrError::fail("output_padding needs 2 values");
  if (auto e = checkAttr(outputPadding, "output_padding", 0); !e.empty())
    return ShapeOrError::fail(e);
  if (x[1] % groups != 0)
    return ShapeOrError::fail("input channels (" + std::to_string(x[1]) +
                              ") are not divisible by groups (" + std::to_string(groups) +
                              ")");
  if (w[0] != x[1])
    return ShapeOrError::fail("weight " + toString(w) + " expects " + std::to_string(w[0]) +
                              " input channels, but the input " + toString(x) + " has " +
                              std::to_string(x[1]));
  int64_t outChannels = w[1] * groups;
  if (b && (b->size() != 1 || (*b)[0] != outChannels))
    return ShapeOrError::fail("bias must be [" + std::to_string(outChannels) + "], got " +
                              toString(*b));
  Shape out{x[0], outChannels, 0, 0};
  for (int i = 0; i < 2; ++i) {
    if (outputPadding[i] >= stride[i] && outputPadding[i] >= dilation[i])
      return ShapeOrError::fail("output_padding " + toString(outputPadding) +
                                " must be smaller than the stride " + toString(stride) +
                                " or the dilation " + toString(dilation));
    int64_t full = (x[2 + i] - 1) * stride[i] + dilation[i] * (w[2 + i] - 1) + 1 +
                   outputPadding[i];
    int64_t size = full - padding[i] - padding[i + 2];
    if (size <= 0)
      return ShapeOrError::fail("padding " + toString(padding) + " leaves no output of " +
                                "the transposed convolution's " + std::to_string(full) +
                                " rows or columns");
    out[2 + i] = size;
  }
  return {out, ""};
}

ShapeOrError pool2d(ArrayRef<int64_t> x, ArrayRef<int64_t> kernel,
                    ArrayRef<int64_t> stride, ArrayRef<int64_t> padding,
                    bool ceilMode) {
  if (x.size() != 4)
    return ShapeOrError::fail("input must be [N, C, H, W], got " + toString(x));
  if (kernel.size() != 2 || stride.size() != 2 || padding.size() != 4)
    return ShapeOrError::fail("kernel and stride need 2 values, padding 4");
  if (auto e = checkAttr(kernel, "kernel", 1); !e.empty())
    return ShapeOrError::fail(e);
  if (auto e = checkAttr(stride, "stride", 1); !e.empty())
    return ShapeOrError::fail(e);
  if (auto e = checkAttr(padding, "padding", 0); !e.empty())
    return ShapeOrError::fail(e);
  if (auto e = checkDims(x, "input"); !e.empty())
    return ShapeOrError::fail(e);
  for (int i = 0; i < 4; ++i) {
    if (padding[i] > kernel[i % 2] / 2)
      return ShapeOrError::fail("padding " + toString(padding) +
                                " exceeds half the kernel " + toString(kernel));
  }
  Shape out{x[0], x[1], 0, 0};
  for (int i = 0; i < 2; ++i) {
    int64_t padded = x[2 + i] + padding[i] + padding[i + 2];
    if (kernel[i] > padded)
      return ShapeOrError::fail("kernel " + toString(kernel) +
                                " is larger than the padded input " +
                                toString({x[2] + padding[0] + padding[2],
                                          x[3] + padding[1] + padding[3]}));
    out[2 + i] = pooledSize(x[2 + i], kernel[i], stride[i], padding[i],
                            padding[i + 2], ceilMode);
  }
  return {out, ""};
}

ShapeOrError globalAvgPool2d(ArrayRef<int64_t> x) {
  if (x.size() != 4)
    return ShapeOrError::fail("input must be [N, C, H, W], got " + toString(x));
  if (auto e = checkDims(x, "input"); !e.empty())
    return ShapeOrError::fail(e);
  return {{x[0], x[1], 1, 1}, ""};
}

ShapeOrError resized2d(ArrayRef<int64_t> x, ArrayRef<int64_t> size) {
  if (x.size() != 4)
    return ShapeOrError::fail("input must be [N, C, H, W], got " + toString(x));
  if (auto e = checkDims(x, "input"); !e.empty())
    return ShapeOrError::fail(e);
  if (size.size() != 2)
    return ShapeOrError::fail("the output size needs 2 values, got " + toString(size));
  if (auto e = checkAttr(size, "output size", 1); !e.empty())
    return ShapeOrError::fail(e);
  return {{x[0], x[1], size[0], size[1]}, ""};
}

ShapeOrError permute(ArrayRef<int64_t> x, ArrayRef<int64_t> dims) {
  if (dims.size() != x.size())
    return ShapeOrError::fail("dims " + toString(dims) + " must permute all " +
                              std::to_string(x.size()) + " dimensions of " + toString(x));
  llvm::SmallVector<bool> seen(x.size(), false);
  Shape out;
  for (int64_t d : dims) {
    if (d < 0 || d >= (int64_t)x.size() || seen[d])
      return ShapeOrError::fail("dims " + toString(dims) + " is not a permutation of 0.." +
                                std::to_string(x.size() - 1));
    seen[d] = true;
    out.push_back(x[d]);
  }
  return {out, ""};
}

ShapeOrError layerNorm(ArrayRef<int64_t> x, ArrayRef<int64_t> axes,
                       ArrayRef<ArrayRef<int64_t>> affine) {
  if (auto e = checkDims(x, "input"); !e.empty())
    return ShapeOrError::fail(e);
  if (axes.empty())
    return ShapeOrError::fail("normalizes over no dimension");
  Shape normalized;
  for (size_t i = 0; i < axes.size(); ++i) {
    if (axes[i] <= 0 || axes[i] >= (int64_t)x.size() || (i && axes[i] <= axes[i - 1]))
      return ShapeOrError::fail("normalized dimensions " + toString(axes) +
                                " must be sorted, distinct, and not the batch of " +
                                toString(x));
    normalized.push_back(x[axes[i]]);
  }
  if (!affine.empty() && affine.size() != 2)
    return ShapeOrError::fail("takes no affine parameters or weight and bias");
  for (ArrayRef<int64_t> p : affine)
    if (p != ArrayRef<int64_t>(normalized))
      return ShapeOrError::fail("weight and bias must be " + toString(normalized) + ", got " +
                                toString(p));
  return {Shape(x.begin(), x.end()), ""};
}

ShapeOrError batchnorm(ArrayRef<int64_t> x, ArrayRef<ArrayRef<int64_t>> params) {
  if (x.size() != 4 && x.size() != 2)
    return ShapeOrError::fail("input must be [N, C, H, W] or [N, C], got " +
                              toString(x));
  if (auto e = checkDims(x, "input"); !e.empty())
    return ShapeOrError::fail(e);
  static const char *roles[] = {"weight", "bias", "running_mean", "running_var"};
  for (size_t i = 0; i < params.size(); ++i)
    if (params[i].size() != 1 || params[i][0] != x[1])
      return ShapeOrError::fail(std::string(i < 4 ? roles[i] : "parameter") +
                                " must be [" + std::to_string(x[1]) + "], got " +
                                toString(params[i]));
  return {Shape(x.begin(), x.end()), ""};
}

ShapeOrError broadcast(ArrayRef<int64_t> a, ArrayRef<int64_t> b) {
  if (auto e = checkDims(a, "operand"); !e.empty())
    return ShapeOrError::fail(e);
  if (auto e = checkDims(b, "operand"); !e.empty())
    return ShapeOrError::fail(e);
  size_t rank = std::max(a.size(), b.size());
  Shape out(rank, 1);
  for (size_t i = 0; i < rank; ++i) {
    int64_t da = i < rank - a.size() ? 1 : a[i - (rank - a.size())];
    int64_t db = i < rank - b.size() ? 1 : b[i - (rank - b.size())];
    if (da != db && da != 1 && db != 1)
      return ShapeOrError::fail("shapes " + toString(a) + " and " + toString(b) +
                                " do not broadcast");
    out[i] = da == 1 ? db : da;
  }
  return {out, ""};
}

ShapeOrError concat(ArrayRef<ArrayRef<int64_t>> inputs, int64_t axis) {
  if (inputs.empty())
    return ShapeOrError::fail("needs at least one input");
  ArrayRef<int64_t> first = inputs.front();
  if (axis < 0 || axis >= (int64_t)first.size())
    return ShapeOrError::fail("axis " + std::to_string(axis) + " is out of range for " +
                              toString(first));
  Shape out(first.begin(), first.end());
  out[axis] = 0;
  for (ArrayRef<int64_t> s : inputs) {
    if (auto e = checkDims(s, "input"); !e.empty())
      return ShapeOrError::fail(e);
    if (s.size() != first.size())
      return ShapeOrError::fail("inputs " + toString(first) + " and " + toString(s) +
                                " differ in rank");
    for (size_t d = 0; d < s.size(); ++d)
      if ((int64_t)d != axis && s[d] != first[d])
        return ShapeOrError::fail("inputs " + toString(first) + " and " + toString(s) +
                                  " differ outside axis " + std::to_string(axis));
    out[axis] += s[axis];
  }
  return {out, ""};
}

ShapeOrError flatten(ArrayRef<int64_t> x) {
  if (x.size() < 2)
    return ShapeOrError::fail("input must have a batch and at least one more dimension, got " +
                              toString(x));
  if (auto e = checkDims(x, "input"); !e.empty())
    return ShapeOrError::fail(e);
  auto n = numElements(x.drop_front());
  if (!n)
    return ShapeOrError::fail("flattened size of " + toString(x) + " overflows");
  return {{x[0], *n}, ""};
}

ShapeOrError channelShuffle(ArrayRef<int64_t> x, int64_t groups) {
  if (x.size() != 4)
    return ShapeOrError::fail("input must be [N, C, H, W], got " + toString(x));
  if (auto e = checkDims(x, "input"); !e.empty())
    return ShapeOrError::fail(e);
  if (groups <= 0 || x[1] % groups != 0)
    return ShapeOrError::fail("channels (" + std::to_string(x[1]) +
                              ") are not divisible by groups (" +
                              std::to_string(groups) + ")");
  return {Shape(x.begin(), x.end()), ""};
}

ShapeOrError axisCheck(ArrayRef<int64_t> x, int64_t axis) {
  if (auto e = checkDims(x, "input"); !e.empty())
    return ShapeOrError::fail(e);
  if (axis < 0 || axis >= (int64_t)x.size())
    return ShapeOrError::fail("axis " + std::to_string(axis) + " is out of range for " +
                              toString(x));
  return {Shape(x.begin(), x.end()), ""};
}

ShapeOrError slice(ArrayRef<int64_t> x, int64_t axis, int64_t start, int64_t end) {
  ShapeOrError r = axisCheck(x, axis);
  if (!r.ok())
    return r;
  if (start < 0 || end > x[axis] || start >= end)
    return ShapeOrError::fail("slice [" + std::to_string(start) + ", " +
                              std::to_string(end) + ") of axis " +
                              std::to_string(axis) + " of " + toString(x) +
                              " is empty or out of range");
  r.shape[axis] = end - start;
  return r;
}

} // namespace mlir::cnn::shape
