//===- Collective.h - cross-replica sums inside a compiled step --*- C++ -*-===//
//
// Internal to libcnnrt. A --data-parallel library's replicated step calls
// its collective hook (cnnc_collective_hook) for each cross-replica sum
// (batchnorm's statistics, the loss's row count, each gradient), on the
// thread that runs it. The hook is set once at load and sums over the communicator of the
// Trainer running on that thread; with none it leaves the values alone.
//
//===----------------------------------------------------------------------===//
#ifndef CNNRT_COLLECTIVE_H
#define CNNRT_COLLECTIVE_H

#include "cnnrt/Communicator.h"

#include <cstdint>
#include <string>

namespace cnnrt::detail {

/// The hook. It never throws (compiled code cannot unwind): a failure is
/// kept for the active CollectiveScope, and later sums of the step are skipped.
void crossReplicaSum(float *data, int64_t count);

/// Makes `communicator` the calling thread's while it lives.
class CollectiveScope {
public:
  explicit CollectiveScope(Communicator &communicator);
  ~CollectiveScope();
  CollectiveScope(const CollectiveScope &) = delete;
  CollectiveScope &operator=(const CollectiveScope &) = delete;
  /// Throws the first failure of a sum made in this scope, if any.
  void rethrow() const;

private:
  Communicator *previous_;
  std::string *previousError_;
  std::string error_;
};

} // namespace cnnrt::detail

#endif
