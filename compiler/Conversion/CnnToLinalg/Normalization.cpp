//===- Normalization.cpp - batchnorm and layer norm to linalg -------------===//

#include "Conversion/CnnToLinalg/CnnToLinalg.h"
#include "Conversion/CnnToLinalg/LoweringUtils.h"

#include "Cnn/CnnDialect.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"

using namespace mlir;
using namespace cnnc::lowering;

namespace {

/// y = (x - mean) * rsqrt(var + eps) * weight + bias, per channel (dim 1).
struct BatchNormLowering : OpConversionPattern<cnn::BatchNormOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult matchAndRewrite(cnn::BatchNormOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto shape = op.getInput().getType().getShape();
    int64_t rank = shape.size();
    auto *ctx = rewriter.getContext();
    AffineMap channel = AffineMap::get(rank, 0, {getAffineDimExpr(1, ctx)}, ctx);
    AffineMap identity = rewriter.getMultiDimIdentityMap(rank);
    SmallVector<AffineMap> maps = {identity, channel, channel, channel, channel, identity};
    float eps = (float)op.getEpsilon().convertToDouble();
    Value init = emptyTensor(rewriter, loc, shape);
    Value y = linalg::GenericOp::create(
                  rewriter, loc, TypeRange{init.getType()},
                  ValueRange{adaptor.getInput(), adaptor.getWeight(), adaptor.getBias(),
                             adaptor.getRunningMean(), adaptor.getRunningVar()},
                  ValueRange{init}, maps,
                  SmallVector<utils::IteratorType>(rank, utils::IteratorType::parallel), "", "",
                  [&](OpBuilder &b, Location l, ValueRange a) {
                    Value var = arith::AddFOp::create(b, l, a[4], f32Constant(b, l, eps));
                    Value inv = math::RsqrtOp::create(b, l, var);
                    Value centered = arith::SubFOp::create(b, l, a[0], a[3]);
                    Value scaled = arith::MulFOp::create(
                        b, l, centered, arith::MulFOp::create(b, l, inv, a[1]));
                    linalg::YieldOp::create(
                        b, l, arith::AddFOp::create(b, l, scaled, a[2]).getResult());
                  })
                  .getResult(0);
    rewriter.replaceOp(op, y);
    return success();
  }
};

//===----------------------------------------------------------------------===//
// Batchnorm in training mode
//===----------------------------------------------------------------------===//

/// Per-channel (dim 1) sum of fn(inputs) over every other dimension; with
/// a rows mask ([N], see cnn.label_mask), of rows[n] * fn(inputs).
Value channelSum(OpBuilder &b, Location loc, ValueRange ins, ArrayRef<AffineMap> inMaps,
                 int64_t rank, int64_t channels, Value rows,
                 function_ref<Value(OpBuilder &, Location, ValueRange)> fn) {
  MLIRContext *ctx = b.getContext();
  SmallVector<IteratorType> iters(rank, kRed);
  iters[1] = kPar;
  SmallVector<Value> inputs(ins.begin(), ins.end());
  SmallVector<AffineMap> maps(inMaps.begin(), inMaps.end());
  if (rows) {
    inputs.push_back(rows);
    maps.push_back(AffineMap::get(rank, 0, {dim(ctx, 0)}, ctx));
  }
  maps.push_back(AffineMap::get(rank, 0, {dim(ctx, 1)}, ctx));
  Value acc = filledTensor(b, loc, {channels}, 0.0f);
  return yieldGeneric(b, loc, inputs, acc, maps, iters,
                      [&](OpBuilder &nb, Location l, ValueRange a) -> Value {
                        ValueRange operands = a.drop_back(rows ? 2 : 1);
                        Value term = fn(nb, l, operands);
                        if (rows)
                          term = arith::MulFOp::create(nb, l, term, a[a.size() - 2]);
                        return arith::AddFOp::create(nb, l, a.back(), term);
                      });
}

