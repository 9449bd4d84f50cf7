//===- GpuTraining.cpp - the training step of an nvptx model --------------===//
//
// The same cnnc_train_step contract as on the CPU (docs/abi.md), with every
// buffer in device memory: the step's kernels read the batch, labels,
// parameters, momentum and learning rate there and write the loss, new
// parameters, momentum, gradients and running statistics there. Only the
// batch, labels, generator state and learning rate go up and the loss comes
// down per step; parameters and gradients come to the host when asked for.
//
//===----------------------------------------------------------------------===//

#include "cnnrt/Model.h"

#include "CudaDriver.h"
#include "DeviceBuffers.h"

#include <algorithm>
#include <cstring>

namespace cnnrt {

namespace {
size_t floatBytes(const std::vector<int64_t> &shape) {
  size_t n = 1;
  for (int64_t d : shape)
    n *= size_t(d);
  return n * sizeof(float);
}
} // namespace

float Model::trainStepOnGpu(const std::vector<const Tensor *> &batch,
                            const std::vector<int64_t> &labels) {
  DeviceBuffers &dev = *device_;
  cuda::Driver *d = dev.d;
  auto check = [&](const char *what, cuda::CUresult r) {
    if (r != 0)
      throw Error(path_ + ": " + cuda::describe(what, r));
  };
  auto alloc = [&](size_t bytes) {
    cuda::CUdeviceptr p = 0;
    cuda::CUresult r = d->cuMemAlloc(&p, std::max<size_t>(bytes, 64));
    if (r != 0)
      throw Error(path_ + ": " + cuda::describe("cuMemAlloc", r) + " (" +
                  std::to_string(bytes) + " bytes, training buffers)");
    return p;
  };
  if (!dev.trainArena) { // first step: optimizer state starts at zero
    for (size_t k : learnableIndex_) {
      size_t bytes = floatBytes(params_[k].shape);
      std::vector<float> zeros(bytes / sizeof(float), 0.0f);
      dev.momentum.push_back(alloc(bytes));
      check("zeroing the momentum buffers", d->cuMemcpyHtoD(dev.momentum.back(), zeros.data(), bytes));
      dev.newParams.push_back(alloc(bytes));
      dev.newMomentum.push_back(alloc(bytes));
      dev.grads.push_back(alloc(bytes));
    }
    for (size_t k : statIndex_)
      dev.newStats.push_back(alloc(floatBytes(params_[k].shape)));
    dev.labels = alloc(labels.size() * sizeof(int64_t));
    dev.rng = alloc(2 * sizeof(int64_t));
    dev.learningRate = alloc(sizeof(float));
    dev.loss = alloc(sizeof(float));
    dev.trainArena = alloc(size_t(trainArenaBytes_));
  }
  for (size_t i = 0; i < batch.size(); ++i)
    check("copying the batch to the GPU",
          d->cuMemcpyHtoD(dev.inputs[i], batch[i]->bytes.data(), batch[i]->bytes.size()));
  check("copying labels to the GPU",
        d->cuMemcpyHtoD(dev.labels, labels.data(), labels.size() * sizeof(int64_t)));
  // Dropout's masks are hashed from {seed, step} inside the kernels.
  int64_t rng[2] = {int64_t(seed_), stepIndex_};
  check("copying the generator state to the GPU", d->cuMemcpyHtoD(dev.rng, rng, sizeof rng));
  float lr = learningRate_;
  check("copying the learning rate to the GPU", d->cuMemcpyHtoD(dev.learningRate, &lr, sizeof lr));

  std::vector<void *> args;
  auto push = [&](cuda::CUdeviceptr p) { args.push_back(reinterpret_cast<void *>(p)); };
  for (auto p : dev.inputs)
    push(p);
  push(dev.labels);
  push(dev.rng);
  for (auto p : dev.params)
    push(p);
  for (auto p : dev.momentum)
    push(p);
  push(dev.learningRate);
  push(dev.loss);
  for (auto *v : {&dev.newParams, &dev.newMomentum, &dev.grads, &dev.newStats})
    for (auto p : *v)
      push(p);
  push(dev.trainArena);
  trainFn_(args.data());
  checkLaunches("running the training step on the GPU");
  ++stepIndex_;

  float loss = 0;
  check("copying the loss from the GPU", d->cuMemcpyDtoH(&loss, dev.loss, sizeof loss));
  // The new values become the live ones; the old buffers take the next step's.
  for (size_t j = 0; j < learnableIndex_.size(); ++j)
    std::swap(dev.params[learnableIndex_[j]], dev.newParams[j]);
  for (size_t j = 0; j < statIndex_.size(); ++j)
    std::swap(dev.params[statIndex_[j]], dev.newStats[j]);
  dev.momentum.swap(dev.newMomentum);
  hostParamsStale_ = true;
  preparedStale_ = true;
  return loss;
}

std::map<std::string, Tensor> Model::gradientsOnGpu() const {
  std::map<std::string, Tensor> out;
  for (size_t j = 0; j < learnableIndex_.size() && j < device_->grads.size(); ++j) {
    Tensor t(params_[learnableIndex_[j]].shape);
    cuda::CUresult r = device_->d->cuMemcpyDtoH(t.bytes.data(), device_->grads[j], t.bytes.size());
    if (r != 0)
      throw Error(path_ + ": " + cuda::describe("copying gradients from the GPU", r));
    out.emplace(learnable_[j], std::move(t));
  }
  return out;
}

void Model::downloadParameters() {
  makeParametersWritable();
  for (size_t i = 0; i < params_.size(); ++i) {
    cuda::CUresult r = device_->d->cuMemcpyDtoH(const_cast<float *>(paramPtrs_[i]),
                                                device_->params[i], floatBytes(params_[i].shape));
    if (r != 0)
      throw Error(path_ + ": " + cuda::describe("copying parameters from the GPU", r));
  }
  hostParamsStale_ = false;
}

} // namespace cnnrt
