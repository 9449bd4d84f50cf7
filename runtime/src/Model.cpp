//===- Model.cpp - load and run a cnnc-compiled model ----------------------===//

#include "cnnrt/Model.h"
#include "cnnrt/Safetensors.h"

#include "CudaDriver.h"
#include "DeviceBuffers.h"

#include <nlohmann/json.hpp>

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <mutex>
#include <cstring>
#include <dlfcn.h>
#include <elf.h>
#include <filesystem>
#include <fstream>
#include <optional>
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

/// What the ELF check learns from the file before it is loaded.
struct LibraryFile {
  uint64_t metadataBytes = 0; // st_size of cnnc_metadata (its NUL included)
  uint64_t weightsBytes = 0;  // st_size of cnnc_weights, 0 if none
};

/// Checks the file before dlopen runs any of it: an ELF shared object for
/// x86-64 whose loadable segments lie inside the file (a truncated library
/// would fault when touched), which defines cnnc_abi_version and
/// cnnc_metadata, of this runtime's ABI version, with NUL-terminated metadata.
/// Every failure is a cnnrt::Error naming the file.
LibraryFile checkIsSharedObject(const std::string &path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec))
    throw Error(path + ": no such file");
  if (std::filesystem::is_directory(path, ec))
    throw Error(path + ": is a directory, not a cnnc library");
  if (!std::filesystem::is_regular_file(path, ec))
    throw Error(path + ": not a regular file, not a cnnc library");
  uint64_t size = std::filesystem::file_size(path, ec);
  std::ifstream in(path, std::ios::binary);
  if (ec || !in)
    throw Error(path + ": cannot open");
  auto read = [&](uint64_t offset, void *dst, uint64_t bytes) {
    if (offset > size || bytes > size - offset)
      return false;
    in.clear();
    in.seekg(static_cast<std::streamoff>(offset));
    in.read(static_cast<char *>(dst), static_cast<std::streamsize>(bytes));
    return bool(in);
  };
  auto damaged = [&](const std::string &what) {
    return Error(path + ": damaged or truncated library (" + what + ")");
  };
  char magic[4] = {0, 0, 0, 0};
  if (!read(0, magic, 4) || std::memcmp(magic, ELFMAG, SELFMAG) != 0)
    throw Error(path + ": not a cnnc library (not an ELF shared object)");
  Elf64_Ehdr eh;
  if (!read(0, &eh, sizeof eh))
    throw damaged("the ELF header is cut short");
  if (eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_ident[EI_DATA] != ELFDATA2LSB)
    throw Error(path + ": not a library for this machine (not a 64-bit little-endian ELF file)");
  if (eh.e_type != ET_DYN)
    throw Error(path + ": not a cnnc library (an ELF file, but not a shared object)");
  if (eh.e_machine != EM_X86_64)
    throw Error(path + ": built for another machine (ELF machine " +
                std::to_string(eh.e_machine) +
                (eh.e_machine == EM_AARCH64 ? ", aarch64" : "") +
                "); this runtime loads x86-64 libraries");
  if (eh.e_phentsize != sizeof(Elf64_Phdr) || eh.e_phnum == 0)
    throw damaged("no valid program headers");
  for (unsigned i = 0; i < eh.e_phnum; ++i) {
    Elf64_Phdr ph;
    if (!read(eh.e_phoff + uint64_t(i) * sizeof ph, &ph, sizeof ph))
      throw damaged("program header " + std::to_string(i) + " is past the end of the file");
    if (ph.p_type == PT_LOAD && (ph.p_offset > size || ph.p_filesz > size - ph.p_offset))
      throw damaged("segment " + std::to_string(i) + " ends past the end of the file, " +
                    std::to_string(size) + " bytes");
  }
  // The dynamic symbol table (what dlsym searches).
  if (eh.e_shoff == 0 || eh.e_shentsize != sizeof(Elf64_Shdr) || eh.e_shnum == 0)
    throw Error(path + ": not a cnnc library (no section headers)");
  std::vector<Elf64_Shdr> sections(eh.e_shnum);
  if (!read(eh.e_shoff, sections.data(), sections.size() * sizeof(Elf64_Shdr)))
    throw damaged("the section headers are past the end of the file");
  auto sectionBytes = [&](const Elf64_Shdr &sh, uint64_t maxBytes) {
    if (sh.sh_type == SHT_NOBITS || sh.sh_size > maxBytes)
      throw damaged("an unreadable section");
    std::vector<char> bytes(sh.sh_size);
    if (!read(sh.sh_offset, bytes.data(), bytes.size()))
      throw damaged("a section is past the end of the file");
    return bytes;
  };
  const Elf64_Shdr *dynsym = nullptr;
  for (const auto &sh : sections)
    if (sh.sh_type == SHT_DYNSYM)
      dynsym = &sh;
  if (!dynsym || dynsym->sh_link >= sections.size())
    throw Error(path + ": not a cnnc library (no dynamic symbols)");
  constexpr uint64_t kMaxTable = uint64_t(64) << 20;
  std::vector<char> syms = sectionBytes(*dynsym, kMaxTable);
  std::vector<char> names = sectionBytes(sections[dynsym->sh_link], kMaxTable);
  auto symbolName = [&](uint32_t offset) {
    if (offset >= names.size())
      return std::string();
    const char *begin = names.data() + offset;
    return std::string(begin, strnlen(begin, names.size() - offset));
  };
  std::optional<Elf64_Sym> abi, meta, weights;
  for (size_t i = 0; i + sizeof(Elf64_Sym) <= syms.size(); i += sizeof(Elf64_Sym)) {
    Elf64_Sym sym;
    std::memcpy(&sym, syms.data() + i, sizeof sym);
    if (sym.st_shndx == SHN_UNDEF || sym.st_shndx >= sections.size())
      continue;
    std::string name = symbolName(sym.st_name);
    if (name == "cnnc_abi_version")
      abi = sym;
    else if (name == "cnnc_metadata")
      meta = sym;
    else if (name == "cnnc_weights")
      weights = sym;
  }
  if (!abi || !meta)
    throw Error(path + ": not a cnnc library (no cnnc_abi_version/cnnc_metadata symbols)");
  // The bytes of a symbol, from the section that holds it.
  auto symbolBytes = [&](const Elf64_Sym &sym, uint64_t bytes, const char *what) {
    const Elf64_Shdr &sh = sections[sym.st_shndx];
    if (sh.sh_type == SHT_NOBITS || sym.st_value < sh.sh_addr ||
        sym.st_value - sh.sh_addr > sh.sh_size || bytes > sh.sh_size - (sym.st_value - sh.sh_addr))
      throw damaged(std::string(what) + " lies outside its section");
    std::vector<char> out(bytes);
    if (!read(sh.sh_offset + (sym.st_value - sh.sh_addr), out.data(), bytes))
      throw damaged(std::string(what) + " is past the end of the file");
    return out;
  };
  uint32_t version;
  std::vector<char> v = symbolBytes(*abi, sizeof version, "cnnc_abi_version");
  std::memcpy(&version, v.data(), sizeof version);
  if (version != kAbiVersion)
    throw Error(path + ": cnnc ABI version " + std::to_string(version) +
                ", but this runtime reads version " + std::to_string(kAbiVersion) +
                "; recompile the model with a matching cnnc");
  if (meta->st_size == 0 || meta->st_size > kMaxTable)
    throw damaged("cnnc_metadata has no size");
  std::vector<char> text = symbolBytes(*meta, meta->st_size, "cnnc_metadata");
  if (std::memchr(text.data(), 0, text.size()) == nullptr)
    throw damaged("cnnc_metadata is not NUL-terminated");
  LibraryFile lib;
  lib.metadataBytes = meta->st_size;
  lib.weightsBytes = weights ? weights->st_size : 0;
  return lib;
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
  LibraryFile lib = checkIsSharedObject(path);
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
  m->metadataText_ = std::string(meta, strnlen(meta, lib.metadataBytes));
  nlohmann::json md;
  try {
    md = nlohmann::json::parse(m->metadataText_);
    m->name_ = md.at("name").get<std::string>();
    const auto &target = md.at("target");
    std::string arch = target.at("arch").get<std::string>();
    m->target_ = arch + " (" + target.value("cpu", std::string("?")) + ")";
    if (arch == "nvptx") {
      m->gpu_ = true;
      std::string chip = target.value("chip", std::string("sm_90"));
      m->target_ = "nvptx (" + chip + ")";
      std::string err;
      if (!cuda::driver(&err))
        throw Error(path + ": compiled for an NVIDIA GPU (" + chip + "), but " + err);
      std::string have = cuda::deviceArch();
      auto smNumber = [](const std::string &s) {
        return s.size() > 3 ? std::atoi(s.c_str() + 3) : 0;
      };
      if (smNumber(have) < smNumber(chip))
        throw Error(path + ": compiled for " + chip + ", but the GPU (" + cuda::deviceName() +
                    ") is " + have + "; recompile with -mcpu=" + have);
      std::string loadErr = cuda::takeLaunchError();
      if (!loadErr.empty())
        throw Error(path + ": " + loadErr);
    } else if (arch != "x86_64") {
      throw Error(path + ": compiled for target " + arch +
                  "; this runtime runs x86_64 models on the CPU and nvptx models on the GPU");
    }
#if !defined(__x86_64__)
    if (!m->gpu_)
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
    if (md.contains("train_step")) {
      const auto &t = md["train_step"];
      m->learnable_ = t.at("learnable").get<std::vector<std::string>>();
      m->runningStats_ = t.at("running_stats").get<std::vector<std::string>>();
      m->learningRate_ = t.at("learning_rate").get<float>();
      m->trainArenaBytes_ = t.at("arena_bytes").get<int64_t>();
      if (!t.contains("rng"))
        throw Error(path + ": training step built by an older cnnc (no rng argument); "
                           "recompile with cnnc --train");
      auto indexOf = [&](const std::string &n) {
        for (size_t i = 0; i < m->params_.size(); ++i)
          if (m->params_[i].name == n)
            return i;
        throw Error(path + ": corrupt training metadata: no parameter '" + n + "'");
      };
      for (const auto &n : m->learnable_)
        m->learnableIndex_.push_back(indexOf(n));
      for (const auto &n : m->runningStats_)
        m->statIndex_.push_back(indexOf(n));
    }
    m->blobBytes_ = md.at("weights").at("bytes").get<uint64_t>();
    bool embedded = md.at("weights").at("storage") == "embedded";
    if (embedded)
      m->embedded_ = static_cast<const uint8_t *>(dlsym(m->handle_, "cnnc_weights"));
    if (embedded && !m->embedded_ && !m->params_.empty())
      throw Error(path + ": metadata says weights are embedded, but cnnc_weights is missing");
    // Shapes and offsets come from the file: a corrupt library must not make
    // the runtime allocate absurd sizes or read outside the weights.
    auto checkShape = [&](const std::string &what, const std::vector<int64_t> &shape) {
      uint64_t n = 1;
      for (int64_t d : shape)
        if (d < 0 || __builtin_mul_overflow(n, static_cast<uint64_t>(d), &n) ||
            n > (uint64_t(1) << 40))
          throw Error(path + ": corrupt cnnc metadata: " + what + " has shape " +
                      shapeString(shape));
      return n;
    };
    for (const auto &t : m->inputs_)
      checkShape("input '" + t.name + "'", t.shape);
    for (const auto &t : m->outputs_)
      checkShape("output '" + t.name + "'", t.shape);
    for (const auto &shape : m->preparedShapes_)
      checkShape("a prepared parameter", shape);
    if (embedded && m->embedded_ && m->blobBytes_ > lib.weightsBytes)
      throw Error(path + ": corrupt cnnc library: metadata says " +
                  std::to_string(m->blobBytes_) + " bytes of weights, cnnc_weights holds " +
                  std::to_string(lib.weightsBytes));
    for (size_t i = 0; i < m->params_.size(); ++i) {
      uint64_t bytes = checkShape("parameter '" + m->params_[i].name + "'",
                                  m->params_[i].shape) * sizeof(float);
      if (embedded && (m->paramOffsets_[i] > m->blobBytes_ ||
                       bytes > m->blobBytes_ - m->paramOffsets_[i]))
        throw Error(path + ": corrupt cnnc metadata: parameter '" + m->params_[i].name +
                    "' lies outside the embedded weights");
    }
    std::string weights = options.weightsPath;
    if (weights.empty() && !embedded)
      weights = path + ".weights.safetensors";
    m->bindParameters(weights, !embedded);
  } catch (const nlohmann::json::exception &e) {
    // Without nlohmann's "[json.exception.parse_error.101] " tag, and cut
    // short: the parser quotes what it last read, which may be long.
    std::string what = e.what();
    if (!what.empty() && what[0] == '[' && what.find("] ") != std::string::npos)
      what = what.substr(what.find("] ") + 2);
    if (what.size() > 200)
      what = what.substr(0, 200) + "...";
    throw Error(path + ": corrupt cnnc metadata: " + what);
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
  if (!m->learnable_.empty()) {
    m->trainFn_ = reinterpret_cast<void (*)(void **)>(dlsym(m->handle_, "cnnc_train_step"));
    if (!m->trainFn_)
      throw Error(path + ": corrupt cnnc library: training metadata without cnnc_train_step");
  }
  if (m->gpu_) {
    m->setUpDevice();
    return m;
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

void Model::checkLaunches(const char *what) {
  std::string err = cuda::takeLaunchError();
  if (!err.empty())
    throw Error(path_ + ": " + what + ": " + err);
}

void Model::setUpDevice() {
  std::string err;
  cuda::Driver *d = cuda::driver(&err);
  if (!d)
    throw Error(path_ + ": " + err);
  device_ = std::make_unique<DeviceBuffers>();
  device_->d = d;
  auto alloc = [&](size_t bytes) {
    cuda::CUdeviceptr p = 0;
    cuda::CUresult r = d->cuMemAlloc(&p, std::max<size_t>(bytes, 64));
    if (r != 0)
      throw Error(path_ + ": " + cuda::describe("cuMemAlloc", r) + " (" +
                  std::to_string(bytes) + " bytes)");
    return p;
  };
  auto bytesOf = [](const std::vector<int64_t> &shape) {
    return size_t(numElements(shape)) * sizeof(float);
  };
  for (const auto &p : params_)
    device_->params.push_back(alloc(bytesOf(p.shape)));
  for (const auto &shape : preparedShapes_)
    device_->prepared.push_back(alloc(bytesOf(shape)));
  for (const auto &in : inputs_)
    device_->inputs.push_back(alloc(bytesOf(in.shape)));
  for (const auto &out : outputs_)
    device_->outputs.push_back(alloc(bytesOf(out.shape)));
  device_->arena = alloc(size_t(arenaBytes_));
  device_->prepareArena = alloc(size_t(prepareArenaBytes_));
  uploadParameters();
  prepareOnDevice();
}

void Model::uploadParameters() {
  cuda::Driver *d = device_->d;
  for (size_t i = 0; i < params_.size(); ++i) {
    size_t bytes = size_t(numElements(params_[i].shape)) * sizeof(float);
    cuda::CUresult r = d->cuMemcpyHtoD(device_->params[i], paramPtrs_[i], bytes);
    if (r != 0)
      throw Error(path_ + ": " + cuda::describe("copying parameters to the GPU", r));
  }
  hostParamsStale_ = false;
}

void Model::prepareOnDevice() {
  if (!prepareFn_)
    return;
  std::vector<void *> args;
  for (auto p : device_->params)
    args.push_back(reinterpret_cast<void *>(p));
  for (auto p : device_->prepared)
    args.push_back(reinterpret_cast<void *>(p));
  args.push_back(reinterpret_cast<void *>(device_->prepareArena));
  prepareFn_(args.data());
  checkLaunches("preparing parameters on the GPU");
}

void Model::prepareParameters() {
  if (gpu_) { // the host copy is the newer one (load, loadParameters)
    uploadParameters();
    prepareOnDevice();
    return;
  }
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

void Model::makeParametersWritable() {
  // Embedded parameters are read-only: copy them once into owned storage.
  if (!ownedParams_.empty() || params_.empty())
    return;
  size_t total = 0;
  for (const auto &p : params_)
    total += size_t(numElements(p.shape));
  std::vector<float> values(total);
  size_t at = 0;
  for (size_t i = 0; i < params_.size(); ++i) {
    size_t n = size_t(numElements(params_[i].shape));
    std::memcpy(values.data() + at, paramPtrs_[i], n * sizeof(float));
    at += n;
  }
  ownedParams_ = std::move(values);
  at = 0;
  for (size_t i = 0; i < params_.size(); ++i) {
    paramPtrs_[i] = ownedParams_.data() + at;
    at += size_t(numElements(params_[i].shape));
  }
}

void Model::setLearningRate(float lr) {
  if (!(lr >= 0) || !std::isfinite(lr))
    throw Error(path_ + ": the learning rate must be a non-negative number");
  learningRate_ = lr;
}

void Model::setSeed(uint64_t seed) {
  seed_ = seed;
  stepIndex_ = 0;
}

float Model::trainStep(const std::map<std::string, Tensor> &inputs, const Tensor &labels) {
  if (!trainFn_)
    throw Error(path_ + ": not compiled for training (recompile with cnnc --train)");
  int64_t batch = inputs_.empty() ? 0 : inputs_[0].shape[0];
  int64_t classes = outputs_.at(0).shape.at(1);
  if (labels.shape != std::vector<int64_t>{batch})
    throw Error(path_ + ": labels must have shape [" + std::to_string(batch) + "], got " +
                labels.shapeString());
  std::vector<int64_t> lab(static_cast<size_t>(batch));
  for (int64_t i = 0; i < batch; ++i) {
    int64_t v;
    if (labels.dtype == DType::I64)
      v = reinterpret_cast<const int64_t *>(labels.bytes.data())[i];
    else if (labels.dtype == DType::I32)
      v = reinterpret_cast<const int32_t *>(labels.bytes.data())[i];
    else
      throw Error(path_ + ": labels must be I32 or I64, got " + dtypeName(labels.dtype));
    if (v < 0 || v >= classes)
      throw Error(path_ + ": label " + std::to_string(v) + " at position " + std::to_string(i) +
                  " is outside [0, " + std::to_string(classes) + ")");
    lab[size_t(i)] = v;
  }
  std::vector<const Tensor *> batchTensors; // the inputs, in signature order
  for (const auto &in : inputs_) {
    auto it = inputs.find(in.name);
    if (it == inputs.end())
      throw Error(path_ + ": missing input '" + in.name + "'");
    if (it->second.dtype != DType::F32 || it->second.shape != in.shape)
      throw Error(path_ + ": input '" + in.name + "' must be F32 " + shapeString(in.shape) +
                  ", got " + dtypeName(it->second.dtype) + " " + it->second.shapeString());
    batchTensors.push_back(&it->second);
  }
  makeParametersWritable();
  if (gpu_)
    return trainStepOnGpu(batchTensors, lab);
  if (momentum_.empty()) {
    for (size_t k : learnableIndex_) {
      size_t n = size_t(numElements(params_[k].shape));
      momentum_.emplace_back(n, 0.0f);
      grads_.emplace_back(n, 0.0f);
    }
    size_t bytes = (size_t(std::max<int64_t>(trainArenaBytes_, 64)) + kArenaAlignment - 1) /
                   kArenaAlignment * kArenaAlignment;
    trainArena_ = std::aligned_alloc(kArenaAlignment, bytes);
    if (!trainArena_)
      throw Error(path_ + ": cannot allocate the training arena");
  }
  std::vector<void *> args;
  for (const Tensor *t : batchTensors)
    args.push_back(const_cast<uint8_t *>(t->bytes.data()));
  args.push_back(lab.data());
  int64_t rng[2] = {int64_t(seed_), stepIndex_};
  args.push_back(rng);
  for (const float *p : paramPtrs_)
    args.push_back(const_cast<float *>(p));
  for (auto &m : momentum_)
    args.push_back(m.data());
  float lr = learningRate_, loss = 0;
  args.push_back(&lr);
  args.push_back(&loss);
  std::vector<std::vector<float>> newParams, newMomentum, newStats;
  for (size_t k : learnableIndex_)
    newParams.emplace_back(size_t(numElements(params_[k].shape)));
  for (auto &m : momentum_)
    newMomentum.emplace_back(m.size());
  for (size_t k : statIndex_)
    newStats.emplace_back(size_t(numElements(params_[k].shape)));
  for (auto *v : {&newParams, &newMomentum, &grads_, &newStats})
    for (auto &buf : *v)
      args.push_back(buf.data());
  args.push_back(trainArena_);
  trainFn_(args.data());
  auto store = [&](size_t param, const std::vector<float> &v) {
    std::memcpy(const_cast<float *>(paramPtrs_[param]), v.data(), v.size() * sizeof(float));
  };
  for (size_t j = 0; j < learnableIndex_.size(); ++j)
    store(learnableIndex_[j], newParams[j]);
  for (size_t j = 0; j < statIndex_.size(); ++j)
    store(statIndex_[j], newStats[j]);
  momentum_.swap(newMomentum);
  preparedStale_ = true;
  ++stepIndex_;
  return loss;
}

std::map<std::string, Tensor> Model::gradients() const {
  if (gpu_)
    return gradientsOnGpu();
  std::map<std::string, Tensor> out;
  for (size_t j = 0; j < learnableIndex_.size() && j < grads_.size(); ++j) {
    Tensor t(params_[learnableIndex_[j]].shape);
    std::memcpy(t.bytes.data(), grads_[j].data(), t.bytes.size());
    out.emplace(learnable_[j], std::move(t));
  }
  return out;
}

Model::~Model() {
  std::free(trainArena_);
  std::free(arena_);
  if (handle_)
    dlclose(handle_);
}

std::vector<std::pair<std::string, Tensor>>
Model::forward(const std::map<std::string, Tensor> &inputs) {
  if (preparedStale_) { // parameters changed in a training step
    if (gpu_)
      prepareOnDevice(); // the device holds the trained values
    else
      prepareParameters();
    preparedStale_ = false;
  }
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
  std::vector<std::pair<std::string, Tensor>> outs;
  outs.reserve(outputs_.size());
  for (const auto &o : outputs_)
    outs.emplace_back(o.name, Tensor(o.shape));
  if (gpu_) {
    cuda::Driver *d = device_->d;
    for (size_t i = 0; i < inputs_.size(); ++i) {
      const Tensor &t = inputs.at(inputs_[i].name);
      cuda::CUresult r = d->cuMemcpyHtoD(device_->inputs[i], t.bytes.data(), t.bytes.size());
      if (r != 0)
        throw Error(path_ + ": " + cuda::describe("copying inputs to the GPU", r));
    }
    std::vector<void *> dargs;
    for (auto *v : {&device_->inputs, &device_->params, &device_->prepared, &device_->outputs})
      for (auto p : *v)
        dargs.push_back(reinterpret_cast<void *>(p));
    dargs.push_back(reinterpret_cast<void *>(device_->arena));
    forwardFn_(dargs.data());
    checkLaunches("running the model on the GPU");
    for (size_t i = 0; i < outs.size(); ++i) {
      Tensor &t = outs[i].second;
      cuda::CUresult r = d->cuMemcpyDtoH(t.bytes.data(), device_->outputs[i], t.bytes.size());
      if (r != 0)
        throw Error(path_ + ": " + cuda::describe("copying outputs from the GPU", r));
    }
    return outs;
  }
  for (const float *p : paramPtrs_)
    args.push_back(const_cast<float *>(p));
  for (auto &p : prepared_)
    args.push_back(p.data());
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
  // A mark starts an interval of its layer; the next mark ends it. A layer
  // may have several intervals (a conv fused into the epilogue that runs
  // later, in another layer's place): they add up, in first-seen order.
  std::vector<std::pair<std::string, double>> out;
  std::map<int64_t, size_t> row;
  for (size_t i = 0; i + 1 < profileMarks.size(); ++i) {
    int64_t id = profileMarks[i].first;
    double ms = std::chrono::duration<double, std::milli>(profileMarks[i + 1].second -
                                                          profileMarks[i].second)
                    .count();
    auto [it, fresh] = row.try_emplace(id, out.size());
    if (fresh)
      out.emplace_back(id >= 0 && id < (int64_t)layers_.size() ? layers_[id] : "?", 0.0);
    out[it->second].second += ms;
  }
  return out;
}

std::map<std::string, Tensor> Model::parameterValues() const {
  if (gpu_ && hostParamsStale_)
    const_cast<Model *>(this)->downloadParameters();
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
  preparedStale_ = false;
}

void Model::saveParameters(const std::string &path) const {
  auto values = parameterValues();
  std::vector<std::pair<std::string, const Tensor *>> entries;
  for (const auto &p : params_)
    entries.push_back({p.name, &values.at(p.name)});
  writeSafetensors(path, entries);
}

} // namespace cnnrt