/// Elements per channel that batchnorm's statistics count, as tensor<1xf32>:
/// N * (H * W) without a rows mask, sum(rows) * (H * W) with one.
Value countedElements(OpBuilder &b, Location loc, ArrayRef<int64_t> shape, Value rows) {
  int64_t perRow = 1;
  for (size_t i = 2; i < shape.size(); ++i)
    perRow *= shape[i];
  if (!rows)
    return filledTensor(b, loc, {1}, float(shape[0] * perRow));
  MLIRContext *ctx = b.getContext();
  AffineMap id1 = b.getMultiDimIdentityMap(1);
  AffineMap scalar = AffineMap::get(1, 0, {getAffineConstantExpr(0, ctx)}, ctx);
  return yieldGeneric(b, loc, ValueRange{rows}, filledTensor(b, loc, {1}, 0.0f), {id1, scalar},
                      {kRed}, [&](OpBuilder &nb, Location l, ValueRange a) -> Value {
                        return arith::AddFOp::create(
                            nb, l, a[1], arith::MulFOp::create(nb, l, a[0], f32Constant(nb, l, float(perRow))));
                      });
}

/// `parts` summed over every data-parallel replica in one collective call
/// (each call a point where the replicas wait for one another); without
/// `crossReplica`, `parts` themselves.
SmallVector<Value> sumOverReplicas(OpBuilder &b, Location loc, ArrayRef<Value> parts,
                                   bool crossReplica) {
  if (!crossReplica)
    return SmallVector<Value>(parts);
  return cnn::CrossReplicaSumOp::create(b, loc, parts).getResults();
}

struct BatchNormTrainLowering : OpConversionPattern<cnn::BatchNormTrainOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(cnn::BatchNormTrainOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *ctx = rewriter.getContext();
    auto shape = op.getInput().getType().getShape();
    int64_t rank = shape.size(), c = shape[1];
    float eps = (float)op.getEpsilon().convertToDouble();
    float mom = (float)op.getMomentum().convertToDouble();
    AffineMap id = rewriter.getMultiDimIdentityMap(rank);
    AffineMap ch = AffineMap::get(rank, 0, {dim(ctx, 1)}, ctx);
    Value x = adaptor.getInput(), rows = adaptor.getRows();
    // Synchronized batchnorm: sums and counts over every replica's batch,
    // the count with the first sums.
    bool crossReplica = op.getCrossReplica();
    Value localCount = countedElements(rewriter, loc, shape, rows);
    Value sum = channelSum(rewriter, loc, {x}, {id}, rank, c, rows,
                           [](OpBuilder &, Location, ValueRange a) { return a[0]; });
    SmallVector<Value> firstSums = sumOverReplicas(rewriter, loc, {localCount, sum}, crossReplica);
    Value count = firstSums[0];
    auto perElement = [&](Value v) { // v / count, per channel
      return elementwise(rewriter, loc, {v, count}, {c},
                         [&](OpBuilder &b, Location l, ValueRange a) -> Value {
                           return arith::DivFOp::create(b, l, a[0], a[1]);
                         });
    };
    Value mean = perElement(firstSums[1]);
    Value sq = channelSum(rewriter, loc, {x, mean}, {id, ch}, rank, c, rows,
                          [](OpBuilder &b, Location l, ValueRange a) -> Value {
                            Value d = arith::SubFOp::create(b, l, a[0], a[1]);
                            return arith::MulFOp::create(b, l, d, d);
                          });
    Value var = perElement(sumOverReplicas(rewriter, loc, {sq}, crossReplica)[0]);
    Value invstd = elementwise(rewriter, loc, {var}, {c},
                               [&](OpBuilder &b, Location l, ValueRange a) -> Value {
                                 return math::RsqrtOp::create(
                                     b, l, arith::AddFOp::create(b, l, a[0], f32Constant(b, l, eps)));
                               });
    Value yInit = emptyTensor(rewriter, loc, shape);
    Value y = yieldGeneric(
        rewriter, loc, ValueRange{x, mean, invstd, adaptor.getWeight(), adaptor.getBias()},
        yInit, {id, ch, ch, ch, ch, id}, SmallVector<IteratorType>(rank, kPar),
        [](OpBuilder &b, Location l, ValueRange a) -> Value {
          Value xh = arith::MulFOp::create(b, l, arith::SubFOp::create(b, l, a[0], a[1]), a[2]);
          return arith::AddFOp::create(b, l, arith::MulFOp::create(b, l, xh, a[3]), a[4]);
        });
    // running = (1 - momentum) * running + momentum * batch value; the
    // variance's is unbiased: times count / (count - 1) (1 for one element).
    auto blend = [&](Value old, Value batch, bool unbiased) {
      return elementwise(rewriter, loc, {old, batch, count}, {c},
                         [&](OpBuilder &b, Location l, ValueRange a) -> Value {
                           Value o = arith::MulFOp::create(b, l, a[0], f32Constant(b, l, 1.0f - mom));
                           Value v = a[1];
                           if (unbiased) {
                             Value one = f32Constant(b, l, 1.0f);
                             Value less = arith::MaximumFOp::create(
                                 b, l, arith::SubFOp::create(b, l, a[2], one), one);
                             Value factor = arith::SelectOp::create(
                                 b, l,
                                 arith::CmpFOp::create(b, l, arith::CmpFPredicate::OGT, a[2], one),
                                 arith::DivFOp::create(b, l, a[2], less), one);
                             v = arith::MulFOp::create(b, l, v, factor);
                           }
                           Value n = arith::MulFOp::create(b, l, v, f32Constant(b, l, mom));
                           return arith::AddFOp::create(b, l, o, n);
                         });
    };
    Value rm = blend(adaptor.getRunningMean(), mean, false);
    Value rv = blend(adaptor.getRunningVar(), var, true);
    rewriter.replaceOp(op, ValueRange{y, mean, invstd, rm, rv});
    return success();
  }
};

