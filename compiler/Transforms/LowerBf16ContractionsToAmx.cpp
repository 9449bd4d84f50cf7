//===- LowerBf16ContractionsToAmx.cpp - bf16 conv blocks on AMX tiles ------===//
//
// A conv register block whose schedule has matrix tiles (`tile_rows` R,
// cnnc-select-cpu-schedules; its contractions marked by
// cnnc-tile-and-vectorize) runs on AMX. Its accumulator, P pixels x N
// channels of f32 carried through the reduction loops as one vector,
// becomes (P / R) x (N / 16) tiles carried through the same loops. Each
// step's contraction, per 32 input channels, loads one tile of R input
// pixels per row tile (a row per pixel, the input's pixel pitch as the
// tile's stride), one tile of 16 channel pairs x 16 output channels per
// channel tile from the filter prepared as pairs (cnnc-demote-convs-to-bf16:
// rows 2·B elements apart, the layout `tdpbf16ps` reads), and multiplies
// each pair into its accumulator. The accumulator enters and leaves the
// tiles through a stack buffer released after the block, so the block's
// initializer and epilogue stay vector code. Operands are read from their
// tensors' buffers (bufferization.to_buffer, read only).
//
// A marked contraction of another shape is left, unmarked, to
// cnnc-lower-bf16-contractions: the code is right either way.
//
//===----------------------------------------------------------------------===//

#include "Passes.h"
#include "Transforms/PairedFilter.h"

#include "Codegen/CodegenDialect.h"

#include "mlir/Dialect/AMX/AMXDialect.h"
#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/PatternMatch.h"

namespace cnnc {
#define GEN_PASS_DEF_LOWERBF16CONTRACTIONSTOAMXPASS
#include "Passes.h.inc"
} // namespace cnnc

using namespace mlir;
using namespace cnnc::paired_filter;

