//===- LowerContractionsToAmx.cpp - bf16 and int8 conv blocks on AMX tiles -===//
//
// A conv register block whose schedule has matrix tiles (`tile_rows` R,
// cnnc-select-cpu-schedules; its contractions marked by
// cnnc-tile-and-vectorize) runs on AMX. Its accumulator, P pixels x N
// channels (f32 for bf16 operands, i32 for int8) carried through the
// reduction loops as one vector, becomes (P / R) x (N / 16) tiles carried
// through the same loops. Each step's contraction, per 64 bytes of input
// channels (32 bf16 or 64 int8), loads one tile of R input pixels per row
// tile (a row per pixel, the input's pixel pitch as the tile's stride), one
// tile of the filter's channel groups x 16 output channels per channel tile
// from the filter prepared as pairs (bf16) or quads (int8) (cnnc-demote-
// convs-to-bf16, cnnc-quantize-convs-to-int8: rows G·B elements apart, the
// layout `tdpbf16ps` and `tdpbssd` read), and multiplies each pair of
// tiles into its accumulator (int8: signed x signed, as the contraction's
// sign extensions say). The accumulator enters and leaves the tiles
// through a stack buffer released after the block, so the block's
// initializer and epilogue stay vector code. Operands are read from their
// tensors' buffers (bufferization.to_buffer, read only).
//
// A marked contraction of another shape is left, unmarked, to
// cnnc-lower-bf16-contractions or cnnc-lower-int8-contractions: the code is
// right either way.
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
#define GEN_PASS_DEF_LOWERCONTRACTIONSTOAMXPASS
#include "Passes.h.inc"
} // namespace cnnc

using namespace mlir;
using namespace cnnc::paired_filter;

namespace {

/// Bytes of input channels a tile row holds (32 bf16s, 64 int8s), output
/// channels per tile (16 f32s or i32s a row) and the most rows a tile has.
constexpr int64_t kTileRowBytes = 64, kTileN = 16, kMaxTileRows = 16;

/// The operand element the contraction multiplies and what it accumulates
/// in: bf16 into f32 (channel pairs), or i8 into i32 (channel quads).
struct Operands {
  Type narrow, acc;
  int64_t group;
  /// Input channels a tile row holds.
  int64_t tileK() const { return kTileRowBytes / (narrow.getIntOrFloatBitWidth() / 8); }
};

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
  GroupedRows filter;           // the filter prepared as pairs or quads
  SmallVector<scf::ForOp> loops;
  Operands operands;
  int64_t rows, pixels, n, k;
};

std::optional<AmxBlock> matchAmxBlock(RewriterBase &rewriter, vector::ContractionOp contract,
                                      codegen::ConvScheduleAttr schedule) {
  std::optional<NarrowBlockContraction> match;
  Operands operands;
  for (Operands candidate : {Operands{rewriter.getBF16Type(), rewriter.getF32Type(), 2},
                             Operands{rewriter.getI8Type(), rewriter.getI32Type(), 4}})
    if ((match = matchNarrowBlockContraction(contract, candidate.narrow, candidate.acc,
                                             candidate.group, /*maxLanes=*/kTileN))) {
      operands = candidate;
      break;
    }
  if (!match)
    return std::nullopt;
  int64_t rows = schedule.getTileRows();
  const BlockContraction &block = match->block;
  if (rows < 1 || rows > kMaxTileRows || block.pixels % rows != 0 || block.n % kTileN != 0 ||
      block.k % operands.tileK() != 0)
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
  return AmxBlock{contract, read, *filter, *loops, operands, rows, block.pixels, block.n, block.k};
}

