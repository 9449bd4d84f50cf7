//===- BlockChainForall.cpp - one parallel loop per filter-block chain -----===//
//
// A chain is c_{b+1} = insert_slice(v_b into c_b) for b = 0..B-1, where v_b
// is computed by a cluster of side-effect-free ops that sit between the
// previous insert and this one, read c_b only through a slice of the range
// the insert writes, and are, op for op, the first cluster's ops with other
// values: a different filter (any value of the same type: selected with
// scf.index_switch), static slice offsets that step by a constant per block
// (computed from the block index), index constants that do too. A chain
// ends where an insert marked `cnn.chain_start` begins the next one on its
// result (cnnc-accumulate-into-residual).
//
//===----------------------------------------------------------------------===//

#include "Transforms/BlockChainForall.h"

#include "Cnn/CnnAttrNames.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Interfaces/TilingInterface.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/MapVector.h"
#include "llvm/ADT/SmallPtrSet.h"

using namespace mlir;

namespace {

struct BlockChain {
  SmallVector<tensor::InsertSliceOp> inserts;       // first block first
  SmallVector<SmallVector<Operation *>> clusters;    // the ops of each block
  // Per cluster-0 value defined outside the chain: its counterpart in each
  // block, where some block uses another value.
  llvm::MapVector<Value, SmallVector<Value>> varying;
  // How the offsets step from block to block: the inserts', and each of
  // cluster 0's slices'.
  SmallVector<int64_t> insertStep;
  llvm::DenseMap<Operation *, SmallVector<int64_t>> sliceSteps;
};

/// Static offsets of a slice op, or nothing if some offset, size or stride
/// is dynamic.
template <typename SliceOp>
std::optional<SmallVector<int64_t>> staticOffsets(SliceOp op) {
  if (!op.getOffsets().empty() || !op.getSizes().empty() || !op.getStrides().empty())
    return std::nullopt;
  return SmallVector<int64_t>(op.getStaticOffsets());
}

/// Per-dimension step, if offsets[b] = offsets[0] + b * step for all b.
std::optional<SmallVector<int64_t>> offsetStep(ArrayRef<SmallVector<int64_t>> offsets) {
  SmallVector<int64_t> step(offsets[0].size(), 0);
  for (size_t d = 0; d < step.size(); ++d)
    step[d] = offsets[1][d] - offsets[0][d];
  for (size_t b = 0; b < offsets.size(); ++b)
    for (size_t d = 0; d < step.size(); ++d)
      if (offsets[b][d] != offsets[0][d] + (int64_t)b * step[d])
        return std::nullopt;
  return step;
}

/// Records how a matched chain's offsets step from block to block; fails
/// where one does not step linearly, a per-block value cannot be selected,
/// or the blocks' writes may overlap.
bool computeSteps(BlockChain &chain) {
  int64_t numBlocks = chain.inserts.size();
  auto offsetsOf = [&](auto sliceOfBlock) -> std::optional<SmallVector<int64_t>> {
    SmallVector<SmallVector<int64_t>> offsets;
    for (int64_t b = 0; b < numBlocks; ++b)
      offsets.push_back(*staticOffsets(sliceOfBlock(b)));
    return offsetStep(offsets);
  };
  // The blocks' output ranges are disjoint: they step by at least their
  // size along some dimension.
  std::optional<SmallVector<int64_t>> insertStep =
      offsetsOf([&](int64_t b) { return chain.inserts[b]; });
  if (!insertStep)
    return false;
  chain.insertStep = *insertStep;
  ArrayRef<int64_t> insertSizes = chain.inserts[0].getStaticSizes();
  bool disjoint = false;
  for (auto [s, size] : llvm::zip(*insertStep, insertSizes))
    disjoint |= s >= size;
  if (!disjoint)
    return false;

  // Every slice's offsets step linearly; slices of the chain read exactly
  // the range the block writes.
  Value chain0 = chain.inserts[0].getDest();
  for (size_t i = 0; i < chain.clusters[0].size(); ++i) {
    auto slice0 = dyn_cast<tensor::ExtractSliceOp>(chain.clusters[0][i]);
    if (!slice0)
      continue;
    std::optional<SmallVector<int64_t>> step = offsetsOf(
        [&](int64_t b) { return cast<tensor::ExtractSliceOp>(chain.clusters[b][i]); });
    if (!step)
      return false;
    if (slice0.getSource() == chain0 &&
        (*step != *insertStep || !slice0.hasUnitStride() ||
         slice0.getStaticOffsets() != chain.inserts[0].getStaticOffsets() ||
         slice0.getStaticSizes() != insertSizes))
      return false;
    chain.sliceSteps[slice0] = *step;
  }
  // Per-block values: index constants stepping linearly, or tensors.
  for (auto &[v0, values] : chain.varying) {
    if (llvm::any_of(values, [](Value v) { return !v; }))
      return false;
    if (isa<RankedTensorType>(v0.getType()))
      continue;
    SmallVector<SmallVector<int64_t>> constants;
    for (Value v : values) {
      auto c = v.getDefiningOp<arith::ConstantIndexOp>();
      if (!c)
        return false;
      constants.push_back({c.value()});
    }
    if (!offsetStep(constants))
      return false;
  }
  return true;
}

/// The chain ending at `last`, its clusters matched block by block; nothing
/// if it is not one.
std::optional<BlockChain> matchChain(tensor::InsertSliceOp last) {
  BlockChain chain;
  for (tensor::InsertSliceOp insert = last; insert;
       insert = insert.getDest().getDefiningOp<tensor::InsertSliceOp>()) {
    chain.inserts.push_back(insert);
    if (insert->hasAttr(mlir::cnn::attr_names::kChainStart))
      break;
  }
  std::reverse(chain.inserts.begin(), chain.inserts.end());
  int64_t numBlocks = chain.inserts.size();
  if (numBlocks < 2)
    return std::nullopt;
  Block *block = last->getBlock();
  for (tensor::InsertSliceOp insert : chain.inserts)
    if (insert->getBlock() != block || !staticOffsets(insert) || !insert.hasUnitStride())
      return std::nullopt;
  // Each cluster is the ops between one insert and the next.
  int64_t size = 0;
  for (Operation *op = chain.inserts[0]->getNextNode(); op != chain.inserts[1]; op = op->getNextNode())
    ++size;
  if (size == 0)
    return std::nullopt;
  for (int64_t b = 0; b < numBlocks; ++b) {
    SmallVector<Operation *> ops;
    Operation *op = chain.inserts[b].getOperation();
    for (int64_t i = 0; i < size; ++i) {
      op = op->getPrevNode();
      if (!op || (b > 0 && op == chain.inserts[b - 1]))
        return std::nullopt;
      ops.push_back(op);
    }
    if (b > 0 && op->getPrevNode() != chain.inserts[b - 1])
      return std::nullopt;
    std::reverse(ops.begin(), ops.end());
    llvm::SmallPtrSet<Operation *, 16> inCluster(ops.begin(), ops.end());
    for (Operation *op : ops) {
      if (!isMemoryEffectFree(op) || op->getNumRegions() > 1)
        return std::nullopt;
      for (Operation *user : op->getUsers())
        if (!inCluster.contains(user) && user != chain.inserts[b])
          return std::nullopt;
    }
    Operation *source = chain.inserts[b].getSource().getDefiningOp();
    if (!source || !inCluster.contains(source))
      return std::nullopt;
    chain.clusters.push_back(std::move(ops));
  }

  // Block by block, the same ops as block 0.
  Value chain0 = chain.inserts[0].getDest();
  llvm::SmallPtrSet<Operation *, 16> cluster0(chain.clusters[0].begin(), chain.clusters[0].end());
  auto definedInCluster0 = [&](Value v) {
    Operation *def = v.getDefiningOp();
    if (!def)
      def = v.getParentBlock()->getParentOp();
    for (; def; def = def->getParentOp())
      if (cluster0.contains(def))
        return true;
    return false;
  };
  // Operands from outside the chain, per block: the value block b uses
  // where block 0 uses the key.
  llvm::MapVector<Value, SmallVector<Value>> external;
  for (int64_t b = 1; b < numBlocks; ++b) {
    llvm::DenseMap<Value, Value> mapped; // block-0 value -> block-b value
    Value chainB = chain.inserts[b].getDest();
    auto check = [&](Value v0, Value vb) -> LogicalResult {
      if (auto it = mapped.find(v0); it != mapped.end())
        return success(it->second == vb);
      return success(v0 != chain0 && v0.getType() == vb.getType());
    };
    auto mark = [&](Value v0, Value vb) { mapped[v0] = vb; };
    // Records the outside operands of `op0` (nested ops included) and
    // their block-b counterparts; fails if one is paired inconsistently.
    auto recordExternal = [&](Operation *op0, Operation *opB) {
      SmallVector<Operation *> nested0, nestedB;
      op0->walk([&](Operation *op) { nested0.push_back(op); });
      opB->walk([&](Operation *op) { nestedB.push_back(op); });
      if (nested0.size() != nestedB.size())
        return false;
      for (auto [n0, nB] : llvm::zip(nested0, nestedB)) {
        if (n0->getNumOperands() != nB->getNumOperands())
          return false;
        for (auto [v0, vb] : llvm::zip(n0->getOperands(), nB->getOperands())) {
          if (definedInCluster0(v0) || (v0 == chain0 && vb == chainB))
            continue;
          if (v0 == chain0)
            return false;
          SmallVector<Value> &values = external[v0];
          if (values.empty())
            values.assign(numBlocks, Value());
          values[0] = v0;
          if (values[b] && values[b] != vb)
            return false;
          values[b] = vb;
        }
      }
      return true;
    };
    for (auto [op0, opB] : llvm::zip(chain.clusters[0], chain.clusters[b])) {
      if (auto slice0 = dyn_cast<tensor::ExtractSliceOp>(op0)) {
        auto sliceB = dyn_cast<tensor::ExtractSliceOp>(opB);
        if (!sliceB || slice0.getType() != sliceB.getType() || !staticOffsets(slice0) ||
            !staticOffsets(sliceB) || slice0.getStaticSizes() != sliceB.getStaticSizes() ||
            slice0.getStaticStrides() != sliceB.getStaticStrides())
          return std::nullopt;
        if (slice0.getSource() == chain0 ? sliceB.getSource() != chainB
                                         : failed(check(slice0.getSource(), sliceB.getSource())))
          return std::nullopt;
      } else if (!OperationEquivalence::isEquivalentTo(op0, opB, check, mark,
                                                      OperationEquivalence::IgnoreLocations)) {
        return std::nullopt;
      }
      if (!recordExternal(op0, opB))
        return std::nullopt;
      for (auto [r0, rB] : llvm::zip(op0->getResults(), opB->getResults()))
        mapped[r0] = rB;
    }
    if (mapped.lookup(chain.inserts[0].getSource()) != chain.inserts[b].getSource())
      return std::nullopt;
  }
  for (auto &entry : external) {
    Value v0 = entry.first;
    if (llvm::any_of(entry.second, [&](Value v) { return v != v0; }))
      chain.varying.insert(entry);
  }
  if (!computeSteps(chain))
    return std::nullopt;
  return chain;
}

/// `offsets0[d] + b * step[d]` per dimension (constants where step is 0).
SmallVector<OpFoldResult> offsetsAt(OpBuilder &builder, Location loc, Value b,
                                    ArrayRef<int64_t> offsets0, ArrayRef<int64_t> step) {
  AffineExpr d0 = builder.getAffineDimExpr(0);
  SmallVector<OpFoldResult> result;
  for (auto [offset, s] : llvm::zip(offsets0, step))
    result.push_back(affine::makeComposedFoldedAffineApply(builder, loc, d0 * s + offset, {b}));
  return result;
}

/// A chain of static, rank-preserving extract_slices folded into one slice
/// of the first value that is no such slice: offsets in its index space,
/// strides multiplied (a strided conv's phase of one group of a grouped
/// conv is a strided slice of the group's channel slice of the input).
/// Upstream's affine::mergeOffsetsSizesAndStrides does this with a builder;
/// here it matches a chain before anything is built. A single static
/// rank-reducing slice (a training step's filter block, one [KH, KW, C, F]
/// of the blocked [B, KH, KW, C, F]) is taken as it is, in its source's
/// rank.
struct ComposedSlice {
  Value source;
  SmallVector<int64_t> offsets, sizes, strides;
};

std::optional<ComposedSlice> composeSlices(Value v) {
  auto slice = v.getDefiningOp<tensor::ExtractSliceOp>();
  if (!slice)
    return std::nullopt;
  if (slice.getSourceType().getRank() != slice.getType().getRank()) {
    if (!slice.getOffsets().empty() || !slice.getSizes().empty() || !slice.getStrides().empty())
      return std::nullopt;
    return ComposedSlice{slice.getSource(), llvm::to_vector(slice.getStaticOffsets()),
                         llvm::to_vector(slice.getStaticSizes()),
                         llvm::to_vector(slice.getStaticStrides())};
  }
  ComposedSlice composed{v, {}, {}, {}};
  int64_t rank = slice.getType().getRank();
  composed.offsets.assign(rank, 0);
  composed.strides.assign(rank, 1);
  composed.sizes.assign(slice.getStaticSizes().begin(), slice.getStaticSizes().end());
  for (; slice; slice = slice.getSource().getDefiningOp<tensor::ExtractSliceOp>()) {
    if (!slice.getOffsets().empty() || !slice.getSizes().empty() || !slice.getStrides().empty() ||
        slice.getSourceType().getRank() != rank || slice.getType().getRank() != rank)
      return std::nullopt;
    // Outer offsets + inner offsets x outer strides; strides multiply.
    for (int64_t d = 0; d < rank; ++d) {
      composed.offsets[d] =
          slice.getStaticOffsets()[d] + composed.offsets[d] * slice.getStaticStrides()[d];
      composed.strides[d] *= slice.getStaticStrides()[d];
    }
    composed.source = slice.getSource();
  }
  return composed;
}

/// The per-block slice, when every value is a slice (through any chain of
/// static slices) of one source with the same sizes and strides and
/// offsets that step by a constant from block to block (the filter blocks
/// of a training step's convolution, sliced from one filter that changes
/// every step; the groups' channel slices of one input): the first block's
/// slice and the step.
std::optional<std::pair<ComposedSlice, SmallVector<int64_t>>>
steppedSlices(ArrayRef<Value> values) {
  if (values.size() < 2)
    return std::nullopt;
  std::optional<ComposedSlice> first = composeSlices(values[0]);
  if (!first)
    return std::nullopt;
  SmallVector<int64_t> step;
  for (auto [i, v] : llvm::enumerate(values)) {
    std::optional<ComposedSlice> slice = composeSlices(v);
    if (!slice || slice->source != first->source || slice->sizes != first->sizes ||
        slice->strides != first->strides || v.getType() != values[0].getType())
      return std::nullopt;
    for (auto [d, offset] : llvm::enumerate(slice->offsets)) {
      int64_t delta = offset - first->offsets[d];
      if (i == 1)
        step.push_back(delta);
      else if (i > 1 && delta != int64_t(i) * step[d])
        return std::nullopt;
    }
  }
  return std::make_pair(*first, step);
}

/// Builds the forall of a matched chain; fails (building nothing) only if
/// a block's initializer cannot be tiled.
FailureOr<scf::ForallOp> buildForall(RewriterBase &rewriter, BlockChain &chain) {
  int64_t numBlocks = chain.inserts.size();
  Value chain0 = chain.inserts[0].getDest();
  ArrayRef<int64_t> insertSizes = chain.inserts[0].getStaticSizes();
  Location loc = chain.inserts.back().getLoc();
  rewriter.setInsertionPointAfter(chain.inserts.back());
  // An output initialized by a parallel op read only by the chain (the bias
  // broadcast of a conv without an epilogue) is initialized block by block
  // in the forall, where cnnc-tile-and-vectorize fuses it into the conv's
  // register blocks; computed whole, it was one more pass over the output.
  auto init = chain0.getDefiningOp<linalg::LinalgOp>();
  bool initPerBlock =
      init && isa<linalg::GenericOp, linalg::FillOp>(init) && init->getNumResults() == 1 &&
      init.getNumLoops() == init.getNumParallelLoops() && init.hasPureTensorSemantics() &&
      init.getMatchingIndexingMap(init.getDpsInitOperand(0)).isIdentity() &&
      llvm::all_of(chain0.getUsers(), [&](Operation *user) {
        auto slice = dyn_cast<tensor::ExtractSliceOp>(user);
        return user == chain.inserts[0].getOperation() ||
               (slice && llvm::is_contained(chain.clusters[0], user) &&
                slice.getType().getRank() == init.getNumLoops());
      });
  Value forallInit = initPerBlock ? init.getDpsInits()[0] : chain0;
  auto forall = scf::ForallOp::create(rewriter, loc, {rewriter.getIndexAttr(numBlocks)},
                                      ValueRange{forallInit}, std::nullopt);
  rewriter.setInsertionPointToStart(forall.getBody());
  Value b = forall.getInductionVar(0);
  Value out = forall.getRegionIterArgs()[0];
  IRMapping map;
  for (auto &[v0, values] : chain.varying) {
    if (isa<IndexType>(v0.getType())) {
      int64_t c0 = values[0].getDefiningOp<arith::ConstantIndexOp>().value();
      int64_t c1 = values[1].getDefiningOp<arith::ConstantIndexOp>().value();
      map.map(v0, getValueOrCreateConstantIndexOp(
                      rewriter, loc, offsetsAt(rewriter, loc, b, {c0}, {c1 - c0})[0]));
      continue;
    }
    // Slices of one value a constant step apart: one slice at the block's
    // offset. An index_switch over them would give its buffer a fully
    // dynamic layout (the cases' offsets differ), and the conv's filter
    // reads, no longer known to be unit-stride, became scalar gathers
    // (ResNet-18 32x32 training: 60% of the step).
    if (auto stepped = steppedSlices(values)) {
      auto &[first, step] = *stepped;
      map.map(v0, tensor::ExtractSliceOp::create(
                      rewriter, loc, cast<RankedTensorType>(v0.getType()), first.source,
                      offsetsAt(rewriter, loc, b, first.offsets, step),
                      getAsIndexOpFoldResult(rewriter.getContext(), first.sizes),
                      getAsIndexOpFoldResult(rewriter.getContext(), first.strides)));
      continue;
    }
    SmallVector<int64_t> cases;
    for (int64_t i = 1; i < numBlocks; ++i)
      cases.push_back(i);
    auto select = scf::IndexSwitchOp::create(rewriter, loc, TypeRange{v0.getType()}, b, cases,
                                             numBlocks - 1);
    OpBuilder::InsertionGuard guard(rewriter);
    for (int64_t i = 0; i < numBlocks; ++i) {
      Region &region = i == 0 ? select.getDefaultRegion() : select.getCaseRegions()[i - 1];
      rewriter.createBlock(&region);
      scf::YieldOp::create(rewriter, loc, values[i]);
    }
    map.map(v0, select.getResult(0));
  }
  for (Operation *op : chain.clusters[0]) {
    auto slice = dyn_cast<tensor::ExtractSliceOp>(op);
    if (!slice) {
      rewriter.clone(*op, map);
      continue;
    }
    Value source = slice.getSource() == chain0 ? out : map.lookupOrDefault(slice.getSource());
    auto moved = tensor::ExtractSliceOp::create(
        rewriter, slice.getLoc(), slice.getType(), source,
        offsetsAt(rewriter, loc, b, slice.getStaticOffsets(), chain.sliceSteps[slice]),
        getAsIndexOpFoldResult(rewriter.getContext(), slice.getStaticSizes()),
        getAsIndexOpFoldResult(rewriter.getContext(), slice.getStaticStrides()));
    Value blockSlice = moved.getResult();
    if (initPerBlock && slice.getSource() == chain0) {
      FailureOr<TilingResult> tiledInit = cast<TilingInterface>(init.getOperation())
                                              .getTiledImplementation(rewriter, moved.getMixedOffsets(),
                                                                      moved.getMixedSizes());
      if (failed(tiledInit) || tiledInit->tiledOps.size() != 1) {
        rewriter.eraseOp(forall); // unused yet: the chain stays as it was
        return failure();
      }
      auto tiled = cast<DestinationStyleOpInterface>(tiledInit->tiledOps[0]);
      rewriter.modifyOpInPlace(tiled, [&] { tiled.getDpsInitsMutable()[0].assign(blockSlice); });
      blockSlice = tiled->getResult(0);
    }
    map.map(slice.getResult(), blockSlice);
  }
  Value blockResult = map.lookup(chain.inserts[0].getSource());
  SmallVector<OpFoldResult> insertOffsets =
      offsetsAt(rewriter, loc, b, chain.inserts[0].getStaticOffsets(), chain.insertStep);
  rewriter.setInsertionPointToStart(forall.getTerminator().getBody());
  tensor::ParallelInsertSliceOp::create(rewriter, loc, blockResult, out, insertOffsets,
                                        getAsIndexOpFoldResult(rewriter.getContext(), insertSizes),
                                        getAsIndexOpFoldResult(rewriter.getContext(), chain.inserts[0].getStaticStrides()));

  rewriter.replaceAllUsesWith(chain.inserts.back().getResult(), forall.getResult(0));
  for (int64_t blk = numBlocks - 1; blk >= 0; --blk) {
    rewriter.eraseOp(chain.inserts[blk]);
    for (Operation *op : llvm::reverse(chain.clusters[blk]))
      rewriter.eraseOp(op);
  }
  if (initPerBlock && init->use_empty())
    rewriter.eraseOp(init);
  return forall;
}

} // namespace

