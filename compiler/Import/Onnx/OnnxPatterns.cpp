//===- OnnxPatterns.cpp - torch's decomposed ops, put back together -------===//

#include "Import/Onnx/OnnxPatterns.h"

#include <cmath>
#include <cstring>
#include <map>
#include <optional>

namespace cnnc::onnx_import {

namespace {

class PatternMatcher {
public:
  PatternMatcher(onnx::GraphProto &graph, const OnnxGraph &g, const std::string &modelDir)
      : graph_(graph), g_(g), modelDir_(modelDir) {
    for (int i = 0; i < graph.node_size(); ++i) {
      for (const auto &out : graph.node(i).output())
        if (!out.empty())
          producer_[out] = i;
      for (const auto &in : graph.node(i).input())
        if (!in.empty())
          consumers_[in].push_back(i);
    }
    for (const auto &out : graph.output())
      consumers_[out.name()].push_back(-1); // the graph's result: never fused away
  }

  int run() {
    int fused = 0;
    for (int i = 0; i < graph_.node_size(); ++i) {
      if (removed_.count(i))
        continue;
      const std::string &op = graph_.node(i).op_type();
      if ((op == "Erf" && fuseGelu(i)) || (op == "ReduceMean" && fuseLayerNorm(i)) ||
          (op == "MatMul" && fuseMatMulBias(i)))
        ++fused;
    }
    if (!fused)
      return 0;
    google::protobuf::RepeatedPtrField<onnx::NodeProto> kept;
    for (int i = 0; i < graph_.node_size(); ++i)
      if (!removed_.count(i))
        *kept.Add() = graph_.node(i);
    graph_.mutable_node()->Swap(&kept);
    return fused;
  }

private:
  const onnx::NodeProto &node(int i) const { return graph_.node(i); }
  /// Input or output `k` of node `i`, or "" where it has none: the graph is
  /// untrusted, so a pattern never indexes past what a node holds.
  const std::string &inputOf(int i, int k) const {
    return k < node(i).input_size() ? node(i).input(k) : none_;
  }
  const std::string &outputOf(int i, int k) const {
    return k < node(i).output_size() ? node(i).output(k) : none_;
  }

  /// The one node reading `value` (not a graph output), or -1.
  int onlyConsumer(const std::string &value) const {
    auto it = consumers_.find(value);
    if (it == consumers_.end() || it->second.size() != 1)
      return -1;
    return it->second[0];
  }
  int producerOf(const std::string &value) const {
    auto it = producer_.find(value);
    return it == producer_.end() ? -1 : it->second;
  }
  bool is(int i, const char *op) const {
    return i >= 0 && !removed_.count(i) && node(i).op_type() == op && node(i).domain().empty();
  }
  /// The other input of a binary node one of whose inputs is `value`, or "".
  std::string otherInput(int i, const std::string &value) const {
    const auto &n = node(i);
    if (n.input_size() != 2)
      return "";
    if (n.input(0) == value)
      return n.input(1);
    if (n.input(1) == value)
      return n.input(0);
    return "";
  }

  /// A one-element constant (an initializer or a Constant node's value).
  std::optional<double> scalar(const std::string &name) const {
    DecodedTensor d;
    std::vector<std::unique_ptr<std::vector<uint8_t>>> owned;
    if (auto it = g_.initializers.find(name); it != g_.initializers.end()) {
      d = it->second;
    } else {
      int p = producerOf(name);
      if (!is(p, "Constant"))
        return std::nullopt;
      const onnx::AttributeProto *value = nullptr;
      for (const auto &a : node(p).attribute())
        if (a.name() == "value" && a.has_t())
          value = &a;
      if (!value || !decodeTensor(value->t(), modelDir_, owned, d).empty())
        return std::nullopt;
    }
    int64_t count = 1;
    for (int64_t dim : d.shape)
      count *= dim;
    if (count != 1 || !d.data)
      return std::nullopt;
    if (d.dtype == "F32" && d.bytes >= 4) {
      float f;
      std::memcpy(&f, d.data, 4);
      return f;
    }
    if (d.dtype == "F64" && d.bytes >= 8) {
      double v;
      std::memcpy(&v, d.data, 8);
      return v;
    }
    if (d.dtype == "I64" && d.bytes >= 8) {
      int64_t v;
      std::memcpy(&v, d.data, 8);
      return double(v);
    }
    return std::nullopt;
  }
  bool scalarIs(const std::string &name, double value, double tolerance = 1e-6) const {
    std::optional<double> v = scalar(name);
    return v && std::fabs(*v - value) <= tolerance * std::max(1.0, std::fabs(value));
  }
  /// The initializer `name` is, directly or through Identity nodes (torch
  /// writes one initializer of equal tensors and Identity copies of it).
  const DecodedTensor *initializer(const std::string &name, int depth = 0) const {
    auto it = g_.initializers.find(name);
    if (it != g_.initializers.end())
      return &it->second;
    int p = producerOf(name);
    // The depth bound stops a cycle of Identity nodes in a malformed graph.
    if (depth < 16 && is(p, "Identity") && node(p).input_size() == 1)
      return initializer(inputOf(p, 0), depth + 1);
    return nullptr;
  }

