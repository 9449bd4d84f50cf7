//===- OnnxGraph.cpp - the converters' view of an ONNX node ---------------===//

#include "Import/Onnx/OnnxGraph.h"

#include "Import/OpImportRule.h"

#include <climits>
#include <cmath>
#include <cstring>

namespace cnnc::onnx_import {

namespace {

/// Constants made from initializers or Constant nodes stay small: they feed
/// shape arithmetic and attributes, not the graph's data.
constexpr int64_t kMaxConstantElements = int64_t(1) << 20;

/// A decoded tensor as a ConstTensor, or "" with `why` set.
bool toConstant(const DecodedTensor &t, ConstTensor &out, std::string &why) {
  int64_t count = elementCount(t.shape).value_or(INT64_MAX);
  if (count > kMaxConstantElements) {
    why = "is too large to be used as a constant (" + std::to_string(count) + " elements)";
    return false;
  }
  out.shape = t.shape;
  auto read = [&](auto sample, bool isInt) {
    using T = decltype(sample);
    out.isInt = isInt;
    for (int64_t i = 0; i < count; ++i) {
      T v;
      std::memcpy(&v, static_cast<const uint8_t *>(t.data) + i * sizeof(T), sizeof(T));
      if (isInt)
        out.ints.push_back((int64_t)v);
      else
        out.reals.push_back((double)v);
    }
  };
  if (t.dtype == "F32")
    read(float(), false);
  else if (t.dtype == "F64")
    read(double(), false);
  else if (t.dtype == "I64")
    read(int64_t(), true);
  else if (t.dtype == "I32")
    read(int32_t(), true);
  else if (t.dtype == "I16")
    read(int16_t(), true);
  else if (t.dtype == "I8")
    read(int8_t(), true);
  else if (t.dtype == "U8" || t.dtype == "BOOL")
    read(uint8_t(), true);
  else if (t.dtype == "U16")
    read(uint16_t(), true);
  else if (t.dtype == "U32")
    read(uint32_t(), true);
  else {
    why = "has dtype " + t.dtype + ", which cnnc does not fold";
    return false;
  }
  return true;
}

} // namespace

std::string OnnxGraph::uniqueName(const std::string &base) {
  std::string name = base;
  for (int k = 1; usedNames.count(name); ++k)
    name = base + "_" + std::to_string(k);
  usedNames.insert(name);
  return name;
}

int OnnxNode::opset() const { return graph_.opset; }

bool OnnxNode::isInitializer(int i) const {
  return hasInput(i) && graph_.initializers.count(node_.input(i));
}

const OnnxValue *OnnxNode::input(int i) const {
  if (!hasInput(i))
    return nullptr;
  auto it = graph_.values.find(node_.input(i));
  if (it != graph_.values.end())
    return &it->second;
  // An initializer used as a constant: converted once, on first use.
  auto init = graph_.initializers.find(node_.input(i));
  if (init == graph_.initializers.end())
    return nullptr;
  OnnxValue v;
  std::string why;
  if (toConstant(init->second, v.constant, why)) {
    v.kind = OnnxValue::Constant;
  } else {
    v.kind = OnnxValue::Failed;
    v.name = why; // kept for constant()'s message
  }
  return &(graph_.values[node_.input(i)] = v);
}

std::string OnnxNode::runtime(int i) {
  const OnnxValue *v = input(i);
  if (!v) {
    fail(hasInput(i) ? "input '" + node_.input(i) + "' is not defined"
                     : "needs input " + std::to_string(i + 1));
    return "";
  }
  switch (v->kind) {
  case OnnxValue::Runtime:
    return v->name;
  case OnnxValue::Constant:
    fail("input '" + node_.input(i) +
         "' is a constant; cnnc computes this operator only on tensors computed from the "
         "model's inputs");
    return "";
  case OnnxValue::Pending:
    fail("its input '" + node_.input(i) + "' comes from node '" + v->pending->producer + "' (" +
         v->pending->producerOp + "), which " + v->pending->why);
    return "";
  case OnnxValue::Failed:
    failed_ = true; // the producer was reported
    return "";
  }
  return "";
}

const ConstTensor *OnnxNode::constant(int i, const char *what) {
  const OnnxValue *v = input(i);
  if (v && v->kind == OnnxValue::Constant)
    return &v->constant;
  if (what) {
    if (v && v->kind == OnnxValue::Failed && graph_.initializers.count(node_.input(i)))
      fail(std::string(what) + " '" + node_.input(i) + "' " + v->name);
    else if (v && v->kind == OnnxValue::Failed)
      failed_ = true;
    else
      fail(std::string(what) + (hasInput(i) ? " '" + node_.input(i) + "'" : "") +
           (hasInput(i) ? " must be a constant (an initializer or computed from constants)"
                        : " is missing"));
  }
  return nullptr;
}

std::optional<double> OnnxNode::scalar(int i, const char *what) {
  const ConstTensor *c = constant(i, what);
  if (!c)
    return std::nullopt;
  if (c->size() != 1) {
    fail(std::string(what) + " '" + node_.input(i) + "' must hold one value, got " +
         std::to_string(c->size()));
    return std::nullopt;
  }
  return c->real(0);
}

std::string OnnxNode::initializer(int i, const char *role) {
  if (!hasInput(i)) {
    fail(std::string("needs its ") + role);
    return "";
  }
  const std::string &name = node_.input(i);
  if (!graph_.initializers.count(name)) {
    auto it = graph_.values.find(name);
    if (it != graph_.values.end() && it->second.kind == OnnxValue::Failed)
      failed_ = true;
    else
      fail(std::string("its ") + role + " '" + name +
           "' must be an initializer: cnnc takes parameters from the model's initializers, "
           "not computed ones");
    return "";
  }
  return name;
}

std::vector<int64_t> OnnxNode::shape(int i) {
  if (!hasInput(i))
    return {};
  const OnnxValue *v = input(i);
  if (v && v->kind == OnnxValue::Constant)
    return v->constant.shape;
  auto init = graph_.initializers.find(node_.input(i));
  if (init != graph_.initializers.end())
    return init->second.shape;
  auto it = graph_.shapes.find(node_.input(i));
  if (it != graph_.shapes.end())
    return it->second;
  if (v && v->kind == OnnxValue::Failed) {
    failed_ = true;
    return {};
  }
  fail("the shape of input '" + node_.input(i) + "' is unknown");
  return {};
}

std::string OnnxNode::runtimeWithPad(int i, std::vector<int64_t> &pads, bool &padded) {
  padded = false;
  const OnnxValue *v = input(i);
  if (v && v->kind == OnnxValue::Pending && v->pending->kind == PendingView::Pad) {
    for (size_t k = 0; k < 4 && k < pads.size(); ++k)
      if (__builtin_add_overflow(pads[k], v->pending->values[k], &pads[k])) {
        fail("its padding is absurdly large");
        return "";
      }
    padded = true;
    return v->pending->source;
  }
  return runtime(i);
}

const onnx::AttributeProto *OnnxNode::attr(const char *name) {
  attrsRead_.insert(name);
  for (const auto &a : node_.attribute())
    if (a.name() == name)
      return &a;
  return nullptr;
}

bool OnnxNode::hasAttr(const char *name) const {
  for (const auto &a : node_.attribute())
    if (a.name() == name)
      return true;
  return false;
}

int64_t OnnxNode::attrInt(const char *name, int64_t dflt) {
  const auto *a = attr(name);
  if (!a)
    return dflt;
  if (a->type() != onnx::AttributeProto::INT) {
    fail(std::string("attribute '") + name + "' must be an integer");
    return dflt;
  }
  return a->i();
}

float OnnxNode::attrFloat(const char *name, float dflt) {
  const auto *a = attr(name);
  if (!a)
    return dflt;
  if (a->type() != onnx::AttributeProto::FLOAT) {
    fail(std::string("attribute '") + name + "' must be a float");
    return dflt;
  }
  return a->f();
}

std::string OnnxNode::attrString(const char *name, const std::string &dflt) {
  const auto *a = attr(name);
  if (!a)
    return dflt;
  if (a->type() != onnx::AttributeProto::STRING) {
    fail(std::string("attribute '") + name + "' must be a string");
    return dflt;
  }
  return a->s();
}

std::vector<int64_t> OnnxNode::attrInts(const char *name, std::vector<int64_t> dflt) {
  const auto *a = attr(name);
  if (!a)
    return dflt;
  if (a->type() != onnx::AttributeProto::INTS) {
    fail(std::string("attribute '") + name + "' must be a list of integers");
    return dflt;
  }
  return std::vector<int64_t>(a->ints().begin(), a->ints().end());
}

void OnnxNode::requireAttrInt(const char *name, int64_t only) {
  int64_t v = attrInt(name, only);
  if (v != only)
    fail(std::string("attribute ") + name + "=" + std::to_string(v) +
         " is not supported (only " + std::to_string(only) + ")");
}

void OnnxNode::requireAttrString(const char *name, const std::string &only) {
  std::string v = attrString(name, only);
  if (v != only)
    fail(std::string("attribute ") + name + "=" + v + " is not supported (only " + only + ")");
}

std::string OnnxNode::emit(const std::string &op, std::vector<std::string> inputs,
                           nlohmann::json attrs, nlohmann::json params,
                           const std::string &suffix) {
  std::string cnncName = graph_.uniqueName(suffix.empty() ? name_ : name_ + "/" + suffix);
  nlohmann::json n = {{"name", cnncName}, {"op", op}, {"inputs", inputs}};
  if (!attrs.empty())
    n["attrs"] = std::move(attrs);
  if (!params.empty())
    n["params"] = std::move(params);
  // Its shape, by the rules the importer applies later (which reports any
  // problem): what a later Shape, Reshape or Split of it reads.
  ErrorList quiet("");
  if (auto desc = describeNode(n, graph_.nodes.size() + 1, quiet)) {
    std::vector<Shape> inShapes;
    for (const auto &in : inputs) {
      auto it = graph_.cnncShapes.find(in);
      if (it == graph_.cnncShapes.end())
        break;
      inShapes.emplace_back(it->second.begin(), it->second.end());
    }
    if (inShapes.size() == inputs.size()) {
      NodeShapes shapes = inferNodeShapes(*desc, inShapes);
      if (shapes.output.ok())
        graph_.cnncShapes[cnncName].assign(shapes.output.shape.begin(),
                                           shapes.output.shape.end());
    }
  }
  graph_.nodes.push_back(std::move(n));
  return cnncName;
}

void OnnxNode::bind(int output, const std::string &cnncValue) {
  if (output >= node_.output_size() || node_.output(output).empty())
    return;
  OnnxValue v;
  v.kind = OnnxValue::Runtime;
  v.name = cnncValue;
  graph_.values[node_.output(output)] = v;
  auto shape = graph_.cnncShapes.find(cnncValue);
  if (shape != graph_.cnncShapes.end())
    graph_.shapes[node_.output(output)] = shape->second;
}

void OnnxNode::bindConstant(int output, ConstTensor value) {
  if (output >= node_.output_size() || node_.output(output).empty())
    return;
  OnnxValue v;
  v.kind = OnnxValue::Constant;
  v.constant = std::move(value);
  graph_.values[node_.output(output)] = std::move(v);
}

void OnnxNode::bindPending(int output, std::shared_ptr<PendingView> view) {
  if (output >= node_.output_size() || node_.output(output).empty())
    return;
  view->producer = name_;
  view->producerOp = opType();
  OnnxValue v;
  v.kind = OnnxValue::Pending;
  v.pending = std::move(view);
  graph_.values[node_.output(output)] = std::move(v);
}

void OnnxNode::alias(int output, int inputIndex) {
  if (output >= node_.output_size() || node_.output(output).empty())
    return;
  if (hasInput(inputIndex) && !graph_.values.count(node_.input(inputIndex))) {
    auto init = graph_.initializers.find(node_.input(inputIndex));
    if (init != graph_.initializers.end()) {
      DecodedTensor copy = init->second;
      graph_.initializers[node_.output(output)] = copy;
      return;
    }
  }
  if (hasInput(inputIndex)) {
    auto shape = graph_.shapes.find(node_.input(inputIndex));
    if (shape != graph_.shapes.end())
      graph_.shapes[node_.output(output)] = shape->second;
  }
  const OnnxValue *in = input(inputIndex);
  if (!in) {
    fail("input '" + (hasInput(inputIndex) ? node_.input(inputIndex) : std::string()) +
         "' is not defined");
    return;
  }
  graph_.values[node_.output(output)] = *in;
}

void OnnxNode::fail(const std::string &message) {
  failed_ = true;
  graph_.errors.addNode(name_, opType(), message);
}

void OnnxNode::requireSingleOutput() {
  for (int i = 1; i < node_.output_size(); ++i)
    if (!node_.output(i).empty() && graph_.consumed.count(node_.output(i)))
      fail("output " + std::to_string(i + 1) + " ('" + node_.output(i) +
           "') is used, but cnnc computes only the first output");
}

const OnnxOpEntry *findOnnxOp(const std::string &opType) {
  static const std::vector<OnnxOpEntry> ops = [] {
    std::vector<OnnxOpEntry> v;
    addOnnxConvolutionOps(v);
    addOnnxPoolingOps(v);
    addOnnxNormalizationOps(v);
    addOnnxElementwiseOps(v);
    addOnnxDataMovementOps(v);
    addOnnxShapeOps(v);
    return v;
  }();
  for (const auto &e : ops)
    if (opType == e.opType)
      return &e;
  return nullptr;
}

} // namespace cnnc::onnx_import
