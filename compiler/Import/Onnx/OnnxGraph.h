//===- OnnxGraph.h - what the ONNX op converters see ------------*- C++ -*-===//
//
// The reader walks the ONNX graph in order. Each value is computed at run
// time (a cnnc node or input), a constant (an initializer, a Constant node or
// a folded shape computation), or pending: a Pad, Reshape or Transpose that
// only means something to the node consuming it (a zero Pad folded into a
// conv's padding, the Reshape-Transpose-Reshape of a channel shuffle).
// Converters (Onnx/Ops/*.cpp), one per ONNX op type, read their node through
// OnnxNode and emit nodes in cnnc's vocabulary.
//
//===----------------------------------------------------------------------===//
#ifndef CNNC_IMPORT_ONNX_ONNXGRAPH_H
#define CNNC_IMPORT_ONNX_ONNXGRAPH_H

#include "Import/ModelDescription.h"

#include <onnx/onnx_pb.h>

#include <map>
#include <optional>
#include <memory>
#include <set>
#include <string>
#include <vector>

namespace cnnc::onnx_import {

/// A constant tensor: integers (INT64/INT32/BOOL/...) or reals (FLOAT/DOUBLE).
struct ConstTensor {
  bool isInt = true;
  std::vector<int64_t> shape;
  std::vector<int64_t> ints;
  std::vector<double> reals;

  int64_t size() const { return isInt ? (int64_t)ints.size() : (int64_t)reals.size(); }
  double real(int64_t i) const { return isInt ? (double)ints[i] : reals[i]; }
  /// The values as integers (reals truncated), for shapes and indices.
  std::vector<int64_t> asInts() const;
  static ConstTensor ofInts(std::vector<int64_t> values, std::vector<int64_t> shape);
  static ConstTensor ofReals(std::vector<double> values, std::vector<int64_t> shape);
};

/// "[1, 3, 224, 224]".
std::string shapeText(const std::vector<int64_t> &shape);
/// The product of `shape` from `from` on, or nullopt when a dimension is
/// negative or the product passes 2^40 (no constant or tensor is that large).
std::optional<int64_t> elementCount(const std::vector<int64_t> &shape, size_t from = 0);
/// A float attribute as the decimal it was written as (0.1f is 0.1, not
/// 0.10000000149): the shortest decimal that reads back as the same float.
double decimalOf(float f);
/// `v` as an integer, or nullopt when it is not finite or out of int64's range.
std::optional<int64_t> toInt64(double v);

/// An initializer's (or a Constant's) bytes, as stored.
struct DecodedTensor {
  std::string dtype; // safetensors spelling ("F32", "I64", ...)
  std::vector<int64_t> shape;
  const void *data = nullptr;
  size_t bytes = 0;
};

/// Decodes `t` (raw_data, typed fields or external data next to the model at
/// `modelDir`); `owned` keeps converted or external bytes. Returns "" or why
/// it cannot.
std::string decodeTensor(const onnx::TensorProto &t, const std::string &modelDir,
                         std::vector<std::unique_ptr<std::vector<uint8_t>>> &owned,
                         DecodedTensor &out);

/// The ONNX name of a TensorProto data type ("FLOAT", "INT64", ...).
std::string onnxTypeName(int dataType);

/// A Pad, Reshape or Transpose waiting for the node that consumes it.
struct PendingView {
  enum Kind { Pad, Reshape, Transpose } kind;
  std::string source;           // the cnnc value it reads
  std::vector<int64_t> sourceShape;
  std::vector<int64_t> values;  // Pad: [top, left, bottom, right]; Reshape: the shape;
                                // Transpose: the permutation
  std::shared_ptr<const PendingView> inner; // Transpose of a Reshape: that Reshape
  std::string producer, producerOp;   // the ONNX node, for messages
  std::string why;                    // what it would take to import it alone
};

struct OnnxValue {
  enum Kind { Runtime, Constant, Pending, Failed } kind = Failed;
  std::string name; // Runtime: the cnnc node or input
  ConstTensor constant;
  std::shared_ptr<PendingView> pending;
};

class OnnxGraph;

/// One ONNX node being converted.
class OnnxNode {
public:
  OnnxNode(OnnxGraph &graph, const onnx::NodeProto &node, std::string name)
      : graph_(graph), node_(node), name_(std::move(name)) {}

  const onnx::NodeProto &proto() const { return node_; }
  const std::string &opType() const { return node_.op_type(); }
  /// The name the node's cnnc nodes are given (unique in the model).
  const std::string &name() const { return name_; }
  int opset() const;

