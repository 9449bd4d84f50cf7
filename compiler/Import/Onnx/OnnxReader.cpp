//===- OnnxReader.cpp - an ONNX ModelProto in the model JSON form ---------===//

#include "Import/Onnx/OnnxReader.h"

#include "Import/Onnx/OnnxGraph.h"
#include "Import/Onnx/OnnxPatterns.h"
#include "Import/WeightStore.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>

#include <algorithm>
#include <cctype>
#include <climits>
#include <filesystem>

namespace cnnc {

using namespace onnx_import;

namespace {

/// Opsets whose operators this reader knows (torch.onnx.export writes 11-17).
constexpr int kMinOpset = 11, kMaxOpset = 18;

/// The initializers of one ONNX file, for the importer's parameters.
class OnnxInitializers : public TensorSource {
public:
  OnnxInitializers(std::shared_ptr<onnx::ModelProto> model, std::string path)
      : model_(std::move(model)), path_(std::move(path)) {}

  std::optional<StoredTensor> find(const std::string &name) const override {
    auto it = tensors_.find(name);
    if (it == tensors_.end())
      return std::nullopt;
    return StoredTensor{it->second.dtype, it->second.shape, it->second.data};
  }
  std::string containerText() const override { return "the initializers of " + path_; }
  std::string tensorText(const std::string &name) const override {
    return "initializer '" + name + "' of " + path_;
  }

