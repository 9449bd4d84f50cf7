//===- TileAndVectorize.cpp - apply the conv and window schedules ----------===//
//
// Applies the `codegen.schedule` that cnnc-select-cpu-schedules wrote on
// each convolution, depthwise convolution and pool: an scf.forall over
// register blocks (built here, fusing the epilogue and initializer the
// schedule names), then a transform-dialect schedule built with the
// transform ops' builders: the reduction tiled, decomposed to 1-D and
// vectorized. Nothing is chosen here.
//
//===----------------------------------------------------------------------===//

#include "Cnn/CnnAttrNames.h"
#include "Passes.h"
#include "Transforms/BlockChainForall.h"
#include "Transforms/ScheduledOps.h"
#include "Transforms/TransformSchedule.h"

#include "Codegen/CodegenDialect.h"

#include "mlir/Dialect/Linalg/TransformOps/LinalgTransformOps.h"
#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"
#include "mlir/Dialect/Tensor/TransformOps/TensorTransformOps.h"
#include "mlir/Dialect/Transform/IR/TransformOps.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#include "llvm/ADT/SetVector.h"

namespace cnnc {
#define GEN_PASS_DEF_TILEANDVECTORIZEPASS
#include "Passes.h.inc"
} // namespace cnnc

using namespace mlir;
using codegen::ConvLoopOrder;

