//===- GrowConcats.cpp - concats that extend one another share one buffer -===//
//
// A dense block (DenseNet) concatenates every earlier feature map before
// each layer: concat(x0, f1), concat(x0, f1, f2), ... Lowered one by one,
// each concat is a fresh tensor with every source inserted into it, and
// bufferization copies each feature into every later concat: O(layers^2)
// copies per block (535 per forward in DenseNet-121). Here such a run of
// concats becomes one tensor of the widest concat's shape into which each
// source is inserted once, right after its producer and its last reader,
// and each narrower concat is a view of its leading slice
// (`tensor.extract_slice`). Bufferization then writes
// every feature once, in place, and `eliminate-empty-tensors` lets each
// feature's producer write straight into its slice.
//
// A narrower concat is a view of a tensor that later inserts write into, so
// the rewrite needs every reader of that concat to run before the next
// insert; where one does not (a training step reads the forward's concats
// again in the backward pass), the run is split there, since bufferization
// would otherwise copy the whole tensor to keep the view intact.
//
//===----------------------------------------------------------------------===//

#include "Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

namespace cnnc {
#define GEN_PASS_DEF_GROWCONCATSPASS
#include "Passes.h.inc"
} // namespace cnnc

using namespace mlir;

namespace {

/// A concat as cnnc-convert-cnn-to-linalg lowers it: unit-stride
/// insert_slices of whole sources into a static tensor.empty (which CSE may
/// share with other ops), one after the other along `axis`, from offset 0
/// to the end, each intermediate value used only by the next insert.
struct ConcatChain {
  SmallVector<tensor::InsertSliceOp> inserts;
  int64_t axis = -1;

