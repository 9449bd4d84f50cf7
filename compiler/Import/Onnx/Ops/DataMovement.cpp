//===- DataMovement.cpp - ONNX Concat, Flatten, Reshape, Slice, Pad, ... --===//

#include "Import/Onnx/OnnxGraph.h"

#include <algorithm>
#include <limits>
#include <numeric>

namespace cnnc::onnx_import {

namespace {

void convertIdentity(OnnxNode &n) { n.alias(0, 0); }

void convertConcat(OnnxNode &n) {
  if (!n.hasAttr("axis"))
    return n.fail("needs attribute 'axis'");
  int64_t axis = n.attrInt("axis", 1);
  std::vector<std::string> inputs;
  for (int i = 0; i < n.numInputs(); ++i) {
    inputs.push_back(n.runtime(i));
    if (n.failed())
      return;
  }
  n.bind(0, n.emit("concat", inputs, {{"axis", axis}}));
}

bool foldConcat(OnnxNode &n, const std::vector<const ConstTensor *> &in,
                std::vector<ConstTensor> &out) {
  int64_t axis = n.attrInt("axis", 0);
  int64_t rank = (int64_t)in[0]->shape.size();
  if (axis < 0)
    axis += rank;
  if (axis < 0 || axis >= rank) {
    n.fail("axis is out of range");
    return false;
  }
  ConstTensor r;
  r.isInt = std::all_of(in.begin(), in.end(), [](const ConstTensor *t) { return t->isInt; });
  r.shape = in[0]->shape;
  r.shape[axis] = 0;
  for (const ConstTensor *t : in) {
    if ((int64_t)t->shape.size() != rank) {
      n.fail("constant operands have different ranks");
      return false;
    }
    for (int64_t d = 0; d < rank; ++d)
      if (d != axis && t->shape[d] != r.shape[d]) {
        n.fail("constant operands' shapes differ off the concatenation axis");
        return false;
      }
    if (__builtin_add_overflow(r.shape[axis], t->shape[axis], &r.shape[axis])) {
      n.fail("constant operands are too large");
      return false;
    }
  }
  std::optional<int64_t> outer =
      elementCount(std::vector<int64_t>(r.shape.begin(), r.shape.begin() + axis));
  if (!outer) {
    n.fail("constant operands are too large");
    return false;
  }
  for (int64_t o = 0; o < *outer; ++o)
    for (const ConstTensor *t : in) {
      int64_t block = elementCount(t->shape, axis).value_or(0);
      for (int64_t k = 0; k < block; ++k) {
        if (r.isInt)
          r.ints.push_back(t->ints[o * block + k]);
        else
          r.reals.push_back(t->real(o * block + k));
      }
    }
  out.push_back(std::move(r));
  return true;
}

void convertFlatten(OnnxNode &n) {
  int64_t axis = n.attrInt("axis", 1);
  std::vector<int64_t> in = n.shape(0);
  std::string x = n.runtime(0);
  if (n.failed())
    return;
  if (axis < 0)
    axis += (int64_t)in.size();
  if (axis != 1)
    return n.fail("Flatten with axis " + std::to_string(axis) +
                  " is not supported (only axis 1, as torch.flatten(x, 1))");
  if (in.size() == 2)
    return n.alias(0, 0);
  n.bind(0, n.emit("flatten", {x}));
}

/// Reshape's target with 0 (copy, unless allowzero) and -1 (inferred) resolved.
bool reshapeTarget(OnnxNode &n, const std::vector<int64_t> &in, std::vector<int64_t> &target) {
  bool allowZero = n.attrInt("allowzero", 0) != 0;
  int64_t known = 1, inferred = -1;
  for (size_t i = 0; i < target.size(); ++i) {
    if (target[i] == 0 && !allowZero) {
      if (i >= in.size()) {
        n.fail("shape " + shapeText(target) + " copies a dimension the input lacks");
        return false;
      }
      target[i] = in[i];
    }
    if (target[i] == -1) {
      if (inferred >= 0) {
        n.fail("shape " + shapeText(target) + " has two -1 dimensions");
        return false;
      }
      inferred = (int64_t)i;
    } else if (target[i] < 0) {
      n.fail("shape " + shapeText(target) + " has a negative dimension");
      return false;
    } else if (__builtin_mul_overflow(known, target[i], &known) || known > (int64_t(1) << 40)) {
      n.fail("shape " + shapeText(target) + " is absurdly large");
      return false;
    }
  }
  std::optional<int64_t> counted = elementCount(in);
  if (!counted) {
    n.fail("the input " + shapeText(in) + " is absurdly large");
    return false;
  }
  int64_t total = *counted;
  if (inferred >= 0) {
    if (known == 0 || total % known) {
      n.fail("cannot reshape " + shapeText(in) + " to " + shapeText(target));
      return false;
    }
    target[inferred] = total / known;
  }
  if (elementCount(target) != total) {
    n.fail("cannot reshape " + shapeText(in) + " to " + shapeText(target));
    return false;
  }
  return true;
}

void convertReshape(OnnxNode &n) {
  const ConstTensor *shape = n.constant(1, "shape");
  if (!shape)
    return;
  const OnnxValue *data = n.input(0);
  std::vector<int64_t> target = shape->asInts();
  // The last Reshape of a channel shuffle: [N, g, C/g, H, W] transposed to
  // [N, C/g, g, H, W], back to [N, C, H, W].
  if (data && data->kind == OnnxValue::Pending && data->pending->kind == PendingView::Transpose &&
      data->pending->inner) {
    const PendingView &transpose = *data->pending, &split = *transpose.inner;
    std::vector<int64_t> in = split.sourceShape;
    std::vector<int64_t> transposed(5);
    for (int i = 0; i < 5; ++i)
      transposed[i] = split.values[transpose.values[i]];
    if (!reshapeTarget(n, transposed, target))
      return;
    if (target == in)
      return n.bind(0, n.emit("channel_shuffle", {split.source}, {{"groups", split.values[1]}}));
    return n.fail("Reshape, Transpose and Reshape to " + shapeText(target) +
                  " is not a channel shuffle, the only rank-5 reshape cnnc imports");
  }
  std::vector<int64_t> in = n.shape(0);
  if (n.failed())
    return;
  if (!reshapeTarget(n, in, target))
    return;
  if (target == in)
    return n.alias(0, 0);
  std::string x = n.runtime(0);
  if (n.failed())
    return;
  if (in.size() >= 2 && target.size() == 2 && target[0] == in[0])
    return n.bind(0, n.emit("flatten", {x}));
  // [N, C, H, W] -> [N, g, C/g, H, W]: the first step of a channel shuffle.
  if (in.size() == 4 && target.size() == 5 && target[0] == in[0] && target[3] == in[2] &&
      target[4] == in[3]) {
    auto view = std::make_shared<PendingView>();
    view->kind = PendingView::Reshape;
    view->source = x;
    view->sourceShape = in;
    view->values = target;
    view->why = "reshapes " + shapeText(in) + " to " + shapeText(target) +
                ": cnnc imports that only as the first step of a channel shuffle (Reshape, "
                "Transpose [0, 2, 1, 3, 4], Reshape)";
    return n.bindPending(0, view);
  }
  n.fail("Reshape from " + shapeText(in) + " to " + shapeText(target) +
         " is not supported (only flattening to [N, -1] and channel shuffles)");
}

bool foldReshape(OnnxNode &n, const std::vector<const ConstTensor *> &in,
                 std::vector<ConstTensor> &out) {
  std::vector<int64_t> target = in[1]->asInts();
  if (!reshapeTarget(n, in[0]->shape, target))
    return false;
  ConstTensor r = *in[0];
  r.shape = target;
  out.push_back(std::move(r));
  return true;
}

void convertTranspose(OnnxNode &n) {
  std::vector<int64_t> perm = n.attrInts("perm", {});
  const OnnxValue *data = n.input(0);
  if (data && data->kind == OnnxValue::Pending && data->pending->kind == PendingView::Reshape) {
    if (perm != std::vector<int64_t>{0, 2, 1, 3, 4})
      return n.fail("Transpose " + shapeText(perm) + " after the Reshape of node '" +
                    data->pending->producer + "' is not a channel shuffle");
    auto view = std::make_shared<PendingView>();
    view->kind = PendingView::Transpose;
    view->source = data->pending->source;
    view->values = perm;
    view->inner = data->pending;
    view->why = "transposes a reshaped tensor: cnnc imports that only as part of a channel "
                "shuffle (Reshape, Transpose [0, 2, 1, 3, 4], Reshape)";
    return n.bindPending(0, view);
  }
  std::vector<int64_t> in = n.shape(0);
  std::string x = n.runtime(0);
  if (n.failed())
    return;
  std::vector<int64_t> identity(in.size());
  std::iota(identity.begin(), identity.end(), 0);
  if (perm.empty() ? in.size() <= 1 : perm == identity)
    return n.alias(0, 0);
  if (perm.empty()) // ONNX's default reverses the dimensions
    perm.assign(identity.rbegin(), identity.rend());
  n.bind(0, n.emit("permute", {x}, {{"dims", perm}}));
}

/// One axis of an ONNX Slice resolved to [start, end) with step 1; false if
/// the step is not 1.
bool resolveSlice(int64_t dim, int64_t start, int64_t end, int64_t step, int64_t &b,
                  int64_t &e) {
  if (step != 1)
    return false;
  auto clampTo = [&](int64_t v) {
    if (v < 0)
      v = v < -dim ? 0 : v + dim;
    return std::min(v, dim);
  };
  b = clampTo(start);
  e = std::max(clampTo(end), b);
  return true;
}

struct SliceSpec {
  std::vector<int64_t> starts, ends, axes, steps;
};

bool readSlice(OnnxNode &n, size_t rank, SliceSpec &s) {
  if (n.opset() >= 10) {
    const ConstTensor *starts = n.constant(1, "starts");
    const ConstTensor *ends = n.constant(2, "ends");
    if (!starts || !ends)
      return false;
    s.starts = starts->asInts();
    s.ends = ends->asInts();
    if (n.hasInput(3)) {
      const ConstTensor *axes = n.constant(3, "axes");
      if (!axes)
        return false;
      s.axes = axes->asInts();
    }
    if (n.hasInput(4)) {
      const ConstTensor *steps = n.constant(4, "steps");
      if (!steps)
        return false;
      s.steps = steps->asInts();
    }
  } else {
    s.starts = n.attrInts("starts", {});
    s.ends = n.attrInts("ends", {});
    s.axes = n.attrInts("axes", {});
  }
  if (s.axes.empty())
    for (size_t i = 0; i < s.starts.size(); ++i)
      s.axes.push_back((int64_t)i);
  if (s.steps.empty())
    s.steps.assign(s.starts.size(), 1);
  if (s.ends.size() != s.starts.size() || s.axes.size() != s.starts.size() ||
      s.steps.size() != s.starts.size()) {
    n.fail("starts, ends, axes and steps have different lengths");
    return false;
  }
  for (int64_t &a : s.axes) {
    if (a < 0)
      a += (int64_t)rank;
    if (a < 0 || a >= (int64_t)rank) {
      n.fail("a slice axis is out of range for rank " + std::to_string(rank));
      return false;
    }
  }
  return true;
}

void convertSlice(OnnxNode &n) {
  std::vector<int64_t> in = n.shape(0);
  if (n.failed())
    return;
  SliceSpec s;
  if (!readSlice(n, in.size(), s))
    return;
  std::string x = n.runtime(0);
  if (n.failed())
    return;
  std::vector<int64_t> shape = in;
  for (size_t i = 0; i < s.starts.size(); ++i) {
    int64_t b, e, dim = shape[s.axes[i]];
    if (!resolveSlice(dim, s.starts[i], s.ends[i], s.steps[i], b, e))
      return n.fail("slices with a step other than 1 are not supported");
    if (b == 0 && e == dim)
      continue; // the whole axis
    x = n.emit("slice", {x}, {{"axis", s.axes[i]}, {"start", b}, {"end", e}}, {},
               i ? "axis" + std::to_string(s.axes[i]) : "");
    shape[s.axes[i]] = e - b;
  }
  n.bind(0, x);
}

bool foldSlice(OnnxNode &n, const std::vector<const ConstTensor *> &in,
               std::vector<ConstTensor> &out) {
  const ConstTensor &data = *in[0];
  SliceSpec s;
  if (!readSlice(n, data.shape.size(), s))
    return false;
  size_t rank = data.shape.size();
  std::vector<int64_t> begin(rank, 0), end = data.shape;
  for (size_t i = 0; i < s.starts.size(); ++i) {
    if (!resolveSlice(data.shape[s.axes[i]], s.starts[i], s.ends[i], s.steps[i],
                      begin[s.axes[i]], end[s.axes[i]])) {
      n.fail("slices with a step other than 1 are not supported");
      return false;
    }
  }
  ConstTensor r;
  r.isInt = data.isInt;
  for (size_t d = 0; d < rank; ++d)
    r.shape.push_back(end[d] - begin[d]);
  int64_t count = elementCount(r.shape).value_or(0); // at most the input's
  for (int64_t k = 0; k < count; ++k) {
    int64_t rem = k, src = 0, stride = 1;
    std::vector<int64_t> coord(rank);
    for (size_t d = rank; d-- > 0;) {
      coord[d] = rem % r.shape[d];
      rem /= r.shape[d];
    }
    for (size_t d = rank; d-- > 0;) {
      src += (coord[d] + begin[d]) * stride;
      stride *= data.shape[d];
    }
    if (r.isInt)
      r.ints.push_back(data.ints[src]);
    else
      r.reals.push_back(data.reals[src]);
  }
  out.push_back(std::move(r));
  return true;
}

/// Split along an axis into consecutive slices.
void convertSplit(OnnxNode &n) {
  int64_t axis = n.attrInt("axis", 0);
  std::vector<int64_t> in = n.shape(0);
  std::vector<int64_t> sizes;
  if (n.opset() >= 13) {
    if (n.hasInput(1)) {
      const ConstTensor *c = n.constant(1, "split");
      if (!c)
        return;
      sizes = c->asInts();
    }
    if (n.opset() >= 18)
      n.attrInt("num_outputs", 0);
  } else {
    sizes = n.attrInts("split", {});
  }
  std::string x = n.runtime(0);
  if (n.failed())
    return;
  if (axis < 0)
    axis += (int64_t)in.size();
  if (axis < 0 || axis >= (int64_t)in.size())
    return n.fail("axis is out of range for " + shapeText(in));
  int outputs = n.proto().output_size();
  if (sizes.empty()) {
    int64_t each = (in[axis] + outputs - 1) / outputs;
    for (int i = 0; i < outputs; ++i)
      sizes.push_back(std::max<int64_t>(0, std::min(each, in[axis] - each * i)));
  }
  int64_t total = 0;
  bool sane = (int)sizes.size() == outputs;
  for (int64_t size : sizes)
    sane &= size >= 0 && !__builtin_add_overflow(total, size, &total);
  if (!sane || total != in[axis])
    return n.fail("split sizes " + shapeText(sizes) + " do not divide axis " +
                  std::to_string(axis) + " of " + shapeText(in));
  int64_t start = 0;
  for (int i = 0; i < outputs; ++i) {
    n.bind(i, n.emit("slice", {x}, {{"axis", axis}, {"start", start}, {"end", start + sizes[i]}},
                     {}, std::to_string(i)));
    start += sizes[i];
  }
}

/// A constant zero Pad of the spatial axes, folded into the conv or average
/// pool that reads it.
void convertPad(OnnxNode &n) {
  std::string mode = n.attrString("mode", "constant");
  std::vector<int64_t> pads;
  if (n.opset() >= 11) {
    const ConstTensor *p = n.constant(1, "pads");
    if (!p)
      return;
    pads = p->asInts();
    if (n.hasInput(2)) {
      const ConstTensor *v = n.constant(2, "constant_value");
      if (!v)
        return;
      if (v->size() && v->real(0) != 0)
        return n.fail("padding with a value other than 0 is not supported");
    }
    if (n.hasInput(3))
      return n.fail("Pad with axes is not supported");
  } else {
    pads = n.attrInts("pads", {});
    if (n.attrFloat("value", 0.0f) != 0.0f)
      return n.fail("padding with a value other than 0 is not supported");
  }
  std::vector<int64_t> in = n.shape(0);
  std::string x = n.runtime(0);
  if (n.failed())
    return;
  if (mode != "constant")
    return n.fail("Pad mode '" + mode + "' is not supported (only constant zeros)");
  size_t rank = in.size();
  if (pads.size() != 2 * rank)
    return n.fail("pads " + shapeText(pads) + " do not match rank " + std::to_string(rank));
  if (std::all_of(pads.begin(), pads.end(), [](int64_t p) { return p == 0; }))
    return n.alias(0, 0);
  bool spatialOnly = rank == 4 && pads[0] == 0 && pads[1] == 0 && pads[4] == 0 && pads[5] == 0;
  if (!spatialOnly ||
      std::any_of(pads.begin(), pads.end(), [](int64_t p) { return p < 0 || p > (1 << 30); }))
    return n.fail("only non-negative padding of the spatial axes of an NCHW tensor is "
                  "supported, got pads " + shapeText(pads));
  auto view = std::make_shared<PendingView>();
  view->kind = PendingView::Pad;
  view->source = x;
  view->sourceShape = in;
  view->values = {pads[2], pads[3], pads[6], pads[7]};
  view->why = "pads with zeros: cnnc imports that only when a Conv or AveragePool reads it";
  n.bindPending(0, view);
}

} // namespace

void addOnnxDataMovementOps(std::vector<OnnxOpEntry> &ops) {
  ops.push_back({"Identity", convertIdentity});
  ops.push_back({"Concat", convertConcat, foldConcat});
  ops.push_back({"Flatten", convertFlatten});
  ops.push_back({"Reshape", convertReshape, foldReshape, 2});
  ops.push_back({"Transpose", convertTranspose});
  ops.push_back({"Slice", convertSlice, foldSlice});
  ops.push_back({"Split", convertSplit});
  ops.push_back({"Pad", convertPad});
}

} // namespace cnnc::onnx_import
