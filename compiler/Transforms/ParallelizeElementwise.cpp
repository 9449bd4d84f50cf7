//===- ParallelizeElementwise.cpp - elementwise generics over the threads --===//
//
// The tiled convolutions and matmuls run on every core; the elementwise
// generics between them (layout transposes fused with batchnorm, activation
// and residual adds) would otherwise be sequential loops on one core. Each
// large one becomes an scf.forall of a few pieces (a generated
// transform-dialect schedule), which the pipeline lowers to OpenMP.
//
// Reductions (global average pooling, with the last residual add and ReLU
// fused in) are split the same way along their parallel dimensions, after
// an interchange that makes them iterate in their input's memory order: the
// lowering otherwise nests the spatial reduction innermost, which in NHWC
// walks memory 2048 floats apart in scalar steps (ResNet-50's pool took
// 0.6 ms at batch 1, longer than most of its convs).
//
//===----------------------------------------------------------------------===//

#include "Cnn/CnnAttrNames.h"
#include "Passes.h"
#include "Transforms/LoopOrder.h"
#include "Transforms/GeneratedSchedule.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Transform/IR/TransformOps.h"
#include "mlir/Dialect/Utils/StructuredOpsUtils.h"
#include "mlir/IR/BuiltinOps.h"

#include "llvm/ADT/SetVector.h"
#include "llvm/ADT/SmallBitVector.h"

namespace cnnc {
#define GEN_PASS_DEF_PARALLELIZEELEMENTWISEPASS
#include "Passes.h.inc"
} // namespace cnnc

using namespace mlir;