struct BatchNormGradLowering : OpConversionPattern<cnn::BatchNormGradOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(cnn::BatchNormGradOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *ctx = rewriter.getContext();
    auto shape = op.getInput().getType().getShape();
    int64_t rank = shape.size(), c = shape[1];
    AffineMap id = rewriter.getMultiDimIdentityMap(rank);
    AffineMap ch = AffineMap::get(rank, 0, {dim(ctx, 1)}, ctx);
    AffineMap scalar = AffineMap::get(rank, 0, {getAffineConstantExpr(0, ctx)}, ctx);
    AffineMap rowOf = AffineMap::get(rank, 0, {dim(ctx, 0)}, ctx);
    Value gy = adaptor.getGrad(), x = adaptor.getInput(), rows = adaptor.getRows();
    Value mean = adaptor.getMean(), invstd = adaptor.getInvstd(), w = adaptor.getWeight();
    // This replica's dweight and dbias are its share (data-parallel training
    // sums the shares); dx needs the combined batch's, and the count: one
    // cross-replica sum of the three.
    Value localCount = countedElements(rewriter, loc, shape, rows);
    Value gb = channelSum(rewriter, loc, {gy}, {id}, rank, c, rows,
                          [](OpBuilder &, Location, ValueRange a) { return a[0]; });
    Value gw = channelSum(rewriter, loc, {gy, x, mean, invstd}, {id, id, ch, ch}, rank, c, rows,
                          [](OpBuilder &b, Location l, ValueRange a) -> Value {
                            Value xh = arith::MulFOp::create(
                                b, l, arith::SubFOp::create(b, l, a[1], a[2]), a[3]);
                            return arith::MulFOp::create(b, l, a[0], xh);
                          });
    SmallVector<Value> sums =
        sumOverReplicas(rewriter, loc, {localCount, gb, gw}, op.getCrossReplica());
    Value count = sums[0];
    Value gxInit = emptyTensor(rewriter, loc, shape);
    SmallVector<Value> ins = {gy, x, mean, invstd, w, sums[1], sums[2], count};
    SmallVector<AffineMap> maps = {id, id, ch, ch, ch, ch, ch, scalar};
    if (rows) {
      ins.push_back(rows);
      maps.push_back(rowOf);
    }
    maps.push_back(id);
    Value gx = yieldGeneric(
        rewriter, loc, ins, gxInit, maps, SmallVector<IteratorType>(rank, kPar),
        [&](OpBuilder &b, Location l, ValueRange a) -> Value {
          Value m = a[7];
          Value xh = arith::MulFOp::create(b, l, arith::SubFOp::create(b, l, a[1], a[2]), a[3]);
          Value t = arith::SubFOp::create(
              b, l,
              arith::SubFOp::create(b, l, arith::MulFOp::create(b, l, a[0], m), a[5]),
              arith::MulFOp::create(b, l, xh, a[6]));
          Value scale = arith::DivFOp::create(b, l, arith::MulFOp::create(b, l, a[4], a[3]), m);
          if (rows) // padding rows get no gradient
            scale = arith::MulFOp::create(b, l, scale, a[8]);
          return arith::MulFOp::create(b, l, scale, t);
        });
    rewriter.replaceOp(op, ValueRange{gx, gw, gb});
    return success();
  }
};

