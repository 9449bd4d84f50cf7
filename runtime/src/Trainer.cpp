//===- Trainer.cpp - training steps of a --train library ------------------===//
//
// The cnnc_train_step contract (docs/abi.md) on either device: every buffer
// the step touches lives on the library's device and is allocated once.
// The step writes new parameters, optimizer buffers and running statistics
// into separate buffers, which then become the live ones (a swap, no
// copies); per step only the batch, labels, generator state and learning
// rate go in and the loss comes out.
//
//===----------------------------------------------------------------------===//

#include "cnnrt/Trainer.h"
#include "cnnrt/Safetensors.h"

#include "Collective.h"
#include "LibraryImpl.h"
#include "Profiling.h"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace cnnrt {

using detail::DeviceBuffer;
using detail::floatBytes;

struct Trainer::State {
  std::vector<DeviceBuffer> params; // every parameter, library order
  std::vector<DeviceBuffer> momentum, newParams, newMomentum, grads, newStats;
  std::vector<DeviceBuffer> inputs; // staged batch (GPU, or a batch below N)
  DeviceBuffer labels, rng, learningRate, optimizerStep, loss, arena;
  detail::ReplayableCall trainStep; // the step, replayed where the device records it
  bool stepped = false; // gradients exist
  DeviceBuffer replicaArena; // the arena of the data-parallel step
};

Trainer::Trainer(std::shared_ptr<const Library> library,
                 std::shared_ptr<const ParameterSet> initial)
    : library_(std::move(library)), state_(std::make_unique<State>()) {
  if (!library_)
    throw Error("cnnrt::Trainer: no library");
  const Library::Impl &lib = library_->impl();
  if (!lib.trainStep)
    throw lib.error("not compiled for training (recompile with cnnc --train)");
  learningRate_ = lib.learningRate;
  State &s = *state_;
  for (const auto &p : lib.params)
    s.params.emplace_back(lib.device, floatBytes(p.shape), "parameter " + p.name);
  setParameters(initial ? *initial : *library_->defaultParameters());
  // Optimizer state, slot-major (SGD: momentum; Adam: exp_avg, exp_avg_sq).
  for (int slot = 0; slot < lib.stateSlots; ++slot)
    for (size_t k : lib.learnableIndex) {
      size_t bytes = floatBytes(lib.params[k].shape);
      const std::string &name = lib.params[k].name;
      s.momentum.emplace_back(lib.device, bytes, "optimizer state of " + name);
      s.newMomentum.emplace_back(lib.device, bytes, "optimizer state of " + name);
    }
  for (size_t k : lib.learnableIndex) {
    size_t bytes = floatBytes(lib.params[k].shape);
    const std::string &name = lib.params[k].name;
    s.newParams.emplace_back(lib.device, bytes, "parameter " + name);
    s.grads.emplace_back(lib.device, bytes, "gradient of " + name);
  }
  for (size_t k : lib.statIndex)
    s.newStats.emplace_back(lib.device, floatBytes(lib.params[k].shape),
                            "statistic " + lib.params[k].name);
  s.labels = DeviceBuffer(lib.device, size_t(lib.maxBatch) * sizeof(int64_t), "labels");
  s.rng = DeviceBuffer(lib.device, 2 * sizeof(int64_t), "generator state");
  s.learningRate = DeviceBuffer(lib.device, sizeof(float), "learning rate");
  s.optimizerStep = DeviceBuffer(lib.device, sizeof(int64_t), "optimizer step count");
  s.loss = DeviceBuffer(lib.device, sizeof(float), "loss");
  s.arena = DeviceBuffer(lib.device, size_t(std::max<int64_t>(lib.trainArenaBytes, 64)),
                         "the training arena");
}

Trainer::~Trainer() = default;

void Trainer::setLearningRate(float lr) {
  if (!(lr >= 0) || !std::isfinite(lr))
    throw library_->impl().invalid("the learning rate must be a non-negative number");
  learningRate_ = lr;
}