  std::map<std::string, DecodedTensor> tensors_;
  std::vector<std::unique_ptr<std::vector<uint8_t>>> owned_;

private:
  std::shared_ptr<onnx::ModelProto> model_; // owns the raw_data the tensors point into
  std::string path_;
};

/// Parses the protobuf; false if it is truncated or corrupt.
bool parseModel(const std::string &bytes, onnx::ModelProto &model) {
  google::protobuf::io::ArrayInputStream raw(bytes.data(), (int)bytes.size());
  google::protobuf::io::CodedInputStream coded(&raw);
  coded.SetTotalBytesLimit(INT_MAX);
  return model.ParseFromCodedStream(&coded) && coded.ConsumedEntireMessage();
}

} // namespace

bool isOnnxPath(const std::string &path) {
  std::string ext = std::filesystem::path(path).extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  return ext == ".onnx";
}

std::optional<OnnxModel> readOnnxModel(const std::string &path, std::optional<int64_t> batch,
                                       ErrorList &errors) {
  std::optional<std::string> bytes = readModelFile(path, errors);
  if (!bytes)
    return std::nullopt;
  if (bytes->size() >= (size_t)INT_MAX) {
    errors.add("is larger than 2 GiB, the most a protobuf holds; export the weights as ONNX "
               "external data");
    return std::nullopt;
  }
  auto model = std::make_shared<onnx::ModelProto>();
  if (!parseModel(*bytes, *model)) {
    errors.add("is not a valid ONNX model: the protobuf is truncated or corrupt");
    return std::nullopt;
  }
  bytes.reset();
  if (!model->has_graph() || model->graph().node_size() == 0) {
    errors.add("is not an ONNX model: it has no graph nodes");
    return std::nullopt;
  }
  int opset = -1;
  for (const auto &imp : model->opset_import())
    if (imp.domain().empty() || imp.domain() == "ai.onnx")
      opset = (int)imp.version();
  if (opset < 0) {
    errors.add("imports no version of the default ONNX operator set");
    return std::nullopt;
  }
  if (opset < kMinOpset || opset > kMaxOpset) {
    errors.add("uses ONNX opset " + std::to_string(opset) + "; cnnc reads opsets " +
               std::to_string(kMinOpset) + " to " + std::to_string(kMaxOpset) +
               " (export with torch.onnx.export(..., opset_version=13))");
    return std::nullopt;
  }

  onnx::GraphProto &graph = *model->mutable_graph();
  std::string modelDir = std::filesystem::path(path).parent_path().string();
  auto initializers = std::make_shared<OnnxInitializers>(model, path);
  OnnxGraph g(errors, opset);

  for (const auto &t : graph.initializer()) {
    DecodedTensor d;
    std::string why = decodeTensor(t, modelDir, initializers->owned_, d);
    if (!why.empty()) {
      errors.add("initializer '" + t.name() + "' " + why);
      continue;
    }
    g.initializers[t.name()] = d;
  }
  if (graph.sparse_initializer_size())
    errors.add("sparse initializers are not supported");

  // Inputs: those that are not initializers, with the batch fixed.
  nlohmann::json inputs = nlohmann::json::array();
  for (auto &in : *graph.mutable_input()) {
    if (g.initializers.count(in.name()))
      continue;
    std::string where = "input '" + in.name() + "': ";
    if (!in.type().has_tensor_type()) {
      errors.add(where + "is not a tensor");
      continue;
    }
    auto &tensorType = *in.mutable_type()->mutable_tensor_type();
    if (tensorType.elem_type() != onnx::TensorProto::FLOAT) {
      errors.add(where + "has element type " + onnxTypeName(tensorType.elem_type()) +
                 "; cnnc's inputs are FLOAT (float32)");
      continue;
    }
    if (!tensorType.has_shape()) {
      errors.add(where + "has no shape; cnnc compiles fixed shapes");
      continue;
    }
    std::vector<int64_t> shape;
    bool ok = true;
    for (int i = 0; i < tensorType.shape().dim_size(); ++i) {
      auto &dim = *tensorType.mutable_shape()->mutable_dim(i);
      if (i == 0 && (batch || !dim.has_dim_value())) {
        dim.set_dim_value(batch.value_or(1)); // a symbolic batch gets --batch, or 1
      } else if (!dim.has_dim_value() || dim.dim_value() <= 0) {
        errors.add(where + "dimension " + std::to_string(i) + " is " +
                   (dim.has_dim_param() ? "symbolic ('" + dim.dim_param() + "')"
                                        : std::string("unknown")) +
                   "; cnnc compiles fixed shapes (export with a fixed size, only the batch "
                   "may be dynamic)");
        ok = false;
        break;
      }
      shape.push_back(dim.dim_value());
    }
    if (!ok)
      continue;
    g.shapes[in.name()] = shape;
    g.cnncShapes[in.name()] = shape;
    g.usedNames.insert(in.name());
    OnnxValue v;
    v.kind = OnnxValue::Runtime;
    v.name = in.name();
    g.values[in.name()] = v;
    inputs.push_back({{"name", in.name()}, {"shape", shape}});
  }
  if (!errors.empty())
    return std::nullopt;

  fuseDecomposedPatterns(graph, g, modelDir);
  for (const auto &node : graph.node())
    for (const auto &in : node.input())
      g.consumed.insert(in);
  for (const auto &out : graph.output())
    g.consumed.insert(out.name());

  // The nodes, in the file's (topological) order.
  int index = 0;
  for (const auto &node : graph.node()) {
    ++index;
    std::string base = node.name().empty() ? node.op_type() + "_" + std::to_string(index)
                                           : node.name();
    OnnxNode n(g, node, base);
    auto markFailed = [&] {
      for (const auto &out : node.output())
        if (!out.empty()) {
          OnnxValue v;
          v.kind = OnnxValue::Failed;
          g.values[out] = v;
        }
    };
    if (!node.domain().empty() && node.domain() != "ai.onnx") {
      n.fail("operator " + node.domain() + "." + node.op_type() + " is not supported");
      markFailed();
      continue;
    }
    const OnnxOpEntry *entry = findOnnxOp(node.op_type());
    if (!entry) {
      n.fail("operator " + node.op_type() + " is not supported");
      markFailed();
      continue;
    }
    bool missing = node.input_size() < entry->minInputs;
    for (int i = 0; i < entry->minInputs && !missing; ++i)
      missing = node.input(i).empty();
    if (missing) {
      n.fail("needs " + std::to_string(entry->minInputs) + " input(s), got " +
             std::to_string(node.input_size()));
      markFailed();
      continue;
    }
    // Inputs not yet defined, or from a node that failed (already reported).
    // Initializers count as constants but become ConstTensors only when
    // folded: most are parameters.
    bool upstreamFailed = false, undefined = false, allConstant = true;
    for (int i = 0; i < node.input_size() && !undefined; ++i) {
      const std::string &in = node.input(i);
      if (in.empty())
        continue;
      auto it = g.values.find(in);
      if (it == g.values.end()) {
        if (g.initializers.count(in))
          continue;
        undefined = true;
        n.fail("input '" + in + "' is not defined by an earlier node, an input or an "
               "initializer");
        break;
      }
      upstreamFailed |= it->second.kind == OnnxValue::Failed && !g.initializers.count(in);
      allConstant &= it->second.kind == OnnxValue::Constant || g.initializers.count(in);
    }
    if (undefined || upstreamFailed) {
      markFailed();
      continue;
    }
    std::vector<const ConstTensor *> constants;
    if (allConstant && entry->fold)
      for (int i = 0; i < node.input_size(); ++i)
        constants.push_back(node.input(i).empty() ? nullptr : n.constant(i, "input"));
    if (n.failed()) {
      // an initializer too large to fold (reported)
    } else if (allConstant && entry->fold) {
      std::vector<ConstTensor> outputs;
      if (entry->fold(n, constants, outputs) && !n.failed())
        for (size_t i = 0; i < outputs.size(); ++i)
          n.bindConstant((int)i, std::move(outputs[i]));
    } else if (entry->convert) {
      entry->convert(n);
    } else {
      n.fail("is computed by cnnc only from constants (shape arithmetic), but an input is "
             "computed at run time");
    }
    if (!n.failed())
      for (const auto &a : node.attribute())
        if (!n.attributesRead().count(a.name()))
          n.fail("attribute '" + a.name() + "' is not supported");
    if (n.failed())
      markFailed();
  }

  // Outputs, under their ONNX names.
  OnnxModel result;
  nlohmann::json outputs = nlohmann::json::array();
  for (const auto &out : graph.output()) {
    auto it = g.values.find(out.name());
    if (it == g.values.end()) {
      errors.add("graph output '" + out.name() + "' is not computed by any node");
      continue;
    }
    const OnnxValue &v = it->second;
    if (v.kind == OnnxValue::Failed)
      continue; // its producer was reported
    if (v.kind == OnnxValue::Constant) {
      errors.add("graph output '" + out.name() + "' is a constant; cnnc's outputs are computed");
      continue;
    }
    if (v.kind == OnnxValue::Pending) {
      errors.addNode(v.pending->producer, v.pending->producerOp, "its output, graph output '" +
                                                                     out.name() + "', " +
                                                                     v.pending->why);
      continue;
    }
    if (std::find(outputs.begin(), outputs.end(), v.name) != outputs.end()) {
      errors.add("graph output '" + out.name() + "' is the same tensor as an earlier output");
      continue;
    }
    outputs.push_back(v.name);
    result.outputNames.push_back(out.name());
  }
  if (!errors.empty())
    return std::nullopt;

  nlohmann::json training = {{"loss", "softmax_cross_entropy"},
                             {"optimizer", {{"type", "sgd"}, {"learning_rate", 0.01}}}};
  for (const auto &prop : model->metadata_props())
    if (prop.key() == "cnnc.training") {
      try {
        training = nlohmann::json::parse(prop.value());
      } catch (const nlohmann::json::exception &) {
        errors.add("metadata 'cnnc.training' is not valid JSON");
        return std::nullopt;
      }
    }

  std::string name = graph.name().empty() || graph.name() == "main_graph" || graph.name() == "torch_jit"
                         ? std::filesystem::path(path).stem().string()
                         : graph.name();
  result.root = {{"format", "cnnc-model"},
                 {"version", 1},
                 {"name", name},
                 {"inputs", inputs},
                 {"outputs", outputs},
                 {"nodes", g.nodes},
                 {"training", training}};
  initializers->tensors_ = g.initializers; // with the aliases Identity nodes made
  result.initializers = initializers;
  return result;
}

} // namespace cnnc