/// 1.0 where the label is a class (>= 0), 0.0 on padding rows.
struct LabelMaskLowering : OpConversionPattern<cnn::LabelMaskOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(cnn::LabelMaskOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    int64_t n = op.getRows().getType().getShape()[0];
    AffineMap id1 = rewriter.getMultiDimIdentityMap(1);
    Value mask = yieldGeneric(rewriter, loc, ValueRange{adaptor.getLabels()},
                              emptyTensor(rewriter, loc, {n}), {id1, id1}, {kPar},
                              [](OpBuilder &b, Location l, ValueRange a) -> Value {
                                Value real = arith::CmpIOp::create(
                                    b, l, arith::CmpIPredicate::sge, a[0],
                                    arith::ConstantIntOp::create(b, l, b.getI64Type(), 0));
                                return arith::SelectOp::create(b, l, real, f32Constant(b, l, 1.0f),
                                                               f32Constant(b, l, 0.0f));
                              });
    rewriter.replaceOp(op, mask);
    return success();
  }
};

//===----------------------------------------------------------------------===//
// Layer normalization
//===----------------------------------------------------------------------===//

/// The iteration space of a layer norm: the normalized dims (`axes`) and
/// the others, whose indices select one group of statistics.
struct LayerNormSpace {
  int64_t rank;
  SmallVector<int64_t> shape, statShape, affineShape;
  AffineMap all, stats, affine;
  SmallVector<IteratorType> reduceAxes, reduceOthers;
  int64_t groupSize = 1;

  LayerNormSpace(MLIRContext *ctx, ArrayRef<int64_t> inputShape, ArrayRef<int64_t> axes)
      : rank(inputShape.size()), shape(inputShape) {
    SmallVector<AffineExpr> statExprs, affineExprs;
    for (int64_t d = 0; d < rank; ++d) {
      bool normalized = llvm::is_contained(axes, d);
      reduceAxes.push_back(normalized ? kRed : kPar);
      reduceOthers.push_back(normalized ? kPar : kRed);
      if (normalized) {
        affineExprs.push_back(dim(ctx, d));
        affineShape.push_back(shape[d]);
        groupSize *= shape[d];
      } else {
        statExprs.push_back(dim(ctx, d));
        statShape.push_back(shape[d]);
      }
    }
    all = AffineMap::getMultiDimIdentityMap(rank, ctx);
    stats = AffineMap::get(rank, 0, statExprs, ctx);
    affine = AffineMap::get(rank, 0, affineExprs, ctx);
  }