  // Op handles are values; copies give the non-const accessors.
  Value result() const { return tensor::InsertSliceOp(inserts.back()).getResult(); }
  RankedTensorType type() const { return tensor::InsertSliceOp(inserts.back()).getType(); }
  Value source(size_t i) const { return tensor::InsertSliceOp(inserts[i]).getSource(); }
};

std::optional<ConcatChain> matchConcatChain(tensor::InsertSliceOp first) {
  RankedTensorType type = first.getType();
  if (!type.hasStaticShape() || !first.getDest().getDefiningOp<tensor::EmptyOp>())
    return std::nullopt;
  ConcatChain chain;
  tensor::InsertSliceOp insert = first;
  int64_t offset = 0;
  while (true) {
    auto sourceType = insert.getSourceType();
    if (sourceType.getRank() != type.getRank() || !sourceType.hasStaticShape() ||
        !insert.hasUnitStride() || ShapedType::isDynamicShape(insert.getStaticOffsets()))
      return std::nullopt;
    // The concat axis is the one dimension the sources do not fill.
    for (int64_t d = 0; d < type.getRank() && chain.axis < 0; ++d)
      if (sourceType.getDimSize(d) != type.getDimSize(d))
        chain.axis = d;
    if (chain.axis < 0)
      return std::nullopt;
    for (int64_t d = 0; d < type.getRank(); ++d) {
      int64_t expectedOffset = d == chain.axis ? offset : 0;
      if (insert.getStaticOffsets()[d] != expectedOffset ||
          (d != chain.axis && sourceType.getDimSize(d) != type.getDimSize(d)))
        return std::nullopt;
    }
    offset += sourceType.getDimSize(chain.axis);
    chain.inserts.push_back(insert);
    if (offset >= type.getDimSize(chain.axis))
      break;
    if (!insert->hasOneUse())
      return std::nullopt;
    insert = dyn_cast<tensor::InsertSliceOp>(*insert->getUsers().begin());
    if (!insert || insert.getDest() != chain.result() || insert->getBlock() != first->getBlock())
      return std::nullopt;
  }
  if (offset != type.getDimSize(chain.axis) || chain.inserts.size() < 2)
    return std::nullopt;
  return chain;
}

/// Whether `wider` is `narrower` with more sources appended.
bool extends(const ConcatChain &wider, const ConcatChain &narrower) {
  if (wider.axis != narrower.axis || wider.inserts.size() <= narrower.inserts.size() ||
      !narrower.inserts.back()->isBeforeInBlock(wider.inserts.back()))
    return false;
  for (int64_t d = 0; d < wider.type().getRank(); ++d)
    if (d != wider.axis && wider.type().getDimSize(d) != narrower.type().getDimSize(d))
      return false;
  for (size_t i = 0; i < narrower.inserts.size(); ++i)
    if (wider.source(i) != narrower.source(i))
      return false;
  return true;
}

/// Whether `a` runs before `b`, ops of one block (null: before its first op).
bool isBefore(Operation *a, Operation *b) {
  if (!a || !b)
    return !a && b;
  return a->isBeforeInBlock(b);
}

/// The later of two ops of one block (null: before its first op).
Operation *later(Operation *a, Operation *b) { return isBefore(a, b) ? b : a; }

/// The last op of `block` that uses `value`, through views of it, other
/// than the `ignored` ops (null: none).
Operation *lastUse(Value value, Block *block, ArrayRef<Operation *> ignored) {
  Operation *last = nullptr;
  for (Operation *user : value.getUsers()) {
    if (llvm::is_contained(ignored, user))
      continue;
    last = later(last, block->findAncestorOpInBlock(*user));
    if (isa<tensor::ExtractSliceOp, tensor::ExpandShapeOp, tensor::CollapseShapeOp,
            tensor::CastOp>(user))
      last = later(last, lastUse(user->getResult(0), block, ignored));
  }
  return last;
}

/// Where the sources of a run go into the growing tensor. Each goes in right
/// after its anchor: the later of the op that defines it and its last use
/// outside the run (a source read after its insert would make bufferization
/// copy it). Sources go in in the order of their anchors, a source defined
/// by the shared anchor first: its producer then writes into a tensor built
/// before it, which eliminate-empty-tensors needs to let it write in place.
/// A null anchor (a source from outside the block, not used in it) goes in
/// right after the growing tensor is created.
struct Placement {
  SmallVector<Operation *> anchors; // per source of the widest chain
  SmallVector<size_t> order;        // sources in insertion order
};

Placement placeSources(ArrayRef<ConcatChain> run, Block *block) {
  SmallVector<Operation *> runInserts;
  for (const ConcatChain &chain : run)
    runInserts.append(chain.inserts.begin(), chain.inserts.end());
  const ConcatChain &widest = run.back();
  Placement placement;
  SmallVector<Operation *> defs;
  for (size_t i = 0; i < widest.inserts.size(); ++i) {
    Value source = widest.source(i);
    Operation *def = source.getDefiningOp();
    defs.push_back(def ? block->findAncestorOpInBlock(*def) : nullptr);
    placement.anchors.push_back(later(defs.back(), lastUse(source, block, runInserts)));
    placement.order.push_back(i);
  }
  llvm::sort(placement.order, [&](size_t a, size_t b) {
    Operation *anchorA = placement.anchors[a], *anchorB = placement.anchors[b];
    if (anchorA != anchorB)
      return isBefore(anchorA, anchorB);
    bool definesA = defs[a] == anchorA, definesB = defs[b] == anchorB;
    return definesA != definesB ? definesA : a < b;
  });
  return placement;
}

/// Whether every source of `chain` can go in before it.
bool sourcesBefore(const ConcatChain &chain, const Placement &placement) {
  Operation *position = chain.inserts.back();
  for (size_t i = 0; i < chain.inserts.size(); ++i)
    if (placement.anchors[i] && !placement.anchors[i]->isBeforeInBlock(position))
      return false;
  return true;
}

/// Whether the narrower concat `chain`, a view of the growing tensor, is
/// read before the first source that goes in after it.
bool readBeforeGrowing(const ConcatChain &chain, const Placement &placement) {
  Operation *position = chain.inserts.back();
  for (size_t source : placement.order) {
    Operation *anchor = placement.anchors[source];
    if (anchor && position->isBeforeInBlock(anchor))
      return !isBefore(anchor, lastUse(chain.result(), position->getBlock(), {}));
  }
  return true;
}

/// Rebuilds `run` (each chain extending the one before) as one tensor of the
/// last chain's shape, grown by one insert per source, the narrower chains
/// becoming leading slices of it.
void growInPlace(ArrayRef<ConcatChain> run, const Placement &placement,
                 IRRewriter &rewriter) {
  const ConcatChain &widest = run.back();
  Block *block = widest.inserts.front()->getBlock();
  // Built before every source's producer, so that each can write in place.
  Operation *first = run.front().inserts.front();
  for (size_t i = 0; i < widest.inserts.size(); ++i)
    if (Operation *def = widest.source(i).getDefiningOp())
      if (Operation *inBlock = block->findAncestorOpInBlock(*def))
        first = inBlock->isBeforeInBlock(first) ? inBlock : first;
  rewriter.setInsertionPoint(first);
  auto empty = tensor::EmptyOp::create(rewriter, widest.inserts.front()->getLoc(),
                                       widest.type().getShape(), widest.type().getElementType());
  Value grown = empty;
  SmallVector<Value> grownValues; // in insertion order
  Operation *lastInsert = empty;
  for (size_t source : placement.order) {
    Operation *anchor = placement.anchors[source];
    rewriter.setInsertionPointAfter(isBefore(anchor, lastInsert) ? lastInsert : anchor);
    tensor::InsertSliceOp original = widest.inserts[source];
    auto insert = tensor::InsertSliceOp::create(
        rewriter, original.getLoc(), original.getSource(), grown, original.getMixedOffsets(),
        original.getMixedSizes(), original.getMixedStrides());
    grown = insert.getResult();
    grownValues.push_back(grown);
    lastInsert = insert;
  }
  for (const ConcatChain &chain : run) {
    Operation *position = chain.inserts.back();
    // The latest tensor built before the concat: it holds all of the
    // concat's sources (sourcesBefore), and any later ones lie outside the
    // view.
    Value latest;
    for (Value value : grownValues)
      if (value.getDefiningOp()->isBeforeInBlock(position))
        latest = value;
    Value view = latest;
    if (&chain != &run.back() || latest != grownValues.back()) {
      rewriter.setInsertionPoint(position);
      int64_t rank = chain.type().getRank();
      SmallVector<OpFoldResult> offsets(rank, rewriter.getIndexAttr(0)), sizes,
          strides(rank, rewriter.getIndexAttr(1));
      for (int64_t d : chain.type().getShape())
        sizes.push_back(rewriter.getIndexAttr(d));
      view = tensor::ExtractSliceOp::create(rewriter, position->getLoc(), chain.type(), latest,
                                            offsets, sizes, strides);
    }
    rewriter.replaceAllUsesWith(chain.result(), view);
  }
  for (const ConcatChain &chain : run)
    for (tensor::InsertSliceOp insert : llvm::reverse(chain.inserts)) {
      auto oldEmpty = insert.getDest().getDefiningOp<tensor::EmptyOp>();
      rewriter.eraseOp(insert);
      if (oldEmpty && oldEmpty->use_empty())
        rewriter.eraseOp(oldEmpty);
    }
}

struct GrowConcatsPass : cnnc::impl::GrowConcatsPassBase<GrowConcatsPass> {
  void runOnOperation() override {
    getOperation().walk([&](func::FuncOp func) {
      for (Block &block : func.getBody())
        growConcatsIn(block);
    });
  }

