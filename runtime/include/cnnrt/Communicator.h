//===- Communicator.h - the replicas of data-parallel training --*- C++ -*-===//
//
//   auto world = cnnrt::MpiCommunicator::world();   // libcnnrt_mpi
//   trainer.setCommunicator(world);                 // cnnc --train --data-parallel
//   float loss = trainer.step(myShareOfTheBatch, myLabels);
//
// Each process (replica) runs one Trainer on its share of every batch; a
// Communicator sums values across them. libcnnrt knows only this interface;
// MPI lives in libcnnrt_mpi (MpiCommunicator.h), so programs that train in
// one process do not link MPI.
//
//===----------------------------------------------------------------------===//
#ifndef CNNRT_COMMUNICATOR_H
#define CNNRT_COMMUNICATOR_H

#include <cstddef>

namespace cnnrt {

class Communicator {
public:
  virtual ~Communicator() = default;
  /// This replica's index in [0, size()).
  virtual int rank() const = 0;
  virtual int size() const = 0;
  /// Sums `count` floats elementwise over every replica, in place. Every
  /// replica makes the same calls, with the same counts, in the same order.
  /// Throws cnnrt::Error when the replicas cannot communicate.
  virtual void allReduceSum(float *data, size_t count) = 0;
  /// Copies `bytes` at `data` on replica `root` to every other replica.
  virtual void broadcast(void *data, size_t bytes, int root) = 0;
};

} // namespace cnnrt

#endif // CNNRT_COMMUNICATOR_H
