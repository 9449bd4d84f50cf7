//===- Model.cpp - load and run a cnnc-compiled model ----------------------===//

#include "cnnrt/Model.h"
#include "cnnrt/Safetensors.h"

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdlib>
#include <mutex>
#include <cstring>
#include <dlfcn.h>
#include <filesystem>
#include <fstream>
#include <unistd.h>

namespace cnnrt {
namespace {

constexpr size_t kArenaAlignment = 64;

bool hostHasFeature(const std::string &f) {
#if defined(__x86_64__)
  __builtin_cpu_init();
  if (f == "avx512f") return __builtin_cpu_supports("avx512f");
  if (f == "avx512bw") return __builtin_cpu_supports("avx512bw");
  if (f == "avx512vl") return __builtin_cpu_supports("avx512vl");
  if (f == "avx2") return __builtin_cpu_supports("avx2");
  if (f == "fma") return __builtin_cpu_supports("fma");
  if (f == "avx") return __builtin_cpu_supports("avx");
  return true;
#else
  return false;
#endif
}

/// Checks the ELF magic first so that a text file gives a clear message.
void checkIsSharedObject(const std::string &path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec))
    throw Error(path + ": no such file");
  if (std::filesystem::is_directory(path, ec))
    throw Error(path + ": is a directory, not a cnnc library");
  std::ifstream in(path, std::ios::binary);
  char magic[4] = {0, 0, 0, 0};
  in.read(magic, 4);
  if (!in || std::memcmp(magic, "\x7f" "ELF", 4) != 0)
    throw Error(path + ": not a cnnc library (not an ELF shared object)");
}

/// Profiling marks of the model being profiled (one profile at a time).
std::mutex profileMutex;
std::vector<std::pair<int64_t, std::chrono::steady_clock::time_point>> profileMarks;
void recordMark(int64_t layer) {
  profileMarks.emplace_back(layer, std::chrono::steady_clock::now());
}

std::vector<TensorInfo> readSignature(const nlohmann::json &arr) {
  std::vector<TensorInfo> v;
  for (const auto &e : arr)
    v.push_back({e.at("name").get<std::string>(), e.at("shape").get<std::vector<int64_t>>()});
  return v;
}

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

} // namespace

