//===- FuseGpuLoopNests.cpp - adjacent nests meeting at one element fused ===//

#include "BufferRanges.h"
#include "Passes.h"

#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

namespace cnnc {
#define GEN_PASS_DEF_FUSEGPULOOPNESTSPASS
#include "Passes.h.inc"
} // namespace cnnc

using namespace mlir;

namespace {

/// One load or store of a nest's body.
struct Access {
  Value buffer;
  ValueRange indices;
};

/// A nest's loads, then its stores.
using Accesses = std::pair<SmallVector<Access>, SmallVector<Access>>;

/// A nest's loads and stores, or none if its body does anything else to
/// memory (atomics, calls, nested parallel loops).
std::optional<Accesses> accessesOf(scf::ParallelOp nest) {
  SmallVector<Access> loads, stores;
  WalkResult walk = nest.getBody()->walk([&](Operation *op) {
    if (auto load = dyn_cast<memref::LoadOp>(op))
      loads.push_back({load.getMemRef(), load.getIndices()});
    else if (auto store = dyn_cast<memref::StoreOp>(op))
      stores.push_back({store.getMemRef(), store.getIndices()});
    else if (isa<scf::ParallelOp>(op) ||
             (!isa<scf::ForOp, scf::IfOp, scf::YieldOp, scf::ReduceOp>(op) &&
              !isMemoryEffectFree(op)))
      return WalkResult::interrupt();
    return WalkResult::advance();
  });
  if (walk.wasInterrupted())
    return std::nullopt;
  return Accesses(loads, stores);
}

bool sameValues(ValueRange a, ValueRange b) {
  return a.size() == b.size() && llvm::all_of(llvm::zip(a, b), [](auto pair) {
           auto [x, y] = pair;
           if (x == y)
             return true;
           auto cx = getConstantIntValue(x), cy = getConstantIntValue(y);
           return cx && cy && *cx == *cy;
         });
}

/// True if no store of one nest may touch bytes the other accesses: the two
/// nests may run in either order.
bool commute(const Accesses &a, const Accesses &b) {
  auto disjoint = [](ArrayRef<Access> xs, ArrayRef<Access> ys) {
    return llvm::none_of(xs, [&](const Access &x) {
      return llvm::any_of(ys, [&](const Access &y) {
        return cnnc::mayOverlap(x.buffer, y.buffer);
      });
    });
  };
  return disjoint(a.second, b.first) && disjoint(a.second, b.second) &&
         disjoint(a.first, b.second);
}

/// True if `first`'s body may run before `second`'s in each iteration: every
/// pair of accesses, one of them a store, that may touch the same bytes is
/// the same buffer at the same induction variables.
bool fusable(scf::ParallelOp first, const Accesses &a, scf::ParallelOp second,
             const Accesses &b) {
  if (!sameValues(first.getLowerBound(), second.getLowerBound()) ||
      !sameValues(first.getUpperBound(), second.getUpperBound()) ||
      !sameValues(first.getStep(), second.getStep()))
    return false;
  auto sameElement = [&](const Access &x, const Access &y) {
    if (x.buffer != y.buffer || x.indices.size() != y.indices.size())
      return false;
    for (auto [i, j] : llvm::zip(x.indices, y.indices)) {
      auto ivX = dyn_cast<BlockArgument>(i), ivY = dyn_cast<BlockArgument>(j);
      if (!ivX || !ivY || ivX.getOwner() != first.getBody() ||
          ivY.getOwner() != second.getBody() || ivX.getArgNumber() != ivY.getArgNumber())
        return false;
    }
    return true;
  };
  auto compatible = [&](ArrayRef<Access> xs, ArrayRef<Access> ys) {
    for (const Access &x : xs)
      for (const Access &y : ys)
        if (cnnc::mayOverlap(x.buffer, y.buffer) && !sameElement(x, y))
          return false;
    return true;
  };
  return compatible(a.second, b.first) && compatible(a.first, b.second) &&
         compatible(a.second, b.second);
}

/// Puts `first`'s body at the start of `second`'s, and the profiling marks
/// between them after `second`.
void fuse(scf::ParallelOp first, scf::ParallelOp second) {
  SmallVector<Operation *> marks;
  for (Operation *op = first->getNextNode(); op != second; op = op->getNextNode())
    if (cnnc::isProfileMark(op))
      marks.push_back(op);
  for (Operation *mark : llvm::reverse(marks))
    mark->moveAfter(second);
  IRMapping ivs;
  ivs.map(first.getInductionVars(), second.getInductionVars());
  OpBuilder builder = OpBuilder::atBlockBegin(second.getBody());
  for (Operation &op : first.getBody()->without_terminator())
    builder.clone(op, ivs);
  first.erase();
}

/// How many earlier nests a nest looks back over for one to fuse with.
constexpr size_t kLookBack = 4;

struct FuseGpuLoopNestsPass : cnnc::impl::FuseGpuLoopNestsPassBase<FuseGpuLoopNestsPass> {
  void runOnOperation() override {
    for (auto func : getOperation().getOps<func::FuncOp>()) {
      if (func.isExternal())
        continue;
      // The nests since the last op that no nest may move past, with their
      // accesses: a nest fuses with an earlier one that commutes with every
      // nest between them (a pad's fill between a conv and its ReLU).
      SmallVector<std::pair<scf::ParallelOp, Accesses>> window;
      for (Operation &op : llvm::make_early_inc_range(func.getBody().front())) {
        auto nest = dyn_cast<scf::ParallelOp>(op);
        if (!nest) {
          if (!cnnc::isProfileMark(&op) &&
              (!isMemoryEffectFree(&op) || op.getNumRegions() != 0))
            window.clear();
          continue;
        }
        std::optional<Accesses> accesses = accessesOf(nest);
        if (!accesses) {
          window.clear();
          continue;
        }
        for (size_t i = window.size(); i-- > 0;) {
          auto &[earlier, earlierAccesses] = window[i];
          bool movable = llvm::all_of(llvm::drop_begin(window, i + 1), [&](auto &between) {
            return commute(earlierAccesses, between.second);
          });
          if (!movable || !fusable(earlier, earlierAccesses, nest, *accesses))
            continue;
          fuse(earlier, nest);
          window.erase(window.begin() + i);
          accesses = accessesOf(nest);
          break;
        }
        window.emplace_back(nest, std::move(*accesses));
        if (window.size() > kLookBack)
          window.erase(window.begin());
      }
    }
  }
};

} // namespace
