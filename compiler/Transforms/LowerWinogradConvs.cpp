//===- LowerWinogradConvs.cpp - Winograd convs as vector code -------------===//
//
// Writes each scheduled codegen.winograd_conv2d with a prepared filter as
// one scf.forall over images and rows of output tiles (see the pass
// description). Per block of tiles, the transformed patches [tiles,
// (m + 2)^2, C] and the products of one channel tile [tiles, (m + 2)^2,
// channel tile] live in stack buffers: written once and read back from
// cache, where an unfused Winograd would pass both through memory (a
// grouped 1x1 conv over the transformed input plus a separate ReLU measured
// 0.38 ms against the direct conv's 0.51 ms for ResNet-18's 56x56x64 layer
// at batch 1 on AMD EPYC Zen 5, AVX-512, 2 threads; docs/benchmarks.md). With the 3x3 filter (`filter_chunk`),
// every tile's transformed patches go to one tensor first, and a second
// forall over image groups and channel tiles transforms the filter in
// chunks into a stack buffer, accumulating its tiles' products in another.
//
//===----------------------------------------------------------------------===//

#include "Cnn/CnnAttrNames.h"
#include "Passes.h"
#include "Transforms/ScheduledOps.h"
#include "Transforms/WinogradMatrices.h"

#include "mlir/IR/IRMapping.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/RegionUtils.h"

namespace cnnc {
#define GEN_PASS_DEF_LOWERWINOGRADCONVSPASS
#include "Passes.h.inc"
} // namespace cnnc

using namespace mlir;

