//===- FuseConvEpilogues.cpp - conv, bias and epilogue in one register tile ===//
//
// A conv lowers to three passes over its output: the bias broadcast that
// initializes the accumulator, the conv, and the elementwise epilogue that
// follows it (ReLU, residual add + ReLU, ReLU6). Each of the two extra
// passes reads and writes the whole activation and is its own parallel
// region. This pass chooses which conv each elementwise consumer absorbs and
// marks the conv (`cnn.fused_epilogue`); cnnc-tile-and-vectorize then tiles
// the consumer by the conv's register block and fuses the conv and its
// accumulator's initializer into that tile, so the block goes from bias to
// activation in registers.
//
// Convs that cnnc-block-conv-filters split by 64-channel filter blocks feed
// their consumer through a chain of insert_slices; the consumer is split
// the same way (one per block, each right after its block conv), so every
// block conv gets its own epilogue. Profiling marks around the fused tile
// give its time to the conv's layer. A chain with no epilogue (ResNet's
// downsample conv, whose result the block's last conv accumulates into)
// gets each block's slice of its bias broadcast in the block too, so that
// no block starts from a bias written over the whole output beforehand.
//
//===----------------------------------------------------------------------===//

#include "Cnn/CnnAttrNames.h"
#include "Passes.h"

#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/Tensor/Transforms/Transforms.h"

namespace cnnc {
#define GEN_PASS_DEF_FUSECONVEPILOGUESPASS
#include "Passes.h.inc"
} // namespace cnnc

using namespace mlir;

namespace {

using mlir::cnn::attr_names::kFusedEpilogue;

bool isConv(Operation *op) {
  return op && isa<linalg::Conv2DNhwcHwcfOp, linalg::DepthwiseConv2DNhwcHwcOp>(op) &&
         cast<linalg::LinalgOp>(op).hasPureTensorSemantics();
}

/// A 4-D all-parallel generic with one result written in iteration order:
/// it can be tiled exactly like the conv output it reads. It must also
/// vectorize, since it is vectorized with the conv's tile (a training
/// graph's dropout, which hashes element indices, does not).
bool isEpilogueShaped(linalg::GenericOp op) {
  return op.hasPureTensorSemantics() && op.getNumResults() == 1 && op.getNumLoops() == 4 &&
         op.getNumLoops() == op.getNumParallelLoops() &&
         op.getMatchingIndexingMap(op.getDpsInitOperand(0)).isIdentity() &&
         isa<func::FuncOp>(op->getParentOp()) && succeeded(linalg::vectorizeOpPrecondition(op));
}

/// The profiling mark in effect at `op`: the last one before it.
func::CallOp profileMarkBefore(Operation *op) {
  for (Operation *p = op->getPrevNode(); p; p = p->getPrevNode())
    if (cnnc::isProfileMark(p))
      return cast<func::CallOp>(p);
  return nullptr;
}

/// The blocks of a cnnc-block-conv-filters chain, in order: `value` is
/// insert_slice(conv_n, insert_slice(conv_n-1, ... acc)), each conv's
/// accumulator a slice of the chain so far. A block's conv may be a
/// sequence of convs accumulating one into the next (the phases of
/// cnnc-split-strided-convs), the first reading the slice. Empty if `value`
/// is not one.
struct BlockChain {
  SmallVector<tensor::InsertSliceOp> inserts;             // first block first
  SmallVector<SmallVector<linalg::Conv2DNhwcHwcfOp>> convs; // per block, in order
  Value acc;                                              // the unsplit accumulator
};

/// Whether `op` writes its output without reading it, from inputs only (a
/// bias broadcast): a slice of its result is computed by its tiled copy.
bool isInitializer(linalg::GenericOp op) {
  return op && op.getNumDpsInputs() + 1 == op->getNumOperands() &&
         !op.payloadUsesValueFromOperand(op.getDpsInitOperand(0));
}

/// The tile of an initializer's result that `slice` (of it) takes,
/// computed by a tiled copy of the initializer that writes into `dest`;
/// null where it cannot be tiled. `slice` stays.
Value tiledInitializer(RewriterBase &rewriter, tensor::ExtractSliceOp slice, Value dest) {
  FailureOr<TilingResult> tiled = tensor::replaceExtractSliceWithTiledProducer(
      rewriter, slice, cast<OpResult>(slice.getSource()));
  if (failed(tiled) || tiled->tiledOps.size() != 1)
    return Value();
  auto tiledOp = cast<linalg::GenericOp>(tiled->tiledOps[0]);
  Value oldInit = tiledOp.getDpsInits()[0];
  rewriter.modifyOpInPlace(tiledOp, [&] { tiledOp.getDpsInitsMutable()[0].assign(dest); });
  if (Operation *dead = oldInit.getDefiningOp(); dead && dead->use_empty())
    rewriter.eraseOp(dead);
  return tiledOp.getResult(0);
}

/// The convs accumulating into `last`, in order, ending with `last`.
SmallVector<linalg::Conv2DNhwcHwcfOp> accumulationSequence(linalg::Conv2DNhwcHwcfOp last) {
  SmallVector<linalg::Conv2DNhwcHwcfOp> convs = {last};
  while (auto prev = convs.back().getDpsInits()[0].getDefiningOp<linalg::Conv2DNhwcHwcfOp>()) {
    if (!prev->hasOneUse())
      break;
    convs.push_back(prev);
  }
  std::reverse(convs.begin(), convs.end());
  return convs;
}

std::optional<BlockChain> matchBlockChain(Value value) {
  BlockChain chain;
  while (auto insert = value.getDefiningOp<tensor::InsertSliceOp>()) {
    auto conv = insert.getSource().getDefiningOp<linalg::Conv2DNhwcHwcfOp>();
    if (!conv || !conv->hasOneUse() || !insert.hasUnitStride() ||
        insert.getSourceType().getRank() != 4)
      return std::nullopt;
    SmallVector<linalg::Conv2DNhwcHwcfOp> convs = accumulationSequence(conv);
    auto accSlice = convs.front().getDpsInits()[0].getDefiningOp<tensor::ExtractSliceOp>();
    if (!accSlice || accSlice.getSource() != insert.getDest() ||
        accSlice.getMixedOffsets() != insert.getMixedOffsets() ||
        accSlice.getMixedSizes() != insert.getMixedSizes())
      return std::nullopt;
    // Intermediate chain values feed only the next insert and its slice.
    if (!chain.inserts.empty() && !insert.getResult().hasNUses(2))
      return std::nullopt;
    chain.inserts.push_back(insert);
    chain.convs.push_back(std::move(convs));
    value = insert.getDest();
  }
  if (chain.inserts.size() < 2)
    return std::nullopt;
  std::reverse(chain.inserts.begin(), chain.inserts.end());
  std::reverse(chain.convs.begin(), chain.convs.end());
  chain.acc = value;
  return chain;
}

struct FuseConvEpiloguesPass : cnnc::impl::FuseConvEpiloguesPassBase<FuseConvEpiloguesPass> {
  using FuseConvEpiloguesPassBase::FuseConvEpiloguesPassBase;

