//===- Elementwise.cpp - ONNX activations and arithmetic ------------------===//

#include "Import/Onnx/OnnxGraph.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace cnnc::onnx_import {

namespace {

void convertUnary(OnnxNode &n, const char *op) {
  std::string x = n.runtime(0);
  if (n.failed())
    return;
  n.bind(0, n.emit(op, {x}));
}

void convertRelu(OnnxNode &n) { convertUnary(n, "relu"); }
void convertSigmoid(OnnxNode &n) { convertUnary(n, "sigmoid"); }
void convertTanh(OnnxNode &n) { convertUnary(n, "tanh"); }

/// torch.nn.Hardsigmoid writes alpha = 1/6, beta = 1/2: relu6(x + 3) / 6.
void convertHardSigmoid(OnnxNode &n) {
  float alpha = n.attrFloat("alpha", 0.2f), beta = n.attrFloat("beta", 0.5f);
  std::string x = n.runtime(0);
  if (n.failed())
    return;
  if (std::fabs(alpha - 1.0f / 6.0f) > 1e-6f || beta != 0.5f)
    return n.fail("HardSigmoid with alpha " + nlohmann::json(alpha).dump() + " and beta " +
                  nlohmann::json(beta).dump() +
                  " is not supported (only torch's: alpha 1/6, beta 0.5)");
  n.bind(0, n.emit("hardsigmoid", {x}));
}

void convertHardSwish(OnnxNode &n) { convertUnary(n, "hardswish"); }

void convertLeakyRelu(OnnxNode &n) {
  float alpha = n.attrFloat("alpha", 0.01f);
  std::string x = n.runtime(0);
  if (n.failed())
    return;
  n.bind(0, n.emit("leaky_relu", {x}, {{"negative_slope", decimalOf(alpha)}}));
}

/// Clip to [0, 6] is ReLU6 (torch.nn.ReLU6), to [0, inf) ReLU.
void convertClip(OnnxNode &n) {
  double lo = -std::numeric_limits<double>::infinity();
  double hi = std::numeric_limits<double>::infinity();
  if (n.opset() >= 11) {
    if (n.hasInput(1)) {
      std::optional<double> c = n.scalar(1, "min");
      if (!c)
        return;
      lo = *c;
    }
    if (n.hasInput(2)) {
      std::optional<double> c = n.scalar(2, "max");
      if (!c)
        return;
      hi = *c;
    }
  } else {
    lo = n.attrFloat("min", -std::numeric_limits<float>::infinity());
    hi = n.attrFloat("max", std::numeric_limits<float>::infinity());
  }
  std::string x = n.runtime(0);
  if (n.failed())
    return;
  if (lo == 0 && hi == 6)
    return n.bind(0, n.emit("relu6", {x}));
  if (lo == 0 && std::isinf(hi))
    return n.bind(0, n.emit("relu", {x}));
  auto text = [](double v) { return std::isinf(v) ? std::string(v < 0 ? "-inf" : "inf")
                                                   : nlohmann::json(v).dump(); };
  n.fail("Clip to [" + text(lo) + ", " + text(hi) +
         "] is not supported (only [0, 6] as ReLU6 and [0, inf) as ReLU)");
}

void convertBinary(OnnxNode &n, const char *op) {
  std::string a = n.runtime(0);
  std::string b = n.failed() ? "" : n.runtime(1);
  if (n.failed())
    return;
  n.bind(0, n.emit(op, {a, b}));
}

void convertAdd(OnnxNode &n) { convertBinary(n, "add"); }

/// A tensor times a learned per-channel factor [C, 1, ..., 1] (ConvNeXt's
/// layer scale, either operand order) is a layer_scale; otherwise both
/// operands are computed.
void convertMul(OnnxNode &n) {
  for (int k = 0; k < 2; ++k) {
    if (!n.isInitializer(k) || n.isInitializer(1 - k))
      continue;
    std::vector<int64_t> in = n.shape(1 - k), factor = n.shape(k);
    std::string x = n.runtime(1 - k);
    std::string weight = n.initializer(k, "scale");
    if (n.failed())
      return;
    int64_t axis = (int64_t)in.size() - (int64_t)factor.size();
    bool perChannel = !factor.empty() && axis >= 1 && factor[0] == in[axis] &&
                      std::all_of(factor.begin() + 1, factor.end(), [](int64_t d) { return d == 1; });
    if (!perChannel)
      return n.fail("Mul by the initializer '" + n.proto().input(k) + "' of shape " +
                    shapeText(factor) + " is not supported (only a per-channel factor [C, 1, " +
                    "..., 1] of a dimension after the batch, as a layer scale)");
    return n.bind(0, n.emit("layer_scale", {x}, {{"axis", axis}}, {{"weight", weight}}));
  }
  convertBinary(n, "mul");
}

/// Opset 20's Gelu, and what the reader's pattern pass makes of torch's
/// x * (1 + erf(x / sqrt(2))) / 2.
void convertGelu(OnnxNode &n) {
  std::string approximate = n.attrString("approximate", "none");
  std::string x = n.runtime(0);
  if (n.failed())
    return;
  if (approximate != "none" && approximate != "tanh")
    return n.fail("Gelu with approximate=" + approximate + " is not supported");
  n.bind(0, n.emit("gelu", {x}, {{"approximate", approximate}}));
}

/// NumPy broadcasting of two constants through `f`.
template <typename IntFn, typename RealFn>
bool foldBinary(OnnxNode &n, const std::vector<const ConstTensor *> &in,
                std::vector<ConstTensor> &out, IntFn intFn, RealFn realFn) {
  const ConstTensor &a = *in[0], &b = *in[1];
  size_t rank = std::max(a.shape.size(), b.shape.size());
  std::vector<int64_t> shape(rank, 1);
  auto dimOf = [&](const ConstTensor &t, size_t i) {
    return i < rank - t.shape.size() ? 1 : t.shape[i - (rank - t.shape.size())];
  };
  for (size_t i = 0; i < rank; ++i) {
    int64_t da = dimOf(a, i), db = dimOf(b, i);
    if (da != db && da != 1 && db != 1) {
      n.fail("constant operands do not broadcast");
      return false;
    }
    shape[i] = da == 1 ? db : da;
  }
  std::optional<int64_t> counted = elementCount(shape);
  if (!counted || *counted > (int64_t(1) << 20)) {
    n.fail("its result is too large for a constant");
    return false;
  }
  int64_t count = *counted;
  auto index = [&](const ConstTensor &t, int64_t flat) {
    int64_t idx = 0, stride = 1;
    for (size_t i = rank; i-- > 0;) {
      int64_t coord = flat % shape[i];
      flat /= shape[i];
      int64_t d = dimOf(t, i);
      if (i >= rank - t.shape.size()) {
        idx += (d == 1 ? 0 : coord) * stride;
        stride *= d;
      }
    }
    return idx;
  };
  ConstTensor r;
  r.shape = shape;
  r.isInt = a.isInt && b.isInt;
  for (int64_t k = 0; k < count; ++k) {
    int64_t ia = index(a, k), ib = index(b, k);
    if (r.isInt) {
      int64_t v;
      if (!intFn(a.ints[ia], b.ints[ib], v)) {
        n.fail("integer arithmetic on constants fails (division by zero or overflow)");
        return false;
      }
      r.ints.push_back(v);
    } else {
      r.reals.push_back(realFn(a.real(ia), b.real(ib)));
    }
  }
  out.push_back(std::move(r));
  return true;
}

bool foldAdd(OnnxNode &n, const std::vector<const ConstTensor *> &in,
             std::vector<ConstTensor> &out) {
  return foldBinary(
      n, in, out, [](int64_t a, int64_t b, int64_t &r) { return !__builtin_add_overflow(a, b, &r); },
      [](double a, double b) { return a + b; });
}
bool foldSub(OnnxNode &n, const std::vector<const ConstTensor *> &in,
             std::vector<ConstTensor> &out) {
  return foldBinary(
      n, in, out, [](int64_t a, int64_t b, int64_t &r) { return !__builtin_sub_overflow(a, b, &r); },
      [](double a, double b) { return a - b; });
}
bool foldMul(OnnxNode &n, const std::vector<const ConstTensor *> &in,
             std::vector<ConstTensor> &out) {
  return foldBinary(
      n, in, out, [](int64_t a, int64_t b, int64_t &r) { return !__builtin_mul_overflow(a, b, &r); },
      [](double a, double b) { return a * b; });
}
bool foldDiv(OnnxNode &n, const std::vector<const ConstTensor *> &in,
             std::vector<ConstTensor> &out) {
  return foldBinary(
      n, in, out,
      [](int64_t a, int64_t b, int64_t &r) {
        if (b == 0 || (a == std::numeric_limits<int64_t>::min() && b == -1))
          return false;
        r = a / b; // integer Div truncates, as C
        return true;
      },
      [](double a, double b) { return a / b; });
}

} // namespace

void addOnnxElementwiseOps(std::vector<OnnxOpEntry> &ops) {
  ops.push_back({"Relu", convertRelu});
  ops.push_back({"Sigmoid", convertSigmoid});
  ops.push_back({"Tanh", convertTanh});
  ops.push_back({"Clip", convertClip});
  ops.push_back({"HardSigmoid", convertHardSigmoid});
  ops.push_back({"HardSwish", convertHardSwish});
  ops.push_back({"LeakyRelu", convertLeakyRelu});
  ops.push_back({"Gelu", convertGelu});
  ops.push_back({"Add", convertAdd, foldAdd, 2});
  ops.push_back({"Mul", convertMul, foldMul, 2});
  ops.push_back({"Sub", nullptr, foldSub, 2});
  ops.push_back({"Div", nullptr, foldDiv, 2});
}

} // namespace cnnc::onnx_import