namespace {

using Matrix = std::vector<std::vector<double>>;

/// out[r] = sum_c rows[r][c] * in[c] over vectors: zero coefficients
/// skipped, ones and minus ones added and subtracted, the rest fused
/// multiply-adds with a splat constant.
SmallVector<Value> applyMatrix(OpBuilder &b, Location loc, const Matrix &rows,
                               ArrayRef<Value> in) {
  auto type = cast<VectorType>(in[0].getType());
  auto splat = [&](double v) -> Value {
    return arith::ConstantOp::create(
        b, loc, DenseElementsAttr::get(type, b.getFloatAttr(type.getElementType(), v)));
  };
  SmallVector<Value> out;
  for (const auto &row : rows) {
    // A +1 term first, so that no sum starts with a negation.
    SmallVector<size_t> order;
    for (size_t c = 0; c < row.size(); ++c)
      if (row[c] == 1.0)
        order.push_back(c);
    for (size_t c = 0; c < row.size(); ++c)
      if (row[c] != 1.0 && row[c] != 0.0)
        order.push_back(c);
    Value acc;
    for (size_t c : order) {
      double k = row[c];
      if (!acc)
        acc = k == 1.0 ? in[c] : arith::MulFOp::create(b, loc, splat(k), in[c]).getResult();
      else if (k == 1.0)
        acc = arith::AddFOp::create(b, loc, acc, in[c]);
      else if (k == -1.0)
        acc = arith::SubFOp::create(b, loc, acc, in[c]);
      else
        acc = vector::FMAOp::create(b, loc, splat(k), in[c], acc);
    }
    out.push_back(acc ? acc : splat(0.0));
  }
  return out;
}

/// rows (matrix) x square x rows^T for a square of vectors [i][j].
SmallVector<SmallVector<Value>> sandwich(OpBuilder &b, Location loc, const Matrix &rows,
                                         ArrayRef<SmallVector<Value>> square) {
  size_t n = square.size(), outN = rows.size();
  SmallVector<SmallVector<Value>> left(outN, SmallVector<Value>(n));
  for (size_t j = 0; j < n; ++j) {
    SmallVector<Value> column;
    for (size_t i = 0; i < n; ++i)
      column.push_back(square[i][j]);
    SmallVector<Value> t = applyMatrix(b, loc, rows, column);
    for (size_t r = 0; r < outN; ++r)
      left[r][j] = t[r];
  }
  SmallVector<SmallVector<Value>> out;
  for (size_t r = 0; r < outN; ++r)
    out.push_back(applyMatrix(b, loc, rows, left[r]));
  return out;
}

/// How the accumulator's initial value is read: a per-channel bias
/// broadcast, a scalar fill, or the init tensor itself.
struct Initializer {
  Value bias;      // [F], or null
  Value scalar;    // or null
  Value tensor;    // read at each output where neither is set
  Value dest;      // the tensor the outputs are written into
  Operation *op = nullptr;
};

Initializer analyzeInit(codegen::WinogradConv2DOp conv) {
  Initializer init;
  Value value = conv.getInit();
  init.tensor = init.dest = value;
  if (auto fill = value.getDefiningOp<linalg::FillOp>(); fill && fill.hasPureTensorSemantics()) {
    init.scalar = fill.getInputs()[0];
    init.dest = fill.getDpsInits()[0];
    init.op = fill;
    return init;
  }
  auto generic = value.getDefiningOp<linalg::GenericOp>();
  if (!generic || !generic.hasPureTensorSemantics() || generic.getNumDpsInputs() != 1 ||
      generic.getNumDpsInits() != 1 ||
      generic.getNumParallelLoops() != generic.getNumLoops())
    return init;
  auto biasType = dyn_cast<RankedTensorType>(generic.getDpsInputs()[0].getType());
  MLIRContext *ctx = conv.getContext();
  auto yield = cast<linalg::YieldOp>(generic.getBody()->getTerminator());
  if (!biasType || biasType.getRank() != 1 || generic.getNumLoops() != 4 ||
      generic.getIndexingMapsArray()[0] != AffineMap::get(4, 0, {getAffineDimExpr(3, ctx)}, ctx) ||
      !generic.getIndexingMapsArray()[1].isIdentity() || yield.getNumOperands() != 1 ||
      yield.getOperand(0) != generic.getBody()->getArgument(0))
    return init;
  init.bias = generic.getDpsInputs()[0];
  init.dest = generic.getDpsInits()[0];
  init.op = generic;
  return init;
}

/// The conv's elementwise consumer, if its body can be applied to vectors
/// at the conv's output positions: every input read at the output position
/// (or per channel), scalar ops without regions, the output unread.
linalg::GenericOp fusableEpilogue(codegen::WinogradConv2DOp conv) {
  if (!conv->hasOneUse())
    return nullptr;
  auto epi = dyn_cast<linalg::GenericOp>(*conv->user_begin());
  if (!epi || !epi.hasPureTensorSemantics() || epi.getNumDpsInits() != 1 ||
      epi.getNumLoops() != 4 || epi.getNumParallelLoops() != 4 ||
      epi.getDpsInits()[0].getType() != conv.getType())
    return nullptr;
  MLIRContext *ctx = conv.getContext();
  AffineMap perChannel = AffineMap::get(4, 0, {getAffineDimExpr(3, ctx)}, ctx);
  for (OpOperand &operand : epi->getOpOperands()) {
    AffineMap map = epi.getMatchingIndexingMap(&operand);
    if (epi.isDpsInit(&operand)) {
      if (!map.isIdentity() || !epi.getMatchingBlockArgument(&operand).use_empty())
        return nullptr;
      continue;
    }
    auto type = cast<RankedTensorType>(operand.get().getType());
    bool whole = map.isIdentity() && type == conv.getType();
    bool channel = map == perChannel && type.getRank() == 1;
    if (!whole && !channel)
      return nullptr;
    if (operand.get() == conv.getResult() && !whole)
      return nullptr;
    // A conv that cnnc-fuse-conv-epilogues gave this consumer (the other
    // branch of a residual add) keeps it.
    if (Operation *producer = operand.get().getDefiningOp();
        producer && producer != conv && producer->hasAttr(mlir::cnn::attr_names::kFusedEpilogue))
      return nullptr;
  }
  for (Operation &op : epi.getBody()->without_terminator())
    if (op.getNumRegions() != 0 || op.getNumResults() != 1 ||
        !op.getResult(0).getType().isIntOrFloat())
      return nullptr;
  return epi;
}

struct WinogradLowering {
  codegen::WinogradConv2DOp conv;
  codegen::WinogradScheduleAttr schedule;
  const cnnc::WinogradMatrices &w;
  int64_t lanes;
  Initializer init;
  linalg::GenericOp epilogue;

  // Shapes.
  int64_t n, c, oh, ow, f, m, a, tilesH, tilesW, tileBlock, channelTile, vectorsPerTile;
  Location loc;
  VectorType vecType;

  // Per forall iteration of the row variant.
  Value image, row0, rows, vbuf, mbuf;

  WinogradLowering(codegen::WinogradConv2DOp conv, codegen::WinogradScheduleAttr schedule,
                   const cnnc::WinogradMatrices &w, int64_t lanes)
      : conv(conv), schedule(schedule), w(w), lanes(lanes), loc(conv.getLoc()) {
    auto x = cast<RankedTensorType>(conv.getInput().getType());
    auto y = cast<RankedTensorType>(conv.getInit().getType());
    n = y.getDimSize(0);
    oh = y.getDimSize(1);
    ow = y.getDimSize(2);
    f = y.getDimSize(3);
    c = x.getDimSize(3);
    m = conv.getOutputTile();
    a = m + 2;
    tilesH = cnnc::tilesAlong(oh, m);
    tilesW = cnnc::tilesAlong(ow, m);
    tileBlock = schedule.getTileBlock();
    channelTile = schedule.getChannelTile();
    vectorsPerTile = channelTile / lanes;
    vecType = VectorType::get({lanes}, x.getElementType());
  }