namespace {

std::string joined(ArrayRef<int64_t> values) {
  std::string s;
  for (int64_t v : values)
    s += (s.empty() ? "" : ", ") + std::to_string(v);
  return s;
}

/// The loops an operand index decreases along (a flipped filter's taps, a
/// transposed conv's input), with every other loop of such an index:
/// linalg's tiling sizes the slices of those indices wrongly, so ops with
/// any stay whole there (splitReadingBackwards splits some by hand).
llvm::SmallBitVector loopsReadBackwards(linalg::GenericOp op) {
  llvm::SmallBitVector backwards(op.getNumLoops());
  for (AffineMap map : op.getIndexingMapsArray())
    for (AffineExpr e : map.getResults()) {
      bool negative = false;
      e.walk([&](AffineExpr sub) {
        auto bin = dyn_cast<AffineBinaryOpExpr>(sub);
        if (!bin || bin.getKind() != AffineExprKind::Mul)
          return;
        for (AffineExpr side : {bin.getLHS(), bin.getRHS()})
          if (auto c = dyn_cast<AffineConstantExpr>(side); c && c.getValue() < 0)
            negative = true;
      });
      if (!negative)
        continue;
      e.walk([&](AffineExpr sub) {
        if (auto dim = dyn_cast<AffineDimExpr>(sub))
          backwards.set(dim.getPosition());
      });
    }
  return backwards;
}

bool readsBackwards(linalg::GenericOp op) { return loopsReadBackwards(op).any(); }

/// Reductions into at most this many outputs (fewer than a vector per
/// thread's piece) over many elements are split or widened below.
constexpr int64_t kFewOutputs = 256;

/// Whether the combiner is a sum into the output (so partial sums add up).
bool sumsIntoOutput(linalg::GenericOp op) {
  Block &body = op.getRegion().front();
  auto yield = cast<linalg::YieldOp>(body.getTerminator());
  auto add = yield.getValues()[0].getDefiningOp<arith::AddFOp>();
  BlockArgument acc = body.getArguments().back();
  return add && (add.getLhs() == acc || add.getRhs() == acc) && acc.hasOneUse();
}

struct ParallelizeElementwisePass
    : cnnc::impl::ParallelizeElementwisePassBase<ParallelizeElementwisePass> {
  using ParallelizeElementwisePassBase::ParallelizeElementwisePassBase;

  /// Pieces per dimension: `chunks` along the outermost parallel dimension
  /// that has at least that many elements, or none when the op is small or
  /// has none.
  std::optional<SmallVector<int64_t>> choosePieces(linalg::GenericOp op) {
    if (!op.hasPureTensorSemantics() || op.hasDynamicShape() ||
        !isa<func::FuncOp>(op->getParentOp()) || readsBackwards(op))
      return std::nullopt;
    SmallVector<int64_t> loops = op.getStaticLoopRanges();
    int64_t elements = 1;
    for (int64_t n : loops)
      elements *= n;
    if (elements < minElements || chunks < 2)
      return std::nullopt;
    SmallVector<int64_t> pieces(loops.size(), 0);
    for (auto [i, n] : llvm::enumerate(loops))
      if (n >= chunks && linalg::isParallelIterator(op.getIteratorTypesArray()[i])) {
        pieces[i] = chunks;
        return pieces;
      }
    return std::nullopt;
  }

  /// A reduction whose first input is read through a permutation iterates
  /// in that input's memory order: its innermost loop then reads (and, for
  /// a pool, accumulates) contiguously, which LLVM vectorizes.
  void iterateInInputOrder(RewriterBase &rewriter, linalg::GenericOp op) {
    if (op.getNumReductionLoops() == 0 || op.getNumDpsInputs() == 0 ||
        !isa<func::FuncOp>(op->getParentOp()))
      return;
    cnnc::interchangeToMapOrder(rewriter, op,
                                op.getMatchingIndexingMap(op.getDpsInputOperand(0)));
  }

  /// A copy through a permutation (a layout transpose: the training
  /// step's [N, C, H, W] -> [C, H, W, N] for weight gradients) whose
  /// result's innermost loop reads its input at least a page apart walks,
  /// in the result's order, one page per element. It iterates instead with
  /// the input's innermost loop innermost and the result's next to it: the
  /// reads run contiguously and the writes stay within the few cache lines
  /// of one result row block (ResNet-18 32x32 training: 64 x 34 x 34 x 32
  /// floats took 70 ms at 1 element per page).
  void iterateTransposeInBlocks(RewriterBase &rewriter, linalg::GenericOp op) {
    if (op.getNumReductionLoops() != 0 || op.getNumDpsInputs() != 1 ||
        op.getNumDpsInits() != 1 || !op.hasPureTensorSemantics() || op.hasDynamicShape() ||
        !isa<func::FuncOp>(op->getParentOp()))
      return;
    Block &body = op.getRegion().front();
    auto yield = cast<linalg::YieldOp>(body.getTerminator());
    if (body.getOperations().size() != 1 || yield.getValues().size() != 1 ||
        yield.getValues()[0] != body.getArgument(0))
      return;
    AffineMap in = op.getMatchingIndexingMap(op.getDpsInputOperand(0));
    AffineMap out = op.getMatchingIndexingMap(op.getDpsInitOperand(0));
    if (!in.isPermutation() || !out.isIdentity() || in.isIdentity())
      return;
    unsigned rank = in.getNumResults();
    auto inShape = cast<ShapedType>(op.getDpsInputOperand(0)->get().getType()).getShape();
    // The input's stride, in floats, along the result's innermost loop.
    unsigned outInner = rank - 1;
    int64_t stride = 1;
    for (unsigned r = rank; r-- > 0;) {
      if (in.getDimPosition(r) == outInner)
        break;
      stride *= inShape[r];
    }
    constexpr int64_t kPageFloats = 4096 / sizeof(float);
    unsigned inInner = in.getDimPosition(rank - 1);
    if (inInner == outInner)
      return;
    if (stride < kPageFloats) {
      markTransposeTiles(op, inInner, stride);
      return;
    }
    SmallVector<unsigned> order;
    for (unsigned d = 0; d < rank; ++d)
      if (d != inInner)
        order.push_back(d);
    order.push_back(inInner);
    rewriter.setInsertionPoint(op);
    (void)linalg::interchangeGenericOp(rewriter, op, order);
  }

  /// A transposing copy whose result's innermost loop reads its input a
  /// line or more (but under a page) apart reads a new line per element;
  /// in the result's order those lines (a 3x3 weight gradient's
  /// [C, KH, KW, O] -> OIHW: C x 9 lines, 147 KB for 256 channels) leave
  /// L1 before their next elements are read, and in the input's order the
  /// written ones do (ResNet-18 32x32 training: 1.2-1.5x slower). It is
  /// walked in blocks instead: a line of the input's innermost loop
  /// (16 floats) by a line of the result's innermost run, so that both
  /// blocks stay in L1. The sizes are recorded on the op
  /// (`cnn.transpose_tiles`) and applied to each parallel piece.
  void markTransposeTiles(linalg::GenericOp op, unsigned inInner, int64_t stride) {
    constexpr int64_t kLineFloats = 64 / sizeof(float);
    SmallVector<int64_t> loops = op.getStaticLoopRanges();
    if (stride < kLineFloats || loops[inInner] <= kLineFloats)
      return;
    // Loops inside the result's run of a line stay whole; the one where the
    // run reaches a line is cut to reach it; the others step by one.
    SmallVector<int64_t> tiles(loops.size(), 1);
    int64_t run = 1;
    for (unsigned d = loops.size(); d-- > 0;) {
      if (d == inInner)
        continue;
      if (run >= kLineFloats)
        break;
      tiles[d] = run * loops[d] > kLineFloats ? (kLineFloats + run - 1) / run : 0;
      run *= loops[d];
    }
    tiles[inInner] = kLineFloats;
    op->setAttr(mlir::cnn::attr_names::kTransposeTiles,
                DenseI64ArrayAttr::get(op.getContext(), tiles));
  }

  /// The blocks markTransposeTiles chose, as scf.for loops around each piece.
  LogicalResult tileTransposes(ModuleOp module) {
    SmallVector<linalg::GenericOp> marked;
    module.walk([&](linalg::GenericOp op) {
      if (op->hasAttr(mlir::cnn::attr_names::kTransposeTiles))
        marked.push_back(op);
    });
    IRRewriter rewriter(module.getContext());
    for (linalg::GenericOp op : marked) {
      auto tiles =
          op->getAttrOfType<DenseI64ArrayAttr>(mlir::cnn::attr_names::kTransposeTiles).asArrayRef();
      op->removeAttr(mlir::cnn::attr_names::kTransposeTiles);
      SmallVector<OpFoldResult> sizes;
      for (int64_t t : tiles)
        sizes.push_back(rewriter.getIndexAttr(t));
      scf::SCFTilingOptions options;
      options.setTileSizes(sizes);
      rewriter.setInsertionPoint(op);
      FailureOr<scf::SCFTilingResult> tiled =
          scf::tileUsingSCF(rewriter, cast<TilingInterface>(op.getOperation()), options);
      if (failed(tiled))
        return op.emitError("cnnc-parallelize-elementwise: cannot tile a transposing copy");
      rewriter.replaceOp(op, tiled->replacements);
    }
    return success();
  }

  /// A sum over an identity-read input into its last dimensions (a conv's
  /// bias gradient over N, H, W of NHWC: 6 channels from 256 x 28 x 28 x 6)
  /// runs with the few output channels innermost: a short loop carrying each
  /// sum from one element to the next. The reduction loop just outside them
  /// becomes parallel instead: partial sums over [W * C] (an innermost loop
  /// of independent, contiguous elements, which LLVM vectorizes), then their
  /// sum over W into the output (splitSmallReduction may then split the
  /// partial sums over the threads).
  void widenSmallReduction(RewriterBase &rewriter, linalg::GenericOp op) {
    if (op.getNumDpsInputs() != 1 || op.getNumDpsInits() != 1 ||
        !op.hasPureTensorSemantics() || op.hasDynamicShape() || op.hasIndexSemantics() ||
        !isa<func::FuncOp>(op->getParentOp()))
      return;
    unsigned loops = op.getNumLoops();
    auto iterators = op.getIteratorTypesArray();
    unsigned firstKept = loops;
    while (firstKept > 0 && linalg::isParallelIterator(iterators[firstKept - 1]))
      --firstKept;
    if (firstKept == loops || firstKept < 2)
      return;
    for (unsigned d = 0; d < firstKept; ++d)
      if (!linalg::isReductionIterator(iterators[d]))
        return;
    MLIRContext *ctx = op.getContext();
    AffineMap in = op.getMatchingIndexingMap(op.getDpsInputOperand(0));
    AffineMap out = op.getMatchingIndexingMap(op.getDpsInitOperand(0));
    if (!in.isIdentity() ||
        out != AffineMap::getMultiDimIdentityMap(loops, ctx).getMinorSubMap(loops - firstKept))
      return;
    SmallVector<int64_t> shape = op.getStaticLoopRanges();
    int64_t outputs = 1;
    for (unsigned d = firstKept; d < loops; ++d)
      outputs *= shape[d];
    int64_t elements = 1;
    for (int64_t n : shape)
      elements *= n;
    if (outputs > kFewOutputs || elements < minElements || !sumsIntoOutput(op))
      return;
    // Loops [R..., W, C...] -> [R..., Q] with Q = W * C... parallel.
    unsigned widened = firstKept - 1;
    int64_t q = shape[widened] * outputs;
    Location loc = op.getLoc();
    rewriter.setInsertionPoint(op);
    Value input = op.getDpsInputs()[0];
    auto inType = cast<RankedTensorType>(input.getType());
    SmallVector<ReassociationIndices> groups;
    for (unsigned d = 0; d < widened; ++d)
      groups.push_back({d});
    groups.push_back(llvm::to_vector(llvm::seq<int64_t>(widened, loops)));
    SmallVector<int64_t> flatShape(shape.begin(), shape.begin() + widened);
    flatShape.push_back(q);
    Value flat = tensor::CollapseShapeOp::create(
        rewriter, loc, RankedTensorType::get(flatShape, inType.getElementType()), input, groups);
    Type element = inType.getElementType();
    Value zero = arith::ConstantOp::create(rewriter, loc, rewriter.getZeroAttr(element));
    Value empty = tensor::EmptyOp::create(rewriter, loc, ArrayRef<int64_t>{q}, element);
    Value partialInit = linalg::FillOp::create(rewriter, loc, zero, empty).getResult(0);
    unsigned flatLoops = widened + 1;
    SmallVector<utils::IteratorType> partialIterators(widened, utils::IteratorType::reduction);
    partialIterators.push_back(utils::IteratorType::parallel);
    auto partial = linalg::GenericOp::create(
        rewriter, loc, TypeRange{partialInit.getType()}, ValueRange{flat}, ValueRange{partialInit},
        {AffineMap::getMultiDimIdentityMap(flatLoops, ctx),
         AffineMap::get(flatLoops, 0, {getAffineDimExpr(widened, ctx)}, ctx)},
        partialIterators);
    rewriter.cloneRegionBefore(op.getRegion(), partial.getRegion(), partial.getRegion().end());
    // Their sum over W into the original output (and its initial value).
    SmallVector<int64_t> wide = {shape[widened]};
    for (unsigned d = firstKept; d < loops; ++d)
      wide.push_back(shape[d]);
    Value partials = tensor::ExpandShapeOp::create(
        rewriter, loc, RankedTensorType::get(wide, element), partial.getResult(0),
        SmallVector<ReassociationIndices>{llvm::to_vector(llvm::seq<int64_t>(0, wide.size()))});
    unsigned kept = loops - firstKept;
    SmallVector<utils::IteratorType> sumIterators = {utils::IteratorType::reduction};
    sumIterators.append(kept, utils::IteratorType::parallel);
    auto sum = linalg::GenericOp::create(
        rewriter, loc, TypeRange{op.getResultTypes()[0]}, ValueRange{partials},
        ValueRange{op.getDpsInits()[0]},
        {AffineMap::getMultiDimIdentityMap(kept + 1, ctx),
         AffineMap::getMultiDimIdentityMap(kept + 1, ctx).getMinorSubMap(kept)},
        sumIterators, [](OpBuilder &b, Location l, ValueRange a) {
          linalg::YieldOp::create(b, l, ValueRange{arith::AddFOp::create(b, l, a[1], a[0])});
        });
    rewriter.replaceOp(op, sum.getResults());
  }

  /// A sum over many elements into few (a conv's bias gradient over N, H,
  /// W: 6 channels from 256 x 28 x 28 x 6) would split over its few outputs:
  /// each thread then reads the whole input for a channel or two. It is
  /// split over its outermost reduction loop instead: `chunks` partial sums
  /// (a parallel generic the split below hands out), then their sum.
  void splitSmallReduction(RewriterBase &rewriter, linalg::GenericOp op) {
    if (op.getNumReductionLoops() == 0 || op.getNumDpsInits() != 1 ||
        !op.hasPureTensorSemantics() || op.hasDynamicShape() || chunks < 2 ||
        !isa<func::FuncOp>(op->getParentOp()) || readsBackwards(op))
      return;
    SmallVector<int64_t> loops = op.getStaticLoopRanges();
    auto iterators = op.getIteratorTypesArray();
    int64_t outputs = 1, elements = 1;
    for (auto [n, it] : llvm::zip(loops, iterators)) {
      elements *= n;
      if (linalg::isParallelIterator(it))
        outputs *= n;
    }
    if (outputs > kFewOutputs ||
        elements < minElements || linalg::isParallelIterator(iterators[0]) ||
        loops[0] % chunks != 0 || !sumsIntoOutput(op))
      return;
    // Every input indexes loop 0 as a result of its own (or not at all).
    MLIRContext *ctx = op.getContext();
    AffineExpr d0 = getAffineDimExpr(0, ctx);
    for (OpOperand *in : op.getDpsInputOperands()) {
      AffineMap map = op.getMatchingIndexingMap(in);
      for (AffineExpr e : map.getResults())
        if (e != d0 && e.isFunctionOfDim(0))
          return;
    }
    int64_t pieces = chunks, per = loops[0] / chunks;
    Location loc = op.getLoc();
    rewriter.setInsertionPoint(op);
    // Loop 0 becomes (t, i) with t in [0, pieces): new dims 0 and 1; the
    // other loops shift by one.
    unsigned n = op.getNumLoops() + 1;
    auto shifted = [&](AffineMap map) {
      SmallVector<AffineExpr> results;
      for (AffineExpr e : map.getResults())
        results.push_back(e.shiftDims(op.getNumLoops(), 1));
      return results;
    };
    SmallVector<Value> inputs;
    SmallVector<AffineMap> maps;
    for (OpOperand *in : op.getDpsInputOperands()) {
      AffineMap map = op.getMatchingIndexingMap(in);
      SmallVector<AffineExpr> results = shifted(map);
      Value v = in->get();
      auto type = cast<RankedTensorType>(v.getType());
      for (unsigned r = 0; r < map.getNumResults(); ++r) {
        if (map.getResult(r) != d0)
          continue;
        // [.., E, ..] -> [.., pieces, E / pieces, ..]
        SmallVector<int64_t> shape(type.getShape());
        shape[r] = per;
        shape.insert(shape.begin() + r, pieces);
        SmallVector<ReassociationIndices> groups;
        for (unsigned i = 0, j = 0; i < type.getRank(); ++i) {
          groups.push_back(i == r ? ReassociationIndices{j, j + 1} : ReassociationIndices{j});
          j += i == r ? 2 : 1;
        }
        v = tensor::ExpandShapeOp::create(rewriter, loc,
                                          RankedTensorType::get(shape, type.getElementType()),
                                          v, groups);
        results[r] = getAffineDimExpr(0, ctx);
        results.insert(results.begin() + r + 1, getAffineDimExpr(1, ctx));
        break;
      }
      inputs.push_back(v);
      maps.push_back(AffineMap::get(n, 0, results, ctx));
    }
    // The partial sums: [pieces, output...], zero-filled.
    OpOperand *init = op.getDpsInitOperand(0);
    AffineMap outMap = op.getMatchingIndexingMap(init);
    auto outType = cast<RankedTensorType>(init->get().getType());
    SmallVector<int64_t> partialShape = {pieces};
    llvm::append_range(partialShape, outType.getShape());
    SmallVector<AffineExpr> partialResults = {getAffineDimExpr(0, ctx)};
    llvm::append_range(partialResults, shifted(outMap));
    maps.push_back(AffineMap::get(n, 0, partialResults, ctx));
    Value zero = arith::ConstantOp::create(rewriter, loc,
                                           rewriter.getZeroAttr(outType.getElementType()));
    Value empty = tensor::EmptyOp::create(rewriter, loc, partialShape, outType.getElementType());
    Value partialInit = linalg::FillOp::create(rewriter, loc, zero, empty).getResult(0);
    SmallVector<utils::IteratorType> partialIterators = {utils::IteratorType::parallel};
    llvm::append_range(partialIterators, iterators);
    auto partial = linalg::GenericOp::create(rewriter, loc, TypeRange{partialInit.getType()},
                                             inputs, ValueRange{partialInit}, maps,
                                             partialIterators);
    rewriter.cloneRegionBefore(op.getRegion(), partial.getRegion(), partial.getRegion().end());
    // Their sum into the original output (and its initial value).
    unsigned outRank = outType.getRank();
    SmallVector<AffineExpr> sumIn = {getAffineDimExpr(outRank, ctx)};
    for (unsigned i = 0; i < outRank; ++i)
      sumIn.push_back(getAffineDimExpr(i, ctx));
    SmallVector<utils::IteratorType> sumIterators(outRank, utils::IteratorType::parallel);
    sumIterators.push_back(utils::IteratorType::reduction);
    auto sum = linalg::GenericOp::create(
        rewriter, loc, TypeRange{outType}, ValueRange{partial.getResult(0)},
        ValueRange{init->get()},
        {AffineMap::get(outRank + 1, 0, sumIn, ctx),
         AffineMap::getMultiDimIdentityMap(outRank + 1, ctx).getMajorSubMap(outRank)},
        sumIterators, [](OpBuilder &b, Location l, ValueRange a) {
          linalg::YieldOp::create(b, l, ValueRange{arith::AddFOp::create(b, l, a[1], a[0])});
        });
    rewriter.replaceOp(op, sum.getResults());
  }

  /// An elementwise generic that reads backwards along some loops (the data
  /// gradient's flipped filter [KH, KW, O, C] from OIHW, every training
  /// step) cannot go through linalg's tiling (see loopsReadBackwards), and
  /// alone it ran on one thread: it is split by hand into `chunks` pieces along its
  /// outermost parallel loop that reads forwards and that every operand
  /// indexes as one whole dimension of its own or not at all (the filter's
  /// output channels), an scf.forall over slices of those dimensions.
  void splitReadingBackwards(RewriterBase &rewriter, linalg::GenericOp op) {
    if (op.getNumReductionLoops() != 0 || op.getNumDpsInits() != 1 ||
        !op.hasPureTensorSemantics() || op.hasDynamicShape() || chunks < 2 ||
        !isa<func::FuncOp>(op->getParentOp()))
      return;
    llvm::SmallBitVector backwards = loopsReadBackwards(op);
    if (backwards.none())
      return;
    SmallVector<int64_t> loops = op.getStaticLoopRanges();
    int64_t elements = 1;
    for (int64_t n : loops)
      elements *= n;
    if (elements < minElements)
      return;
    // Each operand's result position of loop d, or -1 where it has none.
    auto positionsOf = [&](unsigned d) -> std::optional<SmallVector<int64_t>> {
      SmallVector<int64_t> positions;
      for (AffineMap map : op.getIndexingMapsArray()) {
        int64_t at = -1;
        for (auto [r, e] : llvm::enumerate(map.getResults())) {
          if (auto dim = dyn_cast<AffineDimExpr>(e); dim && dim.getPosition() == d && at < 0) {
            at = r;
            continue;
          }
          if (e.isFunctionOfDim(d))
            return std::nullopt;
        }
        positions.push_back(at);
      }
      return positions;
    };
    std::optional<SmallVector<int64_t>> positions;
    unsigned d = 0;
    for (; d < loops.size(); ++d)
      if (!backwards.test(d) && loops[d] >= chunks && loops[d] % chunks == 0 &&
          (positions = positionsOf(d)))
        break;
    if (!positions || positions->back() < 0)
      return;
    Location loc = op.getLoc();
    int64_t piece = loops[d] / chunks;
    rewriter.setInsertionPoint(op);
    Value init = op.getDpsInits()[0];
    auto forall = scf::ForallOp::create(rewriter, loc,
                                        ArrayRef<OpFoldResult>{rewriter.getIndexAttr(chunks)},
                                        ValueRange{init}, std::nullopt);
    OpBuilder::InsertionGuard guard(rewriter);
    rewriter.setInsertionPointToStart(forall.getBody());
    Value offset = arith::MulIOp::create(rewriter, loc, forall.getInductionVar(0),
                                         arith::ConstantIndexOp::create(rewriter, loc, piece));
    // The operand's slice along result `at` (the whole operand where it is -1).
    auto sliceParams = [&](Value v, int64_t at) {
      auto type = cast<RankedTensorType>(v.getType());
      SmallVector<OpFoldResult> offsets, sizes, strides;
      for (int64_t r = 0; r < type.getRank(); ++r) {
        offsets.push_back(r == at ? OpFoldResult(offset) : rewriter.getIndexAttr(0));
        sizes.push_back(rewriter.getIndexAttr(r == at ? piece : type.getDimSize(r)));
        strides.push_back(rewriter.getIndexAttr(1));
      }
      return std::make_tuple(offsets, sizes, strides);
    };
    SmallVector<Value> operands;
    for (auto [operand, at] : llvm::zip(op->getOpOperands(), *positions)) {
      Value v = op.isDpsInit(&operand) ? forall.getRegionIterArgs()[0] : operand.get();
      if (at >= 0) {
        auto [offsets, sizes, strides] = sliceParams(v, at);
        v = tensor::ExtractSliceOp::create(rewriter, loc, v, offsets, sizes, strides);
      }
      operands.push_back(v);
    }
    Operation *pieceOp = mlir::clone(rewriter, op, TypeRange{operands.back().getType()}, operands);
    auto [offsets, sizes, strides] = sliceParams(forall.getRegionIterArgs()[0], positions->back());
    rewriter.setInsertionPointToStart(forall.getTerminator().getBody());
    tensor::ParallelInsertSliceOp::create(rewriter, loc, pieceOp->getResult(0),
                                          forall.getRegionIterArgs()[0], offsets, sizes,
                                          strides);
    rewriter.replaceOp(op, forall.getResults());
  }

  void runOnOperation() override {
    ModuleOp module = getOperation();
    IRRewriter rewriter(&getContext());
    // Each rewrite of reductions replaces ops: the next one walks afresh.
    auto reductions = [&] {
      SmallVector<linalg::GenericOp> ops;
      module.walk([&](linalg::GenericOp op) {
        if (op.getNumReductionLoops() > 0)
          ops.push_back(op);
      });
      return ops;
    };
    SmallVector<linalg::GenericOp> copies;
    module.walk([&](linalg::GenericOp op) {
      if (op.getNumReductionLoops() == 0)
        copies.push_back(op);
    });
    for (linalg::GenericOp op : reductions())
      iterateInInputOrder(rewriter, op);
    for (linalg::GenericOp op : reductions())
      widenSmallReduction(rewriter, op);
    for (linalg::GenericOp op : reductions())
      splitSmallReduction(rewriter, op);
    for (linalg::GenericOp op : copies)
      iterateTransposeInBlocks(rewriter, op);
    for (linalg::GenericOp op : copies)
      splitReadingBackwards(rewriter, op);
    llvm::SetVector<SmallVector<int64_t>> configs;
    module.walk([&](linalg::GenericOp op) {
      if (auto pieces = choosePieces(op)) {
        op->setAttr(mlir::cnn::attr_names::kParallelChunks, DenseI64ArrayAttr::get(&getContext(), *pieces));
        configs.insert(*pieces);
      }
    });
    if (configs.empty()) {
      if (failed(tileTransposes(module)))
        signalPassFailure();
      return;
    }
    std::string s = "module attributes {transform.with_named_sequence} {\n"
                    "transform.named_sequence @__transform_main(%root: !transform.any_op "
                    "{transform.readonly}) {\n";
    for (auto [i, pieces] : llvm::enumerate(configs)) {
      std::string n = std::to_string(i), list = joined(pieces);
      s += "  %g" + n + " = transform.structured.match ops{[\"linalg.generic\"]} "
           "attributes{cnn.parallel_chunks = array<i64: " + list + ">} in %root : "
           "(!transform.any_op) -> !transform.any_op\n"
           "  %t" + n + ", %f" + n + " = transform.structured.tile_using_forall %g" + n +
           " num_threads [" + list + "] : (!transform.any_op) -> (!transform.any_op, "
           "!transform.any_op)\n";
    }
    s += "  transform.yield\n}\n}\n";
    if (failed(cnnc::applyGeneratedSchedule(module, s, "cnnc-parallelize-elementwise")) ||
        failed(tileTransposes(module)))
      return signalPassFailure();
  }
};

} // namespace
