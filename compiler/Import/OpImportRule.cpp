//===- OpImportRule.cpp - the registry of import rules --------------------===//

#include "Import/OpImportRule.h"

#include <map>

namespace cnnc {

const std::vector<OpImportRule> &importRules() {
  static const std::vector<OpImportRule> all = [] {
    std::vector<OpImportRule> r;
    addConvolutionRules(r);
    addPoolingRules(r);
    addNormalizationRules(r);
    addElementwiseRules(r);
    addDataMovementRules(r);
    return r;
  }();
  return all;
}

const OpImportRule *findImportRule(const std::string &name) {
  static const std::map<std::string, const OpImportRule *> byName = [] {
    std::map<std::string, const OpImportRule *> m;
    for (const auto &r : importRules())
      m[r.name] = &r;
    return m;
  }();
  auto it = byName.find(name);
  return it == byName.end() ? nullptr : it->second;
}

NodeShapes inferNodeShapes(const NodeDesc &n, llvm::ArrayRef<Shape> inputs) {
  const OpImportRule &rule = *n.rule;
  NodeShapes r;
  if (rule.paramShapes)
    r.params = rule.paramShapes(n, inputs[0]);
  r.output = rule.inferShape ? rule.inferShape(n, inputs, r.params)
                             : rules::sameAsInput(n, inputs, r.params);
  return r;
}

namespace rules {

ShapeOrError checkAxis(const NodeDesc &n, llvm::ArrayRef<int64_t> input, const char *attr) {
  // Checked before a negative axis is resolved, so that the message shows the
  // axis as written.
  int64_t a = n.integer(attr), rank = (int64_t)input.size();
  if (a < -rank || a >= rank)
    return ShapeOrError::fail("axis " + std::to_string(a) + " is out of range for " +
                              mlir::cnn::shape::toString(input) + " (rank " +
                              std::to_string(rank) + ")");
  return mlir::cnn::shape::axisCheck(input, a < 0 ? a + rank : a);
}

int64_t resolvedAxis(const NodeDesc &n, llvm::ArrayRef<Shape> inputs, const char *attr) {
  int64_t a = n.integer(attr);
  return a < 0 ? a + (int64_t)inputs[0].size() : a;
}

ShapeOrError sameAsInput(const NodeDesc &, llvm::ArrayRef<Shape> inputs,
                         llvm::ArrayRef<Shape>) {
  return {inputs[0], ""};
}

} // namespace rules

} // namespace cnnc
