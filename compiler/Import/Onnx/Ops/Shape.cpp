//===- Shape.cpp - ONNX shape arithmetic, folded at import ----------------===//
//
// torch.onnx.export writes x.view(x.size(0), -1), chunk() and interpolate()
// sizes as small graphs of Shape, Gather, Unsqueeze, Concat, Cast and integer
// arithmetic. With the batch fixed, every one of them is a constant.
//
//===----------------------------------------------------------------------===//

#include "Import/Onnx/OnnxGraph.h"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace cnnc::onnx_import {

namespace {

using Inputs = std::vector<const ConstTensor *>;

/// A constant from a TensorProto attribute (Constant's value,
/// ConstantOfShape's value).
bool tensorConstant(OnnxNode &n, const onnx::TensorProto &t, ConstTensor &out) {
  std::vector<std::unique_ptr<std::vector<uint8_t>>> owned;
  DecodedTensor d;
  std::string why = decodeTensor(t, "", owned, d);
  if (!why.empty()) {
    n.fail("its value " + why);
    return false;
  }
  int64_t count = elementCount(d.shape).value_or(INT64_MAX);
  if (count > (int64_t(1) << 20)) {
    n.fail("its value is too large to be a constant (" + std::to_string(count) + " elements)");
    return false;
  }
  out = ConstTensor();
  out.shape = d.shape;
  auto bytes = static_cast<const uint8_t *>(d.data);
  for (int64_t i = 0; i < count; ++i) {
    if (d.dtype == "F32") {
      float v;
      std::memcpy(&v, bytes + 4 * i, 4);
      out.isInt = false;
      out.reals.push_back(v);
    } else if (d.dtype == "F64") {
      double v;
      std::memcpy(&v, bytes + 8 * i, 8);
      out.isInt = false;
      out.reals.push_back(v);
    } else if (d.dtype == "I64") {
      int64_t v;
      std::memcpy(&v, bytes + 8 * i, 8);
      out.ints.push_back(v);
    } else if (d.dtype == "I32") {
      int32_t v;
      std::memcpy(&v, bytes + 4 * i, 4);
      out.ints.push_back(v);
    } else if (d.dtype == "U8" || d.dtype == "BOOL" || d.dtype == "I8") {
      out.ints.push_back(d.dtype == "I8" ? (int64_t)(int8_t)bytes[i] : (int64_t)bytes[i]);
    } else {
      n.fail("its value has dtype " + d.dtype + ", which cnnc does not fold");
      return false;
    }
  }
  if (count == 0)
    out.isInt = d.dtype != "F32" && d.dtype != "F64";
  return true;
}

bool foldConstant(OnnxNode &n, const Inputs &, std::vector<ConstTensor> &out) {
  for (const auto &a : n.proto().attribute()) {
    ConstTensor c;
    if (a.name() == "value" && a.type() == onnx::AttributeProto::TENSOR) {
      n.attrProto("value");
      if (!tensorConstant(n, a.t(), c))
        return false;
    } else if (a.name() == "value_float") {
      c = ConstTensor::ofReals({n.attrFloat("value_float", 0)}, {});
    } else if (a.name() == "value_floats") {
      c = ConstTensor::ofReals(std::vector<double>(a.floats().begin(), a.floats().end()),
                               {a.floats_size()});
      n.attrInts("value_floats", {});
    } else if (a.name() == "value_int") {
      c = ConstTensor::ofInts({n.attrInt("value_int", 0)}, {});
    } else if (a.name() == "value_ints") {
      c = ConstTensor::ofInts(n.attrInts("value_ints", {}), {a.ints_size()});
    } else {
      continue; // reported as unsupported
    }
    out.push_back(std::move(c));
    return true;
  }
  n.fail("has no value cnnc reads (value, value_float(s) or value_int(s))");
  return false;
}

/// Shape of a run-time tensor: known statically once the batch is fixed.
void convertShape(OnnxNode &n) {
  std::vector<int64_t> in = n.shape(0);
  if (n.failed())
    return;
  int64_t rank = (int64_t)in.size();
  int64_t start = n.attrInt("start", 0), end = n.attrInt("end", rank);
  auto clampAxis = [&](int64_t a) { return std::clamp<int64_t>(a < 0 ? a + rank : a, 0, rank); };
  start = clampAxis(start);
  end = std::max(clampAxis(end), start);
  std::vector<int64_t> dims(in.begin() + start, in.begin() + end);
  n.bindConstant(0, ConstTensor::ofInts(dims, {(int64_t)dims.size()}));
}

bool foldShape(OnnxNode &n, const Inputs &, std::vector<ConstTensor> &) {
  convertShape(n);
  return !n.failed();
}

bool foldGather(OnnxNode &n, const Inputs &in, std::vector<ConstTensor> &out) {
  const ConstTensor &data = *in[0], &indices = *in[1];
  int64_t rank = (int64_t)data.shape.size();
  int64_t axis = n.attrInt("axis", 0);
  if (axis < 0)
    axis += rank;
  if (axis < 0 || axis >= rank) {
    n.fail("axis is out of range");
    return false;
  }
  ConstTensor r;
  r.isInt = data.isInt;
  r.shape.assign(data.shape.begin(), data.shape.begin() + axis);
  r.shape.insert(r.shape.end(), indices.shape.begin(), indices.shape.end());
  r.shape.insert(r.shape.end(), data.shape.begin() + axis + 1, data.shape.end());
  int64_t dim = data.shape[axis];
  std::optional<int64_t> outer =
      elementCount(std::vector<int64_t>(data.shape.begin(), data.shape.begin() + axis));
  std::optional<int64_t> inner = elementCount(data.shape, axis + 1);
  std::vector<int64_t> idx = indices.asInts();
  int64_t produced;
  if (!outer || !inner || __builtin_mul_overflow(*outer, *inner, &produced) ||
      __builtin_mul_overflow(produced, (int64_t)idx.size(), &produced) ||
      produced > (int64_t(1) << 20)) {
    n.fail("its result is too large for a constant");
    return false;
  }
  for (int64_t o = 0; o < *outer; ++o)
    for (int64_t k : idx) {
      if (k < 0)
        k += dim;
      if (k < 0 || k >= dim) {
        n.fail("an index is out of range");
        return false;
      }
      for (int64_t i = 0; i < *inner; ++i) {
        int64_t src = (o * dim + k) * *inner + i;
        if (r.isInt)
          r.ints.push_back(data.ints[src]);
        else
          r.reals.push_back(data.reals[src]);
      }
    }
  out.push_back(std::move(r));
  return true;
}

/// Unsqueeze/Squeeze axes: an input from opset 13 on, an attribute before.
bool readAxes(OnnxNode &n, const Inputs &in, std::vector<int64_t> &axes, bool &given) {
  given = false;
  if (n.opset() >= 13) {
    if (in.size() > 1 && in[1]) {
      axes = in[1]->asInts();
      given = true;
    }
  } else if (n.hasAttr("axes")) {
    axes = n.attrInts("axes", {});
    given = true;
  }
  return true;
}

bool foldUnsqueeze(OnnxNode &n, const Inputs &in, std::vector<ConstTensor> &out) {
  std::vector<int64_t> axes;
  bool given;
  readAxes(n, in, axes, given);
  ConstTensor r = *in[0];
  int64_t rank = (int64_t)r.shape.size() + (int64_t)axes.size();
  for (int64_t &a : axes)
    if (a < 0)
      a += rank;
  std::sort(axes.begin(), axes.end());
  for (int64_t a : axes) {
    if (a < 0 || a > (int64_t)r.shape.size()) {
      n.fail("an axis is out of range");
      return false;
    }
    r.shape.insert(r.shape.begin() + a, 1);
  }
  out.push_back(std::move(r));
  return true;
}

bool foldSqueeze(OnnxNode &n, const Inputs &in, std::vector<ConstTensor> &out) {
  std::vector<int64_t> axes;
  bool given;
  readAxes(n, in, axes, given);
  ConstTensor r = *in[0];
  int64_t rank = (int64_t)r.shape.size();
  std::vector<int64_t> shape;
  for (int64_t &a : axes)
    if (a < 0)
      a += rank;
  for (int64_t d = 0; d < rank; ++d) {
    bool listed = std::find(axes.begin(), axes.end(), d) != axes.end();
    if (given ? listed : r.shape[d] == 1) {
      if (r.shape[d] != 1) {
        n.fail("squeezes an axis of size " + std::to_string(r.shape[d]));
        return false;
      }
      continue;
    }
    shape.push_back(r.shape[d]);
  }
  r.shape = shape;
  out.push_back(std::move(r));
  return true;
}

bool foldCast(OnnxNode &n, const Inputs &in, std::vector<ConstTensor> &out) {
  int64_t to = n.attrInt("to", onnx::TensorProto::FLOAT);
  n.attrInt("saturate", 1);
  ConstTensor r;
  r.shape = in[0]->shape;
  bool real = to == onnx::TensorProto::FLOAT || to == onnx::TensorProto::DOUBLE ||
              to == onnx::TensorProto::FLOAT16 || to == onnx::TensorProto::BFLOAT16;
  r.isInt = !real;
  for (int64_t i = 0; i < in[0]->size(); ++i) {
    double v = in[0]->real(i);
    if (real)
      r.reals.push_back(to == onnx::TensorProto::FLOAT ? (double)(float)v : v);
    else if (to == onnx::TensorProto::BOOL)
      r.ints.push_back(v != 0);
    else if (in[0]->isInt)
      r.ints.push_back(in[0]->ints[i]);
    else if (auto k = toInt64(std::trunc(v)))
      r.ints.push_back(*k);
    else {
      n.fail("casts a value out of the integers' range");
      return false;
    }
  }
  out.push_back(std::move(r));
  return true;
}

bool foldConstantOfShape(OnnxNode &n, const Inputs &in, std::vector<ConstTensor> &out) {
  std::vector<int64_t> shape = in[0]->asInts();
  int64_t count = 1;
  for (int64_t d : shape) {
    if (d < 0 || __builtin_mul_overflow(count, d, &count) || count > (int64_t(1) << 20)) {
      n.fail("its shape is too large for a constant");
      return false;
    }
  }
  ConstTensor value = ConstTensor::ofReals({0.0}, {1});
  for (const auto &a : n.proto().attribute())
    if (a.name() == "value") {
      n.attrProto("value");
      if (!tensorConstant(n, a.t(), value) || value.size() != 1) {
        if (!n.failed())
          n.fail("its value must hold one element");
        return false;
      }
    }
  ConstTensor r;
  r.shape = shape;
  r.isInt = value.isInt;
  if (r.isInt)
    r.ints.assign(count, value.ints[0]);
  else
    r.reals.assign(count, value.reals[0]);
  out.push_back(std::move(r));
  return true;
}

bool foldRange(OnnxNode &n, const Inputs &in, std::vector<ConstTensor> &out) {
  for (int i = 0; i < 3; ++i)
    if (!in[i] || in[i]->size() != 1) {
      n.fail("start, limit and delta must be single values");
      return false;
    }
  double start = in[0]->real(0), limit = in[1]->real(0), delta = in[2]->real(0);
  if (delta == 0) {
    n.fail("delta is 0");
    return false;
  }
  double steps = std::ceil((limit - start) / delta);
  if (!(steps <= double(int64_t(1) << 20))) { // also NaN
    n.fail("the range is too long for a constant");
    return false;
  }
  int64_t count = std::max<int64_t>(0, (int64_t)steps);
  if (count > (int64_t(1) << 20)) {
    n.fail("the range is too long for a constant");
    return false;
  }
  ConstTensor r;
  r.isInt = in[0]->isInt && in[1]->isInt && in[2]->isInt;
  r.shape = {count};
  for (int64_t i = 0; i < count; ++i) {
    int64_t value;
    if (r.isInt && (__builtin_mul_overflow(i, in[2]->ints[0], &value) ||
                    __builtin_add_overflow(value, in[0]->ints[0], &value))) {
      n.fail("the range overflows");
      return false;
    }
    if (r.isInt)
      r.ints.push_back(value);
    else
      r.reals.push_back(start + (double)i * delta);
  }
  out.push_back(std::move(r));
  return true;
}

} // namespace

void addOnnxShapeOps(std::vector<OnnxOpEntry> &ops) {
  ops.push_back({"Constant", nullptr, foldConstant, 0});
  ops.push_back({"Shape", convertShape, foldShape});
  ops.push_back({"Gather", nullptr, foldGather, 2});
  ops.push_back({"Unsqueeze", nullptr, foldUnsqueeze});
  ops.push_back({"Squeeze", nullptr, foldSqueeze});
  ops.push_back({"Cast", nullptr, foldCast});
  ops.push_back({"ConstantOfShape", nullptr, foldConstantOfShape});
  ops.push_back({"Range", nullptr, foldRange, 3});
}

} // namespace cnnc::onnx_import
