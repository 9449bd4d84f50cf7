//===- SelectCpuSchedules.cpp - each op's CPU schedule, from the target ----===//
//
// Writes `codegen.schedule` on every convolution, depthwise convolution,
// pool and matmul-like contraction, from its shape and the module's
// `#codegen.cpu_target` (vector lanes L, vector registers R, caches). The
// passes that apply the schedules (cnnc-tile-and-vectorize,
// cnnc-tile-matmuls) decide nothing. Only tile sizes that divide the shape
// are chosen: uneven tiles would leave unvectorized remainders.
//
// The rules count registers: a register block of A accumulator vectors
// needs A + V + 1 registers with V filter vectors per reduction step and
// one broadcast input (docs/target.md). The figures quoted in comments were
// measured on the AVX-512 machine (docs/benchmarks.md).
//
//===----------------------------------------------------------------------===//

#include "Cnn/CnnAttrNames.h"
#include "Passes.h"
#include "Transforms/ScheduledOps.h"

#include "Codegen/CodegenDialect.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/IR/BuiltinOps.h"

#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"

namespace cnnc {
#define GEN_PASS_DEF_SELECTCPUSCHEDULESPASS
#include "Passes.h.inc"
} // namespace cnnc

using namespace mlir;
using codegen::ConvLoopOrder;

namespace {

using cnnc::largestDivisor;

/// Blocks of images and pixels a schedule with a channel rest leaves the
/// threads at least: its channel tiles are no longer parallel.
constexpr int64_t kMinRestBlocks = 8;

/// The channels past the last whole vector of `lanes` where they can be a
/// register block of their own (`channel_rest`): a power of two of at least
/// 4, or with `twoParts` also up to two powers of two of at least 2 each
/// (cnnc-tile-and-vectorize splits them); 0 otherwise.
int64_t channelRestOf(int64_t channels, int64_t lanes, bool twoParts) {
  int64_t rest = channels % lanes;
  bool fits = twoParts ? rest % 2 == 0 && llvm::popcount(uint64_t(rest)) <= 2
                       : rest >= 4 && llvm::isPowerOf2_64(rest);
  return channels > lanes && rest > 0 && fits ? rest : 0;
}

/// Vectors needed for `channels` floats: a partial vector takes a register too.
int64_t vectorsFor(int64_t channels, int64_t lanes) { return (channels + lanes - 1) / lanes; }

/// The key a tuned schedule is stored under (cnnc --tune): the conv's
/// input, filter and output shapes, strides, dilations, and whether an
/// epilogue is fused into its tile.
std::string convKey(linalg::Conv2DNhwcHwcfOp conv) {
  std::string key;
  llvm::raw_string_ostream os(key);
  auto dims = [&](Value v) {
    auto shape = cast<ShapedType>(v.getType()).getShape();
    for (size_t i = 0; i < shape.size(); ++i)
      os << (i ? "x" : "") << shape[i];
  };
  dims(conv.getDpsInputs()[0]);
  os << "*";
  dims(conv.getDpsInputs()[1]);
  os << "->";
  dims(conv.getDpsInits()[0]);
  os << ":s" << conv.getStrides().getValues<int64_t>()[0] << "x"
     << conv.getStrides().getValues<int64_t>()[1] << ":d"
     << conv.getDilations().getValues<int64_t>()[0] << "x"
     << conv.getDilations().getValues<int64_t>()[1];
  if (conv->hasAttr(mlir::cnn::attr_names::kFusedEpilogue))
    os << ":epilogue";
  Type operand = cast<ShapedType>(conv.getDpsInputs()[0].getType()).getElementType();
  if (operand.isBF16())
    os << ":bf16";
  else if (operand.isInteger(8))
    os << ":int8";
  return key;
}

/// The most input channels, a power of two that divides `channels`, whose
/// filter slice (`bytesPerChannel` each) fits in `budget` bytes; 0 if none.
int64_t reductionChunk(int64_t channels, int64_t bytesPerChannel, int64_t budget) {
  int64_t chunk = 0;
  for (int64_t ch = 1; ch <= channels && ch * bytesPerChannel <= budget; ch *= 2)
    if (channels % ch == 0)
      chunk = ch;
  return chunk;
}

/// Output channels of the chain a conv's block belongs to: of the tensor
/// its accumulator (or its initializer's output) is a slice of; the conv's
/// own where it is no block.
int64_t chainChannels(linalg::Conv2DNhwcHwcfOp conv) {
  Value acc = conv.getDpsInits()[0];
  if (auto init = acc.getDefiningOp<linalg::LinalgOp>(); init && init.getNumDpsInits() == 1)
    acc = init.getDpsInits()[0];
  if (auto slice = acc.getDefiningOp<tensor::ExtractSliceOp>();
      slice && slice.getSourceType().getRank() == 4)
    return slice.getSourceType().getDimSize(3);
  return cast<ShapedType>(conv.getDpsInits()[0].getType()).getDimSize(3);
}

/// Bytes of a statically shaped tensor.
int64_t tensorBytes(Type type) {
  auto shaped = cast<ShapedType>(type);
  return shaped.getNumElements() * shaped.getElementTypeBitWidth() / 8;
}

/// Input channels a reduction step takes at least: bf16 operands are
/// dot-multiplied in pairs (cnnc-lower-bf16-contractions), int8 ones in
/// quads (cnnc-lower-int8-contractions).
int64_t groupedChannels(linalg::Conv2DNhwcHwcfOp conv) {
  Type operand = cast<ShapedType>(conv.getDpsInputs()[0].getType()).getElementType();
  return operand.isBF16() ? 2 : operand.isInteger(8) ? 4 : 1;
}

/// Vector registers a conv's register block can use: the target's, less
/// those that int8 dot products without VNNI hold besides the block
/// (cnnc-lower-int8-contractions: a vector of ones, the i16 pair products
/// and the i32 quad sums).
int64_t blockRegisters(linalg::Conv2DNhwcHwcfOp conv, codegen::CpuTargetAttr target) {
  bool vnni = target.hasIsa("avx512vnni") || target.hasIsa("avxvnni");
  return target.getVectorRegisters() - (groupedChannels(conv) == 4 && !vnni ? 3 : 0);
}

/// The register blocks `cnnc --tune` measures besides the rules' own
/// (candidate 0): for channel tiles of 1, 2 and 4 vectors, the two widest
/// row blocks within one register over the file, each with and without the
/// batch doubling, stepping 1 (bf16: 2, int8: 4) or 8 input channels; the most
/// accumulators first. Only blocks that divide the shape.
SmallVector<codegen::ConvScheduleAttr> convAlternatives(linalg::Conv2DNhwcHwcfOp conv,
                                                        codegen::CpuTargetAttr target,
                                                        codegen::ConvScheduleAttr rules) {
  auto out = cast<ShapedType>(conv.getDpsInits()[0].getType()).getShape();
  auto filter = cast<ShapedType>(conv.getDpsInputs()[1].getType()).getShape();
  int64_t n = out[0], ow = out[2], f = out[3], c = filter[2];
  int64_t lanes = target.getLanes(), regs = blockRegisters(conv, target);
  struct Block {
    int64_t n, w, f, step, a;
  };
  SmallVector<Block> blocks;
  for (int64_t v : {4, 2, 1}) {
    int64_t fTile = v * lanes;
    if (f % fTile != 0)
      continue;
    int64_t widest = largestDivisor(ow, std::max<int64_t>(1, (regs + 1 - v - 1) / v));
    for (int64_t w : {widest, largestDivisor(ow, std::max<int64_t>(1, widest - 1))})
      for (int64_t nt : {int64_t(1), int64_t(2)}) {
        if (n % nt != 0 || nt * w * v + v + 1 > regs + 1 || nt * w * v < 4)
          continue;
        for (int64_t step : {groupedChannels(conv), int64_t(8)})
          if (c % step == 0)
            blocks.push_back({nt, w, fTile, step, nt * w * v});
      }
  }
  std::stable_sort(blocks.begin(), blocks.end(),
                   [](const Block &x, const Block &y) { return x.a > y.a; });
  SmallVector<codegen::ConvScheduleAttr> alternatives;
  for (const Block &b : blocks) {
    auto s = codegen::ConvScheduleAttr::get(conv.getContext(), b.n, b.w, b.f, b.step,
                                            ConvLoopOrder::Rows, 0, false, false, false, 0, false,
                                            0);
    if (s != rules && !llvm::is_contained(alternatives, s))
      alternatives.push_back(s);
  }
  return alternatives;
}

/// A tuning cache (cnnc --tune --tuning-cache=FILE): conv key -> schedule,
/// for one target and cnnc version. Anything unreadable or made for another
/// target is a warning and no entries: the rules decide.
struct TuningCache {
  llvm::StringMap<codegen::ConvScheduleAttr> convs;