/// One reduction step on the tiles `acc` (row tile major), built before the
/// contraction: its new values.
SmallVector<Value> multiplyStep(RewriterBase &rewriter, AmxBlock &b, ValueRange acc) {
  OpBuilder::InsertionGuard guard(rewriter);
  Location loc = b.contract.getLoc();
  rewriter.setInsertionPoint(b.contract);
  Type narrow = b.operands.narrow;
  int64_t tileK = b.operands.tileK();
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
  auto inputTile = amx::TileType::get({b.rows, tileK}, narrow);
  auto filterTile = amx::TileType::get({tileK / group, kTileN * group}, narrow);
  SmallVector<Value> tiles(acc.begin(), acc.end());
  SmallVector<Value> inputIndices(b.input.getIndices());
  int64_t rank = inputIndices.size();
  Value zero = arith::ConstantIndexOp::create(rewriter, loc, 0);
  for (int64_t step = 0; step < b.k / tileK; ++step) {
    SmallVector<Value> inputs;
    for (int64_t i = 0; i < rowTiles; ++i) {
      SmallVector<Value> indices = inputIndices;
      indices[rank - 2] = plus(indices[rank - 2], i * b.rows);
      indices[rank - 1] = plus(indices[rank - 1], step * tileK);
      inputs.push_back(amx::TileLoadOp::create(rewriter, loc, inputTile, input, indices));
    }
    for (int64_t j = 0; j < channelTiles; ++j) {
      // P[f / B, kh, kw, c / G + 16 step, f % B + 16 j, 0].
      SmallVector<Value> indices = {
          apply(d0.floorDiv(block), at[3]),
          getValueOrCreateConstantIndexOp(rewriter, loc, at[0]),
          getValueOrCreateConstantIndexOp(rewriter, loc, at[1]),
          apply(d0.floorDiv(group) + step * (tileK / group), at[2]),
          apply(d0 % block + j * kTileN, at[3]), zero};
      Value weights =
          amx::TileLoadOp::create(rewriter, loc, filterTile, filter, indices, filterPitch);
      for (int64_t i = 0; i < rowTiles; ++i) {
        Value &t = tiles[i * channelTiles + j];
        t = narrow.isBF16()
                ? amx::TileMulFOp::create(rewriter, loc, t.getType(), inputs[i], weights, t)
                      .getResult()
                : amx::TileMulIOp::create(rewriter, loc, t.getType(), inputs[i], weights, t)
                      .getResult();
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
  Type accElement = b.operands.acc;
  Operation *outer = b.loops.empty() ? contract.getOperation() : b.loops.front().getOperation();
  Value init = b.loops.empty() ? contract.getAcc() : b.loops.front().getInitArgs()[0];

  // The block's stack buffer, released after the block (the stack pointer
  // saved and restored around it, as memref.alloca_scope is lowered: a
  // scope's region would not survive convert-scf-to-cf's blocks).
  rewriter.setInsertionPoint(outer);
  Value stack =
      LLVM::StackSaveOp::create(rewriter, loc, LLVM::LLVMPointerType::get(rewriter.getContext()));
  auto flatType = VectorType::get({b.pixels, b.n}, accElement);
  auto bufferType = MemRefType::get({b.pixels, b.n}, accElement);
  Value buffer = memref::AllocaOp::create(rewriter, loc, bufferType, ValueRange{},
                                          rewriter.getI64IntegerAttr(64));
  Value zero = arith::ConstantIndexOp::create(rewriter, loc, 0);
  SmallVector<bool> inBounds = {true, true};
  vector::TransferWriteOp::create(rewriter, loc,
                                  vector::ShapeCastOp::create(rewriter, loc, flatType, init),
                                  buffer, ValueRange{zero, zero}, inBounds);
  int64_t rowTiles = b.pixels / b.rows, channelTiles = b.n / kTileN;
  auto accTile = amx::TileType::get({b.rows, kTileN}, accElement);
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
  Value padding = arith::ConstantOp::create(rewriter, loc, rewriter.getZeroAttr(accElement));
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

struct LowerContractionsToAmxPass
    : cnnc::impl::LowerContractionsToAmxPassBase<LowerContractionsToAmxPass> {
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
