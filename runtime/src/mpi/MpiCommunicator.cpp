//===- MpiCommunicator.cpp - Communicator over MPI_COMM_WORLD -------------===//

#include "cnnrt/MpiCommunicator.h"
#include "cnnrt/Error.h"

#include <mpi.h>

#include <algorithm>
#include <climits>
#include <cstdlib>
#include <mutex>
#include <string>

namespace cnnrt {
namespace {

void check(int code, const char *what) {
  if (code == MPI_SUCCESS)
    return;
  char text[MPI_MAX_ERROR_STRING];
  int length = 0;
  MPI_Error_string(code, text, &length);
  throw Error(std::string("MPI: ") + what + " failed: " + std::string(text, size_t(length)));
}

void finalizeAtExit() {
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (!finalized)
    MPI_Finalize();
}

/// The floats summed by one MPI_Allreduce call (2 MiB).
constexpr size_t kAllReduceChunkFloats = size_t(1) << 19;

} // namespace

std::shared_ptr<MpiCommunicator> MpiCommunicator::world() {
  static std::mutex mutex;
  static std::shared_ptr<MpiCommunicator> instance;
  std::lock_guard<std::mutex> lock(mutex);
  if (instance)
    return instance;
  int initialized = 0;
  MPI_Initialized(&initialized);
  if (!initialized) {
    int provided = 0;
    check(MPI_Init_thread(nullptr, nullptr, MPI_THREAD_SERIALIZED, &provided), "MPI_Init_thread");
    std::atexit(finalizeAtExit);
  }
  check(MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN), "MPI_Comm_set_errhandler");
  int rank = 0, size = 1;
  check(MPI_Comm_rank(MPI_COMM_WORLD, &rank), "MPI_Comm_rank");
  check(MPI_Comm_size(MPI_COMM_WORLD, &size), "MPI_Comm_size");
  instance.reset(new MpiCommunicator(rank, size));
  return instance;
}

void MpiCommunicator::allReduceSum(float *data, size_t count) {
  // In pieces of 2 MiB: Open MPI 4.1 switches to a slower algorithm for
  // large messages (measured in docs/training.md), and MPI counts are ints.
  for (size_t done = 0; done < count;) {
    int n = int(std::min<size_t>(count - done, kAllReduceChunkFloats));
    check(MPI_Allreduce(MPI_IN_PLACE, data + done, n, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD),
          "MPI_Allreduce");
    done += size_t(n);
  }
}

void MpiCommunicator::broadcast(void *data, size_t bytes, int root) {
  auto *p = static_cast<char *>(data);
  for (size_t done = 0; done < bytes;) {
    int n = int(std::min<size_t>(bytes - done, INT_MAX));
    check(MPI_Bcast(p + done, n, MPI_BYTE, root, MPI_COMM_WORLD), "MPI_Bcast");
    done += size_t(n);
  }
}

} // namespace cnnrt
