//===- InterleaveChannels.cpp - few-channel layout changes by shuffles ----===//
//
// A model's RGB input arrives NCHW and its convolutions read NHWC: the copy
// between them interleaves three planes into pixels of three channels. As
// a loop nest LLVM vectorized it with scatters, three floats apart, or not
// at all; here it loads a vector row of each plane, interleaves the rows
// with one shuffle and stores channels x lanes contiguous floats. A channel
// shuffle in NHWC (ShuffleNet's: channel c of a pixel from channel
// (c mod g) * C/g + c floordiv g) interleaves the pixel's g groups the same
// way; as a loop nest each float was a gather of its own.
//
//===----------------------------------------------------------------------===//

#include "Passes.h"

#include "Codegen/CodegenDialect.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

namespace cnnc {
#define GEN_PASS_DEF_INTERLEAVECHANNELSPASS
#include "Passes.h.inc"
} // namespace cnnc

using namespace mlir;

namespace {

/// The most channels interleaved: beyond a few, each pixel's channels fill
/// whole vectors and the copy is a transpose of its own kind.
constexpr int64_t kMaxChannels = 4;

/// The `lanes`-element rows interleaved: element i of row r goes to
/// i * rows + r (the first rows concatenated, then one shuffle).
Value interleaveRows(RewriterBase &rewriter, Location loc, ArrayRef<Value> rows, int64_t lanes) {
  Value head = rows.front();
  for (size_t r = 1; r + 1 < rows.size(); ++r) {
    SmallVector<int64_t> concat;
    int64_t headSize = cast<VectorType>(head.getType()).getDimSize(0);
    for (int64_t i = 0; i < headSize + lanes; ++i)
      concat.push_back(i);
    head = vector::ShuffleOp::create(rewriter, loc, head, rows[r], concat);
  }
  SmallVector<int64_t> mask;
  for (int64_t i = 0; i < lanes; ++i)
    for (int64_t r = 0; r < (int64_t)rows.size(); ++r)
      mask.push_back(r * lanes + i);
  return vector::ShuffleOp::create(rewriter, loc, head, rows.back(), mask);
}

/// A generic that copies one float buffer into another through its maps.
struct FloatCopy {
  Value input, output;
  MemRefType inType, outType;
};

std::optional<FloatCopy> floatCopy(linalg::GenericOp op) {
  if (!op.hasPureBufferSemantics() || op.getNumDpsInputs() != 1 || op.getNumDpsInits() != 1 ||
      op.getNumReductionLoops() != 0)
    return std::nullopt;
  Block &body = op.getRegion().front();
  auto yield = cast<linalg::YieldOp>(body.getTerminator());
  if (body.getOperations().size() != 1 || yield.getValues()[0] != body.getArgument(0))
    return std::nullopt;
  FloatCopy copy{op.getDpsInputOperand(0)->get(), op.getDpsInitOperand(0)->get(), {}, {}};
  copy.inType = dyn_cast<MemRefType>(copy.input.getType());
  copy.outType = dyn_cast<MemRefType>(copy.output.getType());
  if (!copy.inType || !copy.outType || !copy.inType.getElementType().isF32() ||
      copy.inType.getElementType() != copy.outType.getElementType())
    return std::nullopt;
  return copy;
}

/// The groups g of a channel shuffle, `op` copying channel (c mod g) * C/g +
/// c floordiv g of each pixel to its channel c, all other indices the same
/// (the expression is evaluated for every c, whatever its form); 0 if `op`
/// is none.
int64_t channelShuffleGroups(linalg::GenericOp op) {
  AffineMap in = op.getMatchingIndexingMap(op.getDpsInputOperand(0));
  AffineMap out = op.getMatchingIndexingMap(op.getDpsInitOperand(0));
  auto outType = cast<MemRefType>(op.getDpsInitOperand(0)->get().getType());
  unsigned rank = out.getNumResults();
  if (!out.isIdentity() || in.getNumResults() != rank || rank < 2 || !outType.hasStaticShape())
    return 0;
  for (unsigned d = 0; d + 1 < rank; ++d)
    if (in.getResult(d) != out.getResult(d))
      return 0;
  int64_t channels = outType.getDimSize(rank - 1);
  SmallVector<int64_t> point(rank, 0);
  auto source = [&](int64_t c) {
    point.back() = c;
    return in.compose(point).back();
  };
  int64_t perGroup = source(1);
  if (perGroup <= 1 || channels % perGroup != 0)
    return 0;
  int64_t groups = channels / perGroup;
  for (int64_t c = 0; c < channels; ++c)
    if (source(c) != (c % groups) * perGroup + c / groups)
      return 0;
  return groups;
}

/// A channel shuffle as vector rows: per pixel and `lanes` channels of each
/// group (the last step masked), the groups' rows interleaved and stored
/// as groups x lanes contiguous channels.
LogicalResult shuffleChannels(linalg::GenericOp op, int64_t lanes, RewriterBase &rewriter) {
  std::optional<FloatCopy> copy = floatCopy(op);
  if (!copy || !copy->inType.areTrailingDimsContiguous(1) ||
      !copy->outType.areTrailingDimsContiguous(1))
    return failure();
  auto [input, output, inType, outType] = *copy;
  int64_t groups = channelShuffleGroups(op);
  if (groups < 2 || groups > kMaxChannels)
    return failure();
  int64_t rank = outType.getRank(), perGroup = outType.getDimSize(rank - 1) / groups;
  Location loc = op.getLoc();
  rewriter.setInsertionPoint(op);
  auto index = [&](int64_t v) { return arith::ConstantIndexOp::create(rewriter, loc, v); };
  SmallVector<Value> pixel;
  for (int64_t d = 0; d + 1 < rank; ++d) {
    auto loop = scf::ForOp::create(rewriter, loc, index(0), index(outType.getDimSize(d)), index(1));
    pixel.push_back(loop.getInductionVar());
    rewriter.setInsertionPoint(loop.getBody()->getTerminator());
  }
  auto step = scf::ForOp::create(rewriter, loc, index(0), index(perGroup), index(lanes));
  rewriter.setInsertionPoint(step.getBody()->getTerminator());
  Value k = step.getInductionVar();
  Value count = arith::MinSIOp::create(rewriter, loc, index(lanes),
                                       arith::SubIOp::create(rewriter, loc, index(perGroup), k));
  Type f32 = inType.getElementType();
  auto rowType = VectorType::get({lanes}, f32);
  Value rowMask = vector::CreateMaskOp::create(
      rewriter, loc, VectorType::get({lanes}, rewriter.getI1Type()), ValueRange{count});
  Value zero = arith::ConstantOp::create(rewriter, loc, rewriter.getZeroAttr(rowType));
  SmallVector<Value> rows;
  for (int64_t g = 0; g < groups; ++g) {
    SmallVector<Value> indices(pixel);
    indices.push_back(g == 0 ? k : arith::AddIOp::create(rewriter, loc, k, index(g * perGroup)));
    rows.push_back(
        vector::MaskedLoadOp::create(rewriter, loc, rowType, input, indices, rowMask, zero));
  }
  Value interleaved = interleaveRows(rewriter, loc, rows, lanes);
  Value storeMask = vector::CreateMaskOp::create(
      rewriter, loc, VectorType::get({groups * lanes}, rewriter.getI1Type()),
      ValueRange{arith::MulIOp::create(rewriter, loc, count, index(groups))});
  SmallVector<Value> outIndices(pixel);
  outIndices.push_back(arith::MulIOp::create(rewriter, loc, k, index(groups)));
  vector::MaskedStoreOp::create(rewriter, loc, output, outIndices, storeMask, interleaved);
  rewriter.eraseOp(op);
  return success();
}

/// The copy as vector rows, if it is one (see the pass description): the
/// result [..., W, C] with C in [2, kMaxChannels], the input with W
/// innermost at unit stride, W a multiple of `lanes`.
LogicalResult interleave(linalg::GenericOp op, int64_t lanes, RewriterBase &rewriter) {
  std::optional<FloatCopy> copy = floatCopy(op);
  if (!copy || !copy->inType.hasStaticShape() || !copy->outType.hasStaticShape() ||
      copy->inType.getRank() < 2)
    return failure();
  auto [input, output, inType, outType] = *copy;
  AffineMap in = op.getMatchingIndexingMap(op.getDpsInputOperand(0));
  AffineMap out = op.getMatchingIndexingMap(op.getDpsInitOperand(0));
  int64_t rank = outType.getRank();
  if (!out.isPermutation() || !in.isPermutation())
    return failure();
  // Loops by the result dimension they run along (the op may iterate in
  // another order: cnnc-parallelize-elementwise interchanges transposes).
  unsigned widthLoop = out.getDimPosition(rank - 2), channelLoop = out.getDimPosition(rank - 1);
  if (in.getDimPosition(rank - 1) != widthLoop)
    return failure();
  int64_t channels = outType.getDimSize(rank - 1), width = outType.getDimSize(rank - 2);
  if (channels < 2 || channels > kMaxChannels || width % lanes != 0 ||
      !inType.areTrailingDimsContiguous(1) || !outType.areTrailingDimsContiguous(2))
    return failure();

  Location loc = op.getLoc();
  rewriter.setInsertionPoint(op);
  // The result with (W, C) collapsed: one row of W * C floats per pixel row.
  SmallVector<ReassociationIndices> rows;
  for (int64_t d = 0; d < rank - 2; ++d)
    rows.push_back({d});
  rows.push_back({rank - 2, rank - 1});
  Value flat = memref::CollapseShapeOp::create(rewriter, loc, output, rows);

  // Loops over the result's leading dimensions and over W by vectors.
  auto index = [&](int64_t v) { return arith::ConstantIndexOp::create(rewriter, loc, v); };
  SmallVector<Value> ivs(rank); // by loop
  for (int64_t d = 0; d < rank - 1; ++d) {
    int64_t step = d == rank - 2 ? lanes : 1;
    auto loop =
        scf::ForOp::create(rewriter, loc, index(0), index(outType.getDimSize(d)), index(step));
    ivs[out.getDimPosition(d)] = loop.getInductionVar();
    rewriter.setInsertionPoint(loop.getBody()->getTerminator());
  }

  // One vector row per channel, read where the input map puts (.., c, .., w).
  auto vectorType = VectorType::get({lanes}, inType.getElementType());
  SmallVector<Value> channelRows;
  for (int64_t c = 0; c < channels; ++c) {
    ivs[channelLoop] = index(c);
    SmallVector<Value> indices;
    for (unsigned r = 0; r < in.getNumResults(); ++r)
      indices.push_back(ivs[in.getDimPosition(r)]);
    channelRows.push_back(vector::LoadOp::create(rewriter, loc, vectorType, input, indices));
  }
  // Element i of channel c goes to i * C + c.
  Value interleaved = interleaveRows(rewriter, loc, channelRows, lanes);
  SmallVector<Value> outIndices;
  for (int64_t d = 0; d < rank - 2; ++d)
    outIndices.push_back(ivs[out.getDimPosition(d)]);
  outIndices.push_back(arith::MulIOp::create(rewriter, loc, ivs[widthLoop], index(channels)));
  vector::StoreOp::create(rewriter, loc, interleaved, flat, outIndices);
  rewriter.eraseOp(op);
  return success();
}

struct InterleaveChannelsPass : cnnc::impl::InterleaveChannelsPassBase<InterleaveChannelsPass> {
  using InterleaveChannelsPassBase::InterleaveChannelsPassBase;

  void runOnOperation() override {
    codegen::CpuTargetAttr target = codegen::getCpuTarget(getOperation());
    if (!target)
      return;
    SmallVector<linalg::GenericOp> copies;
    getOperation()->walk([&](linalg::GenericOp op) { copies.push_back(op); });
    IRRewriter rewriter(&getContext());
    for (linalg::GenericOp op : copies)
      if (failed(interleave(op, target.getLanes(), rewriter)))
        (void)shuffleChannels(op, target.getLanes(), rewriter);
  }
};

} // namespace