  Value index(OpBuilder &b, int64_t v) { return arith::ConstantIndexOp::create(b, loc, v); }
  Value add(OpBuilder &b, Value x, Value y) { return arith::AddIOp::create(b, loc, x, y); }
  Value addConst(OpBuilder &b, Value x, int64_t v) { return v == 0 ? x : add(b, x, index(b, v)); }
  Value mul(OpBuilder &b, Value x, int64_t v) {
    return arith::MulIOp::create(b, loc, x, index(b, v));
  }
  Value read(OpBuilder &b, Value tensor, ValueRange indices) {
    return vector::TransferReadOp::create(b, loc, vecType, tensor, indices, std::nullopt,
                                          ArrayRef<bool>{true});
  }
  Value zeroVector(OpBuilder &b) {
    return arith::ConstantOp::create(
        b, loc, DenseElementsAttr::get(vecType, b.getFloatAttr(vecType.getElementType(), 0.0)));
  }
  /// min(m, size - start): the rows (columns) of a tile inside the output.
  Value validCount(OpBuilder &b, Value start, int64_t size) {
    return arith::MinSIOp::create(b, loc, arith::SubIOp::create(b, loc, index(b, size), start),
                                  index(b, m));
  }

  /// B^T d B of the patch at (img, h0, w0), input channels c0 + [0, lanes).
  SmallVector<SmallVector<Value>> transformPatch(OpBuilder &b, Value img, Value h0, Value w0,
                                                 Value c0) {
    SmallVector<SmallVector<Value>> patch(a);
    for (int64_t i = 0; i < a; ++i)
      for (int64_t j = 0; j < a; ++j)
        patch[i].push_back(
            read(b, conv.getInput(), {img, addConst(b, h0, i), addConst(b, w0, j), c0}));
    return sandwich(b, loc, w.bt, patch);
  }

  /// A^T M A of the products buf[tile, :, offset + [0, lanes)].
  SmallVector<SmallVector<Value>> transformProducts(OpBuilder &b, Value buf, Value tile,
                                                    Value offset) {
    SmallVector<SmallVector<Value>> products(a);
    for (int64_t i = 0; i < a; ++i)
      for (int64_t j = 0; j < a; ++j)
        products[i].push_back(
            vector::LoadOp::create(b, loc, vecType, buf, {tile, index(b, i * a + j), offset}));
    return sandwich(b, loc, w.at, products);
  }

  /// The bias (or fill) vector of output channels channel + [0, lanes), or
  /// null where the initializer is read per output.
  Value initVectorAt(OpBuilder &b, Value channel) {
    if (init.bias)
      return read(b, init.bias, {channel});
    if (init.scalar)
      return vector::BroadcastOp::create(b, loc, vecType, init.scalar);
    return Value();
  }

  /// The epilogue's body on vectors, the conv's value `value` at output
  /// (img, h, w, channel).
  Value applyEpilogue(OpBuilder &b, Value value, Value img, Value h, Value wIndex, Value channel) {
    if (!epilogue)
      return value;
    IRMapping map;
    Block *body = epilogue.getBody();
    for (OpOperand *operand : epilogue.getDpsInputOperands()) {
      BlockArgument arg = epilogue.getMatchingBlockArgument(operand);
      if (operand->get() == conv.getResult())
        map.map(arg, value);
      else if (epilogue.getMatchingIndexingMap(operand).isIdentity())
        map.map(arg, read(b, operand->get(), {img, h, wIndex, channel}));
      else
        map.map(arg, read(b, operand->get(), {channel}));
    }
    for (Operation &op : body->without_terminator()) {
      SmallVector<Value> operands;
      for (Value operand : op.getOperands())
        operands.push_back(map.contains(operand)
                               ? map.lookup(operand)
                               : vector::BroadcastOp::create(
                                     b, loc, VectorType::get({lanes}, operand.getType()), operand)
                                     .getResult());
      OperationState state(op.getLoc(), op.getName(), operands,
                           TypeRange{VectorType::get({lanes}, op.getResult(0).getType())},
                           op.getAttrs());
      map.map(op.getResult(0), b.create(state)->getResult(0));
    }
    return map.lookup(body->getTerminator()->getOperand(0));
  }

  /// Where a tile's outputs go: its image, first output row and column,
  /// the channels f0 + [0, channelTile); `rowsValid` and `colsValid` of its
  /// rows and columns inside the output where the output ends in partial
  /// tiles (the last `oh % m` rows, `ow % m` columns checked), else null.
  /// `outIndices` gives the indices in `out` of output row r (h) and column
  /// wIndex of the vector at channel offset `offset` in the tile.
  struct TilePlace {
    Value img, h0, w0, f0;
    Value rowsValid, colsValid;
    std::function<SmallVector<Value>(OpBuilder &, int64_t r, Value h, Value wIndex, Value offset)>
        outIndices;
  };