std::unique_ptr<Model> Model::load(const std::string &path, const LoadOptions &options) {
  checkIsSharedObject(path);
  std::unique_ptr<Model> m(new Model());
  m->path_ = path;
  // Compiled models run their parallel loops on libomp's pool: pin its two
  // threads to cores (unpinned threads halve the throughput on small VMs).
  // A user's own settings win.
  setenv("OMP_PROC_BIND", "close", 0);
  setenv("OMP_WAIT_POLICY", "active", 0);
  std::string abs = std::filesystem::absolute(path).string();
  m->handle_ = dlopen(abs.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!m->handle_)
    throw Error(path + ": cannot load: " + dlerror());
  auto *abi = static_cast<const uint32_t *>(dlsym(m->handle_, "cnnc_abi_version"));
  auto *meta = static_cast<const char *>(dlsym(m->handle_, "cnnc_metadata"));
  if (!abi || !meta)
    throw Error(path + ": not a cnnc library (no cnnc_abi_version/cnnc_metadata symbols)");
  if (*abi != kAbiVersion)
    throw Error(path + ": cnnc ABI version " + std::to_string(*abi) +
                ", but this runtime reads version " + std::to_string(kAbiVersion) +
                "; recompile the model with a matching cnnc");
  m->metadataText_ = meta;
  nlohmann::json md;
  try {
    md = nlohmann::json::parse(m->metadataText_);
    m->name_ = md.at("name").get<std::string>();
    const auto &target = md.at("target");
    std::string arch = target.at("arch").get<std::string>();
    m->target_ = arch + " (" + target.value("cpu", std::string("?")) + ")";
    if (arch != "x86_64")
      throw Error(path + ": compiled for target " + arch +
                  "; this runtime runs x86_64 models on the CPU");
#if !defined(__x86_64__)
    throw Error(path + ": compiled for x86_64, but this machine is not x86-64");
#endif
    for (const auto &f : target.value("required_features", nlohmann::json::array()))
      if (!hostHasFeature(f.get<std::string>()))
        throw Error(path + ": compiled for CPU '" + target.value("cpu", std::string("?")) +
                    "' which needs " + f.get<std::string>() +
                    ", which this CPU lacks; recompile with -mcpu for this machine");
    m->inputs_ = readSignature(md.at("inputs"));
    m->outputs_ = readSignature(md.at("outputs"));
    for (const auto &p : md.at("params")) {
      m->params_.push_back({p.at("name").get<std::string>(),
                            p.at("shape").get<std::vector<int64_t>>()});
      m->paramOffsets_.push_back(p.at("offset").get<uint64_t>());
    }
    m->arenaBytes_ = md.at("arena_bytes").get<int64_t>();
    m->layers_ = md.value("layers", std::vector<std::string>());
    for (const auto &p : md.value("prepared", nlohmann::json::array()))
      m->preparedShapes_.push_back(p.at("shape").get<std::vector<int64_t>>());
    m->prepareArenaBytes_ = md.value("prepare_arena_bytes", int64_t(0));
    m->blobBytes_ = md.at("weights").at("bytes").get<uint64_t>();
    bool embedded = md.at("weights").at("storage") == "embedded";
    if (embedded)
      m->embedded_ = static_cast<const uint8_t *>(dlsym(m->handle_, "cnnc_weights"));
    if (embedded && !m->embedded_ && !m->params_.empty())
      throw Error(path + ": metadata says weights are embedded, but cnnc_weights is missing");
    std::string weights = options.weightsPath;
    if (weights.empty() && !embedded)
      weights = path + ".weights.safetensors";
    m->bindParameters(weights, !embedded);
  } catch (const nlohmann::json::exception &e) {
    throw Error(path + ": corrupt cnnc metadata: " + e.what());
  }
  m->forwardFn_ = reinterpret_cast<void (*)(void **)>(dlsym(m->handle_, "cnnc_forward"));
  if (!m->forwardFn_)
    throw Error(path + ": not a cnnc library (no cnnc_forward entry point)");
  m->profileHook_ =
      reinterpret_cast<void (**)(int64_t)>(dlsym(m->handle_, "cnnc_profile_hook"));
  if (!m->preparedShapes_.empty()) {
    m->prepareFn_ = reinterpret_cast<void (*)(void **)>(dlsym(m->handle_, "cnnc_prepare"));
    if (!m->prepareFn_)
      throw Error(path + ": corrupt cnnc library: prepared parameters without cnnc_prepare");
  }
  size_t arena = (size_t(std::max<int64_t>(m->arenaBytes_, 64)) + kArenaAlignment - 1) /
                 kArenaAlignment * kArenaAlignment;
  m->arena_ = std::aligned_alloc(kArenaAlignment, arena);
  if (!m->arena_)
    throw Error(path + ": cannot allocate the " + std::to_string(arena) + "-byte arena");
  m->prepareParameters();
  return m;
}

void Model::bindParameters(const std::string &weightsPath, bool required) {
  paramPtrs_.assign(params_.size(), nullptr);
  if (weightsPath.empty()) {
    for (size_t i = 0; i < params_.size(); ++i)
      paramPtrs_[i] = reinterpret_cast<const float *>(embedded_ + paramOffsets_[i]);
    return;
  }
  std::shared_ptr<SafetensorsFile> file;
  try {
    file = SafetensorsFile::open(weightsPath);
  } catch (const Error &e) {
    throw Error(path_ + ": " + (required ? "external weights: " : "") + e.what());
  }
  size_t total = 0;
  std::vector<size_t> starts;
  for (const auto &p : params_) {
    starts.push_back(total);
    total += (size_t)numElements(p.shape);
  }
  std::vector<float> values(total);
  for (size_t i = 0; i < params_.size(); ++i) {
    const TensorEntry *e = file->find(params_[i].name);
    if (!e)
      throw Error(weightsPath + ": has no tensor '" + params_[i].name + "' needed by " + path_);
    if (e->dtype != "F32" || e->shape != params_[i].shape)
      throw Error(weightsPath + ": tensor '" + params_[i].name + "' is " + e->dtype + " " +
                  shapeString(e->shape) + ", expected F32 " + shapeString(params_[i].shape));
    std::memcpy(values.data() + starts[i], file->data(*e), (e->end - e->begin));
  }
  ownedParams_ = std::move(values);
  for (size_t i = 0; i < params_.size(); ++i)
    paramPtrs_[i] = ownedParams_.data() + starts[i];
}

