//===- Session.cpp - one caller's forward passes --------------------------===//

#include "cnnrt/Session.h"

#include "Device.h"
#include "LibraryImpl.h"
#include "Profiling.h"

#include <cstring>
#include <map>

namespace cnnrt {

//===----------------------------------------------------------------------===//
// Profiling marks
//===----------------------------------------------------------------------===//

namespace detail {
namespace {
thread_local ProfileClock *activeClock = nullptr;

class HostProfileClock final : public ProfileClock {
public:
  void mark(int64_t layer) override { marks_.emplace_back(layer, std::chrono::steady_clock::now()); }
  ProfileMarks finish() override { return std::move(marks_); }

private:
  ProfileMarks marks_;
};
} // namespace

std::unique_ptr<ProfileClock> makeHostProfileClock() {
  return std::make_unique<HostProfileClock>();
}

void recordProfileMark(int64_t layer) {
  if (ProfileClock *clock = activeClock)
    clock->mark(layer);
}

bool profiling() { return activeClock != nullptr; }

std::unique_ptr<ProfileClock> Device::profileClock() { return makeHostProfileClock(); }

ProfileScope::ProfileScope(ProfileClock &clock) { activeClock = &clock; }
ProfileScope::~ProfileScope() { activeClock = nullptr; }

std::vector<std::pair<std::string, double>> layerTimes(const ProfileMarks &marks,
                                                       const std::vector<std::string> &names) {
  // A layer may have several intervals (a conv fused into the epilogue that
  // runs later, in another layer's place).
  std::vector<std::pair<std::string, double>> out;
  std::map<int64_t, size_t> row;
  for (size_t i = 0; i + 1 < marks.size(); ++i) {
    int64_t id = marks[i].first;
    double ms =
        std::chrono::duration<double, std::milli>(marks[i + 1].second - marks[i].second).count();
    auto [it, fresh] = row.try_emplace(id, out.size());
    if (fresh)
      out.emplace_back(id >= 0 && id < (int64_t)names.size() ? names[size_t(id)] : "?", 0.0);
    out[it->second].second += ms;
  }
  return out;
}

//===----------------------------------------------------------------------===//
// Input checks, shared with the Trainer
//===----------------------------------------------------------------------===//

std::vector<const TensorView *> orderInputs(const Library::Impl &lib,
                                            const std::vector<TensorView> &given,
                                            int64_t &batch) {
  std::vector<const TensorView *> ordered;
  batch = -1;
  std::string batchFrom;
  for (const auto &in : lib.inputs) {
    const TensorView *found = nullptr;
    for (const auto &v : given)
      if (v.name == in.name) {
        if (found)
          throw lib.invalid("input '" + in.name + "' is given twice");
        found = &v;
      }
    if (!found) {
      std::string have;
      for (const auto &v : given)
        have += (have.empty() ? "" : ", ") + v.name;
      throw lib.invalid("missing input '" + in.name + "' (given: " +
                      (have.empty() ? "none" : have) + ")");
    }
    if (found->dtype != DType::F32)
      throw lib.invalid("input '" + in.name + "' must be F32, got " + dtypeName(found->dtype));
    // With a run-time batch, the first dimension may be any B in [1, N].
    bool fits = found->shape.size() == in.shape.size();
    for (size_t d = 0; fits && d < in.shape.size(); ++d)
      fits = d == 0 && lib.runtimeBatch ? found->shape[0] >= 1 && found->shape[0] <= in.shape[0]
                                        : found->shape[d] == in.shape[d];
    if (!fits) {
      std::string allowed =
          lib.runtimeBatch ? " (any batch from 1 to " + std::to_string(lib.maxBatch) + ")"
                           : " (recompile with --batch=N to change the batch)";
      throw lib.invalid("input '" + in.name + "' has shape " + shapeString(found->shape) +
                      ", but the model was compiled for " + shapeString(in.shape) + allowed);
    }
    if (!found->data && numElements(found->shape) > 0)
      throw lib.invalid("input '" + in.name + "' has no data");
    if (batch < 0) {
      batch = found->shape[0];
      batchFrom = in.name;
    } else if (found->shape[0] != batch) {
      throw lib.invalid("input '" + in.name + "' has batch " + std::to_string(found->shape[0]) +
                      ", but input '" + batchFrom + "' has batch " + std::to_string(batch));
    }
    ordered.push_back(found);
  }
  for (const auto &v : given) {
    bool known = false;
    for (const auto &in : lib.inputs)
      known |= in.name == v.name;
    if (!known)
      throw lib.invalid("unknown input '" + v.name + "'");
  }
  if (batch < 0)
    batch = lib.maxBatch;
  return ordered;
}

void stageInputs(const Library::Impl &lib, const std::vector<const TensorView *> &ins,
                 int64_t batch, std::vector<DeviceBuffer> &staging, std::vector<void *> &args) {
  // In place when the device reads host memory and the batch is the
  // compiled one; else through the staging buffers, whose rows past the
  // batch hold earlier (finite) values that no output row reads (and a
  // training step masks out).
  bool inPlace = lib.device->hostMemory() && batch == lib.maxBatch;
  for (size_t i = 0; i < ins.size(); ++i) {
    if (inPlace) {
      args.push_back(const_cast<void *>(ins[i]->data));
      continue;
    }
    if (staging.size() <= i)
      staging.emplace_back(lib.device, floatBytes(lib.inputs[i].shape),
                           "input '" + lib.inputs[i].name + "'");
    lib.device->copyToDevice(staging[i].get(), ins[i]->data, floatBytes(ins[i]->shape),
                             "copying inputs to the device");
    args.push_back(staging[i].get());
  }
}

std::vector<TensorView> viewsOf(const std::map<std::string, Tensor> &tensors) {
  std::vector<TensorView> views;
  for (const auto &[name, t] : tensors)
    views.push_back({name, t.dtype, t.shape, t.bytes.data()});
  return views;
}

} // namespace detail

using detail::numElements;
using detail::shapeString;

//===----------------------------------------------------------------------===//
// Session
//===----------------------------------------------------------------------===//

/// What one session's runs write: the arena, and device copies of inputs
/// and outputs when the entry point cannot use the caller's memory (a GPU,
/// or a batch below the compiled one, padded to it).
struct Session::Buffers {
  detail::DeviceBuffer arena;
  std::vector<detail::DeviceBuffer> inputs, outputs; // made on first need
  detail::ReplayableCall forward;
};

Session::Session(std::shared_ptr<const Library> library,
                 std::shared_ptr<const ParameterSet> parameters)
    : library_(std::move(library)), buffers_(std::make_unique<Buffers>()) {
  if (!library_)
    throw Error("cnnrt::Session: no library");
  setParameters(parameters ? std::move(parameters) : library_->defaultParameters());
  const auto &lib = library_->impl();
  buffers_->arena = detail::DeviceBuffer(lib.device, size_t(std::max<int64_t>(lib.arenaBytes, 64)),
                                         "the arena");
}

Session::~Session() = default;

void Session::setParameters(std::shared_ptr<const ParameterSet> parameters) {
  if (!parameters || !parameters->madeFor(*library_))
    throw library_->impl().invalid("a parameter set made for another library");
  parameters_ = std::move(parameters);
}

std::vector<TensorInfo> Library::outputsForBatch(int64_t batch) const {
  std::vector<TensorInfo> out = outputs();
  if (runtimeBatch())
    for (auto &o : out)
      o.shape[0] = batch;
  return out;
}

int64_t Library::batchOf(const std::vector<TensorView> &inputs) const {
  int64_t batch;
  detail::orderInputs(*impl_, inputs, batch);
  return batch;
}

void Session::run(const std::vector<TensorView> &inputs,
                  const std::vector<MutableTensorView> &outputs, const RunOptions &options) {
  const Library::Impl &lib = library_->impl();
  detail::Device &dev = *lib.device;
  int64_t batch;
  std::vector<const TensorView *> ins = detail::orderInputs(lib, inputs, batch);
  std::vector<TensorInfo> outInfo = library_->outputsForBatch(batch);
  std::vector<const MutableTensorView *> outs;
  for (const auto &o : outInfo) {
    const MutableTensorView *found = nullptr;
    for (const auto &v : outputs)
      if (v.name == o.name)
        found = &v;
    if (!found)
      throw lib.invalid("no buffer for output '" + o.name + "'");
    if (found->dtype != DType::F32 || found->shape != o.shape ||
        (!found->data && numElements(o.shape) > 0))
      throw lib.invalid("the buffer for output '" + o.name + "' must be F32 " +
                      shapeString(o.shape) + ", got " + dtypeName(found->dtype) + " " +
                      shapeString(found->shape));
    outs.push_back(found);
  }
  if (outputs.size() != outs.size())
    throw lib.invalid("buffers given for unknown outputs");

  bool inPlace = dev.hostMemory() && batch == lib.maxBatch;
  std::vector<void *> args;
  detail::stageInputs(lib, ins, batch, buffers_->inputs, args);
  const ParameterSet::Impl &params = parameters_->impl();
  args.insert(args.end(), params.paramArgs.begin(), params.paramArgs.end());
  args.insert(args.end(), params.preparedArgs.begin(), params.preparedArgs.end());
  for (size_t i = 0; i < outs.size(); ++i) {
    if (inPlace) {
      args.push_back(outs[i]->data);
      continue;
    }
    if (buffers_->outputs.size() <= i)
      buffers_->outputs.emplace_back(lib.device, detail::floatBytes(lib.outputs[i].shape),
                                     "output '" + lib.outputs[i].name + "'");
    args.push_back(buffers_->outputs[i].get());
  }
  args.push_back(buffers_->arena.get());
  detail::applyThreads(lib, options.threads);
  // A profiled run calls the code, whose marks time each layer; other
  // runs may replay what the device recorded of an earlier one.
  if (detail::profiling())
    dev.call(lib.forward, args.data(), "running the model");
  else
    buffers_->forward.run(dev, lib.forward, args, "running the model");
  if (!inPlace)
    for (size_t i = 0; i < outs.size(); ++i)
      dev.copyToHost(outs[i]->data, buffers_->outputs[i].get(),
                     detail::floatBytes(outs[i]->shape), "copying outputs from the device");
}

std::vector<std::pair<std::string, Tensor>>
Session::run(const std::map<std::string, Tensor> &inputs, const RunOptions &options) {
  std::vector<TensorView> views = detail::viewsOf(inputs);
  std::vector<std::pair<std::string, Tensor>> outs;
  std::vector<MutableTensorView> outViews;
  for (const auto &o : library_->outputsForBatch(library_->batchOf(views)))
    outs.emplace_back(o.name, Tensor(o.shape));
  for (auto &[name, t] : outs)
    outViews.push_back({name, DType::F32, t.shape, t.bytes.data()});
  run(views, outViews, options);
  return outs;
}

std::vector<std::pair<std::string, double>>
Session::profile(const std::map<std::string, Tensor> &inputs, const RunOptions &options) {
  const Library::Impl &lib = library_->impl();
  if (!lib.profileHook || lib.layers.empty())
    throw lib.error("this library has no per-layer profiling marks");
  std::unique_ptr<detail::ProfileClock> clock = lib.device->profileClock();
  {
    detail::ProfileScope scope(*clock);
    run(inputs, options);
  }
  return detail::layerTimes(clock->finish(), lib.layers);
}

} // namespace cnnrt
