//===- TileGpuLoopNests.cpp - register tiles of a reduction nest's outputs ===//

#include "Passes.h"

#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/IRMapping.h"

namespace cnnc {
#define GEN_PASS_DEF_TILEGPULOOPNESTSPASS
#include "Passes.h.inc"
} // namespace cnnc

using namespace mlir;

namespace {

/// A parallel nest's body: straight-line ops, one perfect nest of
/// sequential loops, straight-line ops.
struct ReductionNest {
  SmallVector<Operation *> before, after;
  SmallVector<scf::ForOp> loops; // outermost first
  Block *innermost() { return loops.back().getBody(); }
};

/// A block's ops around its one sequential loop (none if it has none):
/// straight-line ops before and after it. Nothing if another op has regions
/// or there are two loops.
struct AroundLoop {
  SmallVector<Operation *> before, after;
  scf::ForOp loop;
};
std::optional<AroundLoop> splitAroundLoop(Block *block) {
  AroundLoop parts;
  for (Operation &op : block->without_terminator()) {
    if (auto loop = dyn_cast<scf::ForOp>(op)) {
      if (parts.loop)
        return std::nullopt;
      parts.loop = loop;
    } else if (op.getNumRegions() != 0) {
      return std::nullopt;
    } else {
      (parts.loop ? parts.after : parts.before).push_back(&op);
    }
  }
  return parts;
}

std::optional<ReductionNest> matchReductionNest(scf::ParallelOp nest) {
  std::optional<AroundLoop> top = splitAroundLoop(nest.getBody());
  if (!top || !top->loop)
    return std::nullopt;
  ReductionNest n{top->before, top->after, {}};
  for (scf::ForOp loop = top->loop; loop;) {
    // The jammed loops are shared by the tile's elements: their bounds must
    // not depend on anything inside the nest.
    if (!loop.getInitArgs().empty() ||
        llvm::any_of(ValueRange{loop.getLowerBound(), loop.getUpperBound(), loop.getStep()},
                     [&](Value v) { return nest.getRegion().isAncestor(v.getParentRegion()); }))
      return std::nullopt;
    n.loops.push_back(loop);
    std::optional<AroundLoop> level = splitAroundLoop(loop.getBody());
    // A perfect nest: a loop level holds its inner loop and nothing else.
    if (!level || (level->loop && (!level->before.empty() || !level->after.empty())))
      return std::nullopt;
    loop = level->loop;
  }
  return n;
}

/// True if `v` is computed, inside `nest`, from its induction variable `iv`.
bool dependsOn(Value v, Value iv, scf::ParallelOp nest, DenseMap<Value, bool> &memo) {
  if (v == iv)
    return true;
  Operation *def = v.getDefiningOp();
  if (!def || !nest->isAncestor(def))
    return false;
  if (auto it = memo.find(v); it != memo.end())
    return it->second;
  bool result = llvm::any_of(def->getOperands(),
                             [&](Value operand) { return dependsOn(operand, iv, nest, memo); });
  memo[v] = result;
  return result;
}

struct TileGpuLoopNestsPass : cnnc::impl::TileGpuLoopNestsPassBase<TileGpuLoopNestsPass> {
  using TileGpuLoopNestsPassBase::TileGpuLoopNestsPassBase;

  void runOnOperation() override {
    for (auto func : getOperation().getOps<func::FuncOp>())
      for (auto nest : llvm::make_early_inc_range(func.getBody().getOps<scf::ParallelOp>()))
        tile(nest);
  }

