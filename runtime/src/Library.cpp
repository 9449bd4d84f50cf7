//===- Library.cpp - load a cnnc library; its parameter sets --------------===//

#include "cnnrt/Library.h"
#include "cnnrt/Safetensors.h"

#include "Collective.h"
#include "CudaDriver.h"
#include "LibraryFile.h"
#include "LibraryImpl.h"
#include "Profiling.h"

#include <nlohmann/json.hpp>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <dlfcn.h>
#if defined(__x86_64__)
#include <cpuid.h>
#endif
#if defined(__linux__)
#include <sys/syscall.h>
#include <unistd.h>
#endif
#include <filesystem>

namespace cnnrt {

SharedObject::~SharedObject() {
  if (handle)
    dlclose(handle);
}

namespace detail {

int64_t numElements(const std::vector<int64_t> &shape) {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

std::string shapeString(const std::vector<int64_t> &s) {
  std::string r = "[";
  for (size_t i = 0; i < s.size(); ++i)
    r += (i ? ", " : "") + std::to_string(s[i]);
  return r + "]";
}

void applyThreads(const Library::Impl &lib, int threads) {
  if (!lib.setNumThreads)
    return;
  // OpenMP's thread count is per calling thread: set it on every run, so a
  // thread that ran with 1 before gets the default back.
  lib.setNumThreads(threads > 0 ? threads : lib.defaultThreads);
}

} // namespace detail

namespace {

using detail::numElements;
using detail::shapeString;

#if defined(__x86_64__)
/// Bit `bit` of CPUID leaf 7's EDX (AMX-BF16: 22, AMX-TILE: 24, AMX-INT8: 25).
bool cpuidLeaf7Edx(int bit) {
  unsigned a, b, c, d;
  return __get_cpuid_count(7, 0, &a, &b, &c, &d) && ((d >> bit) & 1);
}
#endif

/// Linux gives a process AMX's tile data only on request (arch_prctl
/// ARCH_REQ_XCOMP_PERM for XTILEDATA, Linux 5.16 and later); without it the
/// first tile instruction faults. The grant covers every thread.
bool requestAmxTiles() {
#if defined(__linux__) && defined(__x86_64__)
  constexpr int kArchReqXcompPerm = 0x1023, kXfeatureXtiledata = 18;
  return syscall(SYS_arch_prctl, kArchReqXcompPerm, kXfeatureXtiledata) == 0;
#else
  return false;
#endif
}

bool hostHasFeature(const std::string &f) {
#if defined(__x86_64__)
  __builtin_cpu_init();
  if (f == "amx-tile") return cpuidLeaf7Edx(24);
  if (f == "amx-bf16") return cpuidLeaf7Edx(22);
  if (f == "amx-int8") return cpuidLeaf7Edx(25);
  if (f == "avx512f") return __builtin_cpu_supports("avx512f");
  if (f == "avx512bw") return __builtin_cpu_supports("avx512bw");
  if (f == "avx512vl") return __builtin_cpu_supports("avx512vl");
  if (f == "avx2") return __builtin_cpu_supports("avx2");
  if (f == "fma") return __builtin_cpu_supports("fma");
  if (f == "avx") return __builtin_cpu_supports("avx");
  if (f == "avx512bf16") return __builtin_cpu_supports("avx512bf16");
  if (f == "avx512vnni") return __builtin_cpu_supports("avx512vnni");
  if (f == "avxvnni") return __builtin_cpu_supports("avxvnni");
  return true;
#else
  return false;
#endif
}

std::vector<TensorInfo> readSignature(const nlohmann::json &arr) {
  std::vector<TensorInfo> v;
  for (const auto &e : arr)
    v.push_back({e.at("name").get<std::string>(), e.at("shape").get<std::vector<int64_t>>()});
  return v;
}

/// Reads the metadata into `m`; nlohmann's exceptions pass through.
void readMetadata(Library::Impl &m, const nlohmann::json &md, uint64_t weightsBytes,
                  const LoadOptions &options) {
  const std::string &path = m.path;
  m.name = md.at("name").get<std::string>();
  const auto &target = md.at("target");
  std::string arch = target.at("arch").get<std::string>();
  std::string chip;
  if (arch == "nvptx") {
    chip = target.value("chip", std::string("sm_90"));
    m.target = "nvptx (" + chip + ")";
    m.deviceKind = "cuda";
  } else if (arch == "x86_64") {
    m.target = "x86_64 (" + target.value("cpu", std::string("?")) + ")";
    m.deviceKind = "cpu";
  } else {
    throw m.error("compiled for target " + arch +
                  "; this runtime runs x86_64 models on the CPU and nvptx models on the GPU");
  }
  if (!options.device.empty() && options.device != m.deviceKind)
    throw m.error("device '" + options.device + "' asked for, but the library is compiled for " +
                  m.target + (m.deviceKind == "cuda" ? " (device 'cuda')" : " (device 'cpu')"));
#if !defined(__x86_64__)
  if (m.deviceKind == "cpu")
    throw m.error("compiled for x86_64, but this machine is not x86-64");
#endif
  for (const auto &f : target.value("required_features", nlohmann::json::array()))
    if (!hostHasFeature(f.get<std::string>()))
      throw m.error("compiled for CPU '" + target.value("cpu", std::string("?")) +
                    "' which needs " + f.get<std::string>() +
                    ", which this CPU lacks; recompile with -mcpu for this machine");
  for (const auto &f : target.value("required_features", nlohmann::json::array()))
    if (f.get<std::string>() == "amx-tile" && !requestAmxTiles())
      throw m.error("runs its convolutions on AMX tiles, which the operating system did "
                    "not grant this process (Linux 5.16 or later grants them); recompile with "
                    "--schedule-options=matrix-tiles=false");
  m.inputs = readSignature(md.at("inputs"));
  m.outputs = readSignature(md.at("outputs"));
  for (const auto &p : md.at("params")) {
    m.params.push_back({p.at("name").get<std::string>(), p.at("shape").get<std::vector<int64_t>>()});
    m.paramOffsets.push_back(p.at("offset").get<uint64_t>());
  }
  m.arenaBytes = md.at("arena_bytes").get<int64_t>();
  m.layers = md.value("layers", std::vector<std::string>());
  for (const auto &p : md.value("prepared", nlohmann::json::array()))
    m.preparedShapes.push_back(p.at("shape").get<std::vector<int64_t>>());
  m.prepareArenaBytes = md.value("prepare_arena_bytes", int64_t(0));
  if (md.contains("batch")) {
    m.maxBatch = md["batch"].at("size").get<int64_t>();
    m.runtimeBatch = md["batch"].at("runtime").get<bool>();
  } else {
    m.maxBatch = m.inputs.empty() || m.inputs[0].shape.empty() ? 1 : m.inputs[0].shape[0];
  }
  auto indexOf = [&](const std::string &n) {
    for (size_t i = 0; i < m.params.size(); ++i)
      if (m.params[i].name == n)
        return i;
    throw m.error("corrupt training metadata: no parameter '" + n + "'");
  };
  if (md.contains("train_step")) {
    const auto &t = md["train_step"];
    m.learnable = t.at("learnable").get<std::vector<std::string>>();
    m.runningStats = t.at("running_stats").get<std::vector<std::string>>();
    m.trainLayers = t.value("layers", std::vector<std::string>());
    m.learningRate = t.at("learning_rate").get<float>();
    m.stateSlots = t.value("state_slots", 1);
    m.optimizer = t.value("optimizer", std::string("sgd"));
    if (t.contains("lr_schedule")) {
      const auto &s = t.at("lr_schedule");
      auto &r = m.lrSchedule;
      r.type = s.at("type").get<std::string>();
      r.stepSize = s.value("step_size", r.stepSize);
      r.gamma = s.value("gamma", r.gamma);
      r.tMax = s.value("t_max", r.tMax);
      r.etaMin = s.value("eta_min", r.etaMin);
      r.startFactor = s.value("start_factor", r.startFactor);
      r.endFactor = s.value("end_factor", r.endFactor);
      r.totalIters = s.value("total_iters", r.totalIters);
      bool known = r.type == "constant" || r.type == "step" || r.type == "cosine" ||
                   r.type == "linear";
      if (!known || r.stepSize < 1 || r.tMax < 1 || r.totalIters < 1)
        throw m.error("corrupt training metadata: lr_schedule " + s.dump());
    }
    if (m.stateSlots < 1 || m.stateSlots > 2)
      throw m.error("corrupt training metadata: state_slots " + std::to_string(m.stateSlots));
    m.trainArenaBytes = t.at("arena_bytes").get<int64_t>();
    if (t.contains("data_parallel")) {
      const auto &dp = t.at("data_parallel");
      m.dataParallel = true;
      if (!dp.contains("step"))
        throw m.error("data-parallel step built by an older cnnc (two halves, no "
                      "cnnc_train_step_replicated); recompile with cnnc --train --data-parallel");
      m.replicatedArenaBytes = dp.at("step").at("arena_bytes").get<int64_t>();
      if (m.replicatedArenaBytes < 0 || m.replicatedArenaBytes > (int64_t(1) << 40))
        throw m.error("corrupt training metadata: data_parallel arena size");
    }
    if (!t.contains("rng"))
      throw m.error("training step built by an older cnnc (no rng argument); "
                    "recompile with cnnc --train");
    for (const auto &n : m.learnable)
      m.learnableIndex.push_back(indexOf(n));
    for (const auto &n : m.runningStats)
      m.statIndex.push_back(indexOf(n));
    if (m.outputs.size() != 1 || m.outputs[0].shape.size() != 2)
      throw m.error("corrupt training metadata: the loss needs one [N, classes] output");
    m.classes = m.outputs[0].shape[1];
  }
  bool embedded = md.at("weights").at("storage") == "embedded";
  uint64_t blobBytes = md.at("weights").at("bytes").get<uint64_t>();
  if (embedded)
    m.embedded = static_cast<const uint8_t *>(dlsym(m.object->handle, "cnnc_weights"));
  if (embedded && !m.embedded && !m.params.empty())
    throw m.error("metadata says weights are embedded, but cnnc_weights is missing");
  // Shapes and offsets come from the file: a corrupt library must not make
  // the runtime allocate absurd sizes or read outside the weights.
  auto checkShape = [&](const std::string &what, const std::vector<int64_t> &shape) {
    uint64_t n = 1;
    for (int64_t d : shape)
      if (d < 0 || __builtin_mul_overflow(n, static_cast<uint64_t>(d), &n) ||
          n > (uint64_t(1) << 40))
        throw m.error("corrupt cnnc metadata: " + what + " has shape " + shapeString(shape));
    return n;
  };
  for (const auto &t : m.inputs)
    checkShape("input '" + t.name + "'", t.shape);
  for (const auto &t : m.outputs)
    checkShape("output '" + t.name + "'", t.shape);
  for (const auto &shape : m.preparedShapes)
    checkShape("a prepared parameter", shape);
  if (m.maxBatch < 1)
    throw m.error("corrupt cnnc metadata: batch " + std::to_string(m.maxBatch));
  if (m.runtimeBatch)
    for (const auto *sig : {&m.inputs, &m.outputs})
      for (const auto &t : *sig)
        if (t.shape.empty() || t.shape[0] != m.maxBatch)
          throw m.error("corrupt cnnc metadata: '" + t.name + "' does not lead with the batch");
  if (embedded && m.embedded && blobBytes > weightsBytes)
    throw m.error("corrupt cnnc library: metadata says " + std::to_string(blobBytes) +
                  " bytes of weights, cnnc_weights holds " + std::to_string(weightsBytes));
  for (size_t i = 0; i < m.params.size(); ++i) {
    uint64_t bytes =
        checkShape("parameter '" + m.params[i].name + "'", m.params[i].shape) * sizeof(float);
    if (embedded && (m.paramOffsets[i] > blobBytes || bytes > blobBytes - m.paramOffsets[i]))
      throw m.error("corrupt cnnc metadata: parameter '" + m.params[i].name +
                    "' lies outside the embedded weights");
  }
  m.weightsPath = options.weightsPath;
  if (m.weightsPath.empty() && !embedded)
    m.weightsPath = path + ".weights.safetensors";
  if (m.deviceKind == "cuda") {
    m.device = detail::makeCudaDevice(path, chip);
    // The library's constructors loaded its kernels when dlopen ran them.
    std::string loadErr = cuda::takeLaunchError();
    if (!loadErr.empty())
      throw m.error(loadErr);
  } else {
    m.device = detail::makeCpuDevice(path);
  }
}

} // namespace

Library::Library() : impl_(std::make_unique<Impl>()) {
  static std::atomic<uint64_t> loaded{0};
  impl_->id = ++loaded;
}
Library::~Library() = default;

const std::string &Library::path() const { return impl_->path; }
const std::string &Library::name() const { return impl_->name; }
const std::string &Library::target() const { return impl_->target; }
const std::string &Library::device() const { return impl_->deviceKind; }
const std::string &Library::metadata() const { return impl_->metadataText; }
const std::vector<TensorInfo> &Library::inputs() const { return impl_->inputs; }
const std::vector<TensorInfo> &Library::outputs() const { return impl_->outputs; }
const std::vector<TensorInfo> &Library::parameters() const { return impl_->params; }
const std::vector<std::string> &Library::layers() const { return impl_->layers; }
int64_t Library::arenaBytes() const { return impl_->arenaBytes; }
int64_t Library::maxBatch() const { return impl_->maxBatch; }
bool Library::runtimeBatch() const { return impl_->runtimeBatch; }
bool Library::trainable() const { return impl_->trainStep != nullptr; }
float Library::learningRate() const { return impl_->learningRate; }

std::shared_ptr<const Library> Library::load(const std::string &path, const LoadOptions &options) {
  detail::LibraryFile file = detail::checkLibraryFile(path);
  std::shared_ptr<Library> lib(new Library());
  Impl &m = *lib->impl_;
  m.path = path;
  // Compiled models run their parallel loops on libomp's pool: let its
  // threads spin between parallel loops, but sleep after 200 ms idle
  // (active alone spins forever: an idle process that had run a model kept
  // a core busy). Binding is left to the application (OMP_PROC_BIND binds
  // the calling thread too: a server's threads would end up pinned; cnnc-run
  // sets it for its own process). A user's own settings win.
  setenv("OMP_WAIT_POLICY", "active", 0);
  setenv("KMP_BLOCKTIME", "200ms", 0);
  std::string abs = std::filesystem::absolute(path).string();
  m.object = std::make_shared<SharedObject>();
  m.object->handle = dlopen(abs.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!m.object->handle)
    throw m.error(std::string("cannot load: ") + dlerror());
  void *handle = m.object->handle;
  auto *abi = static_cast<const uint32_t *>(dlsym(handle, "cnnc_abi_version"));
  auto *meta = static_cast<const char *>(dlsym(handle, "cnnc_metadata"));
  if (!abi || !meta)
    throw m.error("not a cnnc library (no cnnc_abi_version/cnnc_metadata symbols)");
  if (*abi != kAbiVersion)
    throw m.error("cnnc ABI version " + std::to_string(*abi) +
                  ", but this runtime reads version " + std::to_string(kAbiVersion) +
                  "; recompile the model with a matching cnnc");
  m.metadataText = std::string(meta, strnlen(meta, file.metadataBytes));
  try {
    readMetadata(m, nlohmann::json::parse(m.metadataText), file.weightsBytes, options);
  } catch (const nlohmann::json::exception &e) {
    // Without nlohmann's "[json.exception.parse_error.101] " tag, and cut
    // short: the parser quotes what it last read, which may be long.
    std::string what = e.what();
    if (!what.empty() && what[0] == '[' && what.find("] ") != std::string::npos)
      what = what.substr(what.find("] ") + 2);
    if (what.size() > 200)
      what = what.substr(0, 200) + "...";
    throw m.error("corrupt cnnc metadata: " + what);
  }
  m.forward = reinterpret_cast<detail::EntryPoint>(dlsym(handle, "cnnc_forward"));
  if (!m.forward)
    throw m.error("not a cnnc library (no cnnc_forward entry point)");
  m.profileHook = reinterpret_cast<void (**)(int64_t)>(dlsym(handle, "cnnc_profile_hook"));
  if (m.profileHook)
    *m.profileHook = detail::recordProfileMark;
  if (!m.preparedShapes.empty()) {
    m.prepare = reinterpret_cast<detail::EntryPoint>(dlsym(handle, "cnnc_prepare"));
    if (!m.prepare)
      throw m.error("corrupt cnnc library: prepared parameters without cnnc_prepare");
  }
  if (!m.learnable.empty()) {
    m.trainStep = reinterpret_cast<detail::EntryPoint>(dlsym(handle, "cnnc_train_step"));
    if (!m.trainStep)
      throw m.error("corrupt cnnc library: training metadata without cnnc_train_step");
    if (m.dataParallel) {
      m.trainStepReplicated =
          reinterpret_cast<detail::EntryPoint>(dlsym(handle, "cnnc_train_step_replicated"));
      m.collectiveHook =
          reinterpret_cast<void (**)(float *, int64_t)>(dlsym(handle, "cnnc_collective_hook"));
      if (!m.trainStepReplicated || !m.collectiveHook)
        throw m.error("corrupt cnnc library: data_parallel metadata without "
                      "cnnc_train_step_replicated and cnnc_collective_hook");
      *m.collectiveHook = detail::crossReplicaSum;
    }
  }
  // The library's own libomp (a dependency dlsym searches through the handle).
  using GetInt = int (*)();
  m.setNumThreads = reinterpret_cast<void (*)(int)>(dlsym(handle, "omp_set_num_threads"));
  if (auto getMax = reinterpret_cast<GetInt>(dlsym(handle, "omp_get_max_threads")))
    m.defaultThreads = getMax();
  if (m.defaultThreads < 1)
    m.setNumThreads = nullptr;
  // The parameters it was loaded with: read (and checked) now, so a bad
  // weights file is a load error.
  lib->defaults_ = lib->loadDefaultParameters();
  return lib;
}

//===----------------------------------------------------------------------===//
// Parameter sets
//===----------------------------------------------------------------------===//

ParameterSet::ParameterSet(const Library &owner, std::unique_ptr<Impl> impl)
    : ownerId_(owner.impl().id), parameters_(owner.parameters()), impl_(std::move(impl)) {}

bool ParameterSet::madeFor(const Library &library) const { return ownerId_ == library.impl().id; }
ParameterSet::~ParameterSet() = default;

std::map<std::string, Tensor> ParameterSet::values() const {
  const auto &params = parameters_;
  std::map<std::string, Tensor> out;
  for (size_t i = 0; i < params.size(); ++i) {
    Tensor t(params[i].shape);
    if (!t.bytes.empty())
      std::memcpy(t.bytes.data(), impl_->host[i], t.bytes.size());
    out.emplace(params[i].name, std::move(t));
  }
  return out;
}

void ParameterSet::save(const std::string &path) const {
  auto values = this->values();
  std::vector<std::pair<std::string, const Tensor *>> entries;
  for (const auto &p : parameters_)
    entries.push_back({p.name, &values.at(p.name)});
  writeSafetensors(path, entries);
}

namespace {

/// Puts the host values on the device and runs cnnc_prepare there.
std::unique_ptr<ParameterSet::Impl> finishParameters(const Library::Impl &lib,
                                                     std::unique_ptr<ParameterSet::Impl> set) {
  set->device = lib.device;
  detail::Device &dev = *lib.device;
  for (size_t i = 0; i < lib.params.size(); ++i) {
    if (dev.hostMemory()) {
      set->paramArgs.push_back(const_cast<float *>(set->host[i]));
      continue;
    }
    size_t bytes = detail::floatBytes(lib.params[i].shape);
    set->deviceValues.emplace_back(lib.device, bytes, "parameter " + lib.params[i].name);
    dev.copyToDevice(set->deviceValues.back().get(), set->host[i], bytes,
                     "copying parameters to the GPU");
    set->paramArgs.push_back(set->deviceValues.back().get());
  }
  if (!lib.prepare)
    return set;
  for (const auto &shape : lib.preparedShapes) {
    set->prepared.emplace_back(lib.device, detail::floatBytes(shape), "prepared parameters");
    set->preparedArgs.push_back(set->prepared.back().get());
  }
  detail::DeviceBuffer arena(lib.device, size_t(std::max<int64_t>(lib.prepareArenaBytes, 64)),
                             "the parameter-preparation arena");
  std::vector<void *> args(set->paramArgs);
  args.insert(args.end(), set->preparedArgs.begin(), set->preparedArgs.end());
  args.push_back(arena.get());
  dev.call(lib.prepare, args.data(), "preparing parameters");
  return set;
}

} // namespace

std::shared_ptr<const ParameterSet>
Library::makeParameters(const std::vector<const float *> &values) const {
  const Impl &m = *impl_;
  if (values.size() != m.params.size())
    throw m.error("makeParameters: " + std::to_string(values.size()) + " values for " +
                  std::to_string(m.params.size()) + " parameters");
  auto set = std::make_unique<ParameterSet::Impl>();
  size_t total = 0;
  for (const auto &p : m.params)
    total += size_t(numElements(p.shape));
  set->owned.resize(total);
  size_t at = 0;
  for (size_t i = 0; i < m.params.size(); ++i) {
    size_t n = size_t(numElements(m.params[i].shape));
    if (n)
      std::memcpy(set->owned.data() + at, values[i], n * sizeof(float));
    set->host.push_back(set->owned.data() + at);
    at += n;
  }
  set = finishParameters(m, std::move(set));
  return std::shared_ptr<const ParameterSet>(new ParameterSet(*this, std::move(set)));
}

std::shared_ptr<const ParameterSet> Library::readParameters(const std::string &path) const {
  const Impl &m = *impl_;
  std::shared_ptr<SafetensorsFile> file;
  try {
    file = SafetensorsFile::open(path);
  } catch (const Error &e) {
    throw m.error(e.what());
  }
  std::vector<const float *> values;
  std::vector<std::vector<float>> aligned; // safetensors data need not be 4-byte aligned
  for (const auto &p : m.params) {
    const TensorEntry *e = file->find(p.name);
    if (!e)
      throw Error(path + ": has no tensor '" + p.name + "' needed by " + m.path);
    if (e->dtype != "F32" || e->shape != p.shape)
      throw Error(path + ": tensor '" + p.name + "' is " + e->dtype + " " +
                  shapeString(e->shape) + ", expected F32 " + shapeString(p.shape));
    aligned.emplace_back(size_t(numElements(p.shape)));
    if (e->end > e->begin)
      std::memcpy(aligned.back().data(), file->data(*e), e->end - e->begin);
    values.push_back(aligned.back().data());
  }
  return makeParameters(values);
}

std::shared_ptr<const ParameterSet> Library::defaultParameters() const { return defaults_; }

std::shared_ptr<const ParameterSet> Library::loadDefaultParameters() const {
  const Impl &m = *impl_;
  std::shared_ptr<const ParameterSet> set;
  if (!m.weightsPath.empty()) {
    try {
      set = readParameters(m.weightsPath);
    } catch (const Error &e) {
      // The message names the weights file; say whose it is.
      std::string what = e.what();
      if (what.rfind(m.path + ": ", 0) == 0)
        what = what.substr(m.path.size() + 2);
      throw m.error((m.embedded ? "" : "external weights: ") + what);
    }
  } else {
    auto impl = std::make_unique<ParameterSet::Impl>();
    impl->object = m.object;
    for (size_t i = 0; i < m.params.size(); ++i)
      impl->host.push_back(reinterpret_cast<const float *>(m.embedded + m.paramOffsets[i]));
    impl = finishParameters(m, std::move(impl));
    set.reset(new ParameterSet(*this, std::move(impl)));
  }
  return set;
}

} // namespace cnnrt
