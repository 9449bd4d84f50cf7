//===- BufferRanges.h - which bytes an entry function's buffer covers -*- C++ -*-===//
//
// The entry functions' buffers are their arguments (inputs, parameters,
// outputs, the arena: distinct allocations, as libcnnrt passes them) and
// views of the arena at constant offsets (cnnc-plan-memory). Knowing the
// bytes each covers proves two buffers disjoint.
//
//===----------------------------------------------------------------------===//
#ifndef CNNC_TRANSFORMS_BUFFERRANGES_H
#define CNNC_TRANSFORMS_BUFFERRANGES_H

#include "mlir/IR/Value.h"

#include <optional>

namespace cnnc {

/// Bytes [begin, end) of the function argument `root`.
struct ByteRange {
  mlir::Value root;
  int64_t begin = 0, end = 0;
  bool overlaps(const ByteRange &other) const {
    return root == other.root && begin < other.end && other.begin < end;
  }
};

/// The bytes `buffer` covers: a whole argument, a memref.view of one at a
/// constant offset, or a subview of those (its source's bytes, a superset).
/// None for any other provenance.
std::optional<ByteRange> byteRangeOf(mlir::Value buffer);

/// False only where `a` and `b` are provably disjoint.
bool mayOverlap(mlir::Value a, mlir::Value b);

} // namespace cnnc

#endif
