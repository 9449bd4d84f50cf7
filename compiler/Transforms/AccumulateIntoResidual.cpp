//===- AccumulateIntoResidual.cpp - a fused residual add writes in place ---===//
//
// A conv's fused epilogue that adds a residual (ResNet's conv + add + ReLU,
// MobileNetV2's projection + add) reads the residual and writes a fresh
// buffer: three passes over memory per element (read the residual, read
// the fresh line for ownership, write it back). Where the epilogue is the
// residual's last reader, the residual becomes the epilogue's destination
// (read through the output block argument), so bufferization writes in
// place: the fused tile reads each residual line and overwrites it, two
// passes (ONNX Runtime's Sum fusion does the same). The accumulator's
// initializer then stays in registers (cnnc-tile-and-vectorize forwards
// it), since writing it to the tile would overwrite the residual.
//
// A block chain's epilogues (cnnc-fuse-conv-epilogues splits them per
// filter block, each writing its slice of a fresh tensor) write into the
// residual's slices instead: the chain starts from the residual, its first
// insert marked `cnn.chain_start` so that cnnc-tile-and-vectorize does not
// take it for a continuation of the chain that computed the residual, and
// each block's bias broadcast moves to a tile of its own. That needs every
// block's schedule to fuse the broadcast into its register blocks, so this
// pass runs after cnnc-select-cpu-schedules.
//
//===----------------------------------------------------------------------===//

#include "Cnn/CnnAttrNames.h"
#include "Passes.h"
#include "Transforms/ScheduledOps.h"

#include "Codegen/CodegenDialect.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

namespace cnnc {
#define GEN_PASS_DEF_ACCUMULATEINTORESIDUALPASS
#include "Passes.h.inc"
} // namespace cnnc

using namespace mlir;

