//===- ModelDescription.h - validated model JSON ----------------*- C++ -*-===//
//
// The model file (spec section 1) parsed and checked, before any IR exists:
// every attribute resolved to its normalized form (pairs, 4-sided padding,
// defaults applied), nodes in topological order. Errors are collected, not
// thrown, so one run reports every problem of a model.
//
//===----------------------------------------------------------------------===//
#ifndef CNNC_IMPORT_MODELDESCRIPTION_H
#define CNNC_IMPORT_MODELDESCRIPTION_H

#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace cnnc {

struct OpImportRule;
class TensorSource;

/// Collects user-facing errors; each names the file (and node).
class ErrorList {
public:
  explicit ErrorList(std::string file) : file_(std::move(file)) {}
  void add(const std::string &msg) { errors_.push_back(file_ + ": " + msg); }
  void addNode(const std::string &node, const std::string &op, const std::string &msg) {
    errors_.push_back(file_ + ": node '" + node + "'" + (op.empty() ? "" : " (" + op + ")") +
                      ": " + msg);
  }
  bool empty() const { return errors_.empty(); }
  const std::vector<std::string> &all() const { return errors_; }
  const std::string &file() const { return file_; }

private:
  std::string file_;
  std::vector<std::string> errors_;
};

/// A resolved attribute value: ints (one or several), a float, a bool or a
/// string.
struct AttrValue {
  std::vector<int64_t> ints;
  double number = 0;
  bool flag = false;
  std::string text;
};

struct NodeDesc {
  std::string name;
  std::string op;
  std::vector<std::string> inputs;
  std::map<std::string, AttrValue> attrs; // normalized, defaults filled in
  std::map<std::string, std::string> params; // role -> tensor name
  size_t index = 0;                          // position in the file
  const OpImportRule *rule = nullptr;        // the op's import rule

  const std::vector<int64_t> &ints(const std::string &k) const { return attrs.at(k).ints; }
  int64_t integer(const std::string &k) const { return attrs.at(k).ints.at(0); }
  double number(const std::string &k) const { return attrs.at(k).number; }
  bool flag(const std::string &k) const { return attrs.at(k).flag; }
  const std::string &text(const std::string &k) const { return attrs.at(k).text; }
};

struct InputDesc {
  std::string name;
  std::vector<int64_t> shape;
};

struct ModelDescription {
  std::string path;      // the model file
  std::string name;
  std::string weights;   // resolved safetensors path, empty if none
  /// The parameters' values when the model file holds them itself (ONNX
  /// initializers); null otherwise.
  std::shared_ptr<TensorSource> tensors;
  std::vector<InputDesc> inputs;
  std::vector<std::string> outputs;     // the nodes (or inputs) returned
  std::vector<std::string> outputNames; // their published names, as `outputs` if empty
  std::vector<NodeDesc> nodes; // topological order
  std::optional<nlohmann::json> training;

  const std::string &outputName(size_t i) const {
    return outputNames.empty() ? outputs[i] : outputNames[i];
  }
};

/// The bytes of a model file, or nullopt with an error (missing, a
/// directory, unreadable).
std::optional<std::string> readModelFile(const std::string &path, ErrorList &errors);

/// A model JSON file parsed (syntax errors with line:column), not validated.
std::optional<nlohmann::json> parseModelJson(const std::string &path, ErrorList &errors);

/// One node of the JSON form validated (op, inputs, attributes normalized,
/// parameter names); nullopt with errors if it is malformed. `names`, when
/// given, collects node names and reports duplicates.
std::optional<NodeDesc> describeNode(const nlohmann::json &node, size_t index,
                                     ErrorList &errors, std::set<std::string> *names = nullptr);

/// Validates a model in the JSON form (spec section 1), whichever reader made
/// it: every attribute normalized, nodes in topological order. Returns the
/// description of what is well-formed even with errors (the importer still
/// checks those nodes' shapes, so that one run reports every problem), or
/// nullopt where nothing can be said; `batch` overrides every input's first
/// dimension.
std::optional<ModelDescription> describeModel(nlohmann::json root, const std::string &path,
                                              std::optional<int64_t> batch,
                                              ErrorList &errors);

/// parseModelJson, then describeModel.
std::optional<ModelDescription> readModelDescription(const std::string &path,
                                                     std::optional<int64_t> batch,
                                                     ErrorList &errors);

/// The learnable/stateful parameter roles of an op, in state_dict order.
std::vector<std::string> parameterRoles(const NodeDesc &node);

/// Every op of the spec.
const std::vector<std::string> &knownOps();

} // namespace cnnc

#endif // CNNC_IMPORT_MODELDESCRIPTION_H