  /// Replaces node `last` by `op` over `inputs` (keeping its name and
  /// output) and removes `others`.
  onnx::NodeProto &replace(int last, const char *op, std::vector<std::string> inputs,
                           std::initializer_list<int> others) {
    onnx::NodeProto &n = *graph_.mutable_node(last);
    std::string output = outputOf(last, 0), name = n.name();
    n.Clear();
    n.set_op_type(op);
    n.set_name(name);
    n.add_output(output);
    for (const auto &in : inputs)
      n.add_input(in);
    for (int i : others)
      removed_.insert(i);
    return n;
  }
  static void setFloat(onnx::NodeProto &n, const char *name, float v) {
    auto *a = n.add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::FLOAT);
    a->set_f(v);
  }
  static void setInt(onnx::NodeProto &n, const char *name, int64_t v) {
    auto *a = n.add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::INT);
    a->set_i(v);
  }

  /// Div(x, sqrt 2) -> Erf -> Add(., 1) -> Mul(x, .) -> Mul(., 0.5).
  bool fuseGelu(int erf) {
    int div = producerOf(inputOf(erf, 0));
    if (!is(div, "Div") || onlyConsumer(outputOf(div, 0)) != erf ||
        !scalarIs(inputOf(div, 1), std::sqrt(2.0), 1e-4))
      return false;
    std::string x = inputOf(div, 0);
    int add = onlyConsumer(outputOf(erf, 0));
    if (!is(add, "Add") || !scalarIs(otherInput(add, outputOf(erf, 0)), 1.0))
      return false;
    int mul = onlyConsumer(outputOf(add, 0));
    if (!is(mul, "Mul") || otherInput(mul, outputOf(add, 0)) != x)
      return false;
    int half = onlyConsumer(outputOf(mul, 0));
    if (!is(half, "Mul") || !scalarIs(otherInput(half, outputOf(mul, 0)), 0.5))
      return false;
    onnx::NodeProto &gelu = replace(half, "Gelu", {x}, {div, erf, add, mul});
    auto *a = gelu.add_attribute();
    a->set_name("approximate");
    a->set_type(onnx::AttributeProto::STRING);
    a->set_s("none");
    return true;
  }