  void runOnOperation() override {
    IRRewriter rewriter(&getContext());
    SmallVector<linalg::GenericOp> candidates;
    getOperation().walk([&](linalg::GenericOp op) {
      if (isEpilogueShaped(op))
        candidates.push_back(op);
    });
    for (linalg::GenericOp op : candidates)
      if (!splitOverBlockChain(rewriter, op))
        markEpilogue(op);
    // The chains left without an epilogue: the last insert of each.
    SmallVector<tensor::InsertSliceOp> chainEnds;
    getOperation().walk([&](tensor::InsertSliceOp insert) {
      if (llvm::none_of(insert->getUsers(), [&](Operation *user) {
            auto next = dyn_cast<tensor::InsertSliceOp>(user);
            return next && next.getDest() == insert.getResult();
          }))
        chainEnds.push_back(insert);
    });
    for (tensor::InsertSliceOp end : chainEnds)
      if (std::optional<BlockChain> chain = matchBlockChain(end.getResult()))
        initializeBlocks(rewriter, *chain);
  }

  /// Each block of `chain` starts from its own slice of the chain's
  /// initializer (a bias broadcast), computed in the block's slice of the
  /// output; the whole initializer goes. Chains whose initializer is read
  /// elsewhere, or is no such op, stay as they are.
  static void initializeBlocks(IRRewriter &rewriter, BlockChain &chain) {
    auto producer = chain.acc.getDefiningOp<linalg::GenericOp>();
    if (!producer || !isInitializer(producer) ||
        !llvm::all_of(chain.acc.getUsers(), [&](Operation *user) {
          return user == chain.inserts.front().getOperation() ||
                 user == chain.convs.front().front().getDpsInits()[0].getDefiningOp();
        }))
      return;
    bool allTiled = true;
    for (auto &convs : chain.convs) {
      auto accSlice = convs.front().getDpsInits()[0].getDefiningOp<tensor::ExtractSliceOp>();
      rewriter.setInsertionPointAfter(accSlice);
      // The initializer's slice, tiled from a slice of its result.
      auto producerSlice = cast<tensor::ExtractSliceOp>(rewriter.clone(*accSlice));
      rewriter.modifyOpInPlace(producerSlice,
                               [&] { producerSlice.getSourceMutable().assign(chain.acc); });
      Value tile = tiledInitializer(rewriter, producerSlice, accSlice);
      rewriter.eraseOp(producerSlice);
      if (tile)
        rewriter.modifyOpInPlace(convs.front(),
                                 [&] { convs.front().getDpsInitsMutable()[0].assign(tile); });
      allTiled &= bool(tile);
    }
    // A block left reading the initializer keeps it.
    if (!allTiled)
      return;
    // The blocks write what the chain started from: nothing to compute.
    rewriter.setInsertionPoint(producer);
    auto type = cast<RankedTensorType>(chain.acc.getType());
    Value empty = tensor::EmptyOp::create(rewriter, producer.getLoc(), type.getShape(),
                                          type.getElementType());
    rewriter.replaceAllUsesWith(chain.acc, empty);
    rewriter.eraseOp(producer);
  }

