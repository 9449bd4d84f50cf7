//===- GeneratedSchedule.h - run a transform schedule built as text -*- C++ -*-===//
//
// cnnc's scheduling passes choose tile sizes per op, write a transform-dialect
// script for them and apply it to the module; the parsing and application,
// and the clean-up that ends the tiling schedules, are shared here.
//
//===----------------------------------------------------------------------===//
#ifndef CNNC_TRANSFORMS_GENERATEDSCHEDULE_H
#define CNNC_TRANSFORMS_GENERATEDSCHEDULE_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Support/LLVM.h"

namespace cnnc {

/// The end of a tiling schedule whose `%funcs` (the module's functions) and
/// `%root` are bound: CSE, loop-invariant code motion and hoisting of
/// invariant subsets (keeps accumulators in registers), then the closing of
/// `@__transform_main` and its module.
extern const char *const kScheduleCleanupAndEnd;

/// Parses `text`, a module holding `@__transform_main`, and applies it to
/// `module`. A schedule that does not parse is an internal error reported
/// on `module` under `passName`.
mlir::LogicalResult applyGeneratedSchedule(mlir::ModuleOp module, llvm::StringRef text,
                                           llvm::StringRef passName);

} // namespace cnnc

#endif
