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
#include <optional>
#include <string>
#include <vector>

namespace cnnc {

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

/// A resolved attribute value: ints (one or several), a float or a bool.
struct AttrValue {
  std::vector<int64_t> ints;
  double number = 0;
  bool flag = false;
};

struct NodeDesc {
  std::string name;
  std::string op;
  std::vector<std::string> inputs;
  std::map<std::string, AttrValue> attrs; // normalized, defaults filled in
  std::map<std::string, std::string> params; // role -> tensor name
  size_t index = 0;                          // position in the file

  const std::vector<int64_t> &ints(const std::string &k) const { return attrs.at(k).ints; }
  int64_t integer(const std::string &k) const { return attrs.at(k).ints.at(0); }
  double number(const std::string &k) const { return attrs.at(k).number; }
  bool flag(const std::string &k) const { return attrs.at(k).flag; }
};

struct InputDesc {
  std::string name;
  std::vector<int64_t> shape;
};

struct ModelDescription {
  std::string path;      // the JSON file
  std::string name;
  std::string weights;   // resolved path, empty if none
  std::vector<InputDesc> inputs;
  std::vector<std::string> outputs;
  std::vector<NodeDesc> nodes; // topological order
  std::optional<nlohmann::json> training;
};

/// Reads and validates `path`. Returns nullopt (with errors) if anything is
/// wrong; `batch` overrides every input's first dimension.
std::optional<ModelDescription> readModelDescription(const std::string &path,
                                                     std::optional<int64_t> batch,
                                                     ErrorList &errors);

/// The learnable/stateful parameter roles of an op, in state_dict order.
std::vector<std::string> parameterRoles(const NodeDesc &node);

/// Every op of the spec.
const std::vector<std::string> &knownOps();

} // namespace cnnc

#endif // CNNC_IMPORT_MODELDESCRIPTION_H