float Trainer::scheduledLearningRate() const {
  const auto &s = library_->impl().lrSchedule;
  // PyTorch's schedulers in closed form, t = the scheduler steps so far.
  double t = double(optimizerSteps_), base = learningRate_;
  if (s.type == "step")
    return float(base * std::pow(s.gamma, std::floor(t / double(s.stepSize))));
  if (s.type == "cosine")
    return float(s.etaMin + (base - s.etaMin) * (1 + std::cos(M_PI * t / double(s.tMax))) / 2);
  if (s.type == "linear")
    return float(base * (s.startFactor + (s.endFactor - s.startFactor) *
                                             std::min(t, double(s.totalIters)) /
                                             double(s.totalIters)));
  return learningRate_;
}

void Trainer::setSeed(uint64_t seed) {
  seed_ = seed;
  stepIndex_ = 0;
}

float Trainer::step(const std::map<std::string, Tensor> &inputs, const Tensor &labels) {
  return step(detail::viewsOf(inputs),
              TensorView{"labels", labels.dtype, labels.shape, labels.bytes.data()});
}

float Trainer::step(const std::vector<TensorView> &inputs, const TensorView &labels) {
  const Library::Impl &lib = library_->impl();
  detail::Device &dev = *lib.device;
  State &s = *state_;
  int64_t batch;
  std::vector<const TensorView *> ins = detail::orderInputs(lib, inputs, batch);
  if (labels.shape != std::vector<int64_t>{batch})
    throw lib.invalid("labels must have shape [" + std::to_string(batch) + "], got " +
                    detail::shapeString(labels.shape));
  if (labels.dtype != DType::I64 && labels.dtype != DType::I32)
    throw lib.invalid(std::string("labels must be I32 or I64, got ") + dtypeName(labels.dtype));
  // Rows past the batch get label -1: the compiled step leaves them out of
  // the loss and of batchnorm's statistics.
  std::vector<int64_t> lab(size_t(lib.maxBatch), -1);
  for (int64_t i = 0; i < batch; ++i) {
    int64_t v = labels.dtype == DType::I64 ? static_cast<const int64_t *>(labels.data)[i]
                                           : static_cast<const int32_t *>(labels.data)[i];
    if (v < 0 || v >= lib.classes)
      throw lib.invalid("label " + std::to_string(v) + " at position " + std::to_string(i) +
                      " is outside [0, " + std::to_string(lib.classes) + ")");
    lab[size_t(i)] = v;
  }

  std::vector<void *> args;
  detail::stageInputs(lib, ins, batch, s.inputs, args);
  dev.copyToDevice(s.labels.get(), lab.data(), lab.size() * sizeof(int64_t),
                   "copying labels to the device");
  // Dropout's masks are hashed from {seed, step}; replicas of data-parallel
  // training mix their rank into the seed, so that their masks differ.
  uint64_t seed = seed_;
  if (communicator_)
    seed ^= uint64_t(communicator_->rank()) * 0x9E3779B97F4A7C15ull;
  int64_t rng[2] = {int64_t(seed), stepIndex_};
  dev.copyToDevice(s.rng.get(), rng, sizeof rng, "copying the generator state to the device");
  float lr = scheduledLearningRate();
  dev.copyToDevice(s.learningRate.get(), &lr, sizeof lr,
                   "copying the learning rate to the device");
  // Adam's bias correction counts the optimizer's steps (not reset by setSeed).
  int64_t taken = optimizerSteps_;
  dev.copyToDevice(s.optimizerStep.get(), &taken, sizeof taken,
                   "copying the optimizer step count to the device");
  args.push_back(s.labels.get());
  args.push_back(s.rng.get());
  for (auto &p : s.params)
    args.push_back(p.get());
  for (auto &m : s.momentum)
    args.push_back(m.get());
  args.push_back(s.learningRate.get());
  args.push_back(s.optimizerStep.get());
  args.push_back(s.loss.get());
  for (auto *v : {&s.newParams, &s.newMomentum, &s.grads, &s.newStats})
    for (auto &buf : *v)
      args.push_back(buf.get());
  if (communicator_) {
    runReplicated(args);
  } else {
    args.push_back(s.arena.get());
    // A profiled step calls the code, whose marks time each op.
    if (detail::profiling())
      dev.call(lib.trainStep, args.data(), "running the training step");
    else
      s.trainStep.run(dev, lib.trainStep, args, "running the training step");
  }
  ++stepIndex_;
  ++optimizerSteps_;
  s.stepped = true;

  float loss = 0;
  dev.copyToHost(&loss, s.loss.get(), sizeof loss, "copying the loss from the device");
  // The new values become the live ones; the old buffers take the next step's.
  for (size_t j = 0; j < lib.learnableIndex.size(); ++j)
    std::swap(s.params[lib.learnableIndex[j]], s.newParams[j]);
  for (size_t j = 0; j < lib.statIndex.size(); ++j)
    std::swap(s.params[lib.statIndex[j]], s.newStats[j]);
  s.momentum.swap(s.newMomentum);
  snapshot_.reset();
  return loss;
}

