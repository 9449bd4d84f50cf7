//===- LowerCopies.cpp - memref.copy to linalg.copy ------------------------===//

#include "Passes.h"

namespace cnnc {
#define GEN_PASS_DEF_LOWERCOPIESPASS
#include "Passes.h.inc"
} // namespace cnnc

using namespace mlir;

namespace {
struct LowerCopiesPass : cnnc::impl::LowerCopiesPassBase<LowerCopiesPass> {
  void runOnOperation() override {
    SmallVector<memref::CopyOp> copies;
    getOperation().walk([&](memref::CopyOp c) { copies.push_back(c); });
    for (memref::CopyOp c : copies) {
      OpBuilder b(c);
      if (c.getSource() != c.getTarget())
        linalg::CopyOp::create(b, c.getLoc(), c.getSource(), c.getTarget());
      c.erase();
    }
  }
};
} // namespace
