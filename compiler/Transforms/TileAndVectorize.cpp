//===- TileAndVectorize.cpp - per-layer conv schedules ---------------------===//
//
// Tile sizes are chosen from the layer's shape and written on the op, then a
// transform-dialect schedule (generated text, one block per distinct tile
// configuration) applies them. Only tile sizes that divide the shape are
// used: uneven tiles would leave unvectorized remainders.
//
//===----------------------------------------------------------------------===//

#include "Passes.h"
#include "Transforms/GeneratedSchedule.h"

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

/// Register block: N images x OW outputs x F channels of accumulators (up
/// to 28 zmm), a reduction step of C input channels, and the loop order
/// (returned as {OW, F, C, ORDER, N}): 0 = the parallel
/// loop iterates output rows outermost (small filters stay in cache), 1 = it
/// iterates F-channel blocks, each of which walks all output rows in turn,
/// so that its filter slice is read from memory once (ResNet's 3x3x512x512
/// filter is 9.4 MB; the row-outer order re-streamed it for every row).
SmallVector<int64_t, 5> chooseConvTiles(linalg::Conv2DNhwcHwcfOp conv, bool filterOuter,
                                        bool wideBlocks) {
  auto out = cast<ShapedType>(conv.getDpsInits()[0].getType()).getShape();
  auto filter = cast<ShapedType>(conv.getDpsInputs()[1].getType()).getShape();
  int64_t n = out[0], ow = out[2], f = out[3], c = filter[2];
  int64_t nTile = 1;
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
  } else if (wideBlocks && owTile <= 7 && f % 64 == 0) {
    // Rows of 7 (ResNet's last stage): 7 x 64, which spills two
    // accumulators but still beat 7 x 32 (half the reuse of each broadcast).
    fTile = 64;
  }
  int64_t cTile = c % 8 == 0 ? 8 : largestDivisor(c, 8);
  int64_t filterBytes = filter[0] * filter[1] * filter[2] * filter[3] * 4;
  // At least 8 F blocks, so that both threads get an even share.
  bool outer = filterOuter && filterBytes > kFilterCacheBytes && f / fTile >= 8;
  return {owTile, fTile, cTile, outer ? 1 : 0, nTile};
}

/// Depthwise register block: OW outputs x C channels (C a multiple of the
/// 16-lane vector where the channels allow), one kernel row at a time.
/// Depthwise convs do 9 FMAs per output and are bound by loads, so the
/// block only has to keep its accumulators and one filter row in registers.
SmallVector<int64_t, 2> chooseDepthwiseTiles(linalg::DepthwiseConv2DNhwcHwcOp conv) {
  auto out = cast<ShapedType>(conv.getDpsInits()[0].getType()).getShape();
  int64_t ow = out[2], c = out[3];
  int64_t cTile = c % 32 == 0 ? 32 : c % 16 == 0 ? 16 : largestDivisor(c, 32);
  int64_t owTile = largestDivisor(ow, cTile >= 32 ? 8 : 14);
  return {owTile, cTile};
}

