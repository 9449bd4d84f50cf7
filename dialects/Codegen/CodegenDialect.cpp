//===- CodegenDialect.cpp - codegen dialect: target and schedules ---------===//

#include "Codegen/CodegenDialect.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"
#include "mlir/Interfaces/DestinationStyleOpInterface.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace mlir::codegen;

#include "Codegen/CodegenDialect.cpp.inc"
#include "Codegen/CodegenEnums.cpp.inc"

#define GET_ATTRDEF_CLASSES
#include "Codegen/CodegenAttrs.cpp.inc"

#define GET_OP_CLASSES
#include "Codegen/CodegenOps.cpp.inc"

void CodegenDialect::initialize() {
  addAttributes<
#define GET_ATTRDEF_LIST
#include "Codegen/CodegenAttrs.cpp.inc"
      >();
  addOperations<
#define GET_OP_LIST
#include "Codegen/CodegenOps.cpp.inc"
      >();
}

LogicalResult WinogradConv2DOp::verify() {
  int64_t m = getOutputTile();
  if (m != 2 && m != 4)
    return emitOpError() << "output_tile must be 2 or 4, got " << m;
  auto x = cast<RankedTensorType>(getInput().getType());
  auto u = cast<RankedTensorType>(getFilter().getType());
  auto y = cast<RankedTensorType>(getInit().getType());
  if (!x.hasStaticShape() || !u.hasStaticShape() || !y.hasStaticShape() || x.getRank() != 4 ||
      u.getRank() != 4 || y.getRank() != 4 || y != getResult().getType())
    return emitOpError() << "needs static 4-D input, filter and init, the result the init's type";
  int64_t a = getTransformSize();
  if ((u.getDimSize(0) != a || u.getDimSize(1) != a) &&
      (u.getDimSize(0) != 3 || u.getDimSize(1) != 3))
    return emitOpError() << "filter must be [" << a << ", " << a << ", C, F] for output_tile "
                         << m << ", or the 3x3 filter [3, 3, C, F]";
  if (x.getDimSize(0) != y.getDimSize(0) || x.getDimSize(3) != u.getDimSize(2) ||
      u.getDimSize(3) != y.getDimSize(3))
    return emitOpError() << "input, filter and init disagree on images or channels";
  auto covered = [&](int64_t in, int64_t out) { return in >= m * ((out + m - 1) / m) + 2; };
  if (!covered(x.getDimSize(1), y.getDimSize(1)) || !covered(x.getDimSize(2), y.getDimSize(2)))
    return emitOpError() << "input " << x << " does not cover the patches of every "
                         << m << "x" << m << " tile of " << y;
  return success();
}

CpuTargetAttr mlir::codegen::getCpuTarget(ModuleOp module) {
  return module->getAttrOfType<CpuTargetAttr>(CodegenDialect::kTargetAttrName);
}

bool CpuTargetAttr::hasIsa(StringRef name) const {
  for (StringRef f : llvm::split(getIsa(), ','))
    if (f == name)
      return true;
  return false;
}

int64_t CpuTargetAttr::getMatrixTileChannels(Type element) const {
  if (element.isBF16() && hasIsa("amx-bf16"))
    return 32;
  if (element.isInteger(8) && hasIsa("amx-int8"))
    return 64;
  return 0;
}

LogicalResult CpuTargetAttr::verify(function_ref<InFlightDiagnostic()> emitError, StringRef,
                                    int64_t vectorBits, int64_t vectorRegisters, StringRef,
                                    int64_t fmaPerCycle, int64_t fmaLatency, int64_t l1d,
                                    int64_t l1dWays, int64_t cacheLineBytes, int64_t l2,
                                    int64_t l3,
                                    int64_t l3BytesPerCycle, StringRef, int64_t cores) {
  if (vectorBits < 128 || vectorBits % 128 != 0)
    return emitError() << "vector_bits must be a multiple of 128, got " << vectorBits;
  if (vectorRegisters < 8)
    return emitError() << "vector_registers must be at least 8, got " << vectorRegisters;
  if (fmaPerCycle < 1 || fmaLatency < 1 || l1d < 1 || l1dWays < 1 || cacheLineBytes < 1 ||
      l2 < 1 || l3 < 0 ||
      l3BytesPerCycle < 1 || cores < 0)
    return emitError() << "FMA rates, latencies, cache sizes and ways must be positive";
  return success();
}