  /// Per group: sum over the normalized dims of fn(inputs) / groupSize.
  Value groupMean(OpBuilder &b, Location loc, ValueRange ins, ArrayRef<AffineMap> maps,
                  function_ref<Value(OpBuilder &, Location, ValueRange)> fn) const {
    SmallVector<AffineMap> allMaps(maps.begin(), maps.end());
    allMaps.push_back(stats);
    Value sum = yieldGeneric(b, loc, ins, filledTensor(b, loc, statShape, 0.0f), allMaps,
                             reduceAxes, [&](OpBuilder &nb, Location l, ValueRange a) -> Value {
                               return arith::AddFOp::create(nb, l, a.back(),
                                                            fn(nb, l, a.drop_back()));
                             });
    float inv = 1.0f / float(groupSize);
    return yieldGeneric(b, loc, ValueRange{sum}, emptyTensor(b, loc, statShape),
                        {b.getMultiDimIdentityMap(statShape.size()),
                         b.getMultiDimIdentityMap(statShape.size())},
                        SmallVector<IteratorType>(statShape.size(), kPar),
                        [&](OpBuilder &nb, Location l, ValueRange a) -> Value {
                          return arith::MulFOp::create(nb, l, a[0], f32Constant(nb, l, inv));
                        });
  }

  /// The mean and 1 / sqrt(biased variance + eps) of each group (two passes:
  /// the variance of the centred values).
  std::pair<Value, Value> statistics(OpBuilder &b, Location loc, Value x, float eps) const {
    Value mean = groupMean(b, loc, {x}, {all}, [](OpBuilder &, Location, ValueRange a) {
      return a[0];
    });
    Value var = groupMean(b, loc, {x, mean}, {all, stats},
                          [](OpBuilder &nb, Location l, ValueRange a) -> Value {
                            Value d = arith::SubFOp::create(nb, l, a[0], a[1]);
                            return arith::MulFOp::create(nb, l, d, d);
                          });
    Value rstd = yieldGeneric(
        b, loc, ValueRange{var}, emptyTensor(b, loc, statShape),
        {b.getMultiDimIdentityMap(statShape.size()), b.getMultiDimIdentityMap(statShape.size())},
        SmallVector<IteratorType>(statShape.size(), kPar),
        [&](OpBuilder &nb, Location l, ValueRange a) -> Value {
          return math::RsqrtOp::create(
              nb, l, arith::AddFOp::create(nb, l, a[0], f32Constant(nb, l, eps)));
        });
    return {mean, rstd};
  }
};

/// y = (x - mean) * rstd * weight + bias.
struct LayerNormLowering : OpConversionPattern<cnn::LayerNormOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(cnn::LayerNormOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    LayerNormSpace space(rewriter.getContext(), op.getInput().getType().getShape(),
                         op.getAxes());
    Value x = adaptor.getInput();
    auto [mean, rstd] =
        space.statistics(rewriter, loc, x, float(op.getEpsilon().convertToDouble()));
    SmallVector<Value> ins = {x, mean, rstd};
    SmallVector<AffineMap> maps = {space.all, space.stats, space.stats};
    bool affine = !adaptor.getAffine().empty();
    if (affine) {
      ins.append({adaptor.getAffine()[0], adaptor.getAffine()[1]});
      maps.append({space.affine, space.affine});
    }
    maps.push_back(space.all);
    Value y = yieldGeneric(rewriter, loc, ins, emptyTensor(rewriter, loc, space.shape), maps,
                           SmallVector<IteratorType>(space.rank, kPar),
                           [&](OpBuilder &b, Location l, ValueRange a) -> Value {
                             Value n = arith::MulFOp::create(
                                 b, l, arith::SubFOp::create(b, l, a[0], a[1]), a[2]);
                             if (!affine)
                               return n;
                             return arith::AddFOp::create(
                                 b, l, arith::MulFOp::create(b, l, n, a[3]), a[4]);
                           });
    rewriter.replaceOp(op, y);
    return success();
  }
};