  // Inputs.
  int numInputs() const { return node_.input_size(); }
  bool hasInput(int i) const { return i < node_.input_size() && !node_.input(i).empty(); }
  const OnnxValue *input(int i) const;
  /// Input i as a run-time value (its cnnc name); reports and returns "" if
  /// it is a constant or a pending view that cannot stand alone.
  std::string runtime(int i);
  /// Input i as a constant, or nullptr (reported when `what` is given).
  const ConstTensor *constant(int i, const char *what = nullptr);
  /// Input i as a one-element constant (reported when it is not).
  std::optional<double> scalar(int i, const char *what);
  /// Input i as an initializer (its name), for a parameter; reports if it is
  /// computed or missing.
  std::string initializer(int i, const char *role);
  /// Whether input i names an initializer (a parameter, unless folded).
  bool isInitializer(int i) const;
  /// Input i's static shape (empty and reported if unknown).
  std::vector<int64_t> shape(int i);
  /// Input i as a run-time value; a pending zero Pad of it is taken into
  /// `pads` ([top, left, bottom, right]) and `padded` set.
  std::string runtimeWithPad(int i, std::vector<int64_t> &pads, bool &padded);

  // Attributes: each read marks it as understood; any other attribute the
  // node carries is reported as unsupported after conversion.
  bool hasAttr(const char *name) const;
  /// The attribute itself (marked read), or nullptr.
  const onnx::AttributeProto *attrProto(const char *name) { return attr(name); }
  int64_t attrInt(const char *name, int64_t dflt);
  float attrFloat(const char *name, float dflt);
  std::string attrString(const char *name, const std::string &dflt);
  std::vector<int64_t> attrInts(const char *name, std::vector<int64_t> dflt);
  /// Reads an attribute whose only supported value is its default.
  void requireAttrInt(const char *name, int64_t only);
  void requireAttrString(const char *name, const std::string &only);

  // Results.
  /// Adds a cnnc node; `suffix` distinguishes a converter's second node.
  /// Returns its name.
  std::string emit(const std::string &op, std::vector<std::string> inputs,
                   nlohmann::json attrs = nlohmann::json::object(),
                   nlohmann::json params = nlohmann::json::object(),
                   const std::string &suffix = "");
  void bind(int output, const std::string &cnncValue);
  void bindConstant(int output, ConstTensor value);
  void bindPending(int output, std::shared_ptr<PendingView> view);
  /// Output `output` is input `input`, whatever its kind; an initializer's
  /// alias is an initializer (a parameter of its own, under the output's name).
  void alias(int output, int input);
  /// Reports a problem with this node (the node fails).
  void fail(const std::string &message);
  bool failed() const { return failed_; }
  /// The outputs other than the first must be unused.
  void requireSingleOutput();

  const std::set<std::string> &attributesRead() const { return attrsRead_; }

private:
  const onnx::AttributeProto *attr(const char *name);
  OnnxGraph &graph_;
  const onnx::NodeProto &node_;
  std::string name_;
  bool failed_ = false;
  std::set<std::string> attrsRead_;
};

/// Converts one node; reports through OnnxNode::fail.
using OnnxConverter = void (*)(OnnxNode &node);
/// Computes a node whose inputs are all constants (shape arithmetic); returns
/// false with node.fail() called if it cannot.
using OnnxFolder = bool (*)(OnnxNode &node, const std::vector<const ConstTensor *> &inputs,
                            std::vector<ConstTensor> &outputs);

struct OnnxOpEntry {
  const char *opType;
  OnnxConverter convert = nullptr; // run-time inputs
  OnnxFolder fold = nullptr;       // all inputs constant
  int minInputs = 1;               // the inputs that must be given
};

/// The entry of an ONNX op type (default domain), or nullptr.
const OnnxOpEntry *findOnnxOp(const std::string &opType);

// Each family's entries (Onnx/Ops/*.cpp).
void addOnnxConvolutionOps(std::vector<OnnxOpEntry> &ops);
void addOnnxPoolingOps(std::vector<OnnxOpEntry> &ops);
void addOnnxNormalizationOps(std::vector<OnnxOpEntry> &ops);
void addOnnxElementwiseOps(std::vector<OnnxOpEntry> &ops);
void addOnnxDataMovementOps(std::vector<OnnxOpEntry> &ops);
void addOnnxShapeOps(std::vector<OnnxOpEntry> &ops);

/// The reader's state, shared by the converters of one model.
class OnnxGraph {
public:
  OnnxGraph(ErrorList &errors, int opset) : errors(errors), opset(opset) {}

  ErrorList &errors;
  int opset;
  std::map<std::string, OnnxValue> values;
  /// Initializers, by name (their ConstTensor made on first use as a constant).
  std::map<std::string, DecodedTensor> initializers;
  /// Static shapes of run-time values (the batch fixed) by ONNX name and by
  /// cnnc name, from the cnnc ops' own shape rules as nodes are emitted.
  std::map<std::string, std::vector<int64_t>> shapes;
  std::map<std::string, std::vector<int64_t>> cnncShapes;
  std::vector<nlohmann::json> nodes;
  std::set<std::string> usedNames;
  /// Every value some node or the graph's outputs read.
  std::set<std::string> consumed;

  std::string uniqueName(const std::string &base);
};

} // namespace cnnc::onnx_import

#endif // CNNC_IMPORT_ONNX_ONNXGRAPH_H
