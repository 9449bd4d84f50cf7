//===- LowerWinogradConvs.cpp - Winograd convs as vector code -------------===//
//
// Writes each scheduled codegen.winograd_conv2d as one scf.forall over
// images and rows of output tiles (see the pass description). Per block of
// tiles, the transformed patches [tiles, (m + 2)^2, C] and the products of
// one channel tile [tiles, (m + 2)^2, channel tile] live in stack buffers:
// written once and read back from cache, where an unfused Winograd would
// pass both through memory (a grouped 1x1 conv over the transformed input
// plus a separate ReLU measured 0.38 ms against the direct conv's 0.51 ms
// for ResNet-18's 56x56x64 layer at batch 1; docs/benchmarks.md).
//
//===----------------------------------------------------------------------===//

#include "Cnn/CnnAttrNames.h"
#include "Passes.h"
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
      if (!map.isIdentity() || epi.getMatchingBlockArgument(&operand).use_empty() == false)
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

  // Per forall iteration.
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
    tilesH = (oh + m - 1) / m;
    tilesW = (ow + m - 1) / m;
    tileBlock = std::min(schedule.getTileBlock(), tilesW);
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

  /// The transformed patches of `count` tiles from tile column `tw0` into
  /// vbuf[k, p, :].
  void transformInputs(OpBuilder &b, Value tw0, int64_t count) {
    Value x = conv.getInput();
    scf::ForOp::create(
        b, loc, index(b, 0), index(b, count), index(b, 1), ValueRange{},
        [&](OpBuilder &b, Location, Value k, ValueRange) {
          Value col0 = mul(b, add(b, tw0, k), m);
          scf::ForOp::create(
              b, loc, index(b, 0), index(b, c), index(b, lanes), ValueRange{},
              [&](OpBuilder &b, Location, Value c0, ValueRange) {
                SmallVector<SmallVector<Value>> patch(a);
                for (int64_t i = 0; i < a; ++i)
                  for (int64_t j = 0; j < a; ++j)
                    patch[i].push_back(
                        read(b, x, {image, addConst(b, row0, i), addConst(b, col0, j), c0}));
                SmallVector<SmallVector<Value>> v = sandwich(b, loc, w.bt, patch);
                for (int64_t i = 0; i < a; ++i)
                  for (int64_t j = 0; j < a; ++j)
                    vector::StoreOp::create(b, loc, v[i][j], vbuf, {k, index(b, i * a + j), c0});
                scf::YieldOp::create(b, loc);
              });
          scf::YieldOp::create(b, loc);
        });
  }

  /// mbuf[k, p, :] = sum_c vbuf[k, p, c] * U[p, c, f0 : f0 + channelTile] for
  /// every transform position p: a register block of count x channelTile.
  void multiply(OpBuilder &b, Value f0, int64_t count) {
    Value filter = conv.getFilter();
    Value zero = arith::ConstantOp::create(
        b, loc, DenseElementsAttr::get(vecType, b.getFloatAttr(vecType.getElementType(), 0.0)));
    scf::ForOp::create(
        b, loc, index(b, 0), index(b, a * a), index(b, 1), ValueRange{},
        [&](OpBuilder &b, Location, Value p, ValueRange) {
          Value pRow = arith::DivUIOp::create(b, loc, p, index(b, a));
          Value pCol = arith::RemUIOp::create(b, loc, p, index(b, a));
          SmallVector<Value> zeros(count * vectorsPerTile, zero);
          auto reduction = scf::ForOp::create(
              b, loc, index(b, 0), index(b, c), index(b, 1), zeros,
              [&](OpBuilder &b, Location, Value ci, ValueRange accs) {
                SmallVector<Value> weights;
                for (int64_t v = 0; v < vectorsPerTile; ++v)
                  weights.push_back(read(b, filter, {pRow, pCol, ci, addConst(b, f0, v * lanes)}));
                SmallVector<Value> next;
                for (int64_t k = 0; k < count; ++k) {
                  Value scalar = memref::LoadOp::create(b, loc, vbuf, {index(b, k), p, ci});
                  Value broadcast = vector::BroadcastOp::create(b, loc, vecType, scalar);
                  for (int64_t v = 0; v < vectorsPerTile; ++v)
                    next.push_back(vector::FMAOp::create(b, loc, broadcast, weights[v],
                                                         accs[k * vectorsPerTile + v]));
                }
                scf::YieldOp::create(b, loc, next);
              });
          for (int64_t k = 0; k < count; ++k)
            for (int64_t v = 0; v < vectorsPerTile; ++v)
              vector::StoreOp::create(b, loc, reduction.getResult(k * vectorsPerTile + v), mbuf,
                                      {index(b, k), p, index(b, v * lanes)});
          scf::YieldOp::create(b, loc);
        });
  }

  /// The epilogue's body on vectors, the conv's value `value` at output
  /// (h, w, channel).
  Value applyEpilogue(OpBuilder &b, Value value, Value h, Value wIndex, Value channel) {
    if (!epilogue)
      return value;
    IRMapping map;
    Block *body = epilogue.getBody();
    for (OpOperand *operand : epilogue.getDpsInputOperands()) {
      BlockArgument arg = epilogue.getMatchingBlockArgument(operand);
      if (operand->get() == conv.getResult())
        map.map(arg, value);
      else if (epilogue.getMatchingIndexingMap(operand).isIdentity())
        map.map(arg, read(b, operand->get(), {image, h, wIndex, channel}));
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

  /// Tile `k` of the block (columns tw0 * m + k * m ..., `cols` of them
  /// inside the output) from mbuf into `out`, the iteration's row slice.
  Value writeTile(OpBuilder &b, Value tw0, Value k, int64_t cols, Value f0,
                  ArrayRef<Value> initVectors, Value out) {
    Value col0 = mul(b, add(b, tw0, k), m);
    for (int64_t v = 0; v < vectorsPerTile; ++v) {
      SmallVector<SmallVector<Value>> products(a);
      for (int64_t i = 0; i < a; ++i)
        for (int64_t j = 0; j < a; ++j)
          products[i].push_back(vector::LoadOp::create(
              b, loc, vecType, mbuf, {k, index(b, i * a + j), index(b, v * lanes)}));
      SmallVector<SmallVector<Value>> y = sandwich(b, loc, w.at, products);
      Value channel = addConst(b, f0, v * lanes);
      for (int64_t r = 0; r < m; ++r) {
        auto writeRow = [&](OpBuilder &b, Value out) {
          Value h = addConst(b, row0, r);
          for (int64_t s = 0; s < cols; ++s) {
            Value wIndex = addConst(b, col0, s);
            Value initial = initVectors.empty()
                                ? read(b, init.tensor, {image, h, wIndex, channel})
                                : initVectors[v];
            Value value = arith::AddFOp::create(b, loc, y[r][s], initial);
            value = applyEpilogue(b, value, h, wIndex, channel);
            out = vector::TransferWriteOp::create(b, loc, value, out,
                                                  {index(b, 0), index(b, r), wIndex, channel},
                                                  ArrayRef<bool>{true})
                      .getResult();
          }
          return out;
        };
        // Rows past the output's last row (a partial tile row) are not written.
        if (rows && r >= oh % m) {
          Value inside = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, index(b, r), rows);
          auto guarded = scf::IfOp::create(
              b, loc, inside,
              [&](OpBuilder &b, Location) { scf::YieldOp::create(b, loc, writeRow(b, out)); },
              [&](OpBuilder &b, Location) { scf::YieldOp::create(b, loc, out); });
          out = guarded.getResult(0);
        } else {
          out = writeRow(b, out);
        }
      }
    }
    return out;
  }

  /// One block of `count` tiles from tile column tw0; its last tile has
  /// `lastCols` columns inside the output.
  Value emitBlock(OpBuilder &b, Value tw0, int64_t count, int64_t lastCols, Value out) {
    transformInputs(b, tw0, count);
    auto channelTiles = scf::ForOp::create(
        b, loc, index(b, 0), index(b, f), index(b, channelTile), ValueRange{out},
        [&](OpBuilder &b, Location, Value f0, ValueRange iterArgs) {
          multiply(b, f0, count);
          SmallVector<Value> initVectors;
          for (int64_t v = 0; v < vectorsPerTile; ++v) {
            if (init.bias)
              initVectors.push_back(read(b, init.bias, {addConst(b, f0, v * lanes)}));
            else if (init.scalar)
              initVectors.push_back(vector::BroadcastOp::create(b, loc, vecType, init.scalar));
          }
          int64_t whole = lastCols < m ? count - 1 : count;
          Value result = iterArgs[0];
          if (whole > 0)
            result = scf::ForOp::create(
                         b, loc, index(b, 0), index(b, whole), index(b, 1), ValueRange{result},
                         [&](OpBuilder &b, Location, Value k, ValueRange tileArgs) {
                           scf::YieldOp::create(b, loc,
                                                writeTile(b, tw0, k, m, f0, initVectors,
                                                          tileArgs[0]));
                         })
                         .getResult(0);
          if (lastCols < m)
            result = writeTile(b, tw0, index(b, count - 1), lastCols, f0, initVectors, result);
          scf::YieldOp::create(b, loc, result);
        });
    return channelTiles.getResult(0);
  }

  LogicalResult run(RewriterBase &rewriter) {
    if (c % lanes != 0 || channelTile % lanes != 0 || f % channelTile != 0)
      return conv.emitOpError() << "winograd schedule " << schedule
                                << " needs whole vectors of input channels and channel tiles "
                                   "dividing the output channels";
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
    auto forall = scf::ForallOp::create(b, loc, {b.getIndexAttr(n), b.getIndexAttr(tilesH)},
                                        ValueRange{dest}, std::nullopt);
    b.setInsertionPointToStart(forall.getBody());
    image = forall.getInductionVar(0);
    row0 = mul(b, forall.getInductionVar(1), m);
    Value out = forall.getRegionIterArgs()[0];
    OpFoldResult rowCount = b.getIndexAttr(m);
    if (oh % m != 0) {
      rows = arith::MinSIOp::create(b, loc, arith::SubIOp::create(b, loc, index(b, oh), row0),
                                    index(b, m));
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

    // Blocks of tileBlock tiles, the last (holding a partial tile, or the
    // tiles past the last whole block) with static sizes of its own.
    int64_t wholeBlocks = tilesW / tileBlock, rest = tilesW % tileBlock;
    int64_t partialCols = ow % m == 0 ? m : ow % m;
    int64_t loopBlocks = rest == 0 && partialCols < m ? wholeBlocks - 1 : wholeBlocks;
    if (loopBlocks > 0)
      rowSlice = scf::ForOp::create(
                     b, loc, index(b, 0), index(b, loopBlocks), index(b, 1), ValueRange{rowSlice},
                     [&](OpBuilder &b, Location, Value blk, ValueRange args) {
                       scf::YieldOp::create(
                           b, loc, emitBlock(b, mul(b, blk, tileBlock), tileBlock, m, args[0]));
                     })
                     .getResult(0);
    if (loopBlocks < wholeBlocks)
      rowSlice = emitBlock(b, index(b, loopBlocks * tileBlock), tileBlock, partialCols, rowSlice);
    if (rest > 0)
      rowSlice = emitBlock(b, index(b, wholeBlocks * tileBlock), rest, partialCols, rowSlice);

    b.setInsertionPointToStart(forall.getTerminator().getBody());
    tensor::ParallelInsertSliceOp::create(b, loc, rowSlice, out, offsets, sizes, strides);

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