  void growConcatsIn(Block &block) {
    std::vector<ConcatChain> chains;
    for (auto insert : block.getOps<tensor::InsertSliceOp>())
      if (auto chain = matchConcatChain(insert))
        chains.push_back(std::move(*chain));
    // In program order of their results, so that each run grows forwards.
    llvm::sort(chains, [](const ConcatChain &a, const ConcatChain &b) {
      return a.inserts.back()->isBeforeInBlock(b.inserts.back());
    });
    // Runs of chains, each extending the one before.
    IRRewriter rewriter(&getContext());
    std::vector<bool> taken(chains.size(), false);
    for (size_t i = 0; i < chains.size(); ++i) {
      if (taken[i])
        continue;
      std::vector<ConcatChain> run = {chains[i]};
      taken[i] = true;
      for (size_t j = i + 1; j < chains.size(); ++j)
        if (!taken[j] && extends(chains[j], run.back())) {
          run.push_back(chains[j]);
          taken[j] = true;
        }
      // A chain whose sources cannot all go in before it (one is read
      // after it), or that is read after the next source goes in, ends the
      // run; the chains after it are free to start another. The placement
      // that passes is applied at once, so later runs see the IR it leaves.
      Placement placement;
      while (run.size() >= 2) {
        placement = placeSources(run, &block);
        size_t end = run.size();
        for (size_t k = 0; k < run.size() && end == run.size(); ++k) {
          if (!sourcesBefore(run[k], placement))
            end = k;
          else if (k + 1 < run.size() && !readBeforeGrowing(run[k], placement))
            end = k + 1;
        }
        if (end == run.size())
          break;
        for (size_t rest = std::max<size_t>(end, 1); rest < run.size(); ++rest)
          for (size_t j = i + 1; j < chains.size(); ++j)
            if (chains[j].result() == run[rest].result())
              taken[j] = false;
        run.resize(end);
      }
      if (run.size() >= 2)
        growInPlace(run, placement, rewriter);
    }
  }
};

} // namespace
