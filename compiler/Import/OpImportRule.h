//===- OpImportRule.h - one registry entry per importable op ----*- C++ -*-===//
//
// Everything the importer knows about one op of the model format, in one
// entry: its attributes (kinds, defaults, ranges), its parameters (roles,
// shapes, default initialization), its output shape and the attributes of the
// cnn op it builds. Both readers (JSON and ONNX) produce nodes in this
// vocabulary; validation and IR construction read only these entries, so
// adding an op is one entry in its family's file under Import/Ops/.
//
//===----------------------------------------------------------------------===//
#ifndef CNNC_IMPORT_OPIMPORTRULE_H
#define CNNC_IMPORT_OPIMPORTRULE_H

#include "Import/ModelDescription.h"

#include "Cnn/ShapeInference.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/OperationSupport.h"

#include <functional>

namespace cnnc {

using mlir::cnn::shape::Shape;
using mlir::cnn::shape::ShapeOrError;

enum class AttrKind { Int, Pair, Padding, Bool, Float, Ints, String };

/// What values an attribute may take beyond its kind.
enum class AttrRange {
  Any,
  Positive,    // every integer > 0 (a count, a kernel, a stride)
  NonNegative, // every value >= 0 (a padding, an epsilon)
  Probability, // a number in [0, 1)
};

struct AttrSpec {
  const char *name;
  AttrKind kind;
  bool required;
  // Default: ints for Int/Pair/Padding/Ints, number for Float, flag for Bool.
  std::vector<int64_t> defInts;
  double defNumber = 0;
  bool defFlag = false;
  AttrRange range = AttrRange::Any;
  /// When absent, the value of this other attribute (a pool's stride is its
  /// kernel); nullptr for none.
  const char *defaultFrom = nullptr;
  /// String: the default and the values allowed (the first is the default).
  std::vector<std::string> choices = {};
};

/// How a parameter is initialized when the model names no weights (PyTorch's
/// defaults for the module the op comes from).
enum class ParamInit {
  Zeros,
  Ones,
  /// U(-1/sqrt(fan_in), 1/sqrt(fan_in)), fan_in from the node's "weight"
  /// (nn.Conv2d and nn.Linear: kaiming_uniform(a=sqrt(5)) for the weight,
  /// the same bound for the bias).
  FanInUniform,
  /// As FanInUniform for a weight stored [in, out] (matmul): fan_in is the
  /// weight's first dimension.
  FanInUniformInputsFirst,
  /// Every element `value` (ConvNeXt's layer scale).
  Constant,
};

struct ParamRole {
  std::string name;
  ParamInit init;
  float value = 0; // for ParamInit::Constant
};

struct OpImportRule {
  /// The op's name in the model file.
  std::string name;
  /// The cnn op it builds (e.g. cnn::Conv2dOp::getOperationName()).
  llvm::StringRef dialectOp;
  int minInputs, maxInputs; // maxInputs < 0: unbounded
  std::vector<AttrSpec> attrs;
  /// The learnable or stateful parameters, in state_dict order (none if unset).
  std::function<std::vector<ParamRole>(const NodeDesc &)> params;
  /// Their shapes given the first input's shape (unset: no parameters).
  std::function<std::vector<Shape>(const NodeDesc &, llvm::ArrayRef<int64_t>)> paramShapes;
  /// The output shape (unset: the first input's), or why there is none.
  std::function<ShapeOrError(const NodeDesc &, llvm::ArrayRef<Shape> inputs,
                             llvm::ArrayRef<Shape> params)>
      inferShape;
  /// The built op's attributes (unset: none).
  std::function<void(const NodeDesc &, llvm::ArrayRef<Shape> inputs, mlir::Builder &,
                     mlir::NamedAttrList &)>
      attributes;
  /// Builds the node's IR when it is more than one op of `dialectOp` over
  /// its inputs and parameters (unset: that op); returns the node's value.
  std::function<mlir::Value(const NodeDesc &, mlir::OpBuilder &, mlir::Location,
                            llvm::ArrayRef<mlir::Value> inputs,
                            llvm::ArrayRef<mlir::Value> params, mlir::Type result)>
      build;
};

/// A node's parameter shapes and output shape, from its inputs' shapes.
struct NodeShapes {
  std::vector<Shape> params;
  ShapeOrError output;
};
NodeShapes inferNodeShapes(const NodeDesc &n, llvm::ArrayRef<Shape> inputs);

/// The entry of op `name`, or nullptr.
const OpImportRule *findImportRule(const std::string &name);
/// Every entry, in the order of the families below.
const std::vector<OpImportRule> &importRules();

// Each family's entries (Import/Ops/*.cpp).
void addConvolutionRules(std::vector<OpImportRule> &rules);
void addPoolingRules(std::vector<OpImportRule> &rules);
void addNormalizationRules(std::vector<OpImportRule> &rules);
void addElementwiseRules(std::vector<OpImportRule> &rules);
void addDataMovementRules(std::vector<OpImportRule> &rules);

/// Shared pieces of entries.
namespace rules {
/// `axis` (as written, possibly negative) resolved against a rank, after
/// checking it is in range; the error names the shape.
ShapeOrError checkAxis(const NodeDesc &n, llvm::ArrayRef<int64_t> input, const char *attr);
int64_t resolvedAxis(const NodeDesc &n, llvm::ArrayRef<Shape> inputs, const char *attr);
/// The first input's shape, unchanged (elementwise ops).
ShapeOrError sameAsInput(const NodeDesc &, llvm::ArrayRef<Shape> inputs,
                         llvm::ArrayRef<Shape>);
} // namespace rules

} // namespace cnnc

#endif // CNNC_IMPORT_OPIMPORTRULE_H
