//===- WalkRowsOutsideBlocks.cpp - a block chain's rows as its parallel loop -===//
//
// A filter-block chain's forall marked `cnn.rows_outside_blocks`
// (cnnc-tile-and-vectorize, from schedules with `rows_outside`: the groups
// of a grouped conv), once bufferized, is a parallel loop over the blocks
// whose body selects the block's filter and output view and walks the
// block's output rows in sequential loops. Its leading row loops become
// the parallel loop and the blocks a sequential loop inside each row, so
// that every group reads the row's input while the others have it in
// cache. The forall's iterations write disjoint blocks and its row loops
// are the conv's parallel dimensions (the rows order), so any order of
// them computes the same.
//
//===----------------------------------------------------------------------===//

#include "Cnn/CnnAttrNames.h"
#include "Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

namespace cnnc {
#define GEN_PASS_DEF_WALKROWSOUTSIDEBLOCKSPASS
#include "Passes.h.inc"
} // namespace cnnc

using namespace mlir;

namespace {

using mlir::cnn::attr_names::kRowsOutsideBlocks;

/// Row loops taken into the parallel loop at most: images, output rows and
/// register blocks along the row, so that the groups walk one register
/// block's input in turn (two groups of 16 channels, 3x3 stride 2 over
/// 112x112 at batch 8 on Zen 5, AVX-512: 0.94x the time of the groups
/// inside whole rows).
constexpr size_t kMaxRowLoops = 3;

/// Whether `op` (nested ops included) at most reads memory: the ops that
/// select a block's filter, bias and output view may run once per row.
bool onlyReads(Operation *op) {
  std::optional<SmallVector<MemoryEffects::EffectInstance>> effects =
      getEffectsRecursively(op);
  return effects && llvm::all_of(*effects, [](const MemoryEffects::EffectInstance &e) {
           return isa<MemoryEffects::Read>(e.getEffect());
         });
}

/// Whether `v` is defined outside `op`.
bool definedOutside(Value v, Operation *op) {
  return !op->isAncestor(v.getParentBlock()->getParentOp());
}

/// The row loops of `forall`'s body: its last op and the loops perfectly
/// nested in it, without results, bounds defined outside the forall; empty
/// if the body is not such a nest after ops that only read.
SmallVector<scf::ForOp> rowLoops(scf::ForallOp forall) {
  Block *body = forall.getBody();
  if (body->getOperations().size() < 2)
    return {};
  auto outer = dyn_cast<scf::ForOp>(*std::prev(body->end(), 2));
  if (!outer)
    return {};
  for (Operation &op : body->without_terminator())
    if (&op != outer.getOperation() && !onlyReads(&op))
      return {};
  SmallVector<scf::ForOp> loops;
  for (scf::ForOp loop = outer; loop && loops.size() < kMaxRowLoops;) {
    if (loop.getNumResults() != 0 ||
        !llvm::all_of(ValueRange{loop.getLowerBound(), loop.getUpperBound(), loop.getStep()},
                      [&](Value v) { return definedOutside(v, forall); }))
      break;
    loops.push_back(loop);
    Block *loopBody = loop.getBody();
    loop = loopBody->getOperations().size() == 2 ? dyn_cast<scf::ForOp>(loopBody->front())
                                                 : scf::ForOp();
  }
  return loops;
}

/// forall (b) { select(b); for r0 { for r1 { body } } } ->
/// forall (r0, r1) { for b { select(b); body } }.
void walkRowsOutside(RewriterBase &rewriter, scf::ForallOp forall,
                     MutableArrayRef<scf::ForOp> loops) {
  Location loc = forall.getLoc();
  rewriter.setInsertionPoint(forall);
  SmallVector<OpFoldResult> lbs, ubs, steps;
  for (scf::ForOp loop : loops) {
    lbs.push_back(getAsOpFoldResult(loop.getLowerBound()));
    ubs.push_back(getAsOpFoldResult(loop.getUpperBound()));
    steps.push_back(getAsOpFoldResult(loop.getStep()));
  }
  auto rows = scf::ForallOp::create(rewriter, loc, lbs, ubs, steps, ValueRange{}, std::nullopt);
  rewriter.setInsertionPointToStart(rows.getBody());
  auto materialize = [&](OpFoldResult v) {
    return getValueOrCreateConstantIndexOp(rewriter, loc, v);
  };
  auto blocks = scf::ForOp::create(rewriter, loc, materialize(forall.getMixedLowerBound()[0]),
                                   materialize(forall.getMixedUpperBound()[0]),
                                   materialize(forall.getMixedStep()[0]));
  rewriter.setInsertionPoint(blocks.getBody()->getTerminator());
  IRMapping map;
  map.map(forall.getInductionVar(0), blocks.getInductionVar());
  for (auto [i, loop] : llvm::enumerate(loops))
    map.map(loop.getInductionVar(), rows.getInductionVar(i));
  for (Operation &op : forall.getBody()->without_terminator())
    if (&op != loops.front().getOperation())
      rewriter.clone(op, map);
  for (Operation &op : loops.back().getBody()->without_terminator())
    rewriter.clone(op, map);
  rewriter.eraseOp(forall);
}

struct WalkRowsOutsideBlocksPass
    : cnnc::impl::WalkRowsOutsideBlocksPassBase<WalkRowsOutsideBlocksPass> {
  void runOnOperation() override {
    SmallVector<scf::ForallOp> marked;
    getOperation().walk([&](scf::ForallOp forall) {
      if (forall->hasAttr(kRowsOutsideBlocks))
        marked.push_back(forall);
    });
    IRRewriter rewriter(&getContext());
    for (scf::ForallOp forall : marked) {
      forall->removeAttr(kRowsOutsideBlocks);
      if (forall.getRank() != 1 || !forall.getOutputs().empty() || forall.getMapping())
        continue;
      // A nest of another shape (a block's initializer left outside its
      // register blocks) keeps the blocks as the parallel loop.
      SmallVector<scf::ForOp> loops = rowLoops(forall);
      if (!loops.empty())
        walkRowsOutside(rewriter, forall, loops);
    }
  }
};

} // namespace
