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

#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/Transform/IR/TransformOps.h"
#include "mlir/IR/BuiltinOps.h"

#include "llvm/ADT/SetVector.h"

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

/// Whether an operand index decreases along a loop (a flipped filter, a
/// transposed conv's input): linalg's tiling sizes such slices wrongly, so
/// these ops stay whole.
bool readsBackwards(linalg::GenericOp op) {
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
      if (negative)
        return true;
    }
  return false;
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
    if (stride < kPageFloats || inInner == outInner)
      return;
    SmallVector<unsigned> order;
    for (unsigned d = 0; d < rank; ++d)
      if (d != inInner)
        order.push_back(d);
    order.push_back(inInner);
    rewriter.setInsertionPoint(op);
    (void)linalg::interchangeGenericOp(rewriter, op, order);
  }

  void runOnOperation() override {
    ModuleOp module = getOperation();
    IRRewriter rewriter(&getContext());
    SmallVector<linalg::GenericOp> reductions, copies;
    module.walk([&](linalg::GenericOp op) {
      (op.getNumReductionLoops() > 0 ? reductions : copies).push_back(op);
    });
    for (linalg::GenericOp op : reductions)
      iterateInInputOrder(rewriter, op);
    for (linalg::GenericOp op : copies)
      iterateTransposeInBlocks(rewriter, op);
    llvm::SetVector<SmallVector<int64_t>> configs;
    module.walk([&](linalg::GenericOp op) {
      if (auto pieces = choosePieces(op)) {
        op->setAttr(mlir::cnn::attr_names::kParallelChunks, DenseI64ArrayAttr::get(&getContext(), *pieces));
        configs.insert(*pieces);
      }
    });
    if (configs.empty())
      return;
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
    if (failed(cnnc::applyGeneratedSchedule(module, s, "cnnc-parallelize-elementwise")))
      return signalPassFailure();
  }
};

} // namespace
