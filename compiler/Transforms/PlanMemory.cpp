//===- PlanMemory.cpp - one arena for all intermediate buffers -------------===//
//
// Runs after bufferization (and buffer-results-to-out-params), before any
// loop tiling: every intermediate buffer is then a top-level memref.alloc of
// the entry function. Each gets a live range in program order (extended over
// its aliases: subviews, reshapes, casts) and an offset by first-fit over
// the buffers already placed, largest first. Peak memory is known at compile
// time and recorded on the function.
//
//===----------------------------------------------------------------------===//

#include "Cnn/CnnAttrNames.h"
#include "Passes.h"

#include "mlir/IR/Builders.h"
#include "mlir/Interfaces/ViewLikeInterface.h"

#include "llvm/ADT/DenseMap.h"

namespace cnnc {
#define GEN_PASS_DEF_PLANMEMORYPASS
#include "Passes.h.inc"
} // namespace cnnc

using namespace mlir;

namespace {

constexpr int64_t kAlignment = 64;

struct Buffer {
  memref::AllocOp alloc;
  int64_t bytes = 0;
  int64_t first = 0, last = 0; // top-level op indices
  int64_t offset = 0;
};

int64_t alignUp(int64_t v) { return (v + kAlignment - 1) / kAlignment * kAlignment; }

struct PlanMemoryPass : cnnc::impl::PlanMemoryPassBase<PlanMemoryPass> {
  void runOnOperation() override {
    for (auto func : getOperation().getOps<func::FuncOp>())
      if (!func.isExternal() && failed(plan(func)))
        return signalPassFailure();
  }

  LogicalResult plan(func::FuncOp func) {
    Block &body = func.getBody().front();
    llvm::DenseMap<Operation *, int64_t> position;
    int64_t index = 0;
    for (Operation &op : body)
      position[&op] = index++;

    std::vector<Buffer> buffers;
    WalkResult walk = func.walk([&](memref::AllocOp alloc) {
      if (alloc->getBlock() != &body) {
        alloc.emitError("cnnc-plan-memory: allocation inside a region; run before tiling");
        return WalkResult::interrupt();
      }
      auto type = alloc.getType();
      if (!type.hasStaticShape() || !type.getLayout().isIdentity())
        return alloc.emitError("cnnc-plan-memory: needs a static, identity-layout buffer"),
               WalkResult::interrupt();
      Type elem = type.getElementType();
      if (!elem.isIntOrIndexOrFloat())
        return alloc.emitError("cnnc-plan-memory: unsupported element type ") << elem,
               WalkResult::interrupt();
      int64_t elemBytes = elem.isIndex() ? 8 : std::max<int64_t>(1, elem.getIntOrFloatBitWidth() / 8);
      Buffer buf;
      buf.alloc = alloc;
      buf.bytes = alignUp(type.getNumElements() * elemBytes);
      buf.first = buf.last = position[alloc];
      // Extend over every (transitive) alias's users.
      SmallVector<Value> worklist = {alloc.getResult()};
      while (!worklist.empty()) {
        Value v = worklist.pop_back_val();
        for (Operation *user : v.getUsers()) {
          Operation *top = body.findAncestorOpInBlock(*user);
          if (top)
            buf.last = std::max(buf.last, position[top]);
          if (isa<ViewLikeOpInterface>(user) || isa<memref::CollapseShapeOp,
                                                    memref::ExpandShapeOp, memref::CastOp>(user))
            for (Value r : user->getResults())
              worklist.push_back(r);
        }
      }
      buffers.push_back(buf);
      return WalkResult::advance();
    });
    if (walk.wasInterrupted())
      return failure();

    // First-fit, largest buffers first.
    std::vector<size_t> order(buffers.size());
    for (size_t i = 0; i < order.size(); ++i)
      order[i] = i;
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
      return buffers[a].bytes > buffers[b].bytes;
    });
    std::vector<size_t> placed;
    int64_t arenaBytes = 0;
    for (size_t i : order) {
      Buffer &buf = buffers[i];
      std::vector<std::pair<int64_t, int64_t>> busy;
      for (size_t j : placed) {
        const Buffer &o = buffers[j];
        if (o.first <= buf.last && buf.first <= o.last)
          busy.push_back({o.offset, o.offset + o.bytes});
      }
      std::sort(busy.begin(), busy.end());
      int64_t offset = 0;
      for (auto [lo, hi] : busy) {
        if (offset + buf.bytes <= lo)
          break;
        offset = std::max(offset, hi);
      }
      buf.offset = offset;
      arenaBytes = std::max(arenaBytes, offset + buf.bytes);
      placed.push_back(i);
    }
    arenaBytes = std::max<int64_t>(arenaBytes, kAlignment);

    OpBuilder b(func.getContext());
    auto arenaType = MemRefType::get({arenaBytes}, b.getI8Type());
    unsigned argIndex = func.getNumArguments();
    if (failed(func.insertArgument(argIndex, arenaType,
                                   b.getDictionaryAttr(b.getNamedAttr(
                                       mlir::cnn::attr_names::kArena, b.getUnitAttr())),
                                   func.getLoc())))
      return failure();
    // The plan, for --report: each buffer's place and live range, named by
    // the node whose allocation it was.
    SmallVector<int64_t> plan;
    SmallVector<Attribute> names;
    for (Buffer &buf : buffers) {
      plan.append({buf.offset, buf.bytes, buf.first, buf.last});
      std::string name = "buffer " + std::to_string(names.size());
      Location loc = buf.alloc.getLoc();
      if (auto fused = dyn_cast<FusedLoc>(loc); fused && !fused.getLocations().empty())
        loc = fused.getLocations().front();
      if (auto named = dyn_cast<NameLoc>(loc))
        name = named.getName().str();
      names.push_back(b.getStringAttr(name));
    }
    Value arena = func.getArgument(argIndex);
    for (Buffer &buf : buffers) {
      b.setInsertionPoint(buf.alloc);
      Value offset = arith::ConstantIndexOp::create(b, buf.alloc.getLoc(), buf.offset);
      Value view = memref::ViewOp::create(b, buf.alloc.getLoc(), buf.alloc.getType(), arena,
                                          offset, ValueRange{});
      buf.alloc.getResult().replaceAllUsesWith(view);
      buf.alloc.erase();
    }
    // Deallocations (if any pass inserted them) now refer to views: drop them.
    func.walk([](memref::DeallocOp d) { d.erase(); });
    func->setAttr(mlir::cnn::attr_names::kArenaBytes, b.getI64IntegerAttr(arenaBytes));
    func->setAttr(mlir::cnn::attr_names::kArenaPlan, b.getDenseI64ArrayAttr(plan));
    func->setAttr(mlir::cnn::attr_names::kArenaPlanNames, b.getArrayAttr(names));
    return success();
  }
};

} // namespace
