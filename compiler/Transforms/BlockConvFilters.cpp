//===- BlockConvFilters.cpp - one conv per contiguous filter block --------===//
//
// A conv's register block walks its filter slice [kh, kw, C, F-block] one
// input channel at a time. In HWCF the rows of that slice are F floats apart
// (2 KB for ResNet's 512-channel layers): every step touches new cache lines
// across page boundaries, which the hardware prefetchers do not follow, and
// the FMAs wait on the filter loads (`perf annotate` of ResNet's 7x7x512
// layers). Here a conv with a large filter becomes one conv per block of
// output channels, each with its own filter slice: 64 channels (four
// cache lines of a float row), so that a block row is whole lines and its
// register blocks take two-vector channel tiles. Where F is no multiple of
// 64, the whole lines past the last 64 (RegNetX's 400 = 6 x 64 + 16) and
// the channels past the last whole line (a classifier's 1000 = 62 x 16 + 8)
// form narrower tail blocks, each inserted first and starting a chain of
// its own (`cnn.chain_start`), so that the equal blocks after them, the
// first also marked, still make one chain for cnnc-tile-and-vectorize to
// run as one parallel loop. F of at most 64 whole lines takes the widest
// of 64, 32 or 16 that divides them. The slices
// depend on parameters only, so cnnc-hoist-parameter-transforms computes
// them once at load into contiguous buffers, and each block conv streams
// its filter sequentially.
//
// A float conv of any filter size whose F is not even a multiple of half
// the target's vector is split too, into its whole vectors and the rest:
// channel tiles divide F, so all its register blocks would otherwise take
// odd-width vectors, which LLVM assembles lane by lane (ShuffleNetV2's 58
// channels on 16 lanes: tiles of 29). Only where the output has more than
// one pixel per image: the rest is a parallel loop of its own, too much
// for a dense layer's or a squeeze-excitation block's single row. (F of
// whole half vectors keeps one conv on half-vector tiles: split, each extra
// parallel loop cost more than the full vectors gained wherever another
// process held a core, docs/benchmarks.md, session 30.)
//
// Likewise along the output width: register blocks span a divisor of it,
// at most half the vector registers of columns (cnnc-select-cpu-schedules),
// so a width whose largest such divisor is under a quarter of that
// (Inception-v3's 109 and 111 at 224 x 224: blocks of 1 and 3 columns;
// docs/benchmarks.md, session 30) becomes a conv over the columns that make whole blocks
// and one over the rest (109 -> 96 + 13 on 32 registers), each reading its
// input columns.
//
// In the training step, whose filters change on
// every call, the blocks are copied into one [blocks, KH, KW, C, block]
// tensor per conv instead, on every call, each block a contiguous slice of
// it. The block results are inserted into the full
// output, which bufferization does in place.
//
//===----------------------------------------------------------------------===//

#include "Cnn/CnnAttrNames.h"
#include "Passes.h"

#include "Codegen/CodegenDialect.h"
#include "Transforms/ScheduledOps.h"

namespace cnnc {
#define GEN_PASS_DEF_BLOCKCONVFILTERSPASS
#include "Passes.h.inc"
} // namespace cnnc

using namespace mlir;

namespace {

/// Output channels per cache line of a float filter row.
constexpr int64_t kLineChannels = 16;

/// The widest filter block: four cache lines of a float row.
constexpr int64_t kBlockChannels = 4 * kLineChannels;

/// How `f` output channels are blocked: `count` equal blocks of `block`
/// channels from channel 0, then the tail blocks (whole lines past the
/// last block, then the channels past the last whole line). `block` is 0
/// where there would be a single block.
struct FilterBlocks {
  int64_t block = 0, count = 0;
  SmallVector<int64_t, 2> tails;
};

FilterBlocks filterBlocks(int64_t f) {
  FilterBlocks blocks;
  int64_t lines = f / kLineChannels * kLineChannels;
  if (lines > kBlockChannels) {
    blocks.block = kBlockChannels;
  } else {
    for (int64_t block : {kBlockChannels, int64_t(32), int64_t(16)})
      if (lines > 0 && lines % block == 0) {
        blocks.block = block;
        break;
      }
  }
  if (blocks.block == 0 || blocks.block == f)
    return FilterBlocks();
  blocks.count = lines / blocks.block;
  for (int64_t tail : {lines % blocks.block, f - lines})
    if (tail > 0)
      blocks.tails.push_back(tail);
  return blocks;
}

/// F's whole vectors of `lanes` channels as one block, the rest as its tail;
/// none where F is whole half vectors or less than one vector.
FilterBlocks wholeVectorBlocks(int64_t f, int64_t lanes) {
  int64_t whole = lanes > 1 ? f / lanes * lanes : 0;
  if (whole == 0 || f % (lanes / 2) == 0)
    return FilterBlocks();
  FilterBlocks blocks;
  blocks.block = whole;
  blocks.count = 1;
  blocks.tails.push_back(f - whole);
  return blocks;
}

/// `conv` over one part of its output, the range [offset, offset + size) of
/// output dim `dim` (2: columns, 3: channels) of `result`, computed from `x`
/// and `w` (that part's input and filter) and inserted into `result`.
tensor::InsertSliceOp insertConvPart(OpBuilder &b, linalg::Conv2DNhwcHwcfOp conv, Value x,
                                     Value w, Value result, unsigned dim, int64_t offset,
                                     int64_t size) {
  Location loc = conv.getLoc();
  auto type = cast<RankedTensorType>(result.getType());
  SmallVector<OpFoldResult> offsets(4, b.getIndexAttr(0)), sizes, ones(4, b.getIndexAttr(1));
  for (int64_t d : type.getShape())
    sizes.push_back(b.getIndexAttr(d));
  offsets[dim] = b.getIndexAttr(offset);
  sizes[dim] = b.getIndexAttr(size);
  Value acc = tensor::ExtractSliceOp::create(b, loc, result, offsets, sizes, ones);
  auto part = linalg::Conv2DNhwcHwcfOp::create(b, loc, TypeRange{acc.getType()}, ValueRange{x, w},
                                               ValueRange{acc}, conv.getStrides(),
                                               conv.getDilations());
  return tensor::InsertSliceOp::create(b, loc, part.getResult(0), result, offsets, sizes, ones);
}

struct BlockConvFiltersPass : cnnc::impl::BlockConvFiltersPassBase<BlockConvFiltersPass> {
  using BlockConvFiltersPassBase::BlockConvFiltersPassBase;

