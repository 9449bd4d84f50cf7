//===- Collective.cpp - the collective hook of --data-parallel libraries ----===//

#include "Collective.h"

#include "cnnrt/Error.h"

namespace cnnrt::detail {
namespace {
thread_local Communicator *activeCommunicator = nullptr;
thread_local std::string *activeError = nullptr;
} // namespace

void crossReplicaSum(float *data, int64_t count) {
  if (!activeCommunicator || count <= 0 || (activeError && !activeError->empty()))
    return;
  try {
    activeCommunicator->allReduceSum(data, size_t(count));
  } catch (const std::exception &e) {
    if (activeError)
      *activeError = e.what();
  } catch (...) {
    if (activeError)
      *activeError = "unknown error in a cross-replica sum";
  }
}

CollectiveScope::CollectiveScope(Communicator &communicator)
    : previous_(activeCommunicator), previousError_(activeError) {
  activeCommunicator = &communicator;
  activeError = &error_;
}

CollectiveScope::~CollectiveScope() {
  activeCommunicator = previous_;
  activeError = previousError_;
}

void CollectiveScope::rethrow() const {
  if (!error_.empty())
    throw Error(error_);
}

} // namespace cnnrt::detail