LogicalResult ConvScheduleAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                       int64_t batchTile, int64_t widthTile, int64_t channelTile,
                                       int64_t reductionStep, ConvLoopOrder order,
                                       int64_t reductionChunk, bool fuseEpilogue, bool fuseInit,
                                       bool groupChain, int64_t tileRows, bool rowsOutside,
                                       int64_t channelRest) {
  if (batchTile < 1 || widthTile < 1 || channelTile < 1 || reductionStep < 1)
    return emitError() << "tiles and the reduction step must be positive";
  if (channelRest < 0)
    return emitError() << "channel_rest must not be negative";
  if (channelRest > 0 && (order != ConvLoopOrder::Rows || groupChain || tileRows > 0))
    return emitError() << "channel_rest needs the rows order, no group_chain and no tile_rows";
  if (isChunked(order) != (reductionChunk > 0))
    return emitError() << "reduction_chunk is set exactly for the chunked_filter_blocks and "
                          "chunked_filter_rows orders";
  // Channel chunks hold whole reduction steps; row chunks step one row at a time.
  if (order == ConvLoopOrder::ChunkedFilterBlocks && reductionChunk % reductionStep != 0)
    return emitError() << "reduction_chunk must be a multiple of reduction_step";
  if ((fuseEpilogue || fuseInit) && order != ConvLoopOrder::Rows)
    return emitError() << "only the rows order fuses an epilogue or initializer";
  if (rowsOutside && (!groupChain || order != ConvLoopOrder::Rows))
    return emitError() << "rows_outside needs group_chain and the rows order";
  // AMX tiles: at most 16 rows of 64 bytes (32 bf16s, 64 int8s).
  if (tileRows < 0 || tileRows > 16)
    return emitError() << "tile_rows must be in [0, 16]";
  if (tileRows > 0 && (batchTile != 1 || widthTile % tileRows != 0 || channelTile % 16 != 0 ||
                       reductionStep % 32 != 0))
    return emitError() << "matrix tiles need batch_tile 1, width_tile a multiple of tile_rows, "
                          "channel_tile a multiple of 16 and reduction_step a multiple of 32";
  return success();
}

ConvScheduleAttr ConvScheduleAttr::withGroupChain(bool groupChain) const {
  return get(getContext(), getBatchTile(), getWidthTile(), getChannelTile(), getReductionStep(),
             getOrder(), getReductionChunk(), getFuseEpilogue(), getFuseInit(), groupChain,
             getTileRows(), groupChain && getRowsOutside(), groupChain ? 0 : getChannelRest());
}

ConvScheduleAttr ConvScheduleAttr::withChannels(int64_t channelTile, int64_t channelRest) const {
  return get(getContext(), getBatchTile(), getWidthTile(), channelTile, getReductionStep(),
             getOrder(), getReductionChunk(), getFuseEpilogue(), getFuseInit(), getGroupChain(),
             getTileRows(), getRowsOutside(), channelRest);
}

WindowScheduleAttr WindowScheduleAttr::withChannels(int64_t channelTile,
                                                    int64_t channelRest) const {
  return get(getContext(), getWidthTile(), channelTile, getFuseEpilogue(), getFuseInit(),
             getChannelsOuter(), channelRest);
}

LogicalResult WindowScheduleAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                         int64_t widthTile, int64_t channelTile, bool, bool,
                                         bool channelsOuter, int64_t channelRest) {
  if (widthTile < 1 || channelTile < 1)
    return emitError() << "tiles must be positive";
  if (channelRest < 0 || (channelRest > 0 && channelsOuter))
    return emitError() << "channel_rest must not be negative, nor set with channels_outer";
  return success();
}

LogicalResult WinogradScheduleAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                           int64_t tileBlock, int64_t channelTile,
                                           int64_t filterChunk, int64_t groupImages) {
  if (tileBlock < 1 || channelTile < 1 || filterChunk < 0 || groupImages < 0)
    return emitError() << "tiles must be positive, filter_chunk and group_images not negative";
  return success();
}

LogicalResult MatmulScheduleAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                         int64_t mTile, int64_t nTile,
                                         ArrayRef<int64_t> reductionTiles) {
  if (mTile < 1 || nTile < 1 || reductionTiles.empty() ||
      llvm::any_of(reductionTiles, [](int64_t t) { return t < 1; }))
    return emitError() << "tiles must be positive, with one step per reduction loop";
  return success();
}

