//===- BufferRanges.cpp - which bytes an entry function's buffer covers ---===//

#include "BufferRanges.h"

#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"

using namespace mlir;

namespace cnnc {

std::optional<ByteRange> byteRangeOf(Value buffer) {
  if (auto subview = buffer.getDefiningOp<memref::SubViewOp>())
    return byteRangeOf(subview.getSource());
  auto type = dyn_cast<MemRefType>(buffer.getType());
  if (!type || !type.hasStaticShape())
    return std::nullopt;
  Type elem = type.getElementType();
  if (!elem.isIntOrIndexOrFloat())
    return std::nullopt;
  int64_t bytes =
      type.getNumElements() * (elem.isIndex() ? 8 : elem.getIntOrFloatBitWidth() / 8);
  if (isa<BlockArgument>(buffer))
    return ByteRange{buffer, 0, bytes};
  if (auto view = buffer.getDefiningOp<memref::ViewOp>()) {
    auto offset = getConstantIntValue(view.getByteShift());
    if (!offset || !isa<BlockArgument>(view.getSource()))
      return std::nullopt;
    return ByteRange{view.getSource(), *offset, *offset + bytes};
  }
  return std::nullopt;
}

bool mayOverlap(Value a, Value b) {
  if (a == b)
    return true;
  auto ra = byteRangeOf(a), rb = byteRangeOf(b);
  return !ra || !rb || ra->overlaps(*rb);
}

} // namespace cnnc
