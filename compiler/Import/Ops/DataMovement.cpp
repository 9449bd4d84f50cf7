//===- DataMovement.cpp - import rules of the data-movement ops ----------===//

#include "Import/OpImportRule.h"

#include "Cnn/CnnDialect.h"

#include <algorithm>

namespace cnnc {

using namespace mlir;

namespace {

OpImportRule concat() {
  OpImportRule r;
  r.name = "concat";
  r.dialectOp = cnn::ConcatOp::getOperationName();
  r.minInputs = 1;
  r.maxInputs = -1;
  r.attrs = {{"axis", AttrKind::Int, false, {1}}};
  r.inferShape = [](const NodeDesc &n, ArrayRef<Shape> in, ArrayRef<Shape>) {
    if (auto checked = rules::checkAxis(n, in[0], "axis"); !checked.ok())
      return checked;
    std::vector<ArrayRef<int64_t>> shapes(in.begin(), in.end());
    return cnn::shape::concat(shapes, rules::resolvedAxis(n, in, "axis"));
  };
  r.attributes = [](const NodeDesc &n, ArrayRef<Shape> in, Builder &b, NamedAttrList &attrs) {
    attrs.append("axis", b.getI64IntegerAttr(rules::resolvedAxis(n, in, "axis")));
  };
  return r;
}

OpImportRule flatten() {
  OpImportRule r;
  r.name = "flatten";
  r.dialectOp = cnn::FlattenOp::getOperationName();
  r.minInputs = r.maxInputs = 1;
  r.inferShape = [](const NodeDesc &, ArrayRef<Shape> in, ArrayRef<Shape>) {
    return cnn::shape::flatten(in[0]);
  };
  return r;
}

OpImportRule channelShuffle() {
  OpImportRule r;
  r.name = "channel_shuffle";
  r.dialectOp = cnn::ChannelShuffleOp::getOperationName();
  r.minInputs = r.maxInputs = 1;
  r.attrs = {{"groups", AttrKind::Int, true, {}, 0, false, AttrRange::Positive}};
  r.inferShape = [](const NodeDesc &n, ArrayRef<Shape> in, ArrayRef<Shape>) {
    return cnn::shape::channelShuffle(in[0], n.integer("groups"));
  };
  r.attributes = [](const NodeDesc &n, ArrayRef<Shape>, Builder &b, NamedAttrList &attrs) {
    attrs.append("groups", b.getI64IntegerAttr(n.integer("groups")));
  };
  return r;
}

/// Python slicing of one axis: negative bounds count from the end, then clamp.
int64_t sliceBound(int64_t v, int64_t dim) { return std::clamp<int64_t>(v < 0 ? v + dim : v, 0, dim); }

OpImportRule slice() {
  OpImportRule r;
  r.name = "slice";
  r.dialectOp = cnn::SliceOp::getOperationName();
  r.minInputs = r.maxInputs = 1;
  r.attrs = {{"axis", AttrKind::Int, false, {1}},
             {"start", AttrKind::Int, true, {}},
             {"end", AttrKind::Int, true, {}}};
  r.inferShape = [](const NodeDesc &n, ArrayRef<Shape> in, ArrayRef<Shape>) {
    if (auto checked = rules::checkAxis(n, in[0], "axis"); !checked.ok())
      return checked;
    int64_t a = rules::resolvedAxis(n, in, "axis");
    int64_t dim = in[0][a];
    int64_t start = sliceBound(n.integer("start"), dim), end = sliceBound(n.integer("end"), dim);
    if (start >= end)
      return ShapeOrError::fail("slice [" + std::to_string(n.integer("start")) + ":" +
                                std::to_string(n.integer("end")) + "] of axis " +
                                std::to_string(a) + " of " + cnn::shape::toString(in[0]) +
                                " is empty");
    return cnn::shape::slice(in[0], a, start, end);
  };
  r.attributes = [](const NodeDesc &n, ArrayRef<Shape> in, Builder &b, NamedAttrList &attrs) {
    int64_t a = rules::resolvedAxis(n, in, "axis");
    int64_t dim = in[0][a];
    attrs.append("axis", b.getI64IntegerAttr(a));
    attrs.append("start", b.getI64IntegerAttr(sliceBound(n.integer("start"), dim)));
    attrs.append("end", b.getI64IntegerAttr(sliceBound(n.integer("end"), dim)));
  };
  return r;
}

/// x.permute(dims).
OpImportRule permute() {
  OpImportRule r;
  r.name = "permute";
  r.dialectOp = cnn::PermuteOp::getOperationName();
  r.minInputs = r.maxInputs = 1;
  r.attrs = {{"dims", AttrKind::Ints, true, {}, 0, false, AttrRange::Any}};
  r.inferShape = [](const NodeDesc &n, ArrayRef<Shape> in, ArrayRef<Shape>) {
    SmallVector<int64_t> dims(n.ints("dims").begin(), n.ints("dims").end());
    for (int64_t &d : dims)
      if (d < 0)
        d += in[0].size();
    return cnn::shape::permute(in[0], dims);
  };
  r.attributes = [](const NodeDesc &n, ArrayRef<Shape> in, Builder &b, NamedAttrList &attrs) {
    SmallVector<int64_t> dims(n.ints("dims").begin(), n.ints("dims").end());
    for (int64_t &d : dims)
      if (d < 0)
        d += in[0].size();
    attrs.append("dims", b.getDenseI64ArrayAttr(dims));
  };
  return r;
}

} // namespace

void addDataMovementRules(std::vector<OpImportRule> &rules) {
  rules.push_back(permute());
  rules.push_back(concat());
  rules.push_back(flatten());
  rules.push_back(channelShuffle());
  rules.push_back(slice());
}

} // namespace cnnc
