//===- CpuPipeline.h - cnn -> LLVM dialect for x86-64 -----------*- C++ -*-===//
#ifndef CNNC_CODEGEN_CPUPIPELINE_H
#define CNNC_CODEGEN_CPUPIPELINE_H

#include "mlir/IR/BuiltinOps.h"

#include <functional>
#include <string>

namespace cnnc {

/// Where the pipeline may stop (`--emit=linalg|llvm`).
enum class Stage { Linalg, LLVMDialect };

/// Runs the named passes that take the imported cnn module to the LLVM
/// dialect. `pipelineText` receives the textual pipeline of each phase (for
/// docs and reproduction with cnnc-opt).
mlir::LogicalResult lowerToLinalg(mlir::ModuleOp module);
/// Tiles and vectorizes the compute-heavy linalg ops (skipped at -O0).
mlir::LogicalResult scheduleLinalg(mlir::ModuleOp module, unsigned optLevel);
mlir::LogicalResult lowerLinalgToLLVM(mlir::ModuleOp module);

/// nvptx: bufferize, plan memory, map every loop nest to GPU blocks and
/// threads, outline kernels and compile them to PTX (gpu.binary ops).
mlir::LogicalResult lowerLinalgToPtx(mlir::ModuleOp module, const std::string &chip);
/// nvptx: the host side (launches through MLIR's mgpu* interface) to LLVM.
mlir::LogicalResult lowerGpuHostToLLVM(mlir::ModuleOp module);

/// The textual pass pipelines (nested in builtin.module), reproducible with
/// cnnc-opt --pass-pipeline='builtin.module(...)'.
std::string linalgPipeline();
std::string schedulePipeline(unsigned optLevel);
std::string llvmPipeline();
std::string gpuPipeline(const std::string &chip);
std::string gpuHostPipeline();

} // namespace cnnc

#endif
