//===- BlockChainForall.h - one parallel loop per filter-block chain -*- C++ -*-===//
//
// cnnc-block-conv-filters splits a conv with a large filter into one conv
// per 64-channel filter block, and cnnc-fuse-conv-epilogues gives each block
// its own initializer and epilogue: a chain of identical clusters of ops,
// each inserted into its channel range of the output. Tiled one by one,
// every block became its own parallel region (a fork and a join per block:
// 32 per conv for ResNet-50's 512 -> 2048 layers), and a block of 7 rows
// split 4 : 3 between two threads. Here the chain becomes one scf.forall
// over the blocks, whose body is the first block's cluster with the
// per-block values (filter, channel offsets) selected by the block index.
//
//===----------------------------------------------------------------------===//
#ifndef CNNC_TRANSFORMS_BLOCKCHAINFORALL_H
#define CNNC_TRANSFORMS_BLOCKCHAINFORALL_H

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/PatternMatch.h"

namespace cnnc {

/// Rewrites every filter-block chain in `module` whose block convs all
/// satisfy `wanted` into one scf.forall over its blocks. Returns the
/// foralls built.
llvm::SmallVector<mlir::scf::ForallOp>
groupBlockChains(mlir::RewriterBase &rewriter, mlir::ModuleOp module,
                 llvm::function_ref<bool(mlir::linalg::Conv2DNhwcHwcfOp)> wanted);

} // namespace cnnc

#endif