SmallVector<scf::ForallOp>
cnnc::groupBlockChains(RewriterBase &rewriter, ModuleOp module,
                       function_ref<bool(linalg::Conv2DNhwcHwcfOp)> wanted) {
  // Chains are found from their last insert: one whose result is not the
  // destination of another insert, except of one starting a chain of its own.
  SmallVector<tensor::InsertSliceOp> lasts;
  module.walk([&](tensor::InsertSliceOp insert) {
    bool extended = llvm::any_of(insert->getUses(), [](OpOperand &use) {
      auto next = dyn_cast<tensor::InsertSliceOp>(use.getOwner());
      return next && use.get() == next.getDest() &&
             !next->hasAttr(mlir::cnn::attr_names::kChainStart);
    });
    if (!extended && insert.getDest().getDefiningOp<tensor::InsertSliceOp>())
      lasts.push_back(insert);
  });
  SmallVector<scf::ForallOp> foralls;
  for (tensor::InsertSliceOp last : lasts) {
    std::optional<BlockChain> chain = matchChain(last);
    if (!chain)
      continue;
    bool hasConv = false, allWanted = true;
    for (Operation *op : chain->clusters[0])
      if (auto conv = dyn_cast<linalg::Conv2DNhwcHwcfOp>(op)) {
        hasConv = true;
        allWanted &= wanted(conv);
      }
    if (!hasConv || !allWanted)
      continue;
    FailureOr<scf::ForallOp> forall = buildForall(rewriter, *chain);
    if (succeeded(forall))
      foralls.push_back(*forall);
  }
  return foralls;
}