  /// The tile's outputs from buf[tile]: initializer added, epilogue applied,
  /// written into `out`; rows and columns past the output's edge skipped.
  /// One loop over the channel tile's vectors.
  Value writeTile(OpBuilder &b, Value buf, Value tile, const TilePlace &place, Value out) {
    auto vectors = scf::ForOp::create(
        b, loc, index(b, 0), index(b, channelTile), index(b, lanes), ValueRange{out},
        [&](OpBuilder &b, Location, Value offset, ValueRange args) {
          Value out = args[0];
          SmallVector<SmallVector<Value>> y = transformProducts(b, buf, tile, offset);
          Value channel = add(b, place.f0, offset);
          Value initVector = initVectorAt(b, channel);
          auto guarded = [&](OpBuilder &b, Value count, int64_t at, Value out,
                             llvm::function_ref<Value(OpBuilder &, Value)> write) -> Value {
            if (!count)
              return write(b, out);
            Value inside =
                arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, index(b, at), count);
            return scf::IfOp::create(
                       b, loc, inside,
                       [&](OpBuilder &b, Location) { scf::YieldOp::create(b, loc, write(b, out)); },
                       [&](OpBuilder &b, Location) { scf::YieldOp::create(b, loc, out); })
                .getResult(0);
          };
          for (int64_t r = 0; r < m; ++r) {
            auto writeRow = [&](OpBuilder &b, Value out) {
              Value h = addConst(b, place.h0, r);
              for (int64_t col = 0; col < m; ++col) {
                auto writeOne = [&](OpBuilder &b, Value out) {
                  Value wIndex = addConst(b, place.w0, col);
                  Value initial =
                      initVector ? initVector : read(b, init.tensor, {place.img, h, wIndex, channel});
                  Value value = arith::AddFOp::create(b, loc, y[r][col], initial);
                  value = applyEpilogue(b, value, place.img, h, wIndex, channel);
                  return vector::TransferWriteOp::create(b, loc, value, out,
                                                         place.outIndices(b, r, h, wIndex, offset),
                                                         ArrayRef<bool>{true})
                      .getResult();
                };
                out = guarded(b, col >= ow % m ? place.colsValid : Value(), col, out, writeOne);
              }
              return out;
            };
            out = guarded(b, r >= oh % m ? place.rowsValid : Value(), r, out, writeRow);
          }
          scf::YieldOp::create(b, loc, out);
        });
    return vectors.getResult(0);
  }

  /// Row variant: the transformed patches of `count` tiles from tile column
  /// `tw0` into vbuf[k, p, :].
  void transformInputs(OpBuilder &b, Value tw0, int64_t count) {
    scf::ForOp::create(
        b, loc, index(b, 0), index(b, count), index(b, 1), ValueRange{},
        [&](OpBuilder &b, Location, Value k, ValueRange) {
          Value col0 = mul(b, add(b, tw0, k), m);
          scf::ForOp::create(
              b, loc, index(b, 0), index(b, c), index(b, lanes), ValueRange{},
              [&](OpBuilder &b, Location, Value c0, ValueRange) {
                SmallVector<SmallVector<Value>> v = transformPatch(b, image, row0, col0, c0);
                for (int64_t i = 0; i < a; ++i)
                  for (int64_t j = 0; j < a; ++j)
                    vector::StoreOp::create(b, loc, v[i][j], vbuf, {k, index(b, i * a + j), c0});
                scf::YieldOp::create(b, loc);
              });
          scf::YieldOp::create(b, loc);
        });
  }

  /// A register block of `count` tiles x channelTile for transform position
  /// p: acc[k] (+)= sum over `steps` input channels of
  /// input(k, channel) * filterVector(channel, v), stored into out[k0 + k, p].
  void multiplyBlock(OpBuilder &b, Value p, int64_t count, int64_t steps, bool accumulate,
                     Value outBuf, Value k0,
                     llvm::function_ref<Value(OpBuilder &, Value k, Value ci)> input,
                     llvm::function_ref<Value(OpBuilder &, Value ci, int64_t v)> filterVector) {
    SmallVector<Value> initial;
    Value zero = zeroVector(b);
    for (int64_t k = 0; k < count; ++k)
      for (int64_t v = 0; v < vectorsPerTile; ++v)
        initial.push_back(accumulate ? vector::LoadOp::create(b, loc, vecType, outBuf,
                                                              {addConst(b, k0, k), p,
                                                               index(b, v * lanes)})
                                           .getResult()
                                     : zero);
    auto reduction = scf::ForOp::create(
        b, loc, index(b, 0), index(b, steps), index(b, 1), initial,
        [&](OpBuilder &b, Location, Value ci, ValueRange accs) {
          SmallVector<Value> weights;
          for (int64_t v = 0; v < vectorsPerTile; ++v)
            weights.push_back(filterVector(b, ci, v));
          SmallVector<Value> next;
          for (int64_t k = 0; k < count; ++k) {
            Value broadcast = vector::BroadcastOp::create(b, loc, vecType, input(b, index(b, k), ci));
            for (int64_t v = 0; v < vectorsPerTile; ++v)
              next.push_back(vector::FMAOp::create(b, loc, broadcast, weights[v],
                                                   accs[k * vectorsPerTile + v]));
          }
          scf::YieldOp::create(b, loc, next);
        });
    for (int64_t k = 0; k < count; ++k)
      for (int64_t v = 0; v < vectorsPerTile; ++v)
        vector::StoreOp::create(b, loc, reduction.getResult(k * vectorsPerTile + v), outBuf,
                                {addConst(b, k0, k), p, index(b, v * lanes)});
  }

