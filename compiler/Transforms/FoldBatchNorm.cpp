//===- FoldBatchNorm.cpp - inference batchnorm into the preceding conv ----===//
//
// conv(x, W, b) followed by batchnorm(gamma, beta, mean, var) equals
// conv(x, W * s, (b - mean) * s + beta) with s = gamma * rsqrt(var + eps),
// per output channel. The new weight and bias depend on parameters only, so
// cnnc-hoist-parameter-transforms moves their computation into @prepare: the
// batchnorm then costs nothing per inference.
//
//===----------------------------------------------------------------------===//

#include "Cnn/CnnAttrNames.h"
#include "Passes.h"

#include "Cnn/CnnDialect.h"

#include "mlir/IR/Builders.h"

namespace cnnc {
#define GEN_PASS_DEF_FOLDBATCHNORMPASS
#include "Passes.h.inc"
} // namespace cnnc

using namespace mlir;

namespace {

/// True when `v` is a parameter: an argument of its function marked
/// `cnn.param`. Folding anything else would move per-call work, not remove it.
bool isParameter(Value v) {
  auto arg = dyn_cast<BlockArgument>(v);
  if (!arg)
    return false;
  auto func = dyn_cast<func::FuncOp>(arg.getOwner()->getParentOp());
  return func && arg.getOwner()->isEntryBlock() &&
         func.getArgAttr(arg.getArgNumber(), mlir::cnn::attr_names::kParam);
}

Value f32Const(OpBuilder &b, Location loc, double v) {
  return arith::ConstantOp::create(b, loc, b.getF32FloatAttr((float)v));
}

/// s = gamma * rsqrt(var + eps), computed inside a generic's body.
Value channelScale(OpBuilder &b, Location loc, Value gamma, Value var, double eps) {
  Value shifted = arith::AddFOp::create(b, loc, var, f32Const(b, loc, eps));
  return arith::MulFOp::create(b, loc, math::RsqrtOp::create(b, loc, shifted), gamma);
}

/// Rewrites `bn(conv(x, W, b))` as `conv(x, W', b')`; false if the pattern
/// does not apply.
bool foldIntoConv(cnn::BatchNormOp bn) {
  auto conv = bn.getInput().getDefiningOp<cnn::Conv2dOp>();
  if (!conv || !conv->hasOneUse())
    return false;
  Value weight = conv.getWeight(), bias = conv.getBias();
  SmallVector<Value> params = {weight, bn.getWeight(), bn.getBias(), bn.getRunningMean(),
                               bn.getRunningVar()};
  if (bias)
    params.push_back(bias);
  if (!llvm::all_of(params, isParameter))
    return false;

  OpBuilder b(conv);
  Location loc = bn.getLoc();
  MLIRContext *ctx = b.getContext();
  double eps = bn.getEpsilon().convertToDouble();
  auto wType = cast<RankedTensorType>(weight.getType());
  int64_t channels = wType.getShape()[0];
  auto channelType = RankedTensorType::get({channels}, b.getF32Type());

  // W'[o, c, kh, kw] = W[o, c, kh, kw] * s[o].
  AffineMap id4 = b.getMultiDimIdentityMap(4);
  AffineMap perChannel = AffineMap::get(4, 0, {getAffineDimExpr(0, ctx)}, ctx);
  Value wInit = tensor::EmptyOp::create(b, loc, wType.getShape(), b.getF32Type());
  Value newWeight =
      linalg::GenericOp::create(
          b, loc, TypeRange{wType}, ValueRange{weight, bn.getWeight(), bn.getRunningVar()},
          ValueRange{wInit}, ArrayRef<AffineMap>{id4, perChannel, perChannel, id4},
          SmallVector<utils::IteratorType>(4, utils::IteratorType::parallel), "", "",
          [&](OpBuilder &nb, Location l, ValueRange a) {
            Value s = channelScale(nb, l, a[1], a[2], eps);
            linalg::YieldOp::create(nb, l, arith::MulFOp::create(nb, l, a[0], s).getResult());
          })
          .getResult(0);

  // b'[o] = (b[o] - mean[o]) * s[o] + beta[o]   (b = 0 without a conv bias).
  AffineMap id1 = b.getMultiDimIdentityMap(1);
  SmallVector<Value> biasInputs = {bn.getWeight(), bn.getRunningVar(), bn.getRunningMean(),
                                   bn.getBias()};
  if (bias)
    biasInputs.push_back(bias);
  SmallVector<AffineMap> biasMaps(biasInputs.size() + 1, id1);
  Value bInit = tensor::EmptyOp::create(b, loc, ArrayRef<int64_t>{channels}, b.getF32Type());
  Value newBias =
      linalg::GenericOp::create(
          b, loc, TypeRange{channelType}, biasInputs, ValueRange{bInit}, biasMaps,
          SmallVector<utils::IteratorType>(1, utils::IteratorType::parallel), "", "",
          [&](OpBuilder &nb, Location l, ValueRange a) {
            Value s = channelScale(nb, l, a[0], a[1], eps);
            Value centered = bias ? arith::SubFOp::create(nb, l, a[4], a[2]).getResult()
                                  : arith::NegFOp::create(nb, l, a[2]).getResult();
            Value scaled = arith::MulFOp::create(nb, l, centered, s);
            linalg::YieldOp::create(nb, l, arith::AddFOp::create(nb, l, scaled, a[3]).getResult());
          })
          .getResult(0);

  conv->setOperands(ValueRange{conv.getInput(), newWeight, newBias});
  // The conv keeps its own location (a NameLoc: errors and profiles name the
  // conv node, whose time now includes the batchnorm's).
  bn.getOutput().replaceAllUsesWith(conv.getOutput());
  bn.erase();
  return true;
}

struct FoldBatchNormPass : cnnc::impl::FoldBatchNormPassBase<FoldBatchNormPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    // A training compile keeps batchnorm separate: the training step needs the
    // batch statistics, and folded weights would be re-prepared every step.
    if (module->hasAttr(mlir::cnn::attr_names::kTraining))
      return;
    SmallVector<cnn::BatchNormOp> candidates;
    module.walk([&](cnn::BatchNormOp bn) { candidates.push_back(bn); });
    for (cnn::BatchNormOp bn : candidates)
      foldIntoConv(bn);
  }
};

} // namespace
