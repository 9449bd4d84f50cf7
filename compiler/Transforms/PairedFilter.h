//===- PairedFilter.h - the bf16 filter layout of channel pairs -*- C++ -*-===//
//
// cnnc-demote-convs-to-bf16 prepares a conv's HWCF filter as pairs
// P[F/B, KH, KW, C/2, B, 2] and reads it back through a layout view (a
// transpose to [KH, KW, C/2, 2, F/B, B], collapsed to HWCF);
// cnnc-lower-bf16-contractions recognizes the view and reads P directly.
//
//===----------------------------------------------------------------------===//

#ifndef CNNC_TRANSFORMS_PAIREDFILTER_H
#define CNNC_TRANSFORMS_PAIREDFILTER_H

#include "mlir/Dialect/Utils/ReshapeOpsUtils.h"

#include <array>
#include <cstdint>

namespace cnnc::paired_filter {

/// The view's transpose: P's dims as [KH, KW, C/2, 2, F/B, B].
inline constexpr std::array<int64_t, 6> kViewPermutation = {1, 2, 3, 5, 0, 4};

/// [KH, KW, C/2, 2, F/B, B] <-> HWCF.
inline llvm::SmallVector<mlir::ReassociationIndices> viewReassociation() {
  return {{0}, {1}, {2, 3}, {4, 5}};
}

} // namespace cnnc::paired_filter

#endif