  /// Row variant: one block of `count` tiles from tile column tw0.
  Value emitBlock(OpBuilder &b, Value tw0, int64_t count, Value out) {
    transformInputs(b, tw0, count);
    Value filter = conv.getFilter();
    auto channelTiles = scf::ForOp::create(
        b, loc, index(b, 0), index(b, f), index(b, channelTile), ValueRange{out},
        [&](OpBuilder &b, Location, Value f0, ValueRange iterArgs) {
          scf::ForOp::create(
              b, loc, index(b, 0), index(b, a * a), index(b, 1), ValueRange{},
              [&](OpBuilder &b, Location, Value p, ValueRange) {
                Value pRow = arith::DivUIOp::create(b, loc, p, index(b, a));
                Value pCol = arith::RemUIOp::create(b, loc, p, index(b, a));
                multiplyBlock(
                    b, p, count, c, /*accumulate=*/false, mbuf, index(b, 0),
                    [&](OpBuilder &b, Value k, Value ci) {
                      return memref::LoadOp::create(b, loc, vbuf, {k, p, ci}).getResult();
                    },
                    [&](OpBuilder &b, Value ci, int64_t v) {
                      return read(b, filter, {pRow, pCol, ci, addConst(b, f0, v * lanes)});
                    });
                scf::YieldOp::create(b, loc);
              });
          auto tiles = scf::ForOp::create(
              b, loc, index(b, 0), index(b, count), index(b, 1), ValueRange{iterArgs[0]},
              [&](OpBuilder &b, Location, Value k, ValueRange tileArgs) {
                Value w0 = mul(b, add(b, tw0, k), m);
                TilePlace place{image, row0, w0, f0, rows,
                                ow % m ? validCount(b, w0, ow) : Value(),
                                [&, f0](OpBuilder &b, int64_t r, Value, Value wIndex,
                                        Value offset) {
                                  return SmallVector<Value>{index(b, 0), index(b, r), wIndex,
                                                            add(b, f0, offset)};
                                }};
                scf::YieldOp::create(b, loc, writeTile(b, mbuf, k, place, tileArgs[0]));
              });
          scf::YieldOp::create(b, loc, tiles.getResult(0));
        });
    return channelTiles.getResult(0);
  }

  /// Row variant: one forall over images and tile rows.
  scf::ForallOp buildRows(OpBuilder &b, Value dest) {
    tileBlock = std::min(tileBlock, tilesW);
    auto forall = scf::ForallOp::create(b, loc, {b.getIndexAttr(n), b.getIndexAttr(tilesH)},
                                        ValueRange{dest}, std::nullopt);
    b.setInsertionPointToStart(forall.getBody());
    image = forall.getInductionVar(0);
    row0 = mul(b, forall.getInductionVar(1), m);
    Value out = forall.getRegionIterArgs()[0];
    OpFoldResult rowCount = b.getIndexAttr(m);
    if (oh % m != 0) {
      rows = validCount(b, row0, oh);
      rowCount = rows;
    }
    SmallVector<OpFoldResult> offsets = {image, row0, b.getIndexAttr(0), b.getIndexAttr(0)};
    SmallVector<OpFoldResult> sizes = {b.getIndexAttr(1), rowCount, b.getIndexAttr(ow),
                                       b.getIndexAttr(f)};
    SmallVector<OpFoldResult> strides(4, b.getIndexAttr(1));
    Value rowSlice = tensor::ExtractSliceOp::create(b, loc, out, offsets, sizes, strides);
    Type element = vecType.getElementType();
    vbuf = memref::AllocaOp::create(b, loc, MemRefType::get({tileBlock, a * a, c}, element));
    mbuf = memref::AllocaOp::create(b, loc,
                                    MemRefType::get({tileBlock, a * a, channelTile}, element));

    // Blocks of tileBlock tiles, then the tiles past the last whole block
    // (the register block's size is static).
    int64_t wholeBlocks = tilesW / tileBlock, rest = tilesW % tileBlock;
    if (wholeBlocks > 0)
      rowSlice = scf::ForOp::create(
                     b, loc, index(b, 0), index(b, wholeBlocks), index(b, 1), ValueRange{rowSlice},
                     [&](OpBuilder &b, Location, Value blk, ValueRange args) {
                       scf::YieldOp::create(
                           b, loc, emitBlock(b, mul(b, blk, tileBlock), tileBlock, args[0]));
                     })
                     .getResult(0);
    if (rest > 0)
      rowSlice = emitBlock(b, index(b, wholeBlocks * tileBlock), rest, rowSlice);

    b.setInsertionPointToStart(forall.getTerminator().getBody());
    tensor::ParallelInsertSliceOp::create(b, loc, rowSlice, out, offsets, sizes, strides);
    return forall;
  }

