//===- TransformSchedule.cpp - build and apply a transform schedule --------===//

#include "Transforms/TransformSchedule.h"

#include "mlir/Dialect/Linalg/TransformOps/LinalgTransformOps.h"
#include "mlir/Dialect/Transform/IR/TransformDialect.h"
#include "mlir/Dialect/Transform/IR/TransformOps.h"
#include "mlir/Dialect/Transform/IR/TransformTypes.h"
#include "mlir/Dialect/Transform/LoopExtension/LoopExtensionOps.h"
#include "mlir/Dialect/Transform/Transforms/TransformInterpreterUtils.h"

using namespace mlir;

namespace cnnc {

namespace {
Type anyOp(ImplicitLocOpBuilder &b) { return transform::AnyOpType::get(b.getContext()); }
} // namespace

LogicalResult
applyTransformSchedule(ModuleOp module,
                       function_ref<void(ImplicitLocOpBuilder &, Value)> build) {
  MLIRContext *ctx = module.getContext();
  ctx->getOrLoadDialect<transform::TransformDialect>();
  OpBuilder top(ctx);
  OwningOpRef<ModuleOp> schedule = ModuleOp::create(module.getLoc());
  (*schedule)->setAttr(transform::TransformDialect::kWithNamedSequenceAttrName,
                       UnitAttr::get(ctx));
  top.setInsertionPointToEnd(schedule->getBody());
  auto entry = transform::NamedSequenceOp::create(
      top, module.getLoc(), transform::TransformDialect::kTransformEntryPointSymbolName,
      transform::AnyOpType::get(ctx), TypeRange{},
      [&](OpBuilder &b, Location loc, BlockArgument root) {
        ImplicitLocOpBuilder ib(loc, b);
        build(ib, root);
        transform::YieldOp::create(b, loc);
      });
  entry.setArgAttr(0, transform::TransformDialect::kArgReadOnlyAttrName, UnitAttr::get(ctx));
  return transform::applyTransformNamedSequence(module, entry, *schedule,
                                                transform::TransformOptions());
}

Value matchOps(ImplicitLocOpBuilder &b, Value root, ArrayRef<StringRef> opNames,
               DictionaryAttr attrs) {
  ArrayAttr ops = opNames.empty() ? ArrayAttr() : b.getStrArrayAttr(opNames);
  return transform::MatchOp::create(b, anyOp(b), root, ops, transform::MatchInterfaceEnumAttr(),
                                    attrs, TypeAttr(), ArrayAttr());
}

Value tileUsingFor(ImplicitLocOpBuilder &b, Value target, ArrayRef<int64_t> sizes) {
  int64_t loops = llvm::count_if(sizes, [](int64_t s) { return s != 0; });
  SmallVector<Type> loopTypes(loops, anyOp(b));
  auto op = transform::TileUsingForOp::create(b, loopTypes, target, sizes);
  return op.getTiledLinalgOp();
}

Value tileUsingForall(ImplicitLocOpBuilder &b, Value target, ArrayRef<int64_t> sizes) {
  auto op = transform::TileUsingForallOp::create(b, target, sizes, transform::TileSizesSpec(),
                                                 ArrayAttr());
  return op.getTiledOp();
}

void vectorize(ImplicitLocOpBuilder &b, Value target) {
  transform::VectorizeOp::create(b, target, ValueRange{}, ArrayRef<int64_t>{}, UnitAttr(),
                                 UnitAttr(), UnitAttr());
}

void decomposeAndVectorize(ImplicitLocOpBuilder &b, Value target) {
  Value decomposed = transform::DecomposeOp::create(b, anyOp(b), target);
  vectorize(b, decomposed);
}

Value matchFunctions(ImplicitLocOpBuilder &b, Value root) {
  return matchOps(b, root, {"func.func"}, DictionaryAttr());
}

void applyPatterns(ImplicitLocOpBuilder &b, Value funcs,
                   function_ref<void(OpBuilder &, Location)> patterns) {
  transform::ApplyPatternsOp::create(b, funcs, patterns);
}

void buildScheduleCleanup(ImplicitLocOpBuilder &b, Value root, Value funcs) {
  transform::ApplyCommonSubexpressionEliminationOp::create(b, funcs);
  Value loops = matchOps(b, root, {"scf.for"}, DictionaryAttr());
  transform::ApplyLoopInvariantCodeMotionOp::create(b, loops);
  transform::HoistLoopInvariantSubsetsOp::create(b, loops);
}

} // namespace cnnc