namespace {

using mlir::cnn::attr_names::kVectorizeInTile;

/// A conv whose scf.forall this pass builds: its [N, 1, OW, F] register
/// block and the fusion flags of its schedule.
struct RowOuterConv {
  linalg::LinalgOp conv;
  SmallVector<int64_t, 4> forallTiles;
  bool epilogue, fuseInit;
  bool sequential; // in a block chain's forall: its tiles are sequential loops
  SmallVector<int64_t, 4> interchange = {}; // of the forall's loops; empty: n, oh, ow, f
  int64_t channelRest = 0; // the schedule's channel_rest
};

/// Splits a register block's chain of ops (initializer, conv, epilogue, in
/// order; the last one's result is the block's) along the output channels:
/// a loop over the `channelTile`-wide blocks of the first channels, then the
/// last `channelRest` channels (in power-of-two parts), each part of every op computed from the part
/// before it, and each part's result inserted into the block's output. The
/// parts stay in the iteration of the parallel loop that holds the chain.
LogicalResult splitChannelRest(RewriterBase &rewriter, ArrayRef<Operation *> chain,
                               int64_t channelTile, int64_t channelRest) {
  Operation *root = chain.back();
  auto cannot = [&](StringRef why) {
    return root->emitOpError("cnnc-tile-and-vectorize: cannot split a register block's "
                             "channels (channel_rest): ")
           << why;
  };
  // Each op's loop over the output channels: its output's last dimension.
  SmallVector<unsigned> channelLoops;
  for (Operation *op : chain) {
    auto linalgOp = dyn_cast<linalg::LinalgOp>(op);
    if (!linalgOp || linalgOp.getNumDpsInits() != 1 || op->getNumResults() != 1)
      return cannot("a fused op is no linalg op with one result");
    AffineMap map = linalgOp.getMatchingIndexingMap(linalgOp.getDpsInitOperand(0));
    if (map.getNumResults() != 4 || !isa<AffineDimExpr>(map.getResult(3)))
      return cannot("a fused op's channels are no loop of its own");
    channelLoops.push_back(cast<AffineDimExpr>(map.getResult(3)).getPosition());
  }
  auto type = cast<RankedTensorType>(root->getResult(0).getType());
  int64_t whole = type.getDimSize(3) - channelRest;
  if (whole <= 0 || whole % channelTile != 0)
    return cannot("the channel tiles do not divide the channels before the rest");
  // The block's output tile, which the parts write in turn: the root's
  // destination, or that of the chain op whose result the root starts from.
  Value start = cast<DestinationStyleOpInterface>(root).getDpsInits()[0];
  while (Operation *def = start.getDefiningOp()) {
    if (!llvm::is_contained(chain, def))
      break;
    start = cast<DestinationStyleOpInterface>(def).getDpsInits()[0];
  }
  Location loc = root->getLoc();
  SmallVector<Operation *> dead, parts;
  // The chain over channels [offset, offset + size), written into `acc`.
  auto buildPart = [&](OpFoldResult offset, int64_t size, Value acc) -> Value {
    DenseMap<Value, Value> partOf;
    Operation *part = nullptr;
    SmallVector<OpFoldResult> offsets, sizes;
    for (auto [op, loop] : llvm::zip(chain, channelLoops)) {
      auto tileable = cast<TilingInterface>(op);
      offsets.clear();
      sizes.clear();
      for (Range range : tileable.getIterationDomain(rewriter)) {
        offsets.push_back(range.offset);
        sizes.push_back(range.size);
      }
      offsets[loop] = offset;
      sizes[loop] = rewriter.getIndexAttr(size);
      FailureOr<TilingResult> tiled = tileable.getTiledImplementation(rewriter, offsets, sizes);
      if (failed(tiled) || tiled->tiledOps.size() != 1)
        return Value();
      part = tiled->tiledOps[0];
      // Its operands from the parts before it; its slices of the block's
      // output from the output written so far.
      for (OpOperand &operand : part->getOpOperands()) {
        auto slice = operand.get().getDefiningOp<tensor::ExtractSliceOp>();
        if (!slice)
          continue;
        if (Value earlier = partOf.lookup(slice.getSource())) {
          if (earlier.getType() != slice.getType())
            return Value();
          operand.set(earlier);
        } else if (slice.getSource() == start) {
          OpBuilder::InsertionGuard guard(rewriter);
          rewriter.setInsertionPoint(part);
          operand.set(tensor::ExtractSliceOp::create(
              rewriter, loc, slice.getType(), acc, slice.getMixedOffsets(),
              slice.getMixedSizes(), slice.getMixedStrides()));
        } else {
          continue;
        }
        dead.push_back(slice);
      }
      partOf[op->getResult(0)] = part->getResult(0);
      parts.push_back(part);
    }
    SmallVector<OpFoldResult> resultOffsets, resultSizes;
    if (failed(cast<TilingInterface>(root).getResultTilePosition(rewriter, 0, offsets, sizes,
                                                                 resultOffsets, resultSizes)))
      return Value();
    return tensor::InsertSliceOp::create(rewriter, loc, part->getResult(0), acc, resultOffsets,
                                         resultSizes,
                                         SmallVector<OpFoldResult>(4, rewriter.getIndexAttr(1)));
  };
  rewriter.setInsertionPointAfter(root);
  Value acc = start;
  if (whole == channelTile) {
    acc = buildPart(rewriter.getIndexAttr(0), channelTile, acc);
  } else {
    auto index = [&](int64_t v) { return arith::ConstantIndexOp::create(rewriter, loc, v); };
    auto loop = scf::ForOp::create(rewriter, loc, index(0), index(whole), index(channelTile),
                                   ValueRange{acc});
    rewriter.setInsertionPointToStart(loop.getBody());
    Value next = buildPart(loop.getInductionVar(), channelTile, loop.getRegionIterArgs()[0]);
    if (next)
      scf::YieldOp::create(rewriter, loc, next);
    rewriter.setInsertionPointAfter(loop);
    acc = next ? loop.getResult(0) : Value();
  }
  // The rest in power-of-two parts, the largest first (10 = 8 + 2): odd
  // widths would be vectors that LLVM assembles lane by lane.
  for (int64_t offset = whole, left = channelRest; acc && left > 0;) {
    int64_t part = int64_t(1) << llvm::Log2_64(left);
    acc = buildPart(rewriter.getIndexAttr(offset), part, acc);
    offset += part;
    left -= part;
  }
  if (!acc)
    return cannot("tiling a fused op failed");
  // The parts' convs are whole tiles: the loop's of the schedule without
  // its rest, the rest's as wide as the rest.
  StringRef key = codegen::CodegenDialect::kScheduleAttrName;
  for (Operation *part : parts) {
    int64_t channels =
        cast<RankedTensorType>(cast<DestinationStyleOpInterface>(part).getDpsInits()[0].getType())
            .getDimSize(3);
    if (auto s = part->getAttrOfType<codegen::ConvScheduleAttr>(key))
      part->setAttr(key, s.withChannels(channels, 0));
    else if (auto w = part->getAttrOfType<codegen::WindowScheduleAttr>(key))
      part->setAttr(key, w.withChannels(channels, 0));
  }
  rewriter.replaceAllUsesWith(root->getResult(0), acc);
  for (Operation *op : dead)
    if (op->use_empty())
      rewriter.eraseOp(op);
  for (Operation *op : llvm::reverse(chain))
    if (op->use_empty())
      rewriter.eraseOp(op);
  return success();
}


/// The parallel level of a row-outer conv's schedule, done here rather than
/// with transform.structured.fuse_into_containing_op (which prints the
/// whole function into a diagnostic for every producer it fuses: minutes
/// on ResNet-50): an scf.forall over the register blocks of the conv, or of
/// its epilogue with the conv fused in, and the accumulator's initializer
/// fused too. The fused epilogue and initializer are tagged to be
/// vectorized with the conv; the tiled conv keeps its schedule.
LogicalResult tileIntoForall(RewriterBase &rewriter, linalg::LinalgOp conv,
                             ArrayRef<int64_t> forallTiles, bool epilogue, bool fuseInit,
                             bool sequential, ArrayRef<int64_t> interchange,
                             int64_t channelRest) {
  Operation *init = fuseInit ? conv.getDpsInits()[0].getDefiningOp() : nullptr;
  Operation *root = epilogue ? *conv->user_begin() : conv.getOperation();
  // An epilogue that only writes its output finishes the tile the conv
  // accumulated into (the last of cnnc-split-strided-convs' phases, whose
  // accumulator is the previous phase's result): written to a buffer of its
  // own, bufferization copied the accumulator first.
  bool epilogueFinishesAcc = false;
  if (auto epi = dyn_cast<linalg::GenericOp>(root); epi && !fuseInit && epi != conv) {
    OpOperand &out = epi.getDpsInitsMutable()[0];
    Value acc = conv.getDpsInits()[0];
    if (!epi.payloadUsesValueFromOperand(&out) && out.get().getType() == acc.getType()) {
      rewriter.modifyOpInPlace(epi, [&] { out.assign(acc); });
      epilogueFinishesAcc = true;
    }
  }
  scf::SCFTileAndFuseOptions options;
  SmallVector<OpFoldResult> sizes;
  for (int64_t t : forallTiles)
    sizes.push_back(rewriter.getIndexAttr(t));
  // With a channel rest the loop runs over images and pixels; the channel
  // tiles are split inside its iterations.
  if (channelRest > 0)
    sizes.back() = rewriter.getIndexAttr(0);
  options.tilingOptions
      .setLoopType(sequential ? scf::SCFTilingOptions::LoopType::ForOp
                              : scf::SCFTilingOptions::LoopType::ForallOp)
      .setTileSizes(sizes)
      .setInterchange(interchange);
  options.setFusionControlFn(
      [&](tensor::ExtractSliceOp, OpResult producer,
          bool) -> std::optional<scf::SCFTileAndFuseOptions::ControlFnResult> {
        Operation *owner = producer.getOwner();
        if (owner == conv.getOperation() || (init && owner == init))
          return scf::SCFTileAndFuseOptions::ControlFnResult{};
        return std::nullopt;
      });
  rewriter.setInsertionPoint(root);
  FailureOr<scf::SCFTileAndFuseResult> tiled =
      scf::tileConsumerAndFuseProducersUsingSCF(rewriter, cast<TilingInterface>(root), options);
  if (failed(tiled))
    return conv.emitOpError("cnnc-tile-and-vectorize: tiling into register blocks failed");
  Attribute schedule = conv->getAttr(codegen::CodegenDialect::kScheduleAttrName);
  auto tiledRoot = cast<DestinationStyleOpInterface>(tiled->tiledAndFusedOps[0]);
  // The op that starts the tile's accumulation, the fused initializer (or
  // the conv, where the epilogue finishes its accumulator), writes the
  // output tile the epilogue will finish: not a tile of its own (a buffer
  // per tile), nor a slice of the value the loop started from (read while
  // the loop writes it, which made bufferization copy it).
  Value outTile = tiledRoot.getDpsInits()[0];
  auto tiledEpilogue = dyn_cast<linalg::GenericOp>(tiledRoot.getOperation());
  bool epilogueReadsOutTile =
      epilogue && tiledEpilogue &&
      tiledEpilogue.payloadUsesValueFromOperand(tiledEpilogue.getDpsInitOperand(0));
  auto startWritesOutTile = [&](Operation *op) {
    auto start = dyn_cast<linalg::LinalgOp>(op);
    if (!start || op == tiledRoot.getOperation() || !outTile.getDefiningOp() ||
        start.getDpsInits()[0].getType() != outTile.getType())
      return;
    outTile.getDefiningOp()->moveBefore(op);
    rewriter.modifyOpInPlace(op, [&] { start.getDpsInitsMutable()[0].assign(outTile); });
  };
  for (Operation *op : tiled->tiledAndFusedOps) {
    bool isConv = isa<linalg::Conv2DNhwcHwcfOp>(op) || cnnc::isDepthwiseLike(op);
    if (isConv)
      op->setAttr(codegen::CodegenDialect::kScheduleAttrName, schedule);
    else
      op->setAttr(kVectorizeInTile, rewriter.getUnitAttr());
    // An epilogue that reads its output tile (a residual accumulated in
    // place, cnnc-fuse-conv-epilogues) keeps the initializer out of it.
    if (isConv ? epilogueFinishesAcc : epilogue && !epilogueReadsOutTile)
      startWritesOutTile(op);
  }
  SmallVector<Value> replacements;
  for (Value result : root->getResults())
    replacements.push_back(tiled->replacements.lookup(result));
  rewriter.replaceOp(root, replacements);
  // Fusion leaves the slices it fused through behind, unused; they still
  // read the untiled producers, which must go.
  // A nest of sequential loops walks its inner loops' slices again: each
  // slice is listed once, or it would be erased twice.
  llvm::SetVector<Operation *> slices;
  for (LoopLikeOpInterface loop : tiled->loops)
    loop->walk([&](tensor::ExtractSliceOp slice) { slices.insert(slice); });
  for (Operation *slice : llvm::reverse(slices))
    if (slice->use_empty())
      rewriter.eraseOp(slice);
  for (Operation *dead : {(Operation *)conv.getOperation(), init})
    if (dead && dead != root && dead->use_empty())
      rewriter.eraseOp(dead);
  if (channelRest == 0)
    return success();
  SmallVector<Operation *> chain(tiled->tiledAndFusedOps.begin(), tiled->tiledAndFusedOps.end());
  llvm::sort(chain, [](Operation *a, Operation *b) { return a->isBeforeInBlock(b); });
  return splitChannelRest(rewriter, chain, forallTiles.back(), channelRest);
}

/// Whether `value` (a slice of it) is a tensor that `forall`'s body
/// writes: its shared output, or a result of an op or loop in it.
bool writtenInForall(Value value, Operation *forall) {
  while (auto slice = value.getDefiningOp<tensor::ExtractSliceOp>())
    value = slice.getSource();
  if (!isa<RankedTensorType>(value.getType()))
    return false;
  Operation *def = value.getDefiningOp();
  if (!def)
    return forall->isAncestor(value.getParentBlock()->getParentOp());
  return forall->isAncestor(def) &&
         isa<DestinationStyleOpInterface, LoopLikeOpInterface>(def);
}

/// Tags `op` to be vectorized a row (its innermost loop) at a time, in
/// loops over the others: vectorized whole, a large block's fill was one
/// vector write that LLVM unrolled into a store per row, most of a model's
/// compile time (docs/benchmarks.md, session 28). For ops whose inputs are
/// not written in the loops.
LogicalResult vectorizeByRows(RewriterBase &rewriter, linalg::LinalgOp op) {
  if (op.getNumLoops() <= 1 || op.getNumLoops() != op.getNumParallelLoops()) {
    op->setAttr(kVectorizeInTile, rewriter.getUnitAttr());
    return success();
  }
  SmallVector<OpFoldResult> sizes(op.getNumLoops(), rewriter.getIndexAttr(1));
  sizes.back() = rewriter.getIndexAttr(0); // the row whole
  scf::SCFTilingOptions options;
  options.setTileSizes(sizes).setLoopType(scf::SCFTilingOptions::LoopType::ForOp);
  rewriter.setInsertionPoint(op);
  FailureOr<scf::SCFTilingResult> tiled =
      scf::tileUsingSCF(rewriter, cast<TilingInterface>(op.getOperation()), options);
  if (failed(tiled))
    return op.emitOpError("cnnc-tile-and-vectorize: tiling into rows failed");
  for (Operation *row : tiled->tiledOps)
    row->setAttr(kVectorizeInTile, rewriter.getUnitAttr());
  rewriter.replaceOp(op, tiled->replacements);
  return success();
}

/// Whether a transfer of `vector` through `map` covers all of `tile`: the
/// tile's dims in order, every one it skips of size 1.
bool coversWholeTile(AffineMap map, VectorType vector, RankedTensorType tile) {
  int64_t next = 0;
  for (auto [i, expr] : llvm::enumerate(map.getResults())) {
    auto dim = dyn_cast<AffineDimExpr>(expr);
    if (!dim || (int64_t)dim.getPosition() < next ||
        vector.getDimSize(i) != tile.getDimSize(dim.getPosition()))
      return false;
    for (; next < (int64_t)dim.getPosition(); ++next)
      if (tile.getDimSize(next) != 1)
        return false;
    next = dim.getPosition() + 1;
  }
  for (; next < tile.getRank(); ++next)
    if (tile.getDimSize(next) != 1)
      return false;
  return true;
}

/// Whether `transfer` (unmasked, at the origin) reads or writes all of its
/// statically shaped tensor.
template <typename TransferOp>
bool transfersWholeTile(TransferOp transfer) {
  auto tile = dyn_cast<RankedTensorType>(transfer.getBase().getType());
  return tile && tile.hasStaticShape() && !transfer.getMask() &&
         llvm::all_of(transfer.getIndices(), isZeroInteger) &&
         coversWholeTile(transfer.getPermutationMap(), transfer.getVectorType(), tile);
}

/// A register block's accumulator read back from the tile its initializer
/// (bias broadcast or fill) was just written to is the written vector:
/// transfer_read(transfer_write(v, tile)) -> shape_cast(v), where the write
/// covers the whole tile and the read takes all of it, less unit dims. The
/// write then has no reader and goes, so the initializer never touches
/// memory (and cannot clobber a residual the tile's epilogue reads from the
/// same place, cnnc-fuse-conv-epilogues).
struct ForwardWholeTileWrite : OpRewritePattern<vector::TransferReadOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(vector::TransferReadOp read,
                                PatternRewriter &rewriter) const override {
    auto write = read.getBase().getDefiningOp<vector::TransferWriteOp>();
    if (!write || !transfersWholeTile(write) || !transfersWholeTile(read))
      return failure();
    rewriter.replaceOpWithNewOp<vector::ShapeCastOp>(read, read.getVectorType(),
                                                     write.getVector());
    return success();
  }
};