  /// Streaming variant, first loop: every tile's transformed patches,
  /// [tiles, (m + 2)^2, C], tile t = (img * tilesH + th) * tilesW + tw.
  Value transformAllInputs(OpBuilder &b) {
    Type element = vecType.getElementType();
    Value empty = tensor::EmptyOp::create(b, loc, ArrayRef<int64_t>{n * tilesH * tilesW, a * a, c},
                                          element);
    auto forall = scf::ForallOp::create(b, loc, {b.getIndexAttr(n), b.getIndexAttr(tilesH)},
                                        ValueRange{empty}, std::nullopt);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(forall.getBody());
    Value img = forall.getInductionVar(0), th = forall.getInductionVar(1);
    Value first = mul(b, add(b, mul(b, img, tilesH), th), tilesW);
    Value out = forall.getRegionIterArgs()[0];
    SmallVector<OpFoldResult> offsets = {first, b.getIndexAttr(0), b.getIndexAttr(0)};
    SmallVector<OpFoldResult> sizes = {b.getIndexAttr(tilesW), b.getIndexAttr(a * a),
                                       b.getIndexAttr(c)};
    SmallVector<OpFoldResult> strides(3, b.getIndexAttr(1));
    Value rowSlice = tensor::ExtractSliceOp::create(b, loc, out, offsets, sizes, strides);
    Value h0 = mul(b, th, m);
    rowSlice =
        scf::ForOp::create(
            b, loc, index(b, 0), index(b, tilesW), index(b, 1), ValueRange{rowSlice},
            [&](OpBuilder &b, Location, Value tw, ValueRange args) {
              Value w0 = mul(b, tw, m);
              auto channels = scf::ForOp::create(
                  b, loc, index(b, 0), index(b, c), index(b, lanes), ValueRange{args[0]},
                  [&](OpBuilder &b, Location, Value c0, ValueRange inner) {
                    SmallVector<SmallVector<Value>> v = transformPatch(b, img, h0, w0, c0);
                    Value slice = inner[0];
                    for (int64_t i = 0; i < a; ++i)
                      for (int64_t j = 0; j < a; ++j)
                        slice = vector::TransferWriteOp::create(
                                    b, loc, v[i][j], slice, {tw, index(b, i * a + j), c0},
                                    ArrayRef<bool>{true})
                                    .getResult();
                    scf::YieldOp::create(b, loc, slice);
                  });
              scf::YieldOp::create(b, loc, channels.getResult(0));
            })
            .getResult(0);
    b.setInsertionPointToStart(forall.getTerminator().getBody());
    tensor::ParallelInsertSliceOp::create(b, loc, rowSlice, out, offsets, sizes, strides);
    return forall.getResult(0);
  }

