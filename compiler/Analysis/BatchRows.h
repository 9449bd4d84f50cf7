//===- BatchRows.h - may a batch below the compiled one run? ----*- C++ -*-===//
#ifndef CNNC_ANALYSIS_BATCHROWS_H
#define CNNC_ANALYSIS_BATCHROWS_H

#include "mlir/Dialect/Func/IR/FuncOps.h"

#include <cstdint>

namespace cnnc {

/// True when row n of every output of `forward` depends on row n of the
/// inputs only: every input (argument with cnn.input) and result leads with `batch`, and no op moves
/// data along dimension 0 (softmax, concat or slice on axis 0). Then a
/// library compiled for batch N runs a batch B < N as N rows of which the
/// last N - B are padding (docs/abi.md); the training step's padding rows
/// are masked by their labels.
bool batchRowsIndependent(mlir::func::FuncOp forward, int64_t batch);

} // namespace cnnc

#endif