/// The initializer's whole-tile write that the block's result then
/// overwrites whole (a conv without a fused epilogue: its accumulator was
/// forwarded from the write, which stayed as the result's destination):
/// transfer_write(r, transfer_write(v, tile)) -> transfer_write(r, tile).
/// Upstream's write-after-write folding needs equal vector types (here the
/// initializer's has the tile's unit dims). Kept, every output was stored
/// twice (ResNet-50's downsample convs; the second store finds the line in
/// L1, so it cost no time measurable on the model).
struct DropOverwrittenWholeTileWrite : OpRewritePattern<vector::TransferWriteOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(vector::TransferWriteOp write,
                                PatternRewriter &rewriter) const override {
    auto earlier = write.getBase().getDefiningOp<vector::TransferWriteOp>();
    if (!earlier || !earlier->hasOneUse() || !transfersWholeTile(earlier) ||
        !transfersWholeTile(write))
      return failure();
    rewriter.modifyOpInPlace(write, [&] { write.getBaseMutable().assign(earlier.getBase()); });
    return success();
  }
};

/// The register level of each schedule, applied to the convs in their
/// foralls (rows order) or to the whole conv (filter-block orders): tile
/// the filter blocks (a forall; a loop inside a block chain's forall), the
/// reduction chunks, the rows and the reduction step, decompose to 1-D and
/// vectorize. Window schedules tile the kernel rows.
void buildSchedule(ImplicitLocOpBuilder &b, Value root, ArrayRef<Attribute> schedules) {
  StringRef key = codegen::CodegenDialect::kScheduleAttrName;
  for (Attribute attr : schedules) {
    DictionaryAttr match = b.getDictionaryAttr(b.getNamedAttr(key, attr));
    if (auto w = dyn_cast<codegen::WindowScheduleAttr>(attr)) {
      // Loops n, oh, ow, c, kh, kw: kernel rows one at a time.
      Value ops = cnnc::matchOps(b, root,
                                 {linalg::DepthwiseConv2DNhwcHwcOp::getOperationName(),
                                  linalg::PoolingNhwcMaxOp::getOperationName(),
                                  linalg::PoolingNhwcSumOp::getOperationName()},
                                 match);
      cnnc::decomposeAndVectorize(b, cnnc::tileUsingFor(b, ops, {0, 0, 0, 0, 1, 0}));
      continue;
    }
    auto s = cast<codegen::ConvScheduleAttr>(attr);
    // Loops n, oh, ow, f, kh, kw, c.
    Value conv = cnnc::matchOps(b, root, {linalg::Conv2DNhwcHwcfOp::getOperationName()}, match);
    if (s.getOrder() != ConvLoopOrder::Rows) {
      SmallVector<int64_t> blocks = {0, 0, 0, s.getChannelTile()};
      conv = s.getGroupChain() ? cnnc::tileUsingFor(b, conv, blocks)
                               : cnnc::tileUsingForall(b, conv, blocks);
      if (s.getOrder() == ConvLoopOrder::ChunkedFilterBlocks)
        conv = cnnc::tileUsingFor(b, conv, {0, 0, 0, 0, 0, 0, s.getReductionChunk()});
      if (s.getOrder() == ConvLoopOrder::ChunkedFilterRows)
        conv = cnnc::tileUsingFor(b, conv, {0, 0, 0, 0, s.getReductionChunk()});
      conv = cnnc::tileUsingFor(b, conv, {s.getBatchTile(), 1, s.getWidthTile(), 0});
    }
    Type anyOp = transform::AnyOpType::get(b.getContext());
    auto reduction = transform::TileUsingForOp::create(
        b, SmallVector<Type>(3, anyOp), conv,
        ArrayRef<int64_t>{0, 0, 0, 0, 1, 1, s.getReductionStep()});
    cnnc::decomposeAndVectorize(b, reduction.getTiledLinalgOp());
    if (s.getTileRows() == 0)
      continue;
    // Matrix tiles: the contractions in each block's reduction loops are
    // marked with the schedule, for cnnc-lower-contractions-to-amx (before
    // the clean-up folds loops of one iteration, a 1x1 conv's all three).
    Value tiles = transform::ParamConstantOp::create(
        b, transform::AnyParamType::get(b.getContext()), s);
    auto each = transform::ForeachOp::create(b, TypeRange{}, ValueRange{reduction.getLoops()[0]},
                                             UnitAttr());
    OpBuilder::InsertionGuard guard(b);
    Block *body = b.createBlock(&each.getBody(), {}, {anyOp}, {b.getLoc()});
    Value contracts = cnnc::matchOps(b, body->getArgument(0),
                                     {vector::ContractionOp::getOperationName()}, DictionaryAttr());
    transform::AnnotateOp::create(b, contracts, codegen::CodegenDialect::kMatrixTilesAttrName,
                                  tiles);
    transform::YieldOp::create(b);
  }
  // The epilogues and initializers fused into the convs' tiles.
  cnnc::vectorize(b, cnnc::matchOps(b, root, {}, b.getDictionaryAttr(b.getNamedAttr(
                                                     kVectorizeInTile, b.getUnitAttr()))));
  Value funcs = cnnc::matchFunctions(b, root);
  cnnc::applyPatterns(b, funcs, [](OpBuilder &pb, Location loc) {
    transform::ApplyCanonicalizationPatternsOp::create(pb, loc);
    transform::ApplyFoldTensorSubsetOpsIntoVectorTransfersPatternsOp::create(pb, loc);
  });
  cnnc::buildScheduleCleanup(b, root, funcs);
}