  /// Streaming variant, second loop: one iteration per image group and
  /// channel tile; the filter's slice transformed filter_chunk input
  /// channels at a time (G g G^T) into ubuf, the group's tiles' products
  /// accumulated in mbuf.
  scf::ForallOp buildStreaming(OpBuilder &b, Value dest) {
    Value patches = transformAllInputs(b);
    int64_t groupImages = schedule.getGroupImages() > 0 ? schedule.getGroupImages() : n;
    int64_t tiles = groupImages * tilesH * tilesW, chunk = schedule.getFilterChunk();
    tileBlock = std::min(tileBlock, tiles);
    auto forall = scf::ForallOp::create(
        b, loc, {b.getIndexAttr(n / groupImages), b.getIndexAttr(f / channelTile)},
        ValueRange{dest}, std::nullopt);
    b.setInsertionPointToStart(forall.getBody());
    Value img0 = mul(b, forall.getInductionVar(0), groupImages);
    Value firstTile = mul(b, img0, tilesH * tilesW);
    Value f0 = mul(b, forall.getInductionVar(1), channelTile);
    Value out = forall.getRegionIterArgs()[0];
    SmallVector<OpFoldResult> offsets = {img0, b.getIndexAttr(0), b.getIndexAttr(0), f0};
    SmallVector<OpFoldResult> sizes = {b.getIndexAttr(groupImages), b.getIndexAttr(oh),
                                       b.getIndexAttr(ow), b.getIndexAttr(channelTile)};
    SmallVector<OpFoldResult> strides(4, b.getIndexAttr(1));
    Value channelSlice = tensor::ExtractSliceOp::create(b, loc, out, offsets, sizes, strides);
    Type element = vecType.getElementType();
    // [chunk, position, channel]: a channel's (m + 2)^2 transformed vectors
    // are stored one after the other (position-major rows were 4 KB apart,
    // one L1 set for all of them).
    Value ubuf =
        memref::AllocaOp::create(b, loc, MemRefType::get({chunk, a * a, channelTile}, element));
    mbuf = memref::AllocaOp::create(b, loc, MemRefType::get({tiles, a * a, channelTile}, element));
    Value filter = conv.getFilter();
    scf::ForOp::create(
        b, loc, index(b, 0), index(b, c), index(b, chunk), ValueRange{},
        [&](OpBuilder &b, Location, Value c0, ValueRange) {
          // G g G^T of the chunk's filter slice.
          scf::ForOp::create(
              b, loc, index(b, 0), index(b, chunk), index(b, 1), ValueRange{},
              [&](OpBuilder &b, Location, Value ci, ValueRange) {
                Value channel = add(b, c0, ci);
                for (int64_t v = 0; v < vectorsPerTile; ++v) {
                  SmallVector<SmallVector<Value>> taps(3);
                  for (int64_t i = 0; i < 3; ++i)
                    for (int64_t j = 0; j < 3; ++j)
                      taps[i].push_back(read(b, filter, {index(b, i), index(b, j), channel,
                                                         addConst(b, f0, v * lanes)}));
                  SmallVector<SmallVector<Value>> u = sandwich(b, loc, w.g, taps);
                  for (int64_t i = 0; i < a; ++i)
                    for (int64_t j = 0; j < a; ++j)
                      vector::StoreOp::create(b, loc, u[i][j], ubuf,
                                              {ci, index(b, i * a + j), index(b, v * lanes)});
                }
                scf::YieldOp::create(b, loc);
              });
          scf::ForOp::create(
              b, loc, index(b, 0), index(b, a * a), index(b, 1), ValueRange{},
              [&](OpBuilder &b, Location, Value p, ValueRange) {
                // The first chunk's products start from zero, the others'
                // from the earlier chunks'.
                Value first =
                    arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, c0, index(b, 0));
                auto block = [&](OpBuilder &b, Value t0, int64_t count) {
                  scf::IfOp::create(
                      b, loc, first,
                      [&](OpBuilder &b, Location) {
                        emitProducts(b, p, t0, firstTile, count, chunk, false, patches, c0,
                                     ubuf);
                        scf::YieldOp::create(b, loc);
                      },
                      [&](OpBuilder &b, Location) {
                        emitProducts(b, p, t0, firstTile, count, chunk, true, patches, c0,
                                     ubuf);
                        scf::YieldOp::create(b, loc);
                      });
                };
                int64_t wholeBlocks = tiles / tileBlock, rest = tiles % tileBlock;
                if (wholeBlocks > 0)
                  scf::ForOp::create(b, loc, index(b, 0), index(b, wholeBlocks), index(b, 1),
                                     ValueRange{},
                                     [&](OpBuilder &b, Location, Value blk, ValueRange) {
                                       block(b, mul(b, blk, tileBlock), tileBlock);
                                       scf::YieldOp::create(b, loc);
                                     });
                if (rest > 0)
                  block(b, index(b, wholeBlocks * tileBlock), rest);
                scf::YieldOp::create(b, loc);
              });
          scf::YieldOp::create(b, loc);
        });
    channelSlice =
        scf::ForOp::create(
            b, loc, index(b, 0), index(b, tiles), index(b, 1), ValueRange{channelSlice},
            [&](OpBuilder &b, Location, Value t, ValueRange args) {
              Value groupImage = arith::DivUIOp::create(b, loc, t, index(b, tilesH * tilesW));
              Value inImage = arith::RemUIOp::create(b, loc, t, index(b, tilesH * tilesW));
              Value h0 = mul(b, arith::DivUIOp::create(b, loc, inImage, index(b, tilesW)), m);
              Value w0 = mul(b, arith::RemUIOp::create(b, loc, inImage, index(b, tilesW)), m);
              TilePlace place{add(b, img0, groupImage), h0, w0, f0,
                              oh % m ? validCount(b, h0, oh) : Value(),
                              ow % m ? validCount(b, w0, ow) : Value(),
                              [&, groupImage](OpBuilder &b, int64_t, Value h, Value wIndex,
                                              Value offset) {
                                return SmallVector<Value>{groupImage, h, wIndex, offset};
                              }};
              scf::YieldOp::create(b, loc, writeTile(b, mbuf, t, place, args[0]));
            })
            .getResult(0);
    b.setInsertionPointToStart(forall.getTerminator().getBody());
    tensor::ParallelInsertSliceOp::create(b, loc, channelSlice, out, offsets, sizes, strides);
    return forall;
  }

  /// Streaming variant: the products of the group's tiles t0 + [0, count)
  /// (the conv's tiles firstTile + t0 + ...) at position p over the chunk's
  /// input channels c0 + [0, chunk), into mbuf.
  void emitProducts(OpBuilder &b, Value p, Value t0, Value firstTile, int64_t count,
                    int64_t chunk, bool accumulate, Value patches, Value c0, Value ubuf) {
    Value patch0 = add(b, firstTile, t0);
    multiplyBlock(
        b, p, count, chunk, accumulate, mbuf, t0,
        [&](OpBuilder &b, Value k, Value ci) {
          return tensor::ExtractOp::create(b, loc, patches,
                                           ValueRange{add(b, patch0, k), p, add(b, c0, ci)})
              .getResult();
        },
        [&](OpBuilder &b, Value ci, int64_t v) {
          return vector::LoadOp::create(b, loc, vecType, ubuf, {ci, p, index(b, v * lanes)})
              .getResult();
        });
  }

  LogicalResult run(RewriterBase &rewriter) {
    int64_t chunk = schedule.getFilterChunk();
    if (c % lanes != 0 || channelTile % lanes != 0 || f % channelTile != 0 ||
        conv.hasUntransformedFilter() != (chunk > 0) || (chunk > 0 && c % chunk != 0))
      return conv.emitOpError() << "winograd schedule " << schedule
                                << " needs whole vectors of input channels, channel tiles "
                                   "dividing the output channels, and a filter chunk dividing "
                                   "the input channels exactly for an untransformed filter";
    init = analyzeInit(conv);
    epilogue = fusableEpilogue(conv);
    Operation *anchor = epilogue ? epilogue.getOperation() : conv.getOperation();
    Value dest = epilogue ? epilogue.getDpsInits()[0] : init.dest;
    // The loop stands where the conv stood, so that a per-layer profile
    // counts it to the conv, unless the epilogue reads a value computed
    // after the conv (another branch of a residual add); an empty output
    // tensor made after it is made before it instead.
    Operation *at = conv;
    if (epilogue) {
      auto after = [&](Value v) {
        Operation *def = v.getDefiningOp();
        return def && def->getBlock() == conv->getBlock() && conv->isBeforeInBlock(def);
      };
      // Values made after the conv: an empty tensor or a constant is made
      // again before it; anything else keeps the loop at the epilogue.
      llvm::SetVector<Value> used(epilogue->getOperands().begin(), epilogue->getOperands().end());
      getUsedValuesDefinedAbove(epilogue->getRegions(), used);
      used.remove(conv.getResult());
      for (Value v : used) {
        if (!after(v))
          continue;
        Operation *def = v.getDefiningOp();
        if (!isa<tensor::EmptyOp>(def) && !def->hasTrait<OpTrait::ConstantLike>()) {
          at = epilogue;
          break;
        }
      }
      if (at == conv.getOperation()) {
        rewriter.setInsertionPoint(conv);
        for (Value v : used)
          if (after(v)) {
            Value early = rewriter.clone(*v.getDefiningOp())->getResult(0);
            rewriter.replaceUsesWithIf(v, early, [&](OpOperand &use) {
              return epilogue->isAncestor(use.getOwner());
            });
            if (v == dest)
              dest = early;
          }
      }
    }
    rewriter.setInsertionPoint(at);
    OpBuilder &b = rewriter;
    scf::ForallOp forall = chunk > 0 ? buildStreaming(b, dest) : buildRows(b, dest);
    rewriter.replaceAllUsesWith(anchor->getResult(0), forall.getResult(0));
    if (epilogue)
      rewriter.eraseOp(epilogue);
    rewriter.eraseOp(conv);
    if (init.op && init.op->use_empty())
      rewriter.eraseOp(init.op);
    return success();
  }
};

struct LowerWinogradConvsPass
    : cnnc::impl::LowerWinogradConvsPassBase<LowerWinogradConvsPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<codegen::WinogradConv2DOp> convs;
    module.walk([&](codegen::WinogradConv2DOp conv) { convs.push_back(conv); });
    if (convs.empty())
      return;
    codegen::CpuTargetAttr target = codegen::getCpuTarget(module);
    IRRewriter rewriter(&getContext());
    for (codegen::WinogradConv2DOp conv : convs) {
      auto schedule = conv->getAttrOfType<codegen::WinogradScheduleAttr>(
          codegen::CodegenDialect::kScheduleAttrName);
      if (!schedule || !target) {
        conv.emitOpError() << "needs a #codegen.winograd_schedule and the module's "
                           << codegen::CodegenDialect::kTargetAttrName
                           << " (run cnnc-select-cpu-schedules first)";
        return signalPassFailure();
      }
      WinogradLowering lowering(conv, schedule, *cnnc::winogradMatrices(conv.getOutputTile()),
                                target.getLanes());
      if (failed(lowering.run(rewriter)))
        return signalPassFailure();
    }
  }
};

} // namespace
