//===- TransformSchedule.h - build and apply a transform schedule -*- C++ -*-===//
//
// cnnc's application passes turn the schedules written on ops
// (`codegen.schedule`) into a transform-dialect named sequence, built with
// the transform ops' C++ builders, and apply it to the module. This holds
// what they share: the sequence around the body, matching by attribute, and
// the clean-up that ends every tiling schedule.
//
//===----------------------------------------------------------------------===//
#ifndef CNNC_TRANSFORMS_TRANSFORMSCHEDULE_H
#define CNNC_TRANSFORMS_TRANSFORMSCHEDULE_H

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/ImplicitLocOpBuilder.h"
#include "mlir/Support/LLVM.h"

namespace cnnc {

/// Builds `@__transform_main(%root)` whose body `build` fills (it gets the
/// builder and %root; the sequence's yield is added after it), and applies
/// it to `module`. Failures are reported on `module`.
mlir::LogicalResult
applyTransformSchedule(mlir::ModuleOp module,
                       llvm::function_ref<void(mlir::ImplicitLocOpBuilder &, mlir::Value)> build);

/// `transform.structured.match ops{opNames} attributes{attrs} in %root`.
mlir::Value matchOps(mlir::ImplicitLocOpBuilder &b, mlir::Value root,
                     llvm::ArrayRef<llvm::StringRef> opNames, mlir::DictionaryAttr attrs);

/// `transform.structured.tile_using_for %target tile_sizes [sizes]`: the
/// tiled op's handle (the loops are not needed by cnnc's schedules).
mlir::Value tileUsingFor(mlir::ImplicitLocOpBuilder &b, mlir::Value target,
                         llvm::ArrayRef<int64_t> sizes);
/// `transform.structured.tile_using_forall %target tile_sizes [sizes]`.
mlir::Value tileUsingForall(mlir::ImplicitLocOpBuilder &b, mlir::Value target,
                            llvm::ArrayRef<int64_t> sizes);
/// `transform.structured.decompose` then `transform.structured.vectorize`.
void decomposeAndVectorize(mlir::ImplicitLocOpBuilder &b, mlir::Value target);
/// `transform.structured.vectorize`.
void vectorize(mlir::ImplicitLocOpBuilder &b, mlir::Value target);

/// The module's functions: `transform.structured.match ops{["func.func"]}`.
mlir::Value matchFunctions(mlir::ImplicitLocOpBuilder &b, mlir::Value root);
/// `transform.apply_patterns to %funcs { patterns(builder) }`.
void applyPatterns(mlir::ImplicitLocOpBuilder &b, mlir::Value funcs,
                   llvm::function_ref<void(mlir::OpBuilder &, mlir::Location)> patterns);

/// The end of a tiling schedule: CSE on `funcs`, then loop-invariant code
/// motion and hoisting of invariant subsets on every scf.for (keeps
/// accumulators in registers across the reduction loops).
void buildScheduleCleanup(mlir::ImplicitLocOpBuilder &b, mlir::Value root, mlir::Value funcs);

} // namespace cnnc

#endif