void Model::prepareParameters() {
  if (!prepareFn_)
    return;
  prepared_.clear();
  std::vector<void *> args;
  for (const float *p : paramPtrs_)
    args.push_back(const_cast<float *>(p));
  for (const auto &shape : preparedShapes_) {
    prepared_.emplace_back((size_t)numElements(shape));
    args.push_back(prepared_.back().data());
  }
  size_t bytes = (size_t(std::max<int64_t>(prepareArenaBytes_, 64)) + kArenaAlignment - 1) /
                 kArenaAlignment * kArenaAlignment;
  void *arena = std::aligned_alloc(kArenaAlignment, bytes);
  if (!arena)
    throw Error(path_ + ": cannot allocate the parameter-preparation arena");
  args.push_back(arena);
  prepareFn_(args.data());
  std::free(arena);
}

Model::~Model() {
  std::free(arena_);
  if (handle_)
    dlclose(handle_);
}

std::vector<std::pair<std::string, Tensor>>
Model::forward(const std::map<std::string, Tensor> &inputs) {
  std::vector<void *> args;
  for (const auto &in : inputs_) {
    auto it = inputs.find(in.name);
    if (it == inputs.end()) {
      std::string have;
      for (const auto &kv : inputs)
        have += (have.empty() ? "" : ", ") + kv.first;
      throw Error(path_ + ": missing input '" + in.name + "' (given: " +
                  (have.empty() ? "none" : have) + ")");
    }
    if (it->second.dtype != DType::F32)
      throw Error(path_ + ": input '" + in.name + "' must be F32, got " +
                  dtypeName(it->second.dtype));
    if (it->second.shape != in.shape)
      throw Error(path_ + ": input '" + in.name + "' has shape " + it->second.shapeString() +
                  ", but the model was compiled for " + shapeString(in.shape) +
                  " (recompile with --batch=N to change the batch)");
    args.push_back(const_cast<uint8_t *>(it->second.bytes.data()));
  }
  for (const auto &kv : inputs) {
    bool known = false;
    for (const auto &in : inputs_)
      known |= in.name == kv.first;
    if (!known)
      throw Error(path_ + ": unknown input '" + kv.first + "'");
  }
  for (const float *p : paramPtrs_)
    args.push_back(const_cast<float *>(p));
  for (auto &p : prepared_)
    args.push_back(p.data());
  std::vector<std::pair<std::string, Tensor>> outs;
  outs.reserve(outputs_.size());
  for (const auto &o : outputs_)
    outs.emplace_back(o.name, Tensor(o.shape));
  for (auto &o : outs)
    args.push_back(o.second.bytes.data());
  args.push_back(arena_);
  forwardFn_(args.data());
  return outs;
}

std::vector<std::pair<std::string, double>>
Model::profile(const std::map<std::string, Tensor> &inputs) {
  if (!profileHook_ || layers_.empty())
    throw Error(path_ + ": this library has no per-layer profiling marks");
  std::lock_guard<std::mutex> lock(profileMutex);
  profileMarks.clear();
  profileMarks.reserve(layers_.size() + 1);
  *profileHook_ = recordMark;
  try {
    forward(inputs);
  } catch (...) {
    *profileHook_ = nullptr;
    throw;
  }
  *profileHook_ = nullptr;
  // Mark i starts layer i; the next mark ends it.
  std::vector<std::pair<std::string, double>> out;
  for (size_t i = 0; i + 1 < profileMarks.size(); ++i) {
    int64_t id = profileMarks[i].first;
    double ms = std::chrono::duration<double, std::milli>(profileMarks[i + 1].second -
                                                          profileMarks[i].second)
                    .count();
    std::string name = id >= 0 && id < (int64_t)layers_.size() ? layers_[id] : "?";
    out.emplace_back(name, ms);
  }
  return out;
}

std::map<std::string, Tensor> Model::parameterValues() const {
  std::map<std::string, Tensor> out;
  for (size_t i = 0; i < params_.size(); ++i) {
    Tensor t(params_[i].shape);
    std::memcpy(t.bytes.data(), paramPtrs_[i], t.bytes.size());
    out.emplace(params_[i].name, std::move(t));
  }
  return out;
}

void Model::loadParameters(const std::string &path) {
  bindParameters(path, true);
  prepareParameters();
}

void Model::saveParameters(const std::string &path) const {
  auto values = parameterValues();
  std::vector<std::pair<std::string, const Tensor *>> entries;
  for (const auto &p : params_)
    entries.push_back({p.name, &values.at(p.name)});
  writeSafetensors(path, entries);
}

} // namespace cnnrt
