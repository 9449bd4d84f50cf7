//===- TileAndVectorize.cpp - per-layer conv schedules ---------------------===//
//
// Tile sizes are chosen from the layer's shape and written on the op, then a
// transform-dialect schedule (generated text, one block per distinct tile
// configuration) applies them. Only tile sizes that divide the shape are
// used: uneven tiles would leave unvectorized remainders.
//
//===----------------------------------------------------------------------===//

#include "Passes.h"
#include "Transforms/BlockChainForall.h"
#include "Transforms/GeneratedSchedule.h"

#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"
#include "mlir/Dialect/Transform/IR/TransformOps.h"
#include "mlir/IR/BuiltinOps.h"

#include "llvm/ADT/SetVector.h"
#include "llvm/Support/FormatVariadic.h"

namespace cnnc {
#define GEN_PASS_DEF_TILEANDVECTORIZEPASS
#include "Passes.h.inc"
} // namespace cnnc

using namespace mlir;

namespace {

/// Largest divisor of `n` that is at most `limit`.
int64_t largestDivisor(int64_t n, int64_t limit) {
  for (int64_t d = std::min(n, limit); d > 1; --d)
    if (n % d == 0)
      return d;
  return 1;
}

/// Filters larger than this do not stay in the (1 MiB per core) L2 cache
/// from one output row to the next.
constexpr int64_t kFilterCacheBytes = 1 << 20;

/// ORDER 2's reduction chunk (input channels), and the filter size above
/// which a rows-of-7 conv takes it (half the L2 cache: the rows' inputs and
/// outputs share it).
constexpr int64_t kReductionChunk = 128;
constexpr int64_t kChunkedFilterBytes = 1 << 19;

/// Filter-block chains are grouped into one forall over the filter blocks
/// where a block has at most this many register blocks (ResNet's rows of 14
/// and 7 at batch 1 (28, 14), rows of 7 at batch 8 (56); not rows of 14 or
/// more at batch 8 (224 and up)).
constexpr int64_t kGroupedRegisterBlocks = 128;

/// Register block: N images x OW outputs x F channels of accumulators (up
/// to 28 zmm), a reduction step of C input channels, and the loop order
/// (returned as {OW, F, C, ORDER, N}): 0 = the parallel
/// loop iterates output rows outermost (small filters stay in cache), 1 = it
/// iterates F-channel blocks, each of which walks all output rows in turn,
/// so that its filter slice is read from memory once (ResNet's 3x3x512x512
/// filter is 9.4 MB; the row-outer order re-streamed it for every row),
/// 2 = like 1, with the reduction cut into chunks of kReductionChunk input
/// channels outside the row loop (see below).
SmallVector<int64_t, 5> chooseConvTiles(linalg::Conv2DNhwcHwcfOp conv, bool filterOuter,
                                        bool wideBlocks, bool chunkedRows) {
  auto out = cast<ShapedType>(conv.getDpsInits()[0].getType()).getShape();
  auto filter = cast<ShapedType>(conv.getDpsInputs()[1].getType()).getShape();
  int64_t n = out[0], ow = out[2], f = out[3], c = filter[2];
  int64_t filterBytes = filter[0] * filter[1] * filter[2] * filter[3] * 4;
  int64_t nTile = 1;
  bool chunked = false;
  // A channel count that is a multiple of 8 but not of 16 (MobileNetV2's
  // 24) takes blocks of 8: a 24-wide vector becomes a zmm plus a ymm that
  // LLVM assembles lane by lane (measured 2x slower).
  int64_t fTile = f % 32 == 0 ? 32 : f % 16 == 0 ? 16 : f % 8 == 0 ? 8 : largestDivisor(f, 32);
  int64_t owTile = largestDivisor(ow, fTile >= 32 ? 8 : 16);
  if (wideBlocks && f % 32 == 0 && ow % 14 == 0) {
    // Rows of 112, 56, 28 and 14 (every ResNet stage but the last): 14 x 32
    // blocks, 28 zmm accumulators + 2 filter vectors + 1 broadcast = 31 of
    // the 32 registers, each filter vector used 14 times. (7 x 64 has the
    // same reuse but needs 33 registers: LLVM spilled two accumulators and
    // the reloads dominated the profile; 14 x 32 measured 1.2-1.4x faster
    // on 28x28 and 14x14 layers, one thread.)
    owTile = 14;
  } else if (wideBlocks && owTile == 7 && n % 2 == 0 && f % 32 == 0) {
    // Rows of 7 in a batch: the same row of two images, 2 x 7 x 32 (28
    // accumulators, no spill, each filter vector used 14 times).
    nTile = 2;
  } else if (wideBlocks && chunkedRows && owTile <= 7 && f == 64 && c % kReductionChunk == 0 &&
             filterBytes > kChunkedFilterBytes) {
    // Rows of 7 at batch 1, a filter block (cnnc-block-conv-filters' 64
    // channels) too large to stay in L2 from one row to the next (3x3x512:
    // 1.18 MB): row by row, every row re-read the whole block from L3 or
    // memory (four such convs with distinct weights took 1.56x as long per
    // conv as one conv whose weights stayed cached, 2 threads). ORDER 2:
    // one thread per 32-channel half, the reduction in chunks of 128 input
    // channels (a 147 KB filter chunk) outside the row loop, so that each
    // chunk is read once and reused by all rows from L2.
    chunked = true;
  } else if (wideBlocks && owTile <= 7 && f % 64 == 0) {
    // Rows of 7 (ResNet's last stage): 7 x 64, which spills two
    // accumulators but still beat 7 x 32 (half the reuse of each broadcast).
    fTile = 64;
  }
  // The reduction step: 8 input channels, unrolled into one contraction,
  // except for blocks of 28 accumulators (14 x 32, 2 x 7 x 32, 7 x 64):
  // there the unrolled step's loads, scheduled ahead of their FMAs, leave
  // no register free and LLVM spilled an accumulator on every step (56x56
  // 3x3 conv: 1.39 ms at 8 channels, 1.32 at 4, 1.21 at 1, one thread).
  int64_t accumulators = nTile * owTile * fTile / 16;
  int64_t cStep = accumulators >= 28 ? 1 : 8;
  int64_t cTile = c % cStep == 0 ? cStep : largestDivisor(c, cStep);
  // At least 8 F blocks, so that both threads get an even share.
  bool outer = filterOuter && filterBytes > kFilterCacheBytes && f / fTile >= 8;
  return {owTile, fTile, cTile, chunked ? 2 : outer ? 1 : 0, nTile};
}

/// Ops scheduled as depthwise convs: [1, 1, OW, C] blocks, kernel rows one
/// at a time (loops n, oh, ow, c, kh, kw). Pools are depthwise convs
/// without a filter.
bool isDepthwiseLike(Operation *op) {
  return isa<linalg::DepthwiseConv2DNhwcHwcOp, linalg::PoolingNhwcMaxOp, linalg::PoolingNhwcSumOp>(
      op);
}

/// Depthwise register block: OW outputs x C channels (C a multiple of the
/// 16-lane vector where the channels allow), one kernel row at a time.
/// Depthwise convs do 9 FMAs per output and are bound by loads, so the
/// block only has to keep its accumulators and one filter row in registers.
/// Pools (the same loops without a filter) take the same blocks.
SmallVector<int64_t, 2> chooseDepthwiseTiles(linalg::LinalgOp conv) {
  auto out = cast<ShapedType>(conv.getDpsInits()[0].getType()).getShape();
  int64_t ow = out[2], c = out[3];
  int64_t cTile = c % 32 == 0 ? 32 : c % 16 == 0 ? 16 : largestDivisor(c, 32);
  int64_t owTile = largestDivisor(ow, cTile >= 32 ? 8 : 14);
  return {owTile, cTile};
}

/// How a conv's tile is assembled, appended to its tile sizes: EPILOGUE
/// (1: the conv's elementwise consumer, chosen by cnnc-fuse-conv-epilogues,
/// is tiled by the register block and the conv fused into it) and INIT
/// (1: the accumulator's initializer, the bias broadcast, is fused too).
/// Only row-outer schedules (ORDER 0) fuse.
void appendFusion(linalg::LinalgOp conv, bool rowOuter, SmallVectorImpl<int64_t> &config) {
  bool epilogue = rowOuter && conv->hasAttr("cnn.fused_epilogue") && conv->hasOneUse() &&
                  isa<linalg::GenericOp>(*conv->user_begin());
  Operation *init = conv.getDpsInits()[0].getDefiningOp();
  bool fuseInit = rowOuter && init && isa<linalg::GenericOp, linalg::FillOp>(init);
  config.push_back(epilogue);
  config.push_back(fuseInit);
}

/// A conv whose scf.forall this pass builds: its [N, 1, OW, F] register
/// block and the EPILOGUE and INIT flags of its `cnn.tile`.
struct RowOuterConv {
  linalg::LinalgOp conv;
  SmallVector<int64_t, 4> forallTiles;
  bool epilogue, fuseInit;
  bool sequential; // in a block chain's forall: its tiles are sequential loops
};

constexpr StringLiteral kVectorizeInTile = "cnn.vectorize_in_tile";

/// The parallel level of a row-outer conv's schedule, done here rather than
/// with transform.structured.fuse_into_containing_op (which prints the
/// whole function into a diagnostic for every producer it fuses: minutes
/// on ResNet-50): an scf.forall over the register blocks of the conv, or of
/// its epilogue with the conv fused in, and the accumulator's initializer
/// fused too. The fused epilogue and initializer are tagged to be
/// vectorized with the conv; the tiled conv keeps its `cnn.tile`.
LogicalResult tileIntoForall(RewriterBase &rewriter, linalg::LinalgOp conv,
                             ArrayRef<int64_t> forallTiles, bool epilogue, bool fuseInit,
                             bool sequential) {
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
  options.tilingOptions
      .setLoopType(sequential ? scf::SCFTilingOptions::LoopType::ForOp
                              : scf::SCFTilingOptions::LoopType::ForallOp)
      .setTileSizes(sizes);
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
  Attribute tileAttr = conv->getAttr("cnn.tile");
  auto tiledRoot = cast<DestinationStyleOpInterface>(tiled->tiledAndFusedOps[0]);
  // The op that starts the tile's accumulation, the fused initializer (or
  // the conv, where the epilogue finishes its accumulator), writes the
  // output tile the epilogue will finish: not a tile of its own (a buffer
  // per tile), nor a slice of the value the loop started from (read while
  // the loop writes it, which made bufferization copy it).
  Value outTile = tiledRoot.getDpsInits()[0];
  auto startWritesOutTile = [&](Operation *op) {
    auto start = dyn_cast<linalg::LinalgOp>(op);
    if (!start || op == tiledRoot.getOperation() || !outTile.getDefiningOp() ||
        start.getDpsInits()[0].getType() != outTile.getType())
      return;
    outTile.getDefiningOp()->moveBefore(op);
    rewriter.modifyOpInPlace(op, [&] { start.getDpsInitsMutable()[0].assign(outTile); });
  };
  for (Operation *op : tiled->tiledAndFusedOps) {
    bool isConv = isa<linalg::Conv2DNhwcHwcfOp>(op) || isDepthwiseLike(op);
    if (isConv)
      op->setAttr("cnn.tile", tileAttr);
    else
      op->setAttr(kVectorizeInTile, rewriter.getUnitAttr());
    if (isConv ? epilogueFinishesAcc : epilogue)
      startWritesOutTile(op);
  }
  rewriter.replaceOp(root, tiled->replacements.lookup(root->getResult(0)));
  // Fusion leaves the slices it fused through behind, unused; they still
  // read the untiled producers, which must go.
  SmallVector<tensor::ExtractSliceOp> slices;
  for (LoopLikeOpInterface loop : tiled->loops)
    loop->walk([&](tensor::ExtractSliceOp slice) { slices.push_back(slice); });
  for (tensor::ExtractSliceOp slice : llvm::reverse(slices))
    if (slice->use_empty())
      rewriter.eraseOp(slice);
  for (Operation *dead : {(Operation *)conv.getOperation(), init})
    if (dead && dead != root && dead->use_empty())
      rewriter.eraseOp(dead);
  return success();
}

/// The register level of one tile configuration, applied to each conv
/// already in its scf.forall: `reductionTiles`, decompose to 1-D and
/// vectorize.
std::string convSchedule(StringRef opName, StringRef tileAttr, StringRef reductionTiles, int i) {
  int loops = 0;
  std::string loopTypes;
  for (StringRef size : llvm::split(reductionTiles, ", "))
    if (size != "0") {
      ++loops;
      loopTypes += ", !transform.any_op";
    }
  return llvm::formatv(
      "  %c{0} = transform.structured.match ops{{[\"{1}\"]} attributes{{cnn.tile = {2}} in %root "
      ": (!transform.any_op) -> !transform.any_op\n"
      "  %r{0}, %l{0}:{3} = transform.structured.tile_using_for %c{0} tile_sizes [{4}] "
      ": (!transform.any_op) -> (!transform.any_op{5})\n"
      "  %d{0} = transform.structured.decompose %r{0} : (!transform.any_op) -> !transform.any_op\n"
      "  transform.structured.vectorize %d{0} : !transform.any_op\n",
      i, opName, tileAttr, loops, reductionTiles, loopTypes);
}

/// A depthwise-like op's tile configuration: its op name and `cnn.tile`.
using DepthwiseConfig = std::pair<StringRef, SmallVector<int64_t, 4>>;

std::string buildSchedule(ArrayRef<SmallVector<int64_t, 7>> configs,
                          ArrayRef<DepthwiseConfig> depthwiseConfigs) {
  std::string s = "module attributes {transform.with_named_sequence} {\n"
                  "transform.named_sequence @__transform_main(%root: !transform.any_op "
                  "{transform.readonly}) {\n";
  int i = 0;
  // Depthwise and pools: [1, 1, OW, C] blocks over the forall, kernel rows
  // one at a time, decomposed to the 1-D forms the vectorizer handles.
  for (const auto &[opName, t] : depthwiseConfigs)
    s += convSchedule(opName,
                      llvm::formatv("array<i64: {0}, {1}, {2}, {3}>", t[0], t[1], t[2], t[3]).str(),
                      "0, 0, 0, 0, 1, 0", i++);
  for (const auto &t : configs) {
    std::string attr = llvm::formatv("array<i64: {0}, {1}, {2}, {3}, {4}, {5}, {6}>", t[0], t[1],
                                     t[2], t[3], t[4], t[5], t[6])
                           .str();
    if (t[3]) {
      // Filter-block outer: the forall over F blocks (ORDER 3: a loop, in a
      // block chain's forall), then (ORDER 2 and 3) a loop over reduction
      // chunks, then sequential loops over the output rows and width blocks
      // inside each.
      bool chunked = t[3] == 2 || t[3] == 3;
      std::string chunk =
          chunked ? llvm::formatv("  %fo{0}, %lk{0} = transform.structured.tile_using_for "
                                    "%fb{0} tile_sizes [0, 0, 0, 0, 0, 0, {1}] : "
                                    "(!transform.any_op) -> (!transform.any_op, "
                                    "!transform.any_op)\n",
                                    i, kReductionChunk)
                          .str()
                    : std::string();
      std::string rowsOf = (chunked ? "%fo" : "%fb") + std::to_string(i);
      StringRef blockLoop = t[3] == 3 ? "tile_using_for" : "tile_using_forall";
      s += llvm::formatv(
          "  %c{0} = transform.structured.match ops{{[\"linalg.conv_2d_nhwc_hwcf\"]} "
          "attributes{{cnn.tile = {1}} in %root : (!transform.any_op) -> !transform.any_op\n"
          "  %fb{0}, %fa{0} = transform.structured.{8} %c{0} tile_sizes "
          "[0, 0, 0, {3}] : (!transform.any_op) -> (!transform.any_op, !transform.any_op)\n"
          "{6}"
          "  %t{0}, %pa{0}, %pb{0}, %pc{0} = transform.structured.tile_using_for {7} "
          "tile_sizes [{4}, 1, {2}, 0] : (!transform.any_op) -> (!transform.any_op, "
          "!transform.any_op, !transform.any_op, !transform.any_op)\n"
          "  %r{0}, %la{0}, %lb{0}, %lc{0} = transform.structured.tile_using_for %t{0} "
          "tile_sizes [0, 0, 0, 0, 1, 1, {5}] : (!transform.any_op) -> (!transform.any_op, "
          "!transform.any_op, !transform.any_op, !transform.any_op)\n"
          "  %d{0} = transform.structured.decompose %r{0} : (!transform.any_op) -> "
          "!transform.any_op\n"
          "  transform.structured.vectorize %d{0} : !transform.any_op\n",
          i, attr, t[0], t[1], t[4], t[2], chunk, rowsOf, blockLoop);
      ++i;
      continue;
    }
    s += convSchedule("linalg.conv_2d_nhwc_hwcf", attr,
                      llvm::formatv("0, 0, 0, 0, 1, 1, {0}", t[2]).str(), i++);
  }
  // The epilogues and initializers fused into the convs' tiles.
  s += "  %fused = transform.structured.match attributes{cnn.vectorize_in_tile} in %root : "
       "(!transform.any_op) -> !transform.any_op\n"
       "  transform.structured.vectorize %fused : !transform.any_op\n";
  s += "  %funcs = transform.structured.match ops{[\"func.func\"]} in %root : "
       "(!transform.any_op) -> !transform.any_op\n"
       "  transform.apply_patterns to %funcs {\n"
       "    transform.apply_patterns.canonicalization\n"
       "    transform.apply_patterns.tensor.fold_tensor_subset_ops_into_vector_transfers\n"
       "  } : !transform.any_op\n";
  s += cnnc::kScheduleCleanupAndEnd;
  return s;
}

struct TileAndVectorizePass : cnnc::impl::TileAndVectorizePassBase<TileAndVectorizePass> {
  using TileAndVectorizePassBase::TileAndVectorizePassBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    IRRewriter rewriter(&getContext());
    // Filter-block chains of row-outer convs with few register blocks per
    // filter block: one forall over the filter blocks, each one's register
    // blocks in sequential loops inside. (With many, as at batch 8 on
    // 28x28 rows, each thread streaming the whole input once per filter
    // block measured up to 1.09x slower than both threads sharing it row
    // by row.)
    llvm::SmallPtrSet<Operation *, 8> blockForalls;
    if (enable && groupBlockChains)
      for (scf::ForallOp forall : cnnc::groupBlockChains(
               rewriter, module, [&](linalg::Conv2DNhwcHwcfOp conv) {
                 SmallVector<int64_t, 5> t =
                     chooseConvTiles(conv, filterOuter, wideBlocks, chunkedRows);
                 auto out = cast<ShapedType>(conv.getDpsInits()[0].getType()).getShape();
                 int64_t registerBlocks = out[0] / t[4] * out[1] * (out[2] / t[0]) * (out[3] / t[1]);
                 return (t[3] == 0 && registerBlocks <= kGroupedRegisterBlocks) || t[3] == 2;
               }))
        blockForalls.insert(forall);
    llvm::SetVector<SmallVector<int64_t, 7>> configs;
    llvm::SetVector<DepthwiseConfig> depthwiseConfigs;
    SmallVector<RowOuterConv> rowOuter;
    module.walk([&](Operation *op) {
      if (auto conv = dyn_cast<linalg::Conv2DNhwcHwcfOp>(op)) {
        if (!conv.hasPureTensorSemantics())
          return;
        SmallVector<int64_t, 7> tiles(chooseConvTiles(conv, filterOuter, wideBlocks, chunkedRows));
        bool inBlockForall = blockForalls.contains(conv->getParentOp());
        // ORDER 3: ORDER 2 in a block chain's forall, its halves in a loop.
        if (tiles[3] == 2 && inBlockForall)
          tiles[3] = 3;
        appendFusion(conv, /*rowOuter=*/tiles[3] == 0, tiles);
        conv->setAttr("cnn.tile", DenseI64ArrayAttr::get(&getContext(), tiles));
        configs.insert(tiles);
        if (tiles[3] == 0)
          rowOuter.push_back({conv, {tiles[4], 1, tiles[0], tiles[1]}, tiles[5] != 0, tiles[6] != 0,
                              inBlockForall});
      } else if (isDepthwiseLike(op)) {
        auto dw = cast<linalg::LinalgOp>(op);
        bool wanted = isa<linalg::DepthwiseConv2DNhwcHwcOp>(op) ? depthwise : pooling;
        if (!dw.hasPureTensorSemantics() || !wanted || dw.hasDynamicShape())
          return;
        SmallVector<int64_t, 4> tiles(chooseDepthwiseTiles(dw));
        appendFusion(dw, /*rowOuter=*/true, tiles);
        dw->setAttr("cnn.tile", DenseI64ArrayAttr::get(&getContext(), tiles));
        depthwiseConfigs.insert({op->getName().getStringRef(), tiles});
        rowOuter.push_back({dw, {1, 1, tiles[0], tiles[1]}, tiles[2] != 0, tiles[3] != 0,
                            blockForalls.contains(dw->getParentOp())});
      }
    });
    if (!enable || (configs.empty() && depthwiseConfigs.empty()))
      return;
    for (const RowOuterConv &r : rowOuter)
      if (failed(tileIntoForall(rewriter, r.conv, r.forallTiles, r.epilogue, r.fuseInit,
                                r.sequential)))
        return signalPassFailure();
    // The initializers and epilogues of a block forall's filter-outer convs
    // stay whole-block ops there (cnnc-parallelize-elementwise leaves ops
    // inside loops alone): vectorized as they are.
    for (Operation *forall : blockForalls)
      for (Operation &op : cast<scf::ForallOp>(forall).getBody()->getOperations())
        if (isa<linalg::GenericOp, linalg::FillOp>(op))
          op.setAttr(kVectorizeInTile, rewriter.getUnitAttr());
    SmallVector<SmallVector<int64_t, 7>> list(configs.begin(), configs.end());
    SmallVector<DepthwiseConfig> dwList(depthwiseConfigs.begin(), depthwiseConfigs.end());
    std::string text = buildSchedule(list, dwList);
    if (failed(cnnc::applyGeneratedSchedule(module, text, "cnnc-tile-and-vectorize")))
      return signalPassFailure();
  }
};

} // namespace