std::vector<std::pair<std::string, double>>
Trainer::profileStep(const std::map<std::string, Tensor> &inputs, const Tensor &labels,
                     float *loss) {
  const Library::Impl &lib = library_->impl();
  if (!lib.profileHook || lib.trainLayers.empty())
    throw lib.error("this library's training step has no per-layer profiling marks "
                    "(compiled by an older cnnc: recompile with cnnc --train)");
  if (communicator_)
    throw lib.invalid("a data-parallel step is not profiled per layer; profile one process");
  std::unique_ptr<detail::ProfileClock> clock = lib.device->profileClock();
  float value;
  {
    detail::ProfileScope scope(*clock);
    value = step(inputs, labels);
  }
  if (loss)
    *loss = value;
  return detail::layerTimes(clock->finish(), lib.trainLayers);
}

/// `args`: those of cnnc_train_step, less the arena. Runs this replica's
/// step, whose compiled code sums the statistics and the gradients over the
/// replicas through the collective hook; then sums the loss, of which each
/// replica computed its share.
void Trainer::runReplicated(std::vector<void *> &args) {
  const Library::Impl &lib = library_->impl();
  State &s = *state_;
  args.push_back(s.replicaArena.get());
  detail::CollectiveScope scope(*communicator_);
  lib.device->call(lib.trainStepReplicated, args.data(), "running this replica's training step");
  scope.rethrow();
  communicator_->allReduceSum(static_cast<float *>(s.loss.get()), 1);
}

void Trainer::setCommunicator(std::shared_ptr<Communicator> communicator) {
  const Library::Impl &lib = library_->impl();
  State &s = *state_;
  if (!communicator) {
    communicator_.reset();
    return;
  }
  if (!lib.trainStepReplicated)
    throw lib.error("not compiled for data-parallel training (recompile with cnnc --train "
                    "--data-parallel)");
  if (!lib.device->hostMemory())
    throw lib.error("data-parallel training runs on the CPU only so far");
  // Every replica starts from replica 0's state.
  for (auto *v : {&s.params, &s.momentum})
    for (auto &buf : *v)
      communicator->broadcast(buf.get(), buf.bytes(), 0);
  struct Counters {
    float learningRate;
    uint64_t seed;
    int64_t stepIndex, optimizerSteps;
  } c{learningRate_, seed_, stepIndex_, optimizerSteps_};
  communicator->broadcast(&c, sizeof c, 0);
  learningRate_ = c.learningRate;
  seed_ = c.seed;
  stepIndex_ = c.stepIndex;
  optimizerSteps_ = c.optimizerSteps;
  if (!s.replicaArena.get())
    s.replicaArena = DeviceBuffer(lib.device,
                                  size_t(std::max<int64_t>(lib.replicatedArenaBytes, 64)),
                                  "the data-parallel step's arena");
  communicator_ = std::move(communicator);
  s.stepped = false;
  snapshot_.reset();
}