  /// Marks the conv that `op` absorbs: among its identity-mapped inputs
  /// produced by a single-use conv, the one computed last (the others
  /// dominate it, so the fused tile can sit where `op` is).
  void markEpilogue(linalg::GenericOp op) {
    Operation *chosen = nullptr;
    for (OpOperand *in : op.getDpsInputOperands()) {
      Operation *def = in->get().getDefiningOp();
      if (!isConv(def) || !def->hasOneUse() || def->getBlock() != op->getBlock() ||
          !op.getMatchingIndexingMap(in).isIdentity() || def->hasAttr(kFusedEpilogue))
        continue;
      if (!chosen || chosen->isBeforeInBlock(def))
        chosen = def;
    }
    if (!chosen)
      return;
    chosen->setAttr(kFusedEpilogue, UnitAttr::get(&getContext()));
    attributeToLayer(profileMarkBefore(chosen), op, op);
  }

  /// The fused tile runs where the epilogue was, inside the epilogue's
  /// layer. Marks around [first, last] give its time to the conv's layer
  /// (the profile adds up a layer's intervals): `convMark` before, and the
  /// mark that was in effect at `first` after.
  static void attributeToLayer(func::CallOp convMark, Operation *first, Operation *last) {
    func::CallOp resumeMark = profileMarkBefore(first);
    if (!convMark || !resumeMark || convMark == resumeMark)
      return;
    OpBuilder b(first);
    func::CallOp::create(b, first->getLoc(), convMark.getCallee(), TypeRange{},
                         convMark.getOperands());
    b.setInsertionPointAfter(last);
    func::CallOp::create(b, last->getLoc(), resumeMark.getCallee(), TypeRange{},
                         resumeMark.getOperands());
  }

