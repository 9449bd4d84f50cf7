//===- Passes.h - cnnc passes ----------------------------------*- C++ -*-===//
#ifndef CNNC_PASSES_H
#define CNNC_PASSES_H

#include "mlir/Dialect/AMX/AMXDialect.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/OpenMP/OpenMPDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Transform/IR/TransformDialect.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Dialect/X86Vector/X86VectorDialect.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Pass/Pass.h"

#include "Codegen/CodegenDialect.h"

namespace cnnc {

/// The inference entry point, whose parameter transforms
/// cnnc-hoist-parameter-transforms computes once at load (`prepare`).
inline constexpr llvm::StringLiteral kForwardFunction = "forward";
/// The training step cnnc-build-train-step writes, whose parameters change
/// on every call.
inline constexpr llvm::StringLiteral kTrainStepFunction = "train_step";
/// The training step of one data-parallel replica (--data-parallel): the
/// same step with cross-replica sums of the statistics and gradients.
inline constexpr llvm::StringLiteral kTrainStepReplicatedFunction = "train_step_replicated";
/// Whether `name` is a training step, whose parameters change on every call.
inline bool isTrainStepFunction(llvm::StringRef name) {
  return name == kTrainStepFunction || name == kTrainStepReplicatedFunction;
}
/// The profiling hook cnnc-instrument-layers calls at each layer boundary.
inline constexpr llvm::StringLiteral kProfileMarkFunction = "cnnc_profile_mark";
/// A call of the profiling hook: it touches no buffer, so passes may move it
/// past the work of a layer (whose time then counts on another mark).
inline bool isProfileMark(mlir::Operation *op) {
  auto call = llvm::dyn_cast<mlir::func::CallOp>(op);
  return call && call.getCallee() == kProfileMarkFunction;
}

#define GEN_PASS_DECL
#include "Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "Passes.h.inc"

} // namespace cnnc

#endif // CNNC_PASSES_H
