//===- LowerAllocaScopes.cpp - alloca scopes as stack save and restore -----===//
//
// `memref.alloca_scope` (convert-scf-to-openmp wraps each parallel
// iteration in one) as its LLVM lowering has it: the stack pointer saved
// before the body, inlined, and restored after. Done while each scope's
// region is still one block: convert-scf-to-cf would split it around the
// loops inside (the AMX blocks' buffers keep such scopes alive, where
// canonicalization inlines empty ones), which the op does not allow.
//
//===----------------------------------------------------------------------===//

#include "Passes.h"

namespace cnnc {
#define GEN_PASS_DEF_LOWERALLOCASCOPESPASS
#include "Passes.h.inc"
} // namespace cnnc

using namespace mlir;

namespace {

struct LowerAllocaScopesPass : cnnc::impl::LowerAllocaScopesPassBase<LowerAllocaScopesPass> {
  void runOnOperation() override {
    SmallVector<memref::AllocaScopeOp> scopes;
    getOperation().walk([&](memref::AllocaScopeOp scope) { scopes.push_back(scope); });
    IRRewriter rewriter(&getContext());
    // Innermost first (post-order walk): an outer scope inlines lowered bodies.
    for (memref::AllocaScopeOp scope : scopes) {
      if (!scope.getBodyRegion().hasOneBlock()) {
        scope.emitOpError("cnnc-lower-alloca-scopes: expected a single-block body");
        return signalPassFailure();
      }
      Location loc = scope.getLoc();
      rewriter.setInsertionPoint(scope);
      Value stack =
          LLVM::StackSaveOp::create(rewriter, loc, LLVM::LLVMPointerType::get(&getContext()));
      Block *body = &scope.getBodyRegion().front();
      auto ret = cast<memref::AllocaScopeReturnOp>(body->getTerminator());
      SmallVector<Value> results(ret.getResults());
      rewriter.eraseOp(ret);
      rewriter.inlineBlockBefore(body, scope);
      LLVM::StackRestoreOp::create(rewriter, loc, stack);
      rewriter.replaceOp(scope, results);
    }
  }
};

} // namespace