  /// `op` reads a block chain: one copy of `op` per block, each on its
  /// block conv's result and the matching slices of the other operands,
  /// inserted into a fresh result. Returns false if `op` is not such a
  /// consumer.
  bool splitOverBlockChain(IRRewriter &rewriter, linalg::GenericOp op) {
    OpOperand *chainOperand = nullptr;
    std::optional<BlockChain> chain;
    for (OpOperand *in : op.getDpsInputOperands())
      if (op.getMatchingIndexingMap(in).isIdentity() && in->get().hasOneUse())
        if ((chain = matchBlockChain(in->get()))) {
          chainOperand = in;
          break;
        }
    if (!chain || !op.getDpsInits()[0].getDefiningOp<tensor::EmptyOp>())
      return false;
    Location loc = op.getLoc();
    auto resultType = cast<RankedTensorType>(op.getResult(0).getType());
    Operation *firstConv = chain->convs.front().front();
    func::CallOp convMark = profileMarkBefore(firstConv);

    // Block by block where `op` was: the block conv, its epilogue writing
    // the block's slice of the result, inserted back in place. The block's
    // bias broadcast writes into the same slice, so that the fused tile
    // initializes the accumulator in the output tile it finishes in.
    rewriter.setInsertionPoint(op);
    Value result = tensor::EmptyOp::create(rewriter, loc, resultType.getShape(),
                                           resultType.getElementType());
    Operation *first = result.getDefiningOp();
    // The accumulators start in the output's slices where their element
    // types agree; a bf16 output of f32 accumulators (--precision=bf16)
    // gets an f32 tensor beside it, sliced the same way.
    auto accType = cast<RankedTensorType>(chain->acc.getType());
    Value accResult = accType.getElementType() == resultType.getElementType()
                          ? Value()
                          : tensor::EmptyOp::create(rewriter, loc, accType.getShape(),
                                                    accType.getElementType())
                                .getResult();
    for (auto [insert, convs] : llvm::zip_equal(chain->inserts, chain->convs)) {
      linalg::Conv2DNhwcHwcfOp conv = convs.back();
      SmallVector<OpFoldResult> offsets = insert.getMixedOffsets(), sizes = insert.getMixedSizes(),
                                strides = insert.getMixedStrides();
      Value outSlice =
          tensor::ExtractSliceOp::create(rewriter, loc, result, offsets, sizes, strides);
      Value accInit = !accResult ? outSlice
                                 : tensor::ExtractSliceOp::create(rewriter, loc, accResult,
                                                                  offsets, sizes, strides)
                                       .getResult();
      // The block conv's accumulator: a slice of the unsplit one (the blocks
      // are disjoint, so earlier blocks do not change it), computed here.
      // A copy: CSE may have merged equal slices of equal accumulators of
      // several chains (a training step's zero-initialized gradient convs).
      auto origSlice = convs.front().getDpsInits()[0].getDefiningOp<tensor::ExtractSliceOp>();
      auto accSlice = cast<tensor::ExtractSliceOp>(rewriter.clone(*origSlice));
      rewriter.modifyOpInPlace(accSlice, [&] { accSlice.getSourceMutable().assign(chain->acc); });
      Value acc = accSlice.getResult();
      if (auto producer = dyn_cast_or_null<linalg::GenericOp>(chain->acc.getDefiningOp());
          isInitializer(producer)) {
        if (Value tile = tiledInitializer(rewriter, accSlice, accInit))
          acc = tile;
      } else if (auto fill = dyn_cast_or_null<linalg::FillOp>(chain->acc.getDefiningOp())) {
        // A zero accumulator (a gradient conv has no bias) is filled in the
        // output slice too: CSE may have merged it with other chains' fills,
        // and a block writing into a shared tensor would be copied.
        acc = linalg::FillOp::create(rewriter, loc, fill.getInputs()[0], accInit).getResult(0);
      }
      for (linalg::Conv2DNhwcHwcfOp c : convs)
        c->moveBefore(op);
      rewriter.modifyOpInPlace(convs.front(),
                               [&] { convs.front().getDpsInitsMutable()[0].assign(acc); });
      if (origSlice->use_empty())
        rewriter.eraseOp(origSlice);
      if (accSlice->use_empty())
        rewriter.eraseOp(accSlice);
      // The block's epilogue: `op` tiled to the block (its other operands
      // sliced by their maps), reading the block conv, writing the slice.
      FailureOr<TilingResult> tiledOp =
          cast<TilingInterface>(op.getOperation()).getTiledImplementation(rewriter, offsets, sizes);
      if (failed(tiledOp) || tiledOp->tiledOps.size() != 1) {
        op.emitOpError("cnnc-fuse-conv-epilogues: tiling the epilogue by filter blocks failed");
        signalPassFailure();
        return true;
      }
      auto blockOp = cast<linalg::GenericOp>(tiledOp->tiledOps[0]);
      for (auto use : {std::pair{&blockOp->getOpOperand(chainOperand->getOperandNumber()),
                                 conv.getResult(0)},
                       std::pair{blockOp.getDpsInitOperand(0), outSlice}}) {
        Operation *slice = use.first->get().getDefiningOp();
        rewriter.modifyOpInPlace(blockOp, [&] { use.first->set(use.second); });
        if (slice && slice->use_empty())
          rewriter.eraseOp(slice);
      }
      conv->setAttr(kFusedEpilogue, rewriter.getUnitAttr());
      auto blockInsert = tensor::InsertSliceOp::create(rewriter, loc, blockOp.getResult(0),
                                                       result, offsets, sizes, strides);
      // The block's marks carry over (cnn.chain_start where
      // cnnc-block-conv-filters started a chain after a tail block: without
      // it, the tail and the equal blocks matched as no chain, each block a
      // parallel loop of its own).
      blockInsert->setDiscardableAttrs(insert->getDiscardableAttrDictionary());
      result = blockInsert.getResult();
    }
    attributeToLayer(convMark, first, result.getDefiningOp());
    rewriter.replaceOp(op, result);
    // The chain's inserts are dead now; the block convs feed their epilogues.
    for (tensor::InsertSliceOp insert : llvm::reverse(chain->inserts))
      rewriter.eraseOp(insert);
    if (Operation *acc = chain->acc.getDefiningOp(); acc && acc->use_empty())
      rewriter.eraseOp(acc);
    return true;
  }
};

} // namespace