std::string buildSchedule(ArrayRef<SmallVector<int64_t, 5>> configs,
                          ArrayRef<SmallVector<int64_t, 2>> depthwiseConfigs) {
  std::string s = "module attributes {transform.with_named_sequence} {\n"
                  "transform.named_sequence @__transform_main(%root: !transform.any_op "
                  "{transform.readonly}) {\n";
  // Depthwise: [1, 1, OW, C] blocks over the forall, kernel rows one at a
  // time, decomposed to the 1-D depthwise conv the vectorizer handles.
  for (auto [i, t] : llvm::enumerate(depthwiseConfigs))
    s += llvm::formatv(
        "  %dw{0} = transform.structured.match ops{{[\"linalg.depthwise_conv_2d_nhwc_hwc\"]} "
        "attributes{{cnn.tile = array<i64: {1}, {2}>} in %root "
        ": (!transform.any_op) -> !transform.any_op\n"
        "  %dt{0}, %dfa{0} = transform.structured.tile_using_forall %dw{0} tile_sizes "
        "[1, 1, {1}, {2}] : (!transform.any_op) -> (!transform.any_op, !transform.any_op)\n"
        "  %dr{0}, %dl{0} = transform.structured.tile_using_for %dt{0} "
        "tile_sizes [0, 0, 0, 0, 1, 0] : (!transform.any_op) -> (!transform.any_op, "
        "!transform.any_op)\n"
        "  %dd{0} = transform.structured.decompose %dr{0} : (!transform.any_op) -> "
        "!transform.any_op\n"
        "  transform.structured.vectorize %dd{0} : !transform.any_op\n",
        i, t[0], t[1]);
  int i = 0;
  for (const auto &t : configs) {
    s += llvm::formatv(
        "  %c{0} = transform.structured.match ops{{[\"linalg.conv_2d_nhwc_hwcf\"]} "
        "attributes{{cnn.tile = array<i64: {1}, {2}, {3}, {4}, {5}>} in %root "
        ": (!transform.any_op) -> !transform.any_op\n",
        i, t[0], t[1], t[2], t[3], t[4]);
    if (t[3])
      // Filter-block outer: the forall over F blocks, then sequential loops
      // over the output rows and width blocks inside each.
      s += llvm::formatv(
          "  %fo{0}, %fa{0} = transform.structured.tile_using_forall %c{0} tile_sizes "
          "[0, 0, 0, {2}] : (!transform.any_op) -> (!transform.any_op, !transform.any_op)\n"
          "  %t{0}, %pa{0}, %pb{0}, %pc{0} = transform.structured.tile_using_for %fo{0} "
          "tile_sizes [{3}, 1, {1}, 0] : (!transform.any_op) -> (!transform.any_op, "
          "!transform.any_op, !transform.any_op, !transform.any_op)\n",
          i, t[0], t[1], t[4]);
    else
      s += llvm::formatv(
          "  %t{0}, %fa{0} = transform.structured.tile_using_forall %c{0} tile_sizes "
          "[{3}, 1, {1}, {2}] : (!transform.any_op) -> (!transform.any_op, !transform.any_op)\n",
          i, t[0], t[1], t[4]);
    s += llvm::formatv(
        "  %r{0}, %la{0}, %lb{0}, %lc{0} = transform.structured.tile_using_for %t{0} "
        "tile_sizes [0, 0, 0, 0, 1, 1, {1}] : (!transform.any_op) -> (!transform.any_op, "
        "!transform.any_op, !transform.any_op, !transform.any_op)\n"
        "  %d{0} = transform.structured.decompose %r{0} : (!transform.any_op) -> "
        "!transform.any_op\n"
        "  transform.structured.vectorize %d{0} : !transform.any_op\n",
        i, t[2]);
    ++i;
  }
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
    llvm::SetVector<SmallVector<int64_t, 5>> configs;
    llvm::SetVector<SmallVector<int64_t, 2>> depthwiseConfigs;
    module.walk([&](Operation *op) {
      if (auto conv = dyn_cast<linalg::Conv2DNhwcHwcfOp>(op)) {
        if (!conv.hasPureTensorSemantics())
          return;
        auto tiles = chooseConvTiles(conv, filterOuter, wideBlocks);
        conv->setAttr("cnn.tile", DenseI64ArrayAttr::get(&getContext(), tiles));
        configs.insert(tiles);
      } else if (auto dw = dyn_cast<linalg::DepthwiseConv2DNhwcHwcOp>(op)) {
        if (!dw.hasPureTensorSemantics() || !depthwise)
          return;
        auto tiles = chooseDepthwiseTiles(dw);
        dw->setAttr("cnn.tile", DenseI64ArrayAttr::get(&getContext(), tiles));
        depthwiseConfigs.insert(tiles);
      }
    });
    if (!enable || (configs.empty() && depthwiseConfigs.empty()))
      return;
    SmallVector<SmallVector<int64_t, 5>> list(configs.begin(), configs.end());
    SmallVector<SmallVector<int64_t, 2>> dwList(depthwiseConfigs.begin(), depthwiseConfigs.end());
    std::string text = buildSchedule(list, dwList);
    if (failed(cnnc::applyGeneratedSchedule(module, text, "cnnc-tile-and-vectorize")))
      return signalPassFailure();
  }
};

} // namespace