  static TuningCache read(StringRef path, codegen::CpuTargetAttr target, Operation *at) {
    TuningCache cache;
    auto warn = [&](const Twine &why) {
      mlir::emitWarning(at->getLoc()) << "tuning cache " << path << " ignored: " << why;
      cache.convs.clear();
      return cache;
    };
    auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/true);
    if (!buffer)
      return warn("cannot read it (" + buffer.getError().message() + ")");
    llvm::Expected<llvm::json::Value> json = llvm::json::parse((*buffer)->getBuffer());
    if (!json)
      return warn("not JSON (" + llvm::toString(json.takeError()) + ")");
    const llvm::json::Object *root = json->getAsObject();
    if (!root || root->getString("format") != "cnnc-tuning-cache" ||
        root->getInteger("version") != 1)
      return warn("not a version-1 cnnc tuning cache");
    if (root->getString("cnnc_version") != StringRef(CNNC_VERSION))
      return warn("written by cnnc " + root->getString("cnnc_version").value_or("?") +
                  ", this is " + CNNC_VERSION);
    const llvm::json::Object *t = root->getObject("target");
    if (!t || t->getString("cpu") != target.getCpu() || t->getString("isa") != target.getIsa() ||
        t->getInteger("vector_bits") != target.getVectorBits() ||
        t->getInteger("vector_registers") != target.getVectorRegisters())
      return warn("tuned for another CPU than " + target.getCpu());
    const llvm::json::Object *convs = root->getObject("convs");
    if (!convs)
      return warn("no \"convs\" object");
    for (const auto &[key, value] : *convs) {
      const llvm::json::Object *e = value.getAsObject();
      auto field = [&](StringRef name) { return e ? e->getInteger(name) : std::nullopt; };
      auto n = field("batch_tile"), w = field("width_tile"), f = field("channel_tile"),
           step = field("reduction_step");
      int64_t rows = field("tile_rows").value_or(0); // absent: vector registers
      int64_t rest = field("channel_rest").value_or(0);
      auto notASchedule = [&] { return warn("entry '" + key.str() + "' is not a schedule"); };
      if (!n || !w || !f || !step)
        return notASchedule();
      codegen::ConvScheduleAttr schedule;
      {
        // The attribute's verifier judges the entry; its diagnostic is ours to give.
        ScopedDiagnosticHandler quiet(at->getContext(), [](Diagnostic &) { return success(); });
        auto emit = [&] { return mlir::emitError(at->getLoc()); };
        if (succeeded(codegen::ConvScheduleAttr::verify(emit, *n, *w, *f, *step,
                                                        ConvLoopOrder::Rows, 0, false, false,
                                                        false, rows, false, rest)))
          schedule = codegen::ConvScheduleAttr::get(at->getContext(), *n, *w, *f, *step,
                                                    ConvLoopOrder::Rows, 0, false, false, false,
                                                    rows, false, rest);
      }
      if (!schedule)
        return notASchedule();
      cache.convs[key.str()] = schedule;
    }
    return cache;
  }
};