  /// mean = ReduceMean(x); d = x - mean; var = ReduceMean(d ^ 2);
  /// y = d / sqrt(var + eps) [* weight + bias], over trailing axes.
  bool fuseLayerNorm(int mean) {
    auto axesOf = [&](int i) {
      std::vector<int64_t> axes;
      int64_t keepdims = 1;
      for (const auto &a : node(i).attribute()) {
        if (a.name() == "axes")
          axes.assign(a.ints().begin(), a.ints().end());
        else if (a.name() == "keepdims")
          keepdims = a.i();
      }
      return keepdims == 1 && node(i).input_size() == 1 ? axes : std::vector<int64_t>{};
    };
    std::vector<int64_t> axes = axesOf(mean);
    // Trailing axes, written negative as torch writes them: [-k, ..., -1].
    if (axes.empty())
      return false;
    for (size_t i = 0; i < axes.size(); ++i)
      if (axes[i] != -(int64_t)(axes.size() - i))
        return false;
    std::string x = inputOf(mean, 0);
    int sub = onlyConsumer(outputOf(mean, 0));
    if (!is(sub, "Sub") || inputOf(sub, 0) != x || inputOf(sub, 1) != outputOf(mean, 0))
      return false;
    const std::string &centered = outputOf(sub, 0);
    auto readers = consumers_.find(centered);
    if (readers == consumers_.end() || readers->second.size() != 2)
      return false;
    int pow = -1, div = -1;
    for (int r : readers->second) {
      if (is(r, "Pow") && inputOf(r, 0) == centered)
        pow = r;
      else if (is(r, "Div") && inputOf(r, 0) == centered)
        div = r;
    }
    if (pow < 0 || div < 0 || !scalarIs(inputOf(pow, 1), 2.0))
      return false;
    int var = onlyConsumer(outputOf(pow, 0));
    if (!is(var, "ReduceMean") || axesOf(var) != axes)
      return false;
    int addEps = onlyConsumer(outputOf(var, 0));
    if (!is(addEps, "Add"))
      return false;
    std::optional<double> eps = scalar(otherInput(addEps, outputOf(var, 0)));
    if (!eps || *eps < 0)
      return false;
    int sqrt = onlyConsumer(outputOf(addEps, 0));
    if (!is(sqrt, "Sqrt") || onlyConsumer(outputOf(sqrt, 0)) != div ||
        inputOf(div, 1) != outputOf(sqrt, 0))
      return false;
    // The affine parameters, when the Mul and Add by initializers follow.
    int last = div;
    std::string weight, bias;
    int scale = onlyConsumer(outputOf(div, 0)), shift = -1;
    if (is(scale, "Mul")) {
      std::string w = otherInput(scale, outputOf(div, 0));
      shift = onlyConsumer(outputOf(scale, 0));
      if (initializer(w) && is(shift, "Add")) {
        std::string b = otherInput(shift, outputOf(scale, 0));
        const DecodedTensor *wt = initializer(w), *bt = initializer(b);
        if (bt && wt->shape == bt->shape && wt->shape.size() == axes.size()) {
          weight = w;
          bias = b;
          last = shift;
        }
      }
    }
    std::vector<std::string> inputs = {x};
    if (!weight.empty())
      inputs.insert(inputs.end(), {weight, bias});
    onnx::NodeProto *ln;
    if (last == div)
      ln = &replace(div, "LayerNormalization", inputs, {mean, sub, pow, var, addEps, sqrt});
    else
      ln = &replace(last, "LayerNormalization", inputs,
                    {mean, sub, pow, var, addEps, sqrt, div, scale});
    setInt(*ln, "axis", axes.front());
    setFloat(*ln, "epsilon", float(*eps));
    return true;
  }

  /// MatMul(a, W) -> Add(., b), W a 2-D initializer and b its [out] bias.
  bool fuseMatMulBias(int matmul) {
    const onnx::NodeProto &mm = node(matmul);
    if (mm.input_size() != 2)
      return false;
    const DecodedTensor *w = initializer(mm.input(1));
    if (!w || w->shape.size() != 2)
      return false;
    int add = onlyConsumer(outputOf(matmul, 0));
    if (!is(add, "Add"))
      return false;
    std::string b = otherInput(add, outputOf(matmul, 0));
    const DecodedTensor *bt = initializer(b);
    if (!bt || bt->shape != std::vector<int64_t>{w->shape[1]})
      return false;
    replace(add, "MatMul", {mm.input(0), mm.input(1), b}, {matmul});
    return true;
  }

  onnx::GraphProto &graph_;
  const OnnxGraph &g_;
  const std::string &modelDir_;
  std::map<std::string, int> producer_;
  std::map<std::string, std::vector<int>> consumers_;
  std::set<int> removed_;
  const std::string none_;
};

} // namespace

int fuseDecomposedPatterns(onnx::GraphProto &graph, const OnnxGraph &g,
                           const std::string &modelDir) {
  return PatternMatcher(graph, g, modelDir).run();
}

} // namespace cnnc::onnx_import