  void runOnOperation() override {
    // Without a CPU target (cnnc-opt alone) only large filters are split.
    codegen::CpuTargetAttr target = codegen::getCpuTarget(getOperation());
    SmallVector<std::pair<linalg::Conv2DNhwcHwcfOp, FilterBlocks>> convs;
    getOperation().walk([&](linalg::Conv2DNhwcHwcfOp conv) {
      if (!conv.hasPureTensorSemantics())
        return;
      auto w = cast<RankedTensorType>(conv.getDpsInputs()[1].getType());
      if (!w.hasStaticShape() ||
          !cast<RankedTensorType>(conv.getDpsInits()[0].getType()).hasStaticShape())
        return;
      FilterBlocks blocks = filterBlocks(w.getDimSize(3));
      auto out = cast<RankedTensorType>(conv.getDpsInits()[0].getType());
      if (blocks.block == 0 || w.getNumElements() * 4 < minFilterBytes)
        blocks = target && w.getElementType().isF32() && out.getDimSize(1) * out.getDimSize(2) > 1
                     ? wholeVectorBlocks(w.getDimSize(3), target.getLanes())
                     : FilterBlocks();
      if (blocks.block != 0)
        convs.push_back({conv, blocks});
    });
    for (auto [conv, blocks] : convs)
      splitByFilterBlocks(conv, blocks);
    if (!target)
      return;
    // Output widths without a useful divisor: whole blocks and the rest.
    int64_t rowBlock = target.getVectorRegisters() / 2;
    SmallVector<std::pair<linalg::Conv2DNhwcHwcfOp, int64_t>> wide;
    getOperation().walk([&](linalg::Conv2DNhwcHwcfOp conv) {
      auto out = cast<RankedTensorType>(conv.getDpsInits()[0].getType());
      auto w = cast<RankedTensorType>(conv.getDpsInputs()[1].getType());
      if (!conv.hasPureTensorSemantics() || !out.hasStaticShape() || !w.hasStaticShape() ||
          !w.getElementType().isF32())
        return;
      int64_t ow = out.getDimSize(2);
      if (ow > rowBlock && cnnc::largestDivisor(ow, rowBlock) < rowBlock / 4)
        wide.push_back({conv, ow - ow % rowBlock});
    });
    for (auto [conv, columns] : wide)
      splitByColumns(conv, columns);
  }

  /// `conv` as one conv over output columns [0, columns) and one over the
  /// rest, each reading the input columns it needs, inserted into the output.
  static void splitByColumns(linalg::Conv2DNhwcHwcfOp conv, int64_t columns) {
    OpBuilder b(conv);
    Value x = conv.getDpsInputs()[0], w = conv.getDpsInputs()[1], result = conv.getDpsInits()[0];
    auto xType = cast<RankedTensorType>(x.getType());
    int64_t sw = conv.getStrides().getValues<int64_t>()[1];
    int64_t dw = conv.getDilations().getValues<int64_t>()[1];
    int64_t kw = cast<RankedTensorType>(w.getType()).getDimSize(1);
    int64_t ow = cast<RankedTensorType>(result.getType()).getDimSize(2);
    auto index = [&](int64_t v) -> OpFoldResult { return b.getIndexAttr(v); };
    for (auto [c0, count] : {std::pair<int64_t, int64_t>{0, columns}, {columns, ow - columns}}) {
      int64_t inWidth = (count - 1) * sw + (kw - 1) * dw + 1;
      Value xPart = tensor::ExtractSliceOp::create(
          b, conv.getLoc(), x, {index(0), index(0), index(c0 * sw), index(0)},
          {index(xType.getDimSize(0)), index(xType.getDimSize(1)), index(inWidth),
           index(xType.getDimSize(3))},
          SmallVector<OpFoldResult>(4, index(1)));
      result = insertConvPart(b, conv, xPart, w, result, 2, c0, count).getResult();
    }
    conv.getResult(0).replaceAllUsesWith(result);
    conv.erase();
  }