/// With xh = (x - mean) * rstd and gh = dy * weight:
/// dx = rstd * (gh - mean(gh) - xh * mean(gh * xh)) over each group;
/// dweight = sum over the groups of dy * xh, dbias = sum of dy.
struct LayerNormGradLowering : OpConversionPattern<cnn::LayerNormGradOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(cnn::LayerNormGradOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    LayerNormSpace space(rewriter.getContext(), op.getInput().getType().getShape(),
                         op.getAxes());
    Value x = adaptor.getInput(), dy = adaptor.getGrad(), w = adaptor.getWeight();
    auto [mean, rstd] =
        space.statistics(rewriter, loc, x, float(op.getEpsilon().convertToDouble()));
    // a: x, mean, rstd, dy[, w] -> (xh, gh)
    SmallVector<Value> ins = {x, mean, rstd, dy};
    SmallVector<AffineMap> maps = {space.all, space.stats, space.stats, space.all};
    if (w) {
      ins.push_back(w);
      maps.push_back(space.affine);
    }
    auto normalized = [](OpBuilder &b, Location l, ValueRange a) -> Value {
      return arith::MulFOp::create(b, l, arith::SubFOp::create(b, l, a[0], a[1]), a[2]);
    };
    auto scaledGrad = [w](OpBuilder &b, Location l, ValueRange a) -> Value {
      return w ? arith::MulFOp::create(b, l, a[3], a[4]).getResult() : a[3];
    };
    Value meanG = space.groupMean(rewriter, loc, ins, maps, scaledGrad);
    Value meanGX = space.groupMean(rewriter, loc, ins, maps,
                                   [&](OpBuilder &b, Location l, ValueRange a) -> Value {
                                     return arith::MulFOp::create(b, l, scaledGrad(b, l, a),
                                                                  normalized(b, l, a));
                                   });
    SmallVector<Value> dxIns(ins);
    dxIns.append({meanG, meanGX});
    SmallVector<AffineMap> dxMaps(maps);
    dxMaps.append({space.stats, space.stats, space.all});
    unsigned k = ins.size();
    Value dx = yieldGeneric(rewriter, loc, dxIns, emptyTensor(rewriter, loc, space.shape), dxMaps,
                            SmallVector<IteratorType>(space.rank, kPar),
                            [&](OpBuilder &b, Location l, ValueRange a) -> Value {
                              Value t = arith::SubFOp::create(b, l, scaledGrad(b, l, a), a[k]);
                              t = arith::SubFOp::create(
                                  b, l, t,
                                  arith::MulFOp::create(b, l, normalized(b, l, a), a[k + 1]));
                              return arith::MulFOp::create(b, l, t, a[2]);
                            });
    SmallVector<Value> results = {dx};
    if (w) {
      auto sumOverGroups = [&](function_ref<Value(OpBuilder &, Location, ValueRange)> fn) {
        SmallVector<AffineMap> m(maps);
        m.push_back(space.affine);
        return yieldGeneric(rewriter, loc, ins, filledTensor(rewriter, loc, space.affineShape, 0.0f),
                            m, space.reduceOthers,
                            [&](OpBuilder &b, Location l, ValueRange a) -> Value {
                              return arith::AddFOp::create(b, l, a.back(),
                                                           fn(b, l, a.drop_back()));
                            });
      };
      results.push_back(sumOverGroups([&](OpBuilder &b, Location l, ValueRange a) -> Value {
        return arith::MulFOp::create(b, l, a[3], normalized(b, l, a));
      }));
      results.push_back(
          sumOverGroups([](OpBuilder &, Location, ValueRange a) -> Value { return a[3]; }));
    }
    rewriter.replaceOp(op, results);
    return success();
  }
};

} // namespace

void cnnc::populateNormalizationLoweringPatterns(RewritePatternSet &patterns) {
  patterns.add<BatchNormLowering, BatchNormTrainLowering, BatchNormGradLowering,
               LabelMaskLowering, LayerNormLowering, LayerNormGradLowering>(
      patterns.getContext());
}