struct SelectCpuSchedulesPass
    : cnnc::impl::SelectCpuSchedulesPassBase<SelectCpuSchedulesPass> {
  using SelectCpuSchedulesPassBase::SelectCpuSchedulesPassBase;

  bool selectsMatrixTiles() const { return matrixTiles; }

  /// The conv's schedule without its fusion and grouping flags. Output
  /// channels past the last whole vector, a power of two of at least 4
  /// (MobileNetV3's 24, 40, 72, 120 and 200 on 16 lanes: 8 each), are a
  /// block of their own (`channel_rest`) beside the whole vectors' blocks:
  /// otherwise every block of the conv takes half vectors, half the
  /// arithmetic per FMA (docs/benchmarks.md, session 31). Only with at least
  /// 8 blocks of images and pixels for the threads to share, as the channel
  /// tiles are then no longer parallel (a squeeze-excitation block's
  /// one-pixel convs keep them).
  codegen::ConvScheduleAttr selectConv(linalg::Conv2DNhwcHwcfOp conv,
                                       codegen::CpuTargetAttr target) {
    auto out = cast<ShapedType>(conv.getDpsInits()[0].getType()).getShape();
    int64_t f = out[3], rest = channelRestOf(f, target.getLanes(), /*twoParts=*/false);
    Type operand = cast<ShapedType>(conv.getDpsInputs()[0].getType()).getElementType();
    if (channelRest && rest > 0 && operand.isF32() && chainChannels(conv) == f) {
      codegen::ConvScheduleAttr s = selectConv(conv, target, f - rest);
      int64_t blocks = out[0] / s.getBatchTile() * out[1] * (out[2] / s.getWidthTile());
      if (s.getOrder() == ConvLoopOrder::Rows && s.getChannelTile() >= target.getLanes() &&
          blocks >= kMinRestBlocks)
        return s.withChannels(s.getChannelTile(), rest);
    }
    return selectConv(conv, target, f);
  }

  /// The schedule of `conv`'s first `f` output channels.
  codegen::ConvScheduleAttr selectConv(linalg::Conv2DNhwcHwcfOp conv,
                                       codegen::CpuTargetAttr target, int64_t f) {
    auto out = cast<ShapedType>(conv.getDpsInits()[0].getType()).getShape();
    auto filter = cast<ShapedType>(conv.getDpsInputs()[1].getType()).getShape();
    int64_t n = out[0], ow = out[2], c = filter[2];
    Type operandType = cast<ShapedType>(conv.getDpsInputs()[0].getType()).getElementType();
    int64_t bytes = operandType.getIntOrFloatBitWidth() / 8, group = groupedChannels(conv);
    int64_t filterBytes = filter[0] * filter[1] * filter[2] * filter[3] * bytes;
    int64_t lanes = target.getLanes(), regs = blockRegisters(conv, target);

    // Output-channel tiles: two whole vectors, or one; a channel count that
    // is no multiple of a vector takes half vectors (MobileNetV2's 24 on
    // 16 lanes: as one 24-wide vector, a zmm plus a ymm that LLVM assembled
    // lane by lane, it measured 2x slower).
    SmallVector<int64_t, 2> fTiles;
    for (int64_t v : {2, 1})
      if (f % (v * lanes) == 0)
        fTiles.push_back(v * lanes);
    if (fTiles.empty())
      fTiles.push_back(f % (lanes / 2) == 0 ? lanes / 2 : largestDivisor(f, 2 * lanes));

    // Per channel tile, the widest block of rows that fits: accumulators +
    // the V filter vectors + one broadcast within the register file (wide
    // blocks), or half the file. With one vector per row a broadcast feeds
    // a single FMA, so rows add no reuse, only independent FMA chains: at
    // most twice the FMAs in flight (issue rate x latency). A row that fits
    // whole is doubled with the same row of the next image when the budget
    // allows, and a short one takes the same row of as many images as half
    // the file holds (a 1x1 map's row is one pixel: alone it would give one
    // FMA chain per broadcast, so its block is made of images instead); up
    // to the whole budget, the 8-channel reduction steps of such stacks
    // spilled (a weight gradient's 4 x 3 x 32 block: 1.2x slower than
    // 2 x 3 x 32).
    int64_t inFlight = target.getFmaPerCycle() * target.getFmaLatency();
    int64_t bestN = 1, bestW = 1, bestF = fTiles.front(), bestA = -1;
    for (int64_t fTile : fTiles) {
      int64_t v = vectorsFor(fTile, lanes);
      int64_t budget =
          wideBlocks ? std::min(regs - v - 1, v == 1 ? 2 * inFlight : regs) : regs / 2;
      int64_t owTile = largestDivisor(ow, std::max<int64_t>(1, budget / v));
      int64_t stacked = std::min(budget, regs / 2) / (owTile * v);
      int64_t paired = 2 * owTile * v <= budget ? 2 : 1;
      int64_t nTile = wideBlocks && owTile == ow
                          ? largestDivisor(n, std::max<int64_t>({1, stacked, paired}))
                          : 1;
      int64_t a = nTile * owTile * v;
      if (a > bestA) { // ties keep the wider channel tile (fewer broadcasts per FMA)
        bestN = nTile, bestW = owTile, bestF = fTile, bestA = a;
      }
    }
    int64_t nTile = bestN, owTile = bestW, fTile = bestF;
    int64_t v = vectorsFor(fTile, lanes);

    // Input pixels a multiple of the L1 set span apart (the cache over its
    // ways, 4 KiB on the CPUs listed: 1024 input channels, or 512 at stride
    // 2) fall into one set. A block of more pixels than the set has ways
    // (less one, for the filter stream) evicts its own input lines every
    // step and refills them from L2; where each broadcast feeds a single FMA
    // (one vector a row), or in a pointwise conv (each pixel line serves
    // only the 16 reduction steps over its channels), the block takes only
    // as many pixels as the ways hold, and a wider channel tile for the
    // accumulators it gave up (AVX2, a 1x1 conv 1024 -> 256 at 14x14: 7 x 8
    // blocks 1.15x faster than 14 x 8; Zen 4, ResNet-50's 1x1 convs over
    // 1024 and 2048 channels: 7 x 64 0.58x the time of 14 x 32 at batch 1,
    // 0.80x at batch 8). The phases of a strided 3x3 conv keep their blocks
    // (7 x 64 was 1.2x slower there). A strided conv's phases
    // (cnnc-split-strided-convs) read a strided view of the input.
    int64_t strideW = conv.getStrides().getValues<int64_t>()[1];
    if (auto view = conv.getDpsInputs()[0].getDefiningOp<tensor::ExtractSliceOp>())
      if (!ShapedType::isDynamic(view.getStaticStrides()[2]))
        strideW *= view.getStaticStrides()[2];
    int64_t setSpan = target.getL1dBytes() / target.getL1dWays();
    int64_t ways = target.getL1dWays() - 1;
    bool embeddedBroadcast = target.hasIsa("avx512f");
    bool pointwise = filter[0] * filter[1] == 1 && !cnnc::accumulatesThroughConvs(conv);
    if (fitL1Ways && wideBlocks && (v == 1 || pointwise) && setSpan > 0 &&
        (strideW * c * bytes) % setSpan == 0 && nTile * owTile > ways && ways >= 1) {
      int64_t accumulators = nTile * owTile * v;
      nTile = 1;
      owTile = largestDivisor(ow, ways);
      while (f % (2 * fTile) == 0 && owTile * 2 * v <= accumulators &&
             owTile * 2 * v + 2 * v + (embeddedBroadcast ? 0 : 1) <= regs) {
        fTile *= 2;
        v *= 2;
      }
    }

    ConvLoopOrder order = ConvLoopOrder::Rows;
    int64_t chunk = 0;
    // A short row (rows of 7 at batch 1) with a filter block too large to
    // stay in L2 from row to row (cnnc-block-conv-filters' 64-channel block
    // of a 3x3x512 conv: 1.18 MB re-read from L3 or memory by every row):
    // one parallel half of the block per thread, the reduction in chunks
    // whose filter slice fits a quarter of L2, outside the row loop, so
    // each chunk is read once and reused by all rows from L2. Only where
    // re-reading the block would take more than half of what L3 gives a
    // core (the rest carries the activations): each filter vector feeds
    // one FMA per pixel of the row, so the rows order reads a vector per
    // `owTile / fmaPerCycle` cycles. Zen 5 (two 512-bit FMAs a cycle, rows
    // of 7: 18 B/cycle of 32) measured the chunks 0.74x the time of rows;
    // Zen 4 (one: 9 B/cycle) measured rows 0.71x the time of chunks.
    int64_t l2 = target.getL2Bytes();
    // Bytes a cycle a block reads re-reading its filter: a filter vector per
    // `pixels / fma_per_cycle` cycles (it feeds one FMA per pixel).
    auto rereadBytesPerCycle = [&](int64_t pixels) {
      return lanes * bytes * target.getFmaPerCycle() / std::max<int64_t>(1, pixels);
    };
    if (wideBlocks && chunkedRows && nTile == 1 && owTile == ow && owTile * v <= regs / 2 &&
        f == 2 * fTile && filterBytes > l2 / 2 &&
        2 * rereadBytesPerCycle(owTile) > target.getL3BytesPerCycle()) {
      chunk = reductionChunk(c, filter[0] * filter[1] * fTile * bytes, l2 / 4);
      if (chunk >= 8)
        order = ConvLoopOrder::ChunkedFilterBlocks;
      else
        chunk = 0;
    }
    // Rows too short to fill the file (rows of 7 at batch 1): a channel
    // tile twice as wide, at one register over the file, where the FMA can
    // take its broadcast from memory (AVX-512's embedded broadcast) so that
    // accumulators and filter vectors alone fill the file, and where the
    // target issues one vector FMA a cycle. On 32 registers that is 7 x 64
    // (28 + 4 + 1 = 33): LLVM spills two accumulators every reduction step.
    // At one FMA a cycle (Zen 4) the spills fit between the FMAs and the
    // block halves the broadcasts per FMA; at two (Zen 5) they cost more
    // than that saves: 7 x 32 measured equal or faster on every zoo model
    // at batch 1 (up to 0.89x RegNetX-400MF's time). Without embedded
    // broadcasts (AVX2: 7 x 16, 14 + 2 + 1 = 17 of 16) it measured 1.6x
    // slower than 7 x 8 on ResNet-50's rows of 7.
    bool widensShortRow = wideBlocks && shortRowsWideFilter && embeddedBroadcast &&
                          target.getFmaPerCycle() == 1 &&
                          order == ConvLoopOrder::Rows && nTile == 1 && owTile == ow &&
                          f % (2 * fTile) == 0 && fTile >= lanes &&
                          owTile * 2 * v + 2 * v + 1 <= regs + 1;
    // A pointwise conv's widened short row reads its whole filter block
    // again for every row; a block of at least a quarter of L2 (ResNet-50's
    // 2048 -> 512 convs, 512 KB a block) then streams from L2 row after row.
    // Its reduction goes in chunks whose filter slice fits three quarters of
    // L1 (the rest holds the chunk's inputs), outside the row loop, so that
    // every row after the first reads the slice from L1. Smaller blocks
    // (DenseNet-121's and MobileNetV2's at rows of 7) measured slower so: the
    // chunks' accumulator reloads and unfused epilogue cost more than L2
    // gave. A single row (a dense layer's) reads its block once either way.
    bool l1Chunks = false;
    int64_t sliceBytesPerChannel = 2 * fTile * bytes;
    if (widensShortRow && l1ChunkedPointwise && pointwise && n * out[1] > 1 &&
        4 * c * sliceBytesPerChannel >= target.getL2Bytes()) {
      int64_t ch = reductionChunk(c, sliceBytesPerChannel, target.getL1dBytes() * 3 / 4);
      if (ch >= 8 && ch < c) {
        order = ConvLoopOrder::ChunkedFilterBlocks;
        chunk = ch;
        l1Chunks = true;
      }
    }
    if (widensShortRow) {
      fTile *= 2;
      v *= 2;
    }
    // The reduction step: 8 input channels unrolled into one contraction
    // while at least 4 registers stay free; with fewer, the unrolled step's
    // loads, scheduled ahead of their FMAs, made LLVM spill an accumulator
    // every step (56x56 3x3 conv, 28 accumulators: 1.39 ms at 8 channels,
    // 1.21 at 1, one thread), so such blocks step one channel at a time.
    int64_t free = regs - nTile * owTile * v - v - 1;
    int64_t cStep = free >= 4 ? 8 : group;
    if (order == ConvLoopOrder::ChunkedFilterBlocks && !l1Chunks)
      cStep = 8;
    int64_t cTile = group * largestDivisor(c / group, cStep / group);
    if (order == ConvLoopOrder::ChunkedFilterBlocks && chunk % cTile != 0)
      cTile = group;
    // A filter block larger than L2 with several rows, re-read whole by
    // every register block: a weight gradient's (cnnc's lowering takes the
    // output gradient [OH, OW, N, F] as the filter, 12.8 MB a 32-channel
    // block for ResNet-18's 56x56 layers at batch 32, read from memory by
    // each of 96 register blocks). Where re-reading it would take more than
    // half of what L3 gives a core (as for chunked rows above), the
    // reduction goes in chunks of filter rows whose slice fits a quarter of
    // L2, outside the register blocks: each chunk is read from memory once
    // and reused from L2, the accumulators kept in the output between
    // chunks. A row over a quarter of L2 goes alone, up to half of L2, in a
    // block of at least 8 L2s (only a weight gradient's: the stem's 112 x
    // 112 x 32 x 64 output gradient, 51 MB at batch 32, 917 KB a row, came
    // from memory again for each of its 21 register blocks).
    int64_t blockBytes = filter[0] * filter[1] * c * fTile * bytes;
    int64_t rowBytes = blockBytes / filter[0];
    bool rowsFit = rowBytes <= l2 / 4 || (blockBytes >= 8 * l2 && rowBytes <= l2 / 2);
    if (chunkedFilterRows && order == ConvLoopOrder::Rows && filter[0] > 1 && blockBytes > l2 &&
        2 * rereadBytesPerCycle(nTile * owTile) > target.getL3BytesPerCycle() && rowsFit) {
      order = ConvLoopOrder::ChunkedFilterRows;
      int64_t rows = std::max<int64_t>(1, l2 / 4 / rowBytes);
      chunk = largestDivisor(filter[0], std::min(filter[0] - 1, rows));
    }
    // Filter-block outer (off by default): filters larger than L2 with
    // enough filter blocks for every thread.
    if (filterOuter && order == ConvLoopOrder::Rows && filterBytes > l2 && f / fTile >= 8)
      order = ConvLoopOrder::FilterBlocks;
    return codegen::ConvScheduleAttr::get(&getContext(), nTile, owTile, fTile, cTile, order, chunk,
                                          false, false, false, 0, false, 0);
  }

  /// A bf16 conv on a CPU with AMX-BF16 (an int8 one with AMX-INT8) runs on
  /// its eight tile registers: tiles of R output pixels (the widest run of a
  /// row, at most 16, that divides it) x 16 output channels, accumulating 64
  /// bytes of input channels (32 bf16, 64 int8) per `tdpbf16ps` (`tdpbssd`).
  /// Two row tiles x two channel tiles hold four accumulators, two input and
  /// two filter tiles (all eight registers); a row of a single tile takes
  /// four channel tiles, its filter tiles loaded one at a time. The input
  /// tile's rows are consecutive pixels, one load with the row's pixel
  /// pitch, so the conv must have unit stride (strided convs arrive as
  /// unit-stride phases, cnnc-split-strided-convs). Rows under 4 pixels stay
  /// on vectors.
  std::optional<codegen::ConvScheduleAttr> selectMatrixTiles(linalg::Conv2DNhwcHwcfOp conv,
                                                             codegen::CpuTargetAttr target) {
    Type element = cast<ShapedType>(conv.getDpsInputs()[0].getType()).getElementType();
    int64_t tileChannels = target.getMatrixTileChannels(element);
    if (!matrixTiles || tileChannels == 0)
      return std::nullopt;
    auto out = cast<ShapedType>(conv.getDpsInits()[0].getType()).getShape();
    auto filter = cast<ShapedType>(conv.getDpsInputs()[1].getType()).getShape();
    int64_t ow = out[2], f = out[3], c = filter[2];
    bool unitStride = llvm::all_of(conv.getStrides().getValues<int64_t>(),
                                   [](int64_t s) { return s == 1; });
    int64_t rows = largestDivisor(ow, 16);
    if (!unitStride || c % tileChannels != 0 || f % 16 != 0 || rows < 4)
      return std::nullopt;
    int64_t rowTiles = (ow / rows) % 2 == 0 ? 2 : 1;
    int64_t channelTiles = rowTiles == 2 ? (f % 32 == 0 ? 2 : 1)
                           : f % 64 == 0 ? 4
                           : f % 32 == 0 ? 2
                                         : 1;
    return codegen::ConvScheduleAttr::get(&getContext(), 1, rowTiles * rows, channelTiles * 16,
                                          tileChannels, ConvLoopOrder::Rows, 0, false, false,
                                          false, rows, false, 0);
  }

  /// Depthwise convs do 9 FMAs per output and are bound by loads: the
  /// block keeps its accumulators in at most half the file (two vectors
  /// wide: a quarter of the registers in outputs; one vector wide: half
  /// the file less the input row and filter tap), leaving the rest to the
  /// input row and filter taps. Pools take the same blocks. A channel
  /// count that is no multiple of a vector takes the widest power-of-two
  /// part of one that divides it (MobileNetV3's 72, 120, 184 and 200
  /// channels: 8 lanes; as 24-, 30-, 23- and 25-wide vectors, which LLVM
  /// splits and assembles lane by lane, they ran 4-6.5x slower than ONNX
  /// Runtime's).
  ///
  /// A channel block whose filter slice outgrows L1 is walked by one thread
  /// for every row (channel blocks outermost), so that the slice is re-read
  /// from L2; rows first, each thread's rows took every channel's slice and
  /// the 28 x 28 slices of a weight gradient went back to L3 for every row.
  ///
  /// Channels past the last whole vector take `channel_rest` as convs do,
  /// also where they are two powers of two of at least 2 (ShuffleNetV2's
  /// 58 = 3 x 16 + 8 + 2, whose tiles had been 29-wide vectors).
  codegen::WindowScheduleAttr selectWindow(linalg::LinalgOp op, codegen::CpuTargetAttr target,
                                           bool epilogue, bool init) {
    auto out = cast<ShapedType>(op.getDpsInits()[0].getType()).getShape();
    int64_t c = out[3], rest = channelRestOf(c, target.getLanes(), /*twoParts=*/true);
    if (channelRest && rest > 0 && getElementTypeOrSelf(op.getDpsInits()[0].getType()).isF32()) {
      codegen::WindowScheduleAttr w = selectWindow(op, target, epilogue, init, c - rest);
      if (!w.getChannelsOuter() && out[0] * out[1] * (out[2] / w.getWidthTile()) >= kMinRestBlocks)
        return w.withChannels(w.getChannelTile(), rest);
    }
    return selectWindow(op, target, epilogue, init, c);
  }

  /// The window schedule of `op`'s first `c` channels.
  codegen::WindowScheduleAttr selectWindow(linalg::LinalgOp op, codegen::CpuTargetAttr target,
                                           bool epilogue, bool init, int64_t c) {
    auto out = cast<ShapedType>(op.getDpsInits()[0].getType()).getShape();
    int64_t ow = out[2];
    int64_t lanes = target.getLanes(), regs = target.getVectorRegisters();
    int64_t part = lanes / 2;
    while (part >= 4 && c % part != 0)
      part /= 2;
    int64_t cTile = c % (2 * lanes) == 0 ? 2 * lanes
                    : c % lanes == 0     ? lanes
                    : part >= 4          ? part
                                         : largestDivisor(c, 2 * lanes);
    int64_t owTile = largestDivisor(ow, cTile >= 2 * lanes ? regs / 4 : regs / 2 - 2);
    auto filter = cast<ShapedType>(op.getDpsInputs()[1].getType()); // KH, KW[, C]
    int64_t sliceBytes = filter.getDimSize(0) * filter.getDimSize(1) * cTile *
                         filter.getElementTypeBitWidth() / 8;
    return codegen::WindowScheduleAttr::get(&getContext(), owTile, cTile, epilogue, init,
                                            sliceBytes > target.getL1dBytes(), 0);
  }

  /// Matmul-like: an M x N register block within half the file, a row at
  /// most as many vectors as FMAs in flight (issue rate x latency: enough
  /// independent chains to hide the latency; at batch 1, 8 zmm = 128 floats
  /// of each weight row per step), the innermost reduction one vector per
  /// step and the outer ones 1.
  codegen::MatmulScheduleAttr selectMatmul(linalg::LinalgOp op, codegen::CpuTargetAttr target) {
    int64_t lanes = target.getLanes(), regs = target.getVectorRegisters();
    // Largest divisor of `n` up to `limit`, preferring whole vectors, then half ones.
    auto vectorDivisor = [&](int64_t n, int64_t limit) {
      for (int64_t unit : {lanes, lanes / 2})
        for (int64_t d = std::min(n, limit) / unit * unit; d >= unit; d -= unit)
          if (n % d == 0)
            return d;
      return largestDivisor(n, limit);
    };
    SmallVector<int64_t> loops = op.getStaticLoopRanges();
    int64_t mTile = vectorDivisor(loops[0], regs / 4);
    int64_t inFlight = target.getFmaPerCycle() * target.getFmaLatency();
    int64_t rowVectors = std::max<int64_t>(1, std::min(inFlight, (regs / 2) / mTile));
    int64_t nTile = vectorDivisor(loops[1], rowVectors * lanes);
    SmallVector<int64_t> reduction(loops.size() - 3, 1);
    reduction.push_back(vectorDivisor(loops.back(), lanes));
    return codegen::MatmulScheduleAttr::get(&getContext(), mTile, nTile, reduction);
  }

  /// EPILOGUE: the conv's elementwise consumer, chosen by
  /// cnnc-fuse-conv-epilogues, is tiled by the register block with the conv
  /// fused in; INIT: the accumulator's initializer (a bias broadcast or
  /// fill) too. Only the rows order fuses.
  std::pair<bool, bool> fusion(linalg::LinalgOp conv, bool rowOrder) {
    bool epilogue = rowOrder && conv->hasAttr(mlir::cnn::attr_names::kFusedEpilogue) && conv->hasOneUse() &&
                    isa<linalg::GenericOp>(*conv->user_begin());
    Operation *init = conv.getDpsInits()[0].getDefiningOp();
    bool fuseInit = rowOrder && init && isa<linalg::GenericOp, linalg::FillOp>(init);
    return {epilogue, fuseInit};
  }

  /// Whether `conv`'s accumulator is a slice of a zero fill of the whole
  /// output, the earlier blocks' results inserted into it or not, as
  /// cnnc-block-conv-filters leaves a filter block's.
  static bool startsFromSliceOfZeroFill(linalg::LinalgOp conv) {
    auto slice = conv.getDpsInits()[0].getDefiningOp<tensor::ExtractSliceOp>();
    if (!slice)
      return false;
    Value whole = slice.getSource();
    while (auto insert = whole.getDefiningOp<tensor::InsertSliceOp>())
      whole = insert.getDest();
    auto fill = whole.getDefiningOp<linalg::FillOp>();
    return fill && fill.hasPureTensorSemantics() &&
           matchPattern(fill.getInputs()[0], m_AnyZeroFloat());
  }

  /// A Winograd conv's blocks: the channel tile two vectors where they
  /// divide the output channels; as many tiles per block as the register
  /// file holds accumulators of that width beside the filter vectors and one
  /// broadcast, and as the block's transformed patches ((m + 2)^2 C floats
  /// per tile) fit in half the L2; the row's tiles then split into blocks
  /// of equal size. With the 3x3 filter untransformed, the blocks split all
  /// tiles of the conv, and the filter is transformed in chunks of input
  /// channels (whole vectors) whose transform, (m + 2)^2 x chunk x channel
  /// tile floats, fits a quarter of L2.
  static codegen::WinogradScheduleAttr selectWinograd(codegen::WinogradConv2DOp conv,
                                                      codegen::CpuTargetAttr target) {
    auto x = cast<ShapedType>(conv.getInput().getType());
    auto y = cast<ShapedType>(conv.getInit().getType());
    int64_t lanes = target.getLanes(), f = y.getDimSize(3), c = x.getDimSize(3);
    int64_t m = conv.getOutputTile(), a = conv.getTransformSize();
    int64_t channelTile = cnnc::winogradChannelTile(f, lanes);
    int64_t vectors = std::max<int64_t>(1, channelTile / lanes);
    int64_t byRegisters = (target.getVectorRegisters() - vectors - 1) / vectors;
    int64_t tilesW = cnnc::tilesAlong(y.getDimSize(2), m);
    if (conv.hasUntransformedFilter()) {
      // Groups of whole images whose products, (m + 2)^2 x channel tile
      // floats per tile, fit a quarter of L2: the most images that divide
      // the batch.
      int64_t images = y.getDimSize(0);
      int64_t imageTiles = cnnc::tilesAlong(y.getDimSize(1), m) * tilesW;
      int64_t groupImages = 1;
      for (int64_t g = 1; g <= images; ++g)
        if (images % g == 0 && g * imageTiles * a * a * channelTile * 4 <= target.getL2Bytes() / 4)
          groupImages = g;
      int64_t tiles = groupImages * imageTiles;
      int64_t block = std::max<int64_t>(1, std::min(byRegisters, tiles));
      int64_t blocks = (tiles + block - 1) / block;
      int64_t chunkLimit = std::max<int64_t>(lanes, target.getL2Bytes() / 4 /
                                                        (a * a * channelTile * 4));
      int64_t chunk = lanes;
      for (int64_t candidate = lanes; candidate <= std::min(c, chunkLimit); candidate += lanes)
        if (c % candidate == 0)
          chunk = candidate;
      return codegen::WinogradScheduleAttr::get(conv.getContext(), (tiles + blocks - 1) / blocks,
                                                channelTile, chunk,
                                                groupImages == images ? 0 : groupImages);
    }
    int64_t byCache = target.getL2Bytes() / 2 / (a * a * c * 4);
    int64_t block = std::max<int64_t>(1, std::min({byRegisters, byCache, tilesW}));
    int64_t blocks = (tilesW + block - 1) / block;
    return codegen::WinogradScheduleAttr::get(conv.getContext(), (tilesW + blocks - 1) / blocks,
                                              channelTile, 0, 0);
  }

  void runOnOperation() override {
    ModuleOp module = getOperation();
    codegen::CpuTargetAttr target = codegen::getCpuTarget(module);
    if (!target) {
      module.emitError() << "cnnc-select-cpu-schedules needs the module attribute "
                         << codegen::CodegenDialect::kTargetAttrName
                         << " (cnnc sets it; with cnnc-opt run --cnnc-attach-target first)";
      return signalPassFailure();
    }
    StringAttr key = StringAttr::get(&getContext(), codegen::CodegenDialect::kScheduleAttrName);
    TuningCache cache;
    if (!tuningCache.empty())
      cache = TuningCache::read(tuningCache, target, module);
    std::string recordText;
    llvm::raw_string_ostream record(recordText);
    module.walk([&](Operation *op) {
      if (auto conv = dyn_cast<linalg::Conv2DNhwcHwcfOp>(op)) {
        if (!conv.hasPureTensorSemantics())
          return;
        std::optional<codegen::ConvScheduleAttr> tiles = selectMatrixTiles(conv, target);
        codegen::ConvScheduleAttr rules = tiles ? *tiles : selectConv(conv, target), s = rules;
        std::string convKey = ::convKey(conv);
        // cnnc --tune: the candidate-th alternative to measure, or the
        // schedule a tuning run found fastest for this conv's shape.
        if (candidate > 0) {
          SmallVector<codegen::ConvScheduleAttr> alternatives =
              convAlternatives(conv, target, rules);
          if (candidate <= (int64_t)alternatives.size())
            s = alternatives[candidate - 1];
        } else if (auto it = cache.convs.find(convKey); it != cache.convs.end()) {
          auto out = cast<ShapedType>(conv.getDpsInits()[0].getType()).getShape();
          codegen::ConvScheduleAttr tuned = it->second;
          if (out[0] % tuned.getBatchTile() == 0 && out[2] % tuned.getWidthTile() == 0 &&
              (out[3] - tuned.getChannelRest()) % tuned.getChannelTile() == 0)
            s = tuned;
        }
        if (!recordPath.empty()) {
          StringRef node;
          if (auto loc = dyn_cast<NameLoc>(conv.getLoc()))
            node = loc.getName().getValue();
          record << llvm::formatv(
              "{{\"node\": \"{0}\", \"key\": \"{1}\", \"batch_tile\": {2}, "
              "\"width_tile\": {3}, \"channel_tile\": {4}, \"reduction_step\": {5}, "
              "\"tile_rows\": {6}, \"channel_rest\": {7}, \"rules\": {8}}\n",
              node, convKey, s.getBatchTile(), s.getWidthTile(), s.getChannelTile(),
              s.getReductionStep(), s.getTileRows(), s.getChannelRest(),
              s == rules ? "true" : "false");
        }
        auto [epilogue, init] = fusion(conv, s.getOrder() == ConvLoopOrder::Rows);
        // A filter-block chain (cnnc-block-conv-filters) runs as one forall
        // over its blocks where a block has few register blocks (rows of 14
        // and 7 at batch 1, 7 at batch 8); with many (rows of 28 at batch
        // 8), each thread streaming the whole input once per block measured
        // up to 1.09x slower than both sharing it row by row.
        auto out = cast<ShapedType>(conv.getDpsInits()[0].getType()).getShape();
        int64_t registerBlocks = out[0] / s.getBatchTile() * out[1] *
                                 (out[2] / s.getWidthTile()) * (out[3] / s.getChannelTile());
        // A grouped block whose accumulator lives in memory (reduction
        // chunks, or the phases of a strided conv accumulating one into the
        // next) accumulates in the output's slice: not where the final
        // consumer writes another element type (bf16 after an f32 conv; a
        // buffer of its own would be allocated inside the chain's loop).
        Operation *last = conv;
        while (last->hasOneUse() && isa<linalg::Conv2DNhwcHwcfOp>(*last->user_begin()))
          last = *last->user_begin();
        bool accumulatorInMemory =
            s.getOrder() != ConvLoopOrder::Rows || cnnc::accumulatesThroughConvs(conv);
        Operation *consumer = last->hasOneUse() ? *last->user_begin() : nullptr;
        bool accumulatesInOutput =
            !consumer || consumer->getNumResults() != 1 ||
            getElementTypeOrSelf(consumer->getResult(0).getType()) ==
                getElementTypeOrSelf(conv.getDpsInits()[0].getType());
        // The groups of a grouped conv each read a slice of every input
        // pixel's channels: over an input larger than half of L2, their
        // chain walks the output rows with every group inside each row, so
        // that a row's input comes from memory once, not once per group
        // (ResNeXt-50 at batch 8 on AMD EPYC Zen 5, AVX-512, 2 threads: its
        // grouped convs 0.73-0.74x the time, the strided one of layer3
        // 0.50x). Over a smaller input the groups stay the parallel loop: a
        // few rows (7 at batch 1) split unevenly between threads (1.2x
        // slower, same CPU). The filter blocks of one conv
        // (cnnc-block-conv-filters) each stream the whole input likewise:
        // rows outside them too where the whole filter stays in L2 from row
        // to row (ResNet-50's layer2.0.downsample 0.81-0.83x the time,
        // layer3's 256 -> 1024 convs 0.88-0.93x at batch 8 on AMD EPYC Zen 5,
        // AVX-512, 2 threads); a larger one (layer4's, 2.4-4 MB) came from
        // memory every row, 1.06-1.26x (same CPU).
        Value groupedInput = cnnc::groupedConvInput(conv);
        int64_t blocks = chainChannels(conv) / out[3];
        int64_t chainFilterBytes = blocks * tensorBytes(conv.getDpsInputs()[1].getType());
        Value chainInput = groupedInput ? groupedInput
                           : rowsOutsideBlocks && blocks > 1 && chainFilterBytes <= target.getL2Bytes()
                               ? conv.getDpsInputs()[0]
                               : Value();
        bool rowsOutside =
            rowsOutsideGroups && chainInput && s.getOrder() == ConvLoopOrder::Rows &&
            !cnnc::accumulatesThroughConvs(conv) &&
            2 * tensorBytes(chainInput.getType()) > target.getL2Bytes();
        bool group = groupBlockChains && s.getChannelRest() == 0 &&
                     (!accumulatorInMemory || accumulatesInOutput) &&
                     ((s.getOrder() == ConvLoopOrder::Rows &&
                       (registerBlocks <= maxGroupedRegisterBlocks || rowsOutside)) ||
                      codegen::isChunked(s.getOrder()));
        // A chain's blocks start from slices of the whole conv's zero fill,
        // or from their own slice of its bias broadcast
        // (cnnc-fuse-conv-epilogues), which the chain's forall computes
        // block by block (cnnc-tile-and-vectorize). A zero fill joins the
        // blocks' register tiles, as a whole conv's does: no pass over the
        // block before it, and the rows can walk outside the blocks. Not a
        // bias broadcast without an epilogue: its vectors, hoisted out of
        // the register blocks by LLVM, stay live beside a full register
        // file, and the reduction loop spills (docs/benchmarks.md, sessions
        // 28 and 31).
        if (group && !init && !epilogue && s.getOrder() == ConvLoopOrder::Rows &&
            startsFromSliceOfZeroFill(conv))
          init = true;
        if (group && init && !epilogue && s.getOrder() == ConvLoopOrder::Rows &&
            isa_and_nonnull<linalg::GenericOp>(conv.getDpsInits()[0].getDefiningOp()))
          init = false;
        conv->setAttr(key, codegen::ConvScheduleAttr::get(
                               &getContext(), s.getBatchTile(), s.getWidthTile(),
                               s.getChannelTile(), s.getReductionStep(), s.getOrder(),
                               s.getReductionChunk(), epilogue, init, group, s.getTileRows(),
                               group && rowsOutside, s.getChannelRest()));
      } else if (auto winograd = dyn_cast<codegen::WinogradConv2DOp>(op)) {
        op->setAttr(key, selectWinograd(winograd, target));
      } else if (cnnc::isDepthwiseLike(op)) {
        auto window = cast<linalg::LinalgOp>(op);
        bool wanted = isa<linalg::DepthwiseConv2DNhwcHwcOp>(op) ? depthwise : pooling;
        if (!window.hasPureTensorSemantics() || !wanted || window.hasDynamicShape())
          return;
        auto [epilogue, init] = fusion(window, /*rowOrder=*/true);
        op->setAttr(key, selectWindow(window, target, epilogue, init));
      } else if (auto linalgOp = dyn_cast<linalg::LinalgOp>(op)) {
        if (matmuls && cnnc::isMatmulLike(linalgOp))
          op->setAttr(key, selectMatmul(linalgOp, target));
      }
    });
    if (!recordPath.empty()) {
      std::error_code ec;
      llvm::raw_fd_ostream file(recordPath, ec);
      if (ec) {
        module.emitError() << "cannot write " << recordPath << ": " << ec.message();
        return signalPassFailure();
      }
      file << recordText;
    }
  }
};

} // namespace

bool cnnc::selectsMatrixTiles(StringRef options) {
  SelectCpuSchedulesPass pass;
  if (failed(pass.initializeOptions(options, [](const Twine &) { return failure(); })))
    return true;
  return pass.selectsMatrixTiles();
}