std::map<std::string, Tensor> Trainer::gradients() const {
  const Library::Impl &lib = library_->impl();
  std::map<std::string, Tensor> out;
  if (!state_->stepped)
    return out;
  for (size_t j = 0; j < lib.learnableIndex.size(); ++j) {
    Tensor t(lib.params[lib.learnableIndex[j]].shape);
    lib.device->copyToHost(t.bytes.data(), state_->grads[j].get(), t.bytes.size(),
                           "copying gradients from the device");
    out.emplace(lib.learnable[j], std::move(t));
  }
  return out;
}

std::map<std::string, Tensor> Trainer::parameterValues() const {
  const Library::Impl &lib = library_->impl();
  std::map<std::string, Tensor> out;
  for (size_t i = 0; i < lib.params.size(); ++i) {
    Tensor t(lib.params[i].shape);
    lib.device->copyToHost(t.bytes.data(), state_->params[i].get(), t.bytes.size(),
                           "copying parameters from the device");
    out.emplace(lib.params[i].name, std::move(t));
  }
  return out;
}

void Trainer::setParameters(const ParameterSet &values) {
  const Library::Impl &lib = library_->impl();
  if (!values.madeFor(*library_))
    throw lib.invalid("a parameter set made for another library");
  const auto &host = values.impl().host;
  for (size_t i = 0; i < lib.params.size(); ++i)
    lib.device->copyToDevice(state_->params[i].get(), host[i], floatBytes(lib.params[i].shape),
                             "copying parameters to the device");
  snapshot_.reset();
}

void Trainer::loadParameters(const std::string &path) {
  setParameters(*library_->readParameters(path));
}

void Trainer::saveParameters(const std::string &path) const {
  auto values = parameterValues();
  std::vector<std::pair<std::string, const Tensor *>> entries;
  for (const auto &p : library_->parameters())
    entries.push_back({p.name, &values.at(p.name)});
  writeSafetensors(path, entries);
}

namespace {
constexpr const char *kCheckpointFormat = "cnnc-checkpoint";
constexpr const char *kCheckpointVersion = "1";

std::string floatText(float v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%a", double(v)); // exact
  return buf;
}
} // namespace

void Trainer::saveCheckpoint(const std::string &path) const {
  const Library::Impl &lib = library_->impl();
  const State &s = *state_;
  std::vector<Tensor> owned;
  owned.reserve(lib.params.size() + s.momentum.size());
  std::vector<std::pair<std::string, const Tensor *>> entries;
  std::vector<std::string> names;
  for (size_t i = 0; i < lib.params.size(); ++i) {
    owned.emplace_back(lib.params[i].shape);
    lib.device->copyToHost(owned.back().bytes.data(), s.params[i].get(),
                           owned.back().bytes.size(), "copying parameters from the device");
    names.push_back("param." + lib.params[i].name);
  }
  size_t learnable = lib.learnableIndex.size();
  for (size_t j = 0; j < s.momentum.size(); ++j) {
    const auto &p = lib.params[lib.learnableIndex[j % learnable]];
    owned.emplace_back(p.shape);
    lib.device->copyToHost(owned.back().bytes.data(), s.momentum[j].get(),
                           owned.back().bytes.size(), "copying optimizer state from the device");
    names.push_back("state." + std::to_string(j / learnable) + "." + p.name);
  }
  for (size_t k = 0; k < owned.size(); ++k)
    entries.push_back({names[k], &owned[k]});
  std::map<std::string, std::string> meta = {
      {"format", kCheckpointFormat},
      {"version", kCheckpointVersion},
      {"model", lib.name},
      {"optimizer", lib.optimizer},
      {"learning_rate", floatText(learningRate_)},
      {"seed", std::to_string(seed_)},
      {"step_index", std::to_string(stepIndex_)},
      {"optimizer_steps", std::to_string(optimizerSteps_)}};
  writeSafetensors(path, entries, meta);
}