/// A schedule sits on an op it describes, and its tiles divide the op's
/// static loop ranges (only whole tiles are vectorized).
LogicalResult CodegenDialect::verifyOperationAttribute(Operation *op, NamedAttribute attr) {
  if (attr.getName() == kTargetAttrName) {
    if (!isa<ModuleOp>(op) || !isa<CpuTargetAttr>(attr.getValue()))
      return op->emitOpError() << "'" << kTargetAttrName
                               << "' must be a #codegen.cpu_target on a module";
    return success();
  }
  if (attr.getName() == kMatrixTilesAttrName) {
    auto s = dyn_cast<ConvScheduleAttr>(attr.getValue());
    if (!s || s.getTileRows() == 0)
      return op->emitOpError() << "'" << kMatrixTilesAttrName
                               << "' must be a #codegen.conv_schedule with tile_rows";
    return success();
  }
  if (attr.getName() != kScheduleAttrName)
    return op->emitOpError() << "unknown codegen attribute '" << attr.getName() << "'";
  auto linalgOp = dyn_cast<DestinationStyleOpInterface>(op);
  if (!linalgOp || linalgOp.getNumDpsInits() != 1)
    return op->emitOpError() << "'" << kScheduleAttrName << "' belongs on a linalg op";
  auto shape = cast<ShapedType>(linalgOp.getDpsInits()[0].getType()).getShape();
  auto divides = [&](int64_t tile, int64_t dim) {
    return dim < (int64_t)shape.size() && !ShapedType::isDynamic(shape[dim]) &&
           shape[dim] % tile == 0;
  };
  // The channel tiles cover the channels before the rest.
  auto channelTilesDivide = [&](int64_t tile, int64_t rest) {
    return shape.size() == 4 && !ShapedType::isDynamic(shape[3]) && shape[3] > rest &&
           (shape[3] - rest) % tile == 0;
  };
  return llvm::TypeSwitch<Attribute, LogicalResult>(attr.getValue())
      .Case([&](ConvScheduleAttr s) -> LogicalResult {
        if (shape.size() != 4 || !divides(s.getBatchTile(), 0) || !divides(s.getWidthTile(), 2) ||
            !channelTilesDivide(s.getChannelTile(), s.getChannelRest()))
          return op->emitOpError() << "conv schedule " << s << " does not divide its output "
                                   << linalgOp.getDpsInits()[0].getType();
        return success();
      })
      .Case([&](WindowScheduleAttr s) -> LogicalResult {
        if (shape.size() != 4 || !divides(s.getWidthTile(), 2) ||
            !channelTilesDivide(s.getChannelTile(), s.getChannelRest()))
          return op->emitOpError() << "window schedule " << s << " does not divide its output "
                                   << linalgOp.getDpsInits()[0].getType();
        return success();
      })
      .Case([&](WinogradScheduleAttr s) -> LogicalResult {
        auto winograd = dyn_cast<WinogradConv2DOp>(op);
        if (!winograd || !channelTilesDivide(s.getChannelTile(), 0))
          return op->emitOpError() << "winograd schedule " << s << " must be on a "
                                   << "codegen.winograd_conv2d whose channels it divides";
        int64_t c = cast<ShapedType>(winograd.getInput().getType()).getDimSize(3);
        int64_t images = cast<ShapedType>(winograd.getInput().getType()).getDimSize(0);
        if (s.getGroupImages() > 0 &&
            (s.getFilterChunk() == 0 || images % s.getGroupImages() != 0))
          return op->emitOpError() << "winograd schedule " << s << ": group_images divides "
                                   << "the images, with a filter_chunk";
        if (winograd.hasUntransformedFilter() !=
                (s.getFilterChunk() > 0 && c % s.getFilterChunk() == 0))
          return op->emitOpError() << "winograd schedule " << s << ": filter_chunk divides the "
                                   << "input channels exactly where the filter is untransformed";
        return success();
      })
      .Case([&](MatmulScheduleAttr s) -> LogicalResult {
        if (shape.size() != 2 || !divides(s.getMTile(), 0) || !divides(s.getNTile(), 1))
          return op->emitOpError() << "matmul schedule " << s << " does not divide its output "
                                   << linalgOp.getDpsInits()[0].getType();
        return success();
      })
      .Default([&](Attribute) {
        return op->emitOpError() << "'" << kScheduleAttrName
                                 << "' must be a conv, window, winograd or matmul schedule";
      });
}