namespace {

/// Input channels one `tdpbf16ps` reduces (64 bytes of bf16 a tile row),
/// output channels per tile (16 f32 a row) and the most rows a tile has.
constexpr int64_t kTileK = 32, kTileN = 16, kMaxTileRows = 16;

/// The loops the contraction's accumulator is carried through, outermost
/// first: each loop carries only it, and yields the loop (or the
/// contraction) inside it. Nullopt if the accumulator takes another path.
std::optional<SmallVector<scf::ForOp>> accumulatorLoops(vector::ContractionOp contract) {
  SmallVector<scf::ForOp> loops;
  Value acc = contract.getAcc(), result = contract.getResult();
  while (auto arg = dyn_cast<BlockArgument>(acc)) {
    auto loop = dyn_cast<scf::ForOp>(arg.getOwner()->getParentOp());
    if (!loop || loop.getNumRegionIterArgs() != 1 || arg != loop.getRegionIterArgs()[0] ||
        !arg.hasOneUse() || !result.hasOneUse() ||
        loop.getBody()->getTerminator()->getOperand(0) != result)
      return std::nullopt;
    loops.push_back(loop);
    acc = loop.getInitArgs()[0];
    result = loop.getResult(0);
  }
  std::reverse(loops.begin(), loops.end());
  return loops;
}

/// `type`'s shape and element with dynamic strides and offset but a unit
/// innermost stride (what an AMX tile load requires): whatever view of its
/// tensor bufferization makes, it casts to this.
MemRefType stridedBufferType(ShapedType type) {
  SmallVector<int64_t> strides(type.getRank(), ShapedType::kDynamic);
  strides.back() = 1;
  return MemRefType::get(type.getShape(), type.getElementType(),
                         StridedLayoutAttr::get(type.getContext(), ShapedType::kDynamic, strides));
}

/// What the rewrite needs of a marked contraction, all checked before any
/// IR changes.
struct AmxBlock {
  vector::ContractionOp contract;
  vector::TransferReadOp input; // [.., P, K] from the input's (pixel, channel) dims
  GroupedRows filter;           // the filter prepared as pairs
  SmallVector<scf::ForOp> loops;
  int64_t rows, pixels, n, k;
};

std::optional<AmxBlock> matchAmxBlock(RewriterBase &rewriter, vector::ContractionOp contract,
                                      codegen::ConvScheduleAttr schedule) {
  Type bf16 = rewriter.getBF16Type();
  std::optional<NarrowBlockContraction> match = matchNarrowBlockContraction(
      contract, bf16, rewriter.getF32Type(), /*group=*/2, /*maxLanes=*/kTileN);
  if (!match)
    return std::nullopt;
  int64_t rows = schedule.getTileRows();
  const BlockContraction &block = match->block;
  if (rows < 1 || rows > kMaxTileRows || block.pixels % rows != 0 || block.n % kTileN != 0 ||
      block.k % kTileK != 0)
    return std::nullopt;
  // The input block: a plain read whose last two vector dims are the
  // tensor's last two (pixels along a row, channels), every other dim 1.
  auto read = match->lhs.getDefiningOp<vector::TransferReadOp>();
  if (!read || read.getMask() || read.hasOutOfBoundsDim() ||
      !isa<RankedTensorType>(read.getBase().getType()))
    return std::nullopt;
  int64_t rank = read.getShapedType().getRank();
  VectorType lhsType = read.getVectorType();
  int64_t vRank = lhsType.getRank();
  AffineMap map = read.getPermutationMap();
  if (rank < 2 || vRank < 2 || map.getResult(vRank - 2) != rewriter.getAffineDimExpr(rank - 2) ||
      map.getResult(vRank - 1) != rewriter.getAffineDimExpr(rank - 1) ||
      lhsType.getDimSize(vRank - 2) != block.pixels || lhsType.getDimSize(vRank - 1) != block.k)
    return std::nullopt;
  for (int64_t d = 0; d < vRank - 2; ++d)
    if (lhsType.getDimSize(d) != 1)
      return std::nullopt;
  if (auto slice = read.getBase().getDefiningOp<tensor::ExtractSliceOp>())
    if (!isOneInteger(slice.getMixedStrides().back()))
      return std::nullopt;
  std::optional<SmallVector<scf::ForOp>> loops = accumulatorLoops(contract);
  if (!loops)
    return std::nullopt;
  OpBuilder::InsertionGuard guard(rewriter);
  rewriter.setInsertionPoint(contract);
  std::optional<GroupedRows> filter =
      traceGroupedRows(rewriter, contract.getLoc(), match->rhs, block.n);
  if (!filter)
    return std::nullopt;
  return AmxBlock{contract, read, *filter, *loops, rows, block.pixels, block.n, block.k};
}

/// One reduction step on the tiles `acc` (row tile major), built before the
/// contraction: its new values.
SmallVector<Value> multiplyStep(RewriterBase &rewriter, AmxBlock &b, ValueRange acc) {
  OpBuilder::InsertionGuard guard(rewriter);
  Location loc = b.contract.getLoc();
  rewriter.setInsertionPoint(b.contract);
  Type bf16 = rewriter.getBF16Type();
  Value input = bufferization::ToBufferOp::create(
      rewriter, loc, stridedBufferType(b.input.getShapedType()), b.input.getBase(),
      /*read_only=*/true);
  auto groupedType = cast<RankedTensorType>(b.filter.grouped.getType());
  Value filter = bufferization::ToBufferOp::create(rewriter, loc, stridedBufferType(groupedType),
                                                   b.filter.grouped, /*read_only=*/true);
  int64_t block = groupedType.getDimSize(4), group = groupedType.getDimSize(5);
  Value filterPitch = arith::ConstantIndexOp::create(rewriter, loc, block * group);
  AffineExpr d0 = rewriter.getAffineDimExpr(0);
  auto apply = [&](AffineExpr e, OpFoldResult x) {
    return getValueOrCreateConstantIndexOp(
        rewriter, loc, affine::makeComposedFoldedAffineApply(rewriter, loc, e, {x}));
  };
  auto plus = [&](Value v, int64_t c) { return apply(d0 + c, v); };
  const SmallVector<OpFoldResult> &at = b.filter.indices; // (kh, kw, c, f) of the view
  int64_t rowTiles = b.pixels / b.rows, channelTiles = b.n / kTileN;
  auto inputTile = amx::TileType::get({b.rows, kTileK}, bf16);
  auto filterTile = amx::TileType::get({kTileK / group, kTileN * group}, bf16);
  SmallVector<Value> tiles(acc.begin(), acc.end());
  SmallVector<Value> inputIndices(b.input.getIndices());
  int64_t rank = inputIndices.size();
  Value zero = arith::ConstantIndexOp::create(rewriter, loc, 0);
  for (int64_t step = 0; step < b.k / kTileK; ++step) {
    SmallVector<Value> inputs;
    for (int64_t i = 0; i < rowTiles; ++i) {
      SmallVector<Value> indices = inputIndices;
      indices[rank - 2] = plus(indices[rank - 2], i * b.rows);
      indices[rank - 1] = plus(indices[rank - 1], step * kTileK);
      inputs.push_back(amx::TileLoadOp::create(rewriter, loc, inputTile, input, indices));
    }
    for (int64_t j = 0; j < channelTiles; ++j) {
      // P[f / B, kh, kw, c / 2 + 16 step, f % B + 16 j, 0].
      SmallVector<Value> indices = {
          apply(d0.floorDiv(block), at[3]),
          getValueOrCreateConstantIndexOp(rewriter, loc, at[0]),
          getValueOrCreateConstantIndexOp(rewriter, loc, at[1]),
          apply(d0.floorDiv(group) + step * (kTileK / group), at[2]),
          apply(d0 % block + j * kTileN, at[3]), zero};
      Value weights =
          amx::TileLoadOp::create(rewriter, loc, filterTile, filter, indices, filterPitch);
      for (int64_t i = 0; i < rowTiles; ++i) {
        Value &t = tiles[i * channelTiles + j];
        t = amx::TileMulFOp::create(rewriter, loc, t.getType(), inputs[i], weights, t);
      }
    }
  }
  return tiles;
}

/// Rewrites the matched block (see the file comment).
void lowerToTiles(RewriterBase &rewriter, AmxBlock &b) {
  vector::ContractionOp contract = b.contract;
  Location loc = contract.getLoc();
  auto accType = cast<VectorType>(contract.getResultType());
  Type f32 = rewriter.getF32Type();
  Operation *outer = b.loops.empty() ? contract.getOperation() : b.loops.front().getOperation();
  Value init = b.loops.empty() ? contract.getAcc() : b.loops.front().getInitArgs()[0];

  // The block's stack buffer, released after the block (the stack pointer
  // saved and restored around it, as memref.alloca_scope is lowered: a
  // scope's region would not survive convert-scf-to-cf's blocks).
  rewriter.setInsertionPoint(outer);
  Value stack =
      LLVM::StackSaveOp::create(rewriter, loc, LLVM::LLVMPointerType::get(rewriter.getContext()));
  auto flatType = VectorType::get({b.pixels, b.n}, f32);
  auto bufferType = MemRefType::get({b.pixels, b.n}, f32);
  Value buffer = memref::AllocaOp::create(rewriter, loc, bufferType, ValueRange{},
                                          rewriter.getI64IntegerAttr(64));
  Value zero = arith::ConstantIndexOp::create(rewriter, loc, 0);
  SmallVector<bool> inBounds = {true, true};
  vector::TransferWriteOp::create(rewriter, loc,
                                  vector::ShapeCastOp::create(rewriter, loc, flatType, init),
                                  buffer, ValueRange{zero, zero}, inBounds);
  int64_t rowTiles = b.pixels / b.rows, channelTiles = b.n / kTileN;
  auto accTile = amx::TileType::get({b.rows, kTileN}, f32);
  SmallVector<std::pair<Value, Value>> origins; // each tile's (row, channel) in the buffer
  SmallVector<Value> tiles;
  for (int64_t i = 0; i < rowTiles; ++i)
    for (int64_t j = 0; j < channelTiles; ++j) {
      Value row = arith::ConstantIndexOp::create(rewriter, loc, i * b.rows);
      Value channel = arith::ConstantIndexOp::create(rewriter, loc, j * kTileN);
      origins.push_back({row, channel});
      tiles.push_back(amx::TileLoadOp::create(rewriter, loc, accTile, buffer,
                                              ValueRange{row, channel}));
    }

  // The tiles through the loops, innermost first; each loop starts from
  // the buffer's tiles until its parent exists, then from the parent's.
  SmallVector<Value> finalTiles;
  Value oldResult = contract.getResult();
  if (b.loops.empty()) {
    finalTiles = multiplyStep(rewriter, b, tiles);
  } else {
    SmallVector<scf::ForOp> newLoops(b.loops.size());
    for (int64_t level = b.loops.size() - 1; level >= 0; --level) {
      bool innermost = level == (int64_t)b.loops.size() - 1;
      // The callback gets the new (tile) iteration arguments only.
      auto yields = [&](OpBuilder &, Location, ArrayRef<BlockArgument> args) {
        if (innermost)
          return multiplyStep(rewriter, b, ValueRange(args));
        return SmallVector<Value>(newLoops[level + 1].getResults().drop_front());
      };
      FailureOr<LoopLikeOpInterface> replaced = b.loops[level].replaceWithAdditionalYields(
          rewriter, tiles, /*replaceInitOperandUsesInLoop=*/false, yields);
      newLoops[level] = cast<scf::ForOp>(replaced->getOperation());
    }
    for (size_t level = 1; level < newLoops.size(); ++level)
      for (size_t t = 0; t < tiles.size(); ++t)
        rewriter.modifyOpInPlace(newLoops[level], [&] {
          newLoops[level].getInitArgsMutable()[1 + t].assign(
              newLoops[level - 1].getRegionIterArgs()[1 + t]);
        });
    finalTiles = SmallVector<Value>(newLoops.front().getResults().drop_front());
    oldResult = newLoops.front().getResult(0);
    rewriter.setInsertionPointAfter(newLoops.front());
  }

  // Back through the buffer into the accumulator's vector.
  for (auto [tile, origin] : llvm::zip(finalTiles, origins))
    amx::TileStoreOp::create(rewriter, loc, buffer, ValueRange{origin.first, origin.second},
                             tile);
  Value padding = arith::ConstantOp::create(rewriter, loc, rewriter.getZeroAttr(f32));
  Value flat = vector::TransferReadOp::create(rewriter, loc, flatType, buffer,
                                              ValueRange{zero, zero}, padding, inBounds);
  Value blockResult = vector::ShapeCastOp::create(rewriter, loc, accType, flat);
  LLVM::StackRestoreOp::create(rewriter, loc, stack);
  // The old accumulator: each loop now passes it through unchanged, for
  // canonicalization to drop.
  rewriter.replaceAllUsesWith(oldResult, blockResult);
  if (!b.loops.empty())
    rewriter.replaceAllUsesWith(contract.getResult(), contract.getAcc());
  rewriter.eraseOp(contract);
}

struct LowerBf16ContractionsToAmxPass
    : cnnc::impl::LowerBf16ContractionsToAmxPassBase<LowerBf16ContractionsToAmxPass> {
  void runOnOperation() override {
    StringRef key = codegen::CodegenDialect::kMatrixTilesAttrName;
    SmallVector<vector::ContractionOp> marked;
    getOperation().walk([&](vector::ContractionOp contract) {
      if (contract->hasAttr(key))
        marked.push_back(contract);
    });
    IRRewriter rewriter(&getContext());
    for (vector::ContractionOp contract : marked) {
      auto schedule = contract->getAttrOfType<codegen::ConvScheduleAttr>(key);
      contract->removeAttr(key);
      if (std::optional<AmxBlock> block = matchAmxBlock(rewriter, contract, schedule))
        lowerToTiles(rewriter, *block);
    }
  }
};

} // namespace