void Trainer::loadCheckpoint(const std::string &path) {
  const Library::Impl &lib = library_->impl();
  State &s = *state_;
  auto file = SafetensorsFile::open(path);
  auto fail = [&](const std::string &m) { return Error(path + ": " + m); };
  const auto &meta = file->metadata();
  auto field = [&](const char *key) -> const std::string & {
    auto it = meta.find(key);
    if (it == meta.end())
      throw fail(std::string("not a cnnc checkpoint (no \"") + key + "\" in its metadata)");
    return it->second;
  };
  if (field("format") != kCheckpointFormat)
    throw fail("not a cnnc checkpoint (format \"" + field("format") + "\")");
  if (field("version") != kCheckpointVersion)
    throw fail("checkpoint version " + field("version") + ", this runtime reads version " +
               kCheckpointVersion);
  if (field("model") != lib.name)
    throw fail("a checkpoint of model '" + field("model") + "', not of '" + lib.name + "'");
  if (field("optimizer") != lib.optimizer)
    throw fail("a checkpoint of the " + field("optimizer") +
               " optimizer's state; this library trains with " + lib.optimizer);
  auto integer = [&](const char *key) -> int64_t {
    const std::string &v = field(key);
    char *end = nullptr;
    errno = 0;
    long long x = std::strtoll(v.c_str(), &end, 10);
    if (v.empty() || *end || errno || x < 0)
      throw fail(std::string("corrupt checkpoint: \"") + key + "\" is '" + v + "'");
    return x;
  };
  int64_t stepIndex = integer("step_index"), optimizerSteps = integer("optimizer_steps");
  uint64_t seed = std::strtoull(field("seed").c_str(), nullptr, 10);
  char *end = nullptr;
  float lr = std::strtof(field("learning_rate").c_str(), &end);
  if (*end || !(lr >= 0) || !std::isfinite(lr))
    throw fail("corrupt checkpoint: \"learning_rate\" is '" + field("learning_rate") + "'");
  // Every tensor checked before anything is copied: a bad file changes nothing.
  size_t learnable = lib.learnableIndex.size();
  std::vector<std::pair<const TensorEntry *, DeviceBuffer *>> copies;
  auto expect = [&](const std::string &name, const std::vector<int64_t> &shape,
                    DeviceBuffer &into) {
    const TensorEntry *e = file->find(name);
    if (!e)
      throw fail("checkpoint lacks '" + name + "' (written for another model or optimizer?)");
    if (e->dtype != "F32" || e->shape != shape)
      throw fail("'" + name + "' is " + e->dtype + " " + detail::shapeString(e->shape) +
                 ", this library needs F32 " + detail::shapeString(shape));
    copies.push_back({e, &into});
  };
  for (size_t i = 0; i < lib.params.size(); ++i)
    expect("param." + lib.params[i].name, lib.params[i].shape, s.params[i]);
  for (size_t j = 0; j < s.momentum.size(); ++j) {
    const auto &p = lib.params[lib.learnableIndex[j % learnable]];
    expect("state." + std::to_string(j / learnable) + "." + p.name, p.shape, s.momentum[j]);
  }
  if (file->entries().size() != copies.size())
    for (const TensorEntry &e : file->entries()) {
      bool used = false;
      for (const auto &c : copies)
        used |= c.first == &e;
      if (!used)
        throw fail("checkpoint holds '" + e.name + "', which this library does not have "
                   "(written for another model or optimizer?)");
    }
  for (const auto &[e, buffer] : copies)
    lib.device->copyToDevice(buffer->get(), file->data(*e), e->end - e->begin,
                             "copying a checkpoint to the device");
  learningRate_ = lr;
  seed_ = seed;
  stepIndex_ = stepIndex;
  optimizerSteps_ = optimizerSteps;
  s.stepped = false; // gradients are those of a step not taken here
  snapshot_.reset();
}

std::shared_ptr<const ParameterSet> Trainer::snapshot() {
  if (snapshot_)
    return snapshot_;
  auto values = parameterValues();
  std::vector<const float *> ptrs;
  for (const auto &p : library_->parameters())
    ptrs.push_back(values.at(p.name).f32());
  snapshot_ = library_->makeParameters(ptrs);
  return snapshot_;
}

} // namespace cnnrt