  /// The equal blocks of `w` ([KH, KW, C, F]) as one [count, KH, KW, C,
  /// block] tensor.
  static Value blockedFilter(OpBuilder &b, Location loc, Value w, FilterBlocks blocks) {
    MLIRContext *ctx = b.getContext();
    auto wType = cast<RankedTensorType>(w.getType());
    SmallVector<int64_t> shape = {blocks.count, wType.getDimSize(0), wType.getDimSize(1),
                                  wType.getDimSize(2), blocks.block};
    auto d = [&](unsigned i) { return getAffineDimExpr(i, ctx); };
    SmallVector<AffineMap> maps = {
        AffineMap::get(5, 0, {d(1), d(2), d(3), d(0) * blocks.block + d(4)}, ctx),
        AffineMap::getMultiDimIdentityMap(5, ctx)};
    Value init = tensor::EmptyOp::create(b, loc, shape, wType.getElementType());
    return linalg::GenericOp::create(
               b, loc, TypeRange{init.getType()}, ValueRange{w}, ValueRange{init}, maps,
               SmallVector<utils::IteratorType>(5, utils::IteratorType::parallel),
               [](OpBuilder &b, Location l, ValueRange a) { linalg::YieldOp::create(b, l, a[0]); })
        .getResult(0);
  }

  void splitByFilterBlocks(linalg::Conv2DNhwcHwcfOp conv, FilterBlocks blocks) {
    OpBuilder b(conv);
    Location loc = conv.getLoc();
    Value x = conv.getDpsInputs()[0], w = conv.getDpsInputs()[1], acc = conv.getDpsInits()[0];
    auto wType = cast<RankedTensorType>(w.getType());
    auto index = [&](int64_t v) -> OpFoldResult { return b.getIndexAttr(v); };
    SmallVector<OpFoldResult> ones(4, index(1));
    Value result = acc;
    auto func = conv->getParentOfType<func::FuncOp>();
    Value blocked = func && cnnc::isTrainStepFunction(func.getSymName())
                        ? blockedFilter(b, loc, w, blocks)
                        : Value();
    // One block conv over output channels [f0, f0 + size), inserted into
    // the result so far.
    auto addBlock = [&](int64_t f0, int64_t size) {
      Value wBlock;
      if (blocked && size == blocks.block) {
        SmallVector<OpFoldResult> offsets = {index(f0 / size), index(0), index(0), index(0),
                                             index(0)};
        SmallVector<OpFoldResult> sizes = {index(1), index(wType.getDimSize(0)),
                                           index(wType.getDimSize(1)),
                                           index(wType.getDimSize(2)), index(size)};
        auto blockType =
            RankedTensorType::get({wType.getDimSize(0), wType.getDimSize(1), wType.getDimSize(2),
                                   size},
                                  wType.getElementType());
        wBlock = tensor::ExtractSliceOp::create(b, loc, blockType, blocked, offsets, sizes,
                                                SmallVector<OpFoldResult>(5, index(1)));
      } else {
        SmallVector<OpFoldResult> wOffsets = {index(0), index(0), index(0), index(f0)};
        SmallVector<OpFoldResult> wSizes = {index(wType.getDimSize(0)),
                                            index(wType.getDimSize(1)),
                                            index(wType.getDimSize(2)), index(size)};
        wBlock = tensor::ExtractSliceOp::create(b, loc, w, wOffsets, wSizes, ones);
      }
      tensor::InsertSliceOp insert = insertConvPart(b, conv, x, wBlock, result, 3, f0, size);
      result = insert.getResult();
      return insert;
    };
    // Tails first, each but the first starting a chain of its own, then
    // the equal blocks, whose chain starts after the tails.
    int64_t f0 = blocks.count * blocks.block;
    for (int64_t tail : blocks.tails) {
      tensor::InsertSliceOp insert = addBlock(f0, tail);
      if (f0 != blocks.count * blocks.block)
        insert->setAttr(mlir::cnn::attr_names::kChainStart, b.getUnitAttr());
      f0 += tail;
    }
    for (int64_t i = 0; i < blocks.count; ++i) {
      tensor::InsertSliceOp insert = addBlock(i * blocks.block, blocks.block);
      if (i == 0 && !blocks.tails.empty())
        insert->setAttr(mlir::cnn::attr_names::kChainStart, b.getUnitAttr());
    }
    conv.getResult(0).replaceAllUsesWith(result);
    conv.erase();
  }
};

} // namespace