  void tile(scf::ParallelOp nest) {
    unsigned rank = nest.getNumLoops();
    std::optional<ReductionNest> body = matchReductionNest(nest);
    if (!body || rank < 1 || !nest.getInitVals().empty())
      return;
    SmallVector<int64_t> extents;
    for (unsigned d = 0; d < rank; ++d) {
      auto lb = getConstantIntValue(nest.getLowerBound()[d]);
      auto ub = getConstantIntValue(nest.getUpperBound()[d]);
      auto step = getConstantIntValue(nest.getStep()[d]);
      if (!lb || !ub || !step || *lb != 0 || *step != 1)
        return;
      extents.push_back(*ub);
    }
    int64_t threads = 1;
    for (int64_t e : extents)
      threads *= e;

    // A dimension is worth tiling where some load of the innermost body
    // does not depend on it: that load is then made once per tile.
    auto reused = [&](unsigned d) {
      DenseMap<Value, bool> memo;
      Value iv = nest.getInductionVars()[d];
      return llvm::any_of(body->innermost()->getOps<memref::LoadOp>(), [&](memref::LoadOp load) {
        return llvm::none_of(load->getOperands(),
                             [&](Value v) { return dependsOn(v, iv, nest, memo); });
      });
    };
    SmallVector<int64_t> factors(rank, 1);
    auto choose = [&](unsigned d, int64_t most) {
      if (!reused(d))
        return;
      for (int64_t t = llvm::bit_floor(uint64_t(std::max<int64_t>(most, 1))); t >= 2; t /= 2)
        if (extents[d] % t == 0 && threads / t >= minThreads) {
          factors[d] = t;
          threads /= t;
          return;
        }
    };
    choose(rank - 1, channelTile);
    if (rank >= 2)
      choose(rank - 2, rowTile);
    if (llvm::all_of(factors, [](int64_t f) { return f == 1; }))
      return;

    OpBuilder b(nest);
    Location loc = nest.getLoc();
    auto index = [&](OpBuilder &builder, int64_t v) -> Value {
      return arith::ConstantIndexOp::create(builder, loc, v);
    };
    SmallVector<Value> lbs, ubs, steps;
    for (unsigned d = 0; d < rank; ++d) {
      lbs.push_back(index(b, 0));
      ubs.push_back(index(b, extents[d] / factors[d]));
      steps.push_back(index(b, 1));
    }
    // The tile's elements, the innermost dimension's offset varying fastest.
    SmallVector<SmallVector<int64_t>> offsets{{}};
    for (unsigned d = 0; d < rank; ++d) {
      SmallVector<SmallVector<int64_t>> next;
      for (const auto &prefix : offsets)
        for (int64_t o = 0; o < factors[d]; ++o) {
          next.push_back(prefix);
          next.back().push_back(o);
        }
      offsets = std::move(next);
    }
    scf::ParallelOp::create(b, loc, lbs, ubs, steps, [&](OpBuilder &nb, Location, ValueRange ivs) {
      SmallVector<IRMapping> copies(offsets.size());
      // Along the innermost dimension a thread's elements lie a tile count
      // apart (adjacent threads, adjacent elements: each of the tile's loads
      // and stores is coalesced across a warp); along the other, they are
      // adjacent (a column tile's windows overlap in the cache).
      unsigned innermost = rank - 1;
      SmallVector<SmallVector<Value>> elements(rank); // [dimension][offset]
      for (unsigned d = 0; d < rank; ++d) {
        Value first = ivs[d];
        if (factors[d] > 1 && d != innermost)
          first = arith::MulIOp::create(nb, loc, ivs[d], index(nb, factors[d]));
        int64_t stride = d == innermost ? extents[d] / factors[d] : 1;
        elements[d].push_back(first);
        for (int64_t o = 1; o < factors[d]; ++o)
          elements[d].push_back(arith::AddIOp::create(nb, loc, first, index(nb, o * stride)));
      }
      for (auto [copy, offset] : llvm::zip(copies, offsets))
        for (unsigned d = 0; d < rank; ++d)
          copy.map(nest.getInductionVars()[d], elements[d][offset[d]]);
      for (IRMapping &copy : copies)
        for (Operation *op : body->before)
          nb.clone(*op, copy);
      OpBuilder inner = nb;
      for (scf::ForOp loop : body->loops) {
        auto jammed = scf::ForOp::create(inner, loc, loop.getLowerBound(), loop.getUpperBound(),
                                         loop.getStep());
        for (IRMapping &copy : copies)
          copy.map(loop.getInductionVar(), jammed.getInductionVar());
        inner.setInsertionPoint(jammed.getBody()->getTerminator());
      }
      for (IRMapping &copy : copies)
        for (Operation &op : body->innermost()->without_terminator())
          inner.clone(op, copy);
      for (IRMapping &copy : copies)
        for (Operation *op : body->after)
          nb.clone(*op, copy);
    });
    nest.erase();
  }
};

} // namespace
