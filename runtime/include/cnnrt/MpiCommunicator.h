//===- MpiCommunicator.h - data-parallel replicas over MPI ------*- C++ -*-===//
//
// Part of libcnnrt_mpi (link cnnrt::cnnrt_mpi), which links Open MPI; run
// the program with `mpirun -np N`. Without mpirun, world() is one replica.
//
//===----------------------------------------------------------------------===//
#ifndef CNNRT_MPICOMMUNICATOR_H
#define CNNRT_MPICOMMUNICATOR_H

#include "cnnrt/Communicator.h"

#include <memory>

namespace cnnrt {

class MpiCommunicator : public Communicator {
public:
  /// MPI_COMM_WORLD. The first call initializes MPI (unless the program
  /// did), which is then finalized at exit. MPI errors become cnnrt::Error
  /// (MPI_ERRORS_RETURN); a replica that dies ends the job (mpirun stops
  /// the others), so no replica waits for it forever.
  static std::shared_ptr<MpiCommunicator> world();

  int rank() const override { return rank_; }
  int size() const override { return size_; }
  void allReduceSum(float *data, size_t count) override;
  void broadcast(void *data, size_t bytes, int root) override;

private:
  MpiCommunicator(int rank, int size) : rank_(rank), size_(size) {}
  int rank_ = 0, size_ = 1;
};

} // namespace cnnrt

#endif // CNNRT_MPICOMMUNICATOR_H
