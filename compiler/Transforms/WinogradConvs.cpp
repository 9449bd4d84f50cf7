//===- WinogradConvs.cpp - 3x3 convs by Winograd's minimal filtering -----===//
//
// A 3x3 stride-1 conv computes each output from 9 C products per output
// channel. Winograd's F(m x m, 3 x 3) computes an m x m output tile from the
// (m + 2) x (m + 2) patch under it with (m + 2)^2 products per channel pair
// once patch and filter are transformed: 36 for 16 outputs with m = 4,
// a quarter of the direct conv's multiplications. The filter transform
// depends on parameters only and is computed once at load; the input and
// output transforms are additions with small constant factors, written as
// vector code per block of tiles by cnnc-lower-winograd-convs, where the
// transformed patches stay in cache for the products.
//
//===----------------------------------------------------------------------===//

#include "Cnn/CnnAttrNames.h"
#include "Passes.h"
#include "Transforms/ScheduledOps.h"
#include "Transforms/WinogradMatrices.h"

#include "mlir/IR/Matchers.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

namespace cnnc {
#define GEN_PASS_DEF_WINOGRADCONVSPASS
#include "Passes.h.inc"
} // namespace cnnc

using namespace mlir;

namespace {

/// Whether `v` is computed from `fn`'s parameters (and constants) alone by
/// side-effect-free ops: its Winograd transform can then be prepared at load.
bool fromParametersOnly(Value v, func::FuncOp fn) {
  if (auto arg = dyn_cast<BlockArgument>(v))
    return arg.getOwner()->getParentOp() == fn &&
           fn.getArgAttr(arg.getArgNumber(), mlir::cnn::attr_names::kParam);
  Operation *def = v.getDefiningOp();
  if (!def || !isPure(def))
    return false;
  return llvm::all_of(def->getOperands(), [&](Value operand) {
    return fromParametersOnly(operand, fn);
  }) && (def->getNumOperands() > 0 || def->hasTrait<OpTrait::ConstantLike>() ||
         isa<tensor::EmptyOp>(def));
}

struct Candidate {
  linalg::Conv2DNhwcHwcfOp conv;
  int64_t outputTile;
  bool transformFilterAtLoad;
};

/// Whether `conv` is a 3x3 stride-1 float conv with whole vectors of
/// channels on `target` (the transforms and the products run one vector of
/// channels at a time).
bool isWinogradShaped(linalg::Conv2DNhwcHwcfOp conv, codegen::CpuTargetAttr target) {
  if (!conv.hasPureTensorSemantics())
    return false;
  auto x = cast<RankedTensorType>(conv.getDpsInputs()[0].getType());
  auto w = cast<RankedTensorType>(conv.getDpsInputs()[1].getType());
  auto y = cast<RankedTensorType>(conv.getDpsInits()[0].getType());
  if (!x.hasStaticShape() || !w.hasStaticShape() || !y.hasStaticShape() ||
      !x.getElementType().isF32() || !w.getElementType().isF32() || !y.getElementType().isF32())
    return false;
  if (w.getDimSize(0) != 3 || w.getDimSize(1) != 3 ||
      !llvm::all_of(conv.getStrides().getValues<int64_t>(), [](int64_t s) { return s == 1; }) ||
      !llvm::all_of(conv.getDilations().getValues<int64_t>(), [](int64_t d) { return d == 1; }))
    return false;
  // One group of a grouped conv reads a channel slice: its channels are few.
  if (cnnc::groupedConvInput(conv))
    return false;
  int64_t lanes = target.getLanes();
  return w.getDimSize(2) % lanes == 0 && w.getDimSize(3) % lanes == 0;
}

/// Register block rows: the accumulators over the registers left by two
/// filter vectors and a broadcast.
int64_t blockRows(codegen::CpuTargetAttr target) { return (target.getVectorRegisters() - 3) / 2; }

/// Whether F(m x m) with the filter transformed at load gains on `target`.
bool gainsWithPreparedFilter(linalg::Conv2DNhwcHwcfOp conv, int64_t m,
                             codegen::CpuTargetAttr target, func::FuncOp fn) {
  if (!fromParametersOnly(conv.getDpsInputs()[1], fn))
    return false;
  auto w = cast<RankedTensorType>(conv.getDpsInputs()[1].getType());
  auto y = cast<RankedTensorType>(conv.getDpsInits()[0].getType());
  int64_t lanes = target.getLanes(), c = w.getDimSize(2), f = w.getDimSize(3);
  int64_t a = m + 2;
  int64_t tilesW = cnnc::tilesAlong(y.getDimSize(2), m);
  int64_t tiles = y.getDimSize(0) * cnnc::tilesAlong(y.getDimSize(1), m) * tilesW;
  // Fewer tiles than two register blocks' rows: the blocks' transforms and
  // the loop's start outweigh the products saved in a conv this small
  // (DenseNet-121's 7x7x128 -> 32 layers at batch 1, 16 tiles of F(2x2):
  // 1.07-1.22x the direct conv's time on AMD EPYC Zen 5, AVX-512, 2
  // threads).
  if (tiles < 2 * blockRows(target))
    return false;
  // Each parallel iteration (a row of tiles) reads the whole transformed
  // filter, (m + 2)^2 C F floats, for 2 (m + 2)^2 C F flops per tile of
  // its row. From L2 (a filter within half of it) that is cheap; from L3
  // the row must hold enough tiles for the products to outrun L3's bytes
  // per cycle at the core's FMA rate, and the filter take at most a quarter
  // of L3, or it comes from memory on every row (AMD EPYC Zen 5, AVX-512, 2
  // threads, 32 MiB of L3:
  // ResNet-18's 7x7x512 layers at batch 8, 37.7 MB, 4-8x the direct conv's
  // time; ResNet-50's with F(2x2), 16.8 MB, 1.66-2.0x; docs/benchmarks.md).
  int64_t filterBytes = a * a * c * f * 4;
  int64_t flopsPerCycle = 2 * target.getFmaPerCycle() * lanes;
  bool inL2 = filterBytes <= target.getL2Bytes() / 2;
  bool inL3 = filterBytes <= target.getL3Bytes() / 4 &&
              tilesW * target.getL3BytesPerCycle() >= 2 * flopsPerCycle;
  if (!inL2 && !inL3)
    return false;
  // Beyond L2 the transformed filter comes from memory at least once per
  // call (each layer's is larger than the last's cache share): it pays where
  // the direct conv does at least the core's FMA flops per cycle of work
  // per byte of it, about what memory delivers per cycle while the FMAs
  // run. ResNet-18 at batch 1 on AMD EPYC Zen 5 (AVX-512, 2 threads): its
  // 28x28x128 layers (98 flops per byte) took 0.61x the direct conv's
  // time, its 14x14x256 ones (24.5) 1.7x (docs/benchmarks.md).
  int64_t directFlops = 18 * c * f * y.getDimSize(0) * y.getDimSize(1) * y.getDimSize(2);
  if (!inL2 && directFlops < flopsPerCycle * filterBytes)
    return false;
  // A block of four tiles' transformed patches within half the L2 cache,
  // where the products read them back once per channel tile.
  return 4 * a * a * c * 4 <= target.getL2Bytes() / 2;
}

/// Whether F(m x m) with the 3x3 filter transformed in the loops (read
/// from memory as the direct conv reads it) gains on `target`: at least a
/// register block's rows of tiles; at least four channel tiles, the
/// parallel loop's iterations; every tile's transformed patches, which the
/// iterations read, within a quarter of L3, and one channel tile's
/// products of one image's tiles within a quarter of L2 (the iterations
/// take groups of whole images); and a direct conv not
/// bound by reading its filter (the memory rule above, for the filter
/// itself: ResNet-50's 7x7x512 layers at batch 1, 24.5 flops per byte,
/// took 1.09-1.11x the direct conv's time with F(2x2), its 14x14x256 ones,
/// 98, 0.77x with F(4x4); AMD EPYC Zen 5, AVX-512, 2 threads).
bool gainsWithFilterInLoops(linalg::Conv2DNhwcHwcfOp conv, int64_t m,
                            codegen::CpuTargetAttr target) {
  auto w = cast<RankedTensorType>(conv.getDpsInputs()[1].getType());
  auto y = cast<RankedTensorType>(conv.getDpsInits()[0].getType());
  int64_t lanes = target.getLanes(), c = w.getDimSize(2), f = w.getDimSize(3);
  int64_t a = m + 2;
  int64_t tiles =
      y.getDimSize(0) * cnnc::tilesAlong(y.getDimSize(1), m) * cnnc::tilesAlong(y.getDimSize(2), m);
  int64_t channelTile = cnnc::winogradChannelTile(f, lanes);
  int64_t directFlops = 18 * c * f * y.getDimSize(0) * y.getDimSize(1) * y.getDimSize(2);
  int64_t flopsPerCycle = 2 * target.getFmaPerCycle() * lanes;
  int64_t imageTiles = tiles / y.getDimSize(0);
  return directFlops >= flopsPerCycle * 9 * c * f * 4 && tiles >= blockRows(target) &&
         f / channelTile >= 4 &&
         tiles * a * a * c * 4 <= target.getL3Bytes() / 4 &&
         imageTiles * a * a * channelTile * 4 <= target.getL2Bytes() / 4;
}

/// The conv's input, padded at the bottom and right (zeros) to cover the
/// patches of every output tile; a zero pad producing it grows instead.
Value paddedForTiles(OpBuilder &b, linalg::Conv2DNhwcHwcfOp conv, int64_t m) {
  Value x = conv.getDpsInputs()[0];
  auto xType = cast<RankedTensorType>(x.getType());
  auto yType = cast<RankedTensorType>(conv.getDpsInits()[0].getType());
  int64_t extraH =
      std::max<int64_t>(0, m * cnnc::tilesAlong(yType.getDimSize(1), m) + 2 - xType.getDimSize(1));
  int64_t extraW =
      std::max<int64_t>(0, m * cnnc::tilesAlong(yType.getDimSize(2), m) + 2 - xType.getDimSize(2));
  if (extraH == 0 && extraW == 0)
    return x;
  Location loc = conv.getLoc();
  SmallVector<int64_t> low(4, 0), high = {0, extraH, extraW, 0};
  Value source = x;
  auto pad = x.getDefiningOp<tensor::PadOp>();
  if (pad && pad->hasOneUse() && pad.getLow().empty() && pad.getHigh().empty() &&
      matchPattern(pad.getConstantPaddingValue(), m_AnyZeroFloat())) {
    source = pad.getSource();
    for (int d = 0; d < 4; ++d) {
      low[d] = pad.getStaticLow()[d];
      high[d] += pad.getStaticHigh()[d];
    }
  }
  auto sourceType = cast<RankedTensorType>(source.getType());
  SmallVector<int64_t> shape;
  for (int d = 0; d < 4; ++d)
    shape.push_back(sourceType.getDimSize(d) + low[d] + high[d]);
  Value zero = arith::ConstantOp::create(b, loc, b.getF32FloatAttr(0.0));
  SmallVector<OpFoldResult> lowOfr = getAsIndexOpFoldResult(b.getContext(), low),
                            highOfr = getAsIndexOpFoldResult(b.getContext(), high);
  return tensor::PadOp::create(b, loc, RankedTensorType::get(shape, b.getF32Type()), source,
                               lowOfr, highOfr, zero);
}

/// U[p, q, c, f] = sum_ij G[p, i] G[q, j] g[i, j, c, f] as one parallel
/// generic reading the nine taps of the HWCF filter and the rows of G.
Value transformFilter(OpBuilder &b, Location loc, Value filter, const cnnc::WinogradMatrices &w) {
  auto gType = cast<RankedTensorType>(filter.getType());
  int64_t a = w.size, c = gType.getDimSize(2), f = gType.getDimSize(3);
  MLIRContext *ctx = b.getContext();
  SmallVector<float> gValues;
  for (const auto &row : w.g)
    for (double v : row)
      gValues.push_back(float(v));
  auto gMatrixType = RankedTensorType::get({a, 3}, b.getF32Type());
  Value gMatrix = arith::ConstantOp::create(
      b, loc, DenseElementsAttr::get(gMatrixType, ArrayRef<float>(gValues)));
  AffineExpr p = getAffineDimExpr(0, ctx), q = getAffineDimExpr(1, ctx),
             ci = getAffineDimExpr(2, ctx), fi = getAffineDimExpr(3, ctx);
  SmallVector<Value> inputs;
  SmallVector<AffineMap> maps;
  for (int64_t i = 0; i < 3; ++i)
    for (int64_t j = 0; j < 3; ++j) {
      inputs.push_back(filter);
      maps.push_back(AffineMap::get(4, 0,
                                    {getAffineConstantExpr(i, ctx), getAffineConstantExpr(j, ctx),
                                     ci, fi},
                                    ctx));
    }
  for (AffineExpr side : {p, q})
    for (int64_t i = 0; i < 3; ++i) {
      inputs.push_back(gMatrix);
      maps.push_back(AffineMap::get(4, 0, {side, getAffineConstantExpr(i, ctx)}, ctx));
    }
  maps.push_back(AffineMap::getMultiDimIdentityMap(4, ctx));
  Value empty = tensor::EmptyOp::create(b, loc, ArrayRef<int64_t>{a, a, c, f}, b.getF32Type());
  auto generic = linalg::GenericOp::create(
      b, loc, empty.getType(), inputs, ValueRange{empty}, maps,
      SmallVector<utils::IteratorType>(4, utils::IteratorType::parallel),
      [](OpBuilder &nb, Location nloc, ValueRange args) {
        Value sum;
        for (int64_t i = 0; i < 3; ++i)
          for (int64_t j = 0; j < 3; ++j) {
            Value coefficient = arith::MulFOp::create(nb, nloc, args[9 + i], args[12 + j]);
            Value term = arith::MulFOp::create(nb, nloc, coefficient, args[3 * i + j]);
            sum = sum ? arith::AddFOp::create(nb, nloc, sum, term).getResult() : term;
          }
        linalg::YieldOp::create(nb, nloc, sum);
      });
  generic->setAttr(mlir::cnn::attr_names::kPreparedTransform, b.getUnitAttr());
  return generic.getResult(0);
}

struct WinogradConvsPass : cnnc::impl::WinogradConvsPassBase<WinogradConvsPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    codegen::CpuTargetAttr target = codegen::getCpuTarget(module);
    auto forward = module.lookupSymbol<func::FuncOp>(cnnc::kForwardFunction);
    if (outputTile == 0 || !target || !forward || forward.isExternal())
      return;
    if (!cnnc::winogradMatrices(outputTile)) {
      module.emitError() << "cnnc-winograd-convs: output-tile must be 2 or 4, got " << outputTile;
      return signalPassFailure();
    }
    // The largest tile whose rules hold: F(4x4) multiplies least, F(2x2)'s
    // filter transform is 16/9 of the filter instead of 4x.
    SmallVector<Candidate> candidates;
    forward.walk([&](linalg::Conv2DNhwcHwcfOp conv) {
      if (!isWinogradShaped(conv, target))
        return;
      // Per tile size, largest first: the prepared filter, then the filter
      // in the loops (which beat F(2x2) prepared on the 14x14x256 layers of
      // ResNet-18 at batch 1 compiled for AVX2: 0.40-0.56x the direct
      // conv's time against 1.12x; x86-64-v3 code on AMD EPYC Zen 5, 2 threads).
      for (int64_t m = outputTile; m >= 2; m -= 2) {
        if (gainsWithPreparedFilter(conv, m, target, forward)) {
          candidates.push_back({conv, m, true});
          return;
        }
        if (gainsWithFilterInLoops(conv, m, target)) {
          candidates.push_back({conv, m, false});
          return;
        }
      }
    });
    for (const Candidate &candidate : candidates) {
      linalg::Conv2DNhwcHwcfOp conv = candidate.conv;
      int64_t m = candidate.outputTile;
      OpBuilder b(conv);
      Value input = paddedForTiles(b, conv, m);
      Value filter = candidate.transformFilterAtLoad
                         ? transformFilter(b, conv.getLoc(), conv.getDpsInputs()[1],
                                           *cnnc::winogradMatrices(m))
                         : conv.getDpsInputs()[1];
      auto winograd = codegen::WinogradConv2DOp::create(
          b, conv.getLoc(), conv.getResultTypes()[0], input, filter, conv.getDpsInits()[0],
          b.getI64IntegerAttr(m));
      Operation *oldInput = conv.getDpsInputs()[0].getDefiningOp();
      conv.getResult(0).replaceAllUsesWith(winograd.getResult());
      conv.erase();
      if (oldInput && oldInput->use_empty() && isPure(oldInput))
        oldInput->erase();
    }
  }
};

} // namespace