namespace {

using mlir::cnn::attr_names::kFusedEpilogue;

/// Whether `first`'s block may overwrite `value` from `first` on: an op's
/// result (not a function's input) whose users outside `reads` all run
/// before `first`.
bool deadFrom(Value value, Operation *first, ArrayRef<Operation *> reads) {
  if (!value.getDefiningOp() || value.getDefiningOp()->getBlock() != first->getBlock())
    return false;
  return llvm::all_of(value.getUsers(), [&](Operation *user) {
    if (llvm::is_contained(reads, user))
      return true;
    Operation *inBlock = first->getBlock()->findAncestorOpInBlock(*user);
    return inBlock && inBlock->isBeforeInBlock(first);
  });
}

bool returned(Operation *op) {
  return llvm::any_of(op->getUsers(),
                      [](Operation *user) { return user->hasTrait<OpTrait::ReturnLike>(); });
}

/// The input of `op` produced by the conv whose fused epilogue `op` is
/// (cnnc-fuse-conv-epilogues), or null.
Value fusedConvInput(linalg::GenericOp op) {
  for (OpOperand *in : op.getDpsInputOperands())
    if (Operation *conv = in->get().getDefiningOp();
        conv && conv->hasAttr(kFusedEpilogue) && conv->hasOneUse() &&
        op.getMatchingIndexingMap(in).isIdentity())
      return in->get();
  return Value();
}

/// The input of `op` that a fused epilogue adds: identity-mapped, of the
/// result's type, not the fused conv's result.
OpOperand *residualInput(linalg::GenericOp op, Value fused) {
  for (OpOperand *in : op.getDpsInputOperands())
    if (in->get() != fused && in->get().getType() == op.getResult(0).getType() &&
        op.getMatchingIndexingMap(in).isIdentity())
      return in;
  return nullptr;
}

/// `op` with `residual` as its destination `dest`, read through the output
/// block argument (the payload must not read the old destination).
linalg::GenericOp readFromDestination(IRRewriter &rewriter, linalg::GenericOp op,
                                      OpOperand *residual, Value dest) {
  unsigned index = residual->getOperandNumber();
  SmallVector<Value> inputs, inits = {dest};
  SmallVector<AffineMap> maps;
  for (OpOperand *in : op.getDpsInputOperands())
    if (in != residual) {
      inputs.push_back(in->get());
      maps.push_back(op.getMatchingIndexingMap(in));
    }
  // Further results (a narrow copy of the sum, cnnc-fuse-quantizations-into-producers)
  // keep their destinations.
  for (OpOperand &out : op.getDpsInitsMutable()) {
    if (out.getOperandNumber() != op.getDpsInitOperand(0)->getOperandNumber())
      inits.push_back(out.get());
    maps.push_back(op.getMatchingIndexingMap(&out));
  }
  rewriter.setInsertionPoint(op);
  auto moved = linalg::GenericOp::create(rewriter, op.getLoc(), op.getResultTypes(), inputs,
                                         inits, maps, op.getIteratorTypesArray());
  moved->setDiscardableAttrs(op->getDiscardableAttrDictionary());
  rewriter.inlineRegionBefore(op.getRegion(), moved.getRegion(), moved.getRegion().end());
  Block &body = moved.getRegion().front();
  body.getArgument(index).replaceAllUsesWith(body.getArgument(op.getNumDpsInputs()));
  body.eraseArgument(index);
  rewriter.replaceOp(op, moved->getResults());
  return moved;
}

/// A whole-tensor epilogue: the residual becomes its destination. A
/// function's result is written to the caller's buffer: in place on the
/// residual it would be copied there after all.
void accumulateIntoResidual(IRRewriter &rewriter, linalg::GenericOp op, Value fused) {
  if (!op.getDpsInits()[0].getDefiningOp<tensor::EmptyOp>() ||
      op.payloadUsesValueFromOperand(op.getDpsInitOperand(0)) || returned(op))
    return;
  OpOperand *residual = residualInput(op, fused);
  if (residual && deadFrom(residual->get(), op, {op}))
    readFromDestination(rewriter, op, residual, residual->get());
}

/// One block of a split epilogue (cnnc-fuse-conv-epilogues): its slice of
/// the result so far, its epilogue writing there, the residual's slice it
/// reads (operand `residualOperand` of the epilogue), and the insert of its
/// result.
struct ChainBlock {
  tensor::ExtractSliceOp outSlice, residualSlice;
  linalg::GenericOp epilogue;
  unsigned residualOperand;
  tensor::InsertSliceOp insert;
};

bool sameRange(tensor::ExtractSliceOp slice, tensor::InsertSliceOp insert) {
  return slice.getMixedOffsets() == insert.getMixedOffsets() &&
         slice.getMixedSizes() == insert.getMixedSizes() &&
         slice.getMixedStrides() == insert.getMixedStrides();
}

/// The blocks of the chain built on `start` (a fresh tensor), if every
/// block's epilogue adds a slice of one residual at its own range.
std::optional<SmallVector<ChainBlock>> matchResidualChain(tensor::EmptyOp start, Value &residual) {
  SmallVector<ChainBlock> blocks;
  Value chain = start.getResult();
  residual = Value();
  while (true) {
    tensor::InsertSliceOp insert;
    tensor::ExtractSliceOp outSlice;
    for (OpOperand &use : chain.getUses()) {
      if (auto i = dyn_cast<tensor::InsertSliceOp>(use.getOwner());
          i && use.get() == i.getDest() && !insert)
        insert = i;
      else if (auto e = dyn_cast<tensor::ExtractSliceOp>(use.getOwner()); e && !outSlice)
        outSlice = e;
      else
        return blocks.size() >= 2 ? std::optional(blocks) : std::nullopt;
    }
    if (!insert || !outSlice)
      return blocks.size() >= 2 ? std::optional(blocks) : std::nullopt;
    auto epilogue = insert.getSource().getDefiningOp<linalg::GenericOp>();
    if (!sameRange(outSlice, insert) || !epilogue || epilogue.getDpsInits()[0] != outSlice ||
        epilogue.payloadUsesValueFromOperand(epilogue.getDpsInitOperand(0)))
      return std::nullopt;
    Value fused = fusedConvInput(epilogue);
    OpOperand *in = fused ? residualInput(epilogue, fused) : nullptr;
    auto residualSlice = in ? in->get().getDefiningOp<tensor::ExtractSliceOp>() : nullptr;
    if (!residualSlice || !sameRange(residualSlice, insert) ||
        residualSlice.getSourceType() != start.getType() ||
        (residual && residualSlice.getSource() != residual))
      return std::nullopt;
    residual = residualSlice.getSource();
    blocks.push_back({outSlice, residualSlice, epilogue, in->getOperandNumber(), insert});
    chain = insert.getResult();
  }
}

/// A split epilogue: the chain starts from the residual, each block's
/// epilogue reads the residual's slice through its destination, and the
/// ops that wrote the block's accumulator into that slice (the bias
/// broadcast or zero fill, which would overwrite the residual) get tiles
/// of their own.
void accumulateChainIntoResidual(IRRewriter &rewriter, tensor::EmptyOp start, int64_t cores) {
  Value residual;
  std::optional<SmallVector<ChainBlock>> blocks = matchResidualChain(start, residual);
  if (!blocks || returned(blocks->back().insert))
    return;
  // Only where each accumulator's initializer joins its conv's register
  // blocks (its schedule fuses it): one left whole would need a buffer of
  // its own per block, inside the chain's parallel loop.
  for (ChainBlock &b : *blocks)
    for (Operation *user : b.outSlice->getUsers()) {
      if (user == b.epilogue.getOperation())
        continue;
      for (Operation *conv : user->getUsers()) {
        auto schedule = conv->getAttrOfType<codegen::ConvScheduleAttr>(
            codegen::CodegenDialect::kScheduleAttrName);
        if (!schedule || !schedule.getFuseInit())
          return;
      }
    }
  SmallVector<Operation *> reads;
  for (ChainBlock &b : *blocks)
    reads.push_back(b.residualSlice);
  if (!deadFrom(residual, start, reads) || !residual.getDefiningOp()->isBeforeInBlock(start))
    return;
  // The chain runs as one forall over its blocks (cnnc-tile-and-vectorize):
  // a block per forall, its in-place writes and the residual stage they
  // extend make one alias set that One-Shot Bufferize's analysis takes
  // cubic time over (ResNet-50 at batch 8: 46 s of a 48 s compile). Where
  // the host has more cores than the chain has blocks, a forall over the
  // blocks would leave cores idle: such a chain stays as it is, each block
  // parallel over its rows, and writes a fresh tensor.
  SmallVector<std::pair<linalg::Conv2DNhwcHwcfOp, codegen::ConvScheduleAttr>> grouped;
  bool regrouped = false;
  for (ChainBlock &b : *blocks) {
    auto conv = fusedConvInput(b.epilogue).getDefiningOp<linalg::Conv2DNhwcHwcfOp>();
    auto s = conv ? conv->getAttrOfType<codegen::ConvScheduleAttr>(
                        codegen::CodegenDialect::kScheduleAttrName)
                  : codegen::ConvScheduleAttr();
    if (!s)
      return;
    if (!s.getGroupChain()) {
      // Only a block whose accumulator lives in registers (rows order, one
      // conv) may join a forall whatever its rows.
      if (s.getOrder() != codegen::ConvLoopOrder::Rows || cnnc::accumulatesThroughConvs(conv))
        return;
      s = s.withGroupChain(true);
      regrouped = true;
    }
    grouped.push_back({conv, s});
  }
  if (regrouped && cores > static_cast<int64_t>(blocks->size()))
    return;
  for (auto [conv, s] : grouped)
    conv->setAttr(codegen::CodegenDialect::kScheduleAttrName, s);
  for (ChainBlock &b : *blocks) {
    for (OpOperand &use : llvm::make_early_inc_range(b.outSlice->getUses())) {
      auto acc = dyn_cast<DestinationStyleOpInterface>(use.getOwner());
      if (!acc || acc == b.epilogue.getOperation())
        continue;
      rewriter.setInsertionPoint(acc);
      auto type = b.outSlice.getType();
      Value tile = tensor::EmptyOp::create(rewriter, acc->getLoc(), type.getShape(),
                                           type.getElementType());
      rewriter.modifyOpInPlace(acc, [&] { use.set(tile); });
    }
    readFromDestination(rewriter, b.epilogue, &b.epilogue->getOpOperand(b.residualOperand),
                        b.outSlice);
    rewriter.eraseOp(b.residualSlice);
  }
  rewriter.replaceAllUsesWith(start.getResult(), residual);
  blocks->front().insert->setAttr(mlir::cnn::attr_names::kChainStart, rewriter.getUnitAttr());
  rewriter.eraseOp(start);
}

struct AccumulateIntoResidualPass
    : cnnc::impl::AccumulateIntoResidualPassBase<AccumulateIntoResidualPass> {
  void runOnOperation() override {
    IRRewriter rewriter(&getContext());
    SmallVector<std::pair<linalg::GenericOp, Value>> epilogues;
    SmallVector<tensor::EmptyOp> chainStarts;
    getOperation().walk([&](Operation *op) {
      if (auto empty = dyn_cast<tensor::EmptyOp>(op)) {
        chainStarts.push_back(empty);
        return;
      }
      if (auto generic = dyn_cast<linalg::GenericOp>(op))
        if (Value fused = fusedConvInput(generic))
          epilogues.push_back({generic, fused});
    });
    for (auto [op, fused] : epilogues)
      accumulateIntoResidual(rewriter, op, fused);
    // The host's cores (0: compiling for another machine) bound the chains
    // grouped into one forall over their blocks.
    codegen::CpuTargetAttr target = codegen::getCpuTarget(getOperation());
    int64_t cores = target ? target.getCores() : 0;
    for (tensor::EmptyOp start : chainStarts)
      accumulateChainIntoResidual(rewriter, start, cores);
  }
};

} // namespace
