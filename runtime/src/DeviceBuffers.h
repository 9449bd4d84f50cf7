//===- DeviceBuffers.h - GPU memory of an nvptx model -----------*- C++ -*-===//
//
// Internal to libcnnrt: shared by the forward path (Model.cpp) and the
// training step (GpuTraining.cpp).
//
//===----------------------------------------------------------------------===//
#ifndef CNNRT_DEVICEBUFFERS_H
#define CNNRT_DEVICEBUFFERS_H

#include "cnnrt/Model.h"

#include "CudaDriver.h"

#include <vector>

namespace cnnrt {

/// Device memory of an nvptx model: parameters (copied at load), prepared
/// parameters and the arena (written by kernels), inputs and outputs; for a
/// --train library also the optimizer state and the step's outputs, made
/// on the first training step. Everything is allocated once and reused.
struct Model::DeviceBuffers {
  cuda::Driver *d = nullptr;
  std::vector<cuda::CUdeviceptr> params, prepared, inputs, outputs;
  cuda::CUdeviceptr arena = 0, prepareArena = 0;

  // Training (GpuTraining.cpp). The step writes new values into separate
  // buffers; the runtime then swaps them with the live ones (no copies).
  std::vector<cuda::CUdeviceptr> momentum, newParams, newMomentum, grads, newStats;
  cuda::CUdeviceptr labels = 0, rng = 0, learningRate = 0, loss = 0, trainArena = 0;

  ~DeviceBuffers() {
    if (!d)
      return;
    for (auto *v : {&params, &prepared, &inputs, &outputs, &momentum, &newParams, &newMomentum,
                    &grads, &newStats})
      for (auto p : *v)
        if (p)
          d->cuMemFree(p);
    for (auto p : {arena, prepareArena, labels, rng, learningRate, loss, trainArena})
      if (p)
        d->cuMemFree(p);
  }
};

} // namespace cnnrt

#endif