struct TileAndVectorizePass : cnnc::impl::TileAndVectorizePassBase<TileAndVectorizePass> {
  using TileAndVectorizePassBase::TileAndVectorizePassBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    IRRewriter rewriter(&getContext());
    StringRef key = codegen::CodegenDialect::kScheduleAttrName;
    auto convSchedule = [&](Operation *op) {
      return op->getAttrOfType<codegen::ConvScheduleAttr>(key);
    };
    // Filter-block chains whose schedules say so: one forall over the
    // filter blocks, each block's register blocks in sequential loops.
    llvm::SmallPtrSet<Operation *, 8> blockForalls;
    for (scf::ForallOp forall : cnnc::groupBlockChains(
             rewriter, module, [&](linalg::Conv2DNhwcHwcfOp conv) {
               auto s = convSchedule(conv);
               return s && s.getGroupChain();
             })) {
      blockForalls.insert(forall);
      // Rows outside the blocks where every conv of the chain asks for it.
      bool rowsOutside = true;
      forall.getBody()->walk([&](linalg::Conv2DNhwcHwcfOp conv) {
        auto s = convSchedule(conv);
        rowsOutside &= s && s.getRowsOutside();
      });
      if (rowsOutside)
        forall->setAttr(mlir::cnn::attr_names::kRowsOutsideBlocks, rewriter.getUnitAttr());
    }
    llvm::SetVector<Attribute> schedules;
    SmallVector<RowOuterConv> rowOuter;
    module.walk([&](linalg::LinalgOp op) {
      if (!op.hasPureTensorSemantics())
        return;
      bool inBlockForall = blockForalls.contains(op->getParentOp());
      if (auto s = convSchedule(op)) {
        // A chain that did not form (not a chain after all) runs its convs
        // as ordinary ones: the schedule says where each conv runs.
        if (s.getGroupChain() != inBlockForall) {
          s = s.withGroupChain(inBlockForall);
          op->setAttr(key, s);
        }
        schedules.insert(s);
        if (s.getOrder() == ConvLoopOrder::Rows)
          rowOuter.push_back({op,
                              {s.getBatchTile(), 1, s.getWidthTile(), s.getChannelTile()},
                              s.getFuseEpilogue(),
                              s.getFuseInit(),
                              inBlockForall,
                              {},
                              s.getChannelRest()});
      } else if (auto w = op->getAttrOfType<codegen::WindowScheduleAttr>(key)) {
        schedules.insert(w);
        RowOuterConv r{op,
                       {1, 1, w.getWidthTile(), w.getChannelTile()},
                       w.getFuseEpilogue(),
                       w.getFuseInit(),
                       inBlockForall,
                       {},
                       w.getChannelRest()};
        if (w.getChannelsOuter())
          r.interchange = {3, 0, 1, 2};
        rowOuter.push_back(r);
      }
    });
    if (schedules.empty())
      return;
    for (const RowOuterConv &r : rowOuter)
      if (failed(tileIntoForall(rewriter, r.conv, r.forallTiles, r.epilogue, r.fuseInit,
                                r.sequential, r.interchange, r.channelRest)))
        return signalPassFailure();
    // The initializers and epilogues left out of a block forall's register
    // tiles (filter-outer convs; a bias broadcast without an epilogue) stay
    // whole-block ops there (cnnc-parallelize-elementwise leaves ops inside
    // loops alone). An initializer, which reads nothing the block computes,
    // is vectorized a row at a time; an epilogue whole, its reads of the
    // block all before its writes over it (row by row, bufferization would
    // copy the block first).
    for (Operation *forall : blockForalls) {
      SmallVector<linalg::LinalgOp> initializers;
      for (Operation &op : cast<scf::ForallOp>(forall).getBody()->getOperations()) {
        auto linalgOp = dyn_cast<linalg::LinalgOp>(op);
        if (!linalgOp || !isa<linalg::GenericOp, linalg::FillOp>(op))
          continue;
        if (llvm::any_of(linalgOp.getDpsInputs(),
                         [&](Value in) { return writtenInForall(in, forall); }))
          op.setAttr(kVectorizeInTile, rewriter.getUnitAttr());
        else
          initializers.push_back(linalgOp);
      }
      for (linalg::LinalgOp op : initializers)
        if (failed(vectorizeByRows(rewriter, op)))
          return signalPassFailure();
    }
    // Register blocks split by channels carry schedules of their own.
    module.walk([&](linalg::LinalgOp op) {
      Attribute s = op->getAttr(key);
      if (isa_and_nonnull<codegen::ConvScheduleAttr, codegen::WindowScheduleAttr>(s))
        schedules.insert(s);
    });
    SmallVector<Attribute> list(schedules.begin(), schedules.end());
    if (failed(cnnc::applyTransformSchedule(
            module, [&](ImplicitLocOpBuilder &b, Value root) { buildSchedule(b, root, list); })))
      return signalPassFailure();
    RewritePatternSet forwarding(&getContext());
    forwarding.add<ForwardWholeTileWrite, DropOverwrittenWholeTileWrite>(&getContext());
    // The forwarded writes' tiles, carried through the reduction loops unread, go too.
    scf::ForOp::getCanonicalizationPatterns(forwarding, &getContext());
    if (failed(applyPatternsGreedily(module, std::move(forwarding))))
      return signalPassFailure();
  }
};

} // namespace
