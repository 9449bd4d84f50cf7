//===- CudaDriver.cpp - the CUDA driver API and MLIR's launch wrappers -----===//
//
// Compiled nvptx models call MLIR's GPU runtime interface (mgpuModuleLoadJIT,
// mgpuLaunchKernel, ...). Debian ships no libmlir_cuda_runtime, and the model
// must not need MLIR anyway: libcnnrt defines those functions here on top of
// the driver API. Errors are recorded (kernels are launched from the
// model's code, which cannot propagate C++ exceptions) and turned into
// cnnrt::Error by the runtime after the call.
//
//===----------------------------------------------------------------------===//

#include "CudaDriver.h"

#include <dlfcn.h>
#include <mutex>

namespace cnnrt::cuda {
namespace {

std::mutex errorMutex;
std::string firstError;

void recordError(const std::string &msg) {
  std::lock_guard<std::mutex> lock(errorMutex);
  if (firstError.empty())
    firstError = msg;
}

template <typename Fn> bool loadOptional(void *lib, Fn &fn, const char *name) {
  fn = reinterpret_cast<Fn>(dlsym(lib, name));
  return fn != nullptr;
}

template <typename Fn> bool load(void *lib, Fn &fn, const char *name, std::string &err) {
  if (!loadOptional(lib, fn, name))
    err = std::string("libcuda.so.1 lacks ") + name;
  return fn != nullptr;
}

std::string describeWith(const Driver &d, const char *call, CUresult r) {
  const char *msg = nullptr;
  if (d.cuGetErrorString)
    d.cuGetErrorString(r, &msg);
  return std::string(call) + " failed: " + (msg ? msg : "unknown CUDA error") + " (" +
         std::to_string(r) + ")";
}

struct State {
  Driver api{};
  std::string error;
  bool ok = false;
  CUcontext context = nullptr;
  CUstream stream = nullptr;
};

State &state() {
  static State s = [] {
    State st;
    void *lib = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
      st.error = "no CUDA driver (libcuda.so.1 cannot be loaded): this model needs an "
                 "NVIDIA GPU and its driver";
      return st;
    }
    Driver &d = st.api;
    std::string &e = st.error;
    bool ok = load(lib, d.cuInit, "cuInit", e) &&
              load(lib, d.cuDeviceGetCount, "cuDeviceGetCount", e) &&
              load(lib, d.cuDeviceGet, "cuDeviceGet", e) &&
              load(lib, d.cuDeviceGetName, "cuDeviceGetName", e) &&
              load(lib, d.cuDeviceGetAttribute, "cuDeviceGetAttribute", e) &&
              load(lib, d.cuDevicePrimaryCtxRetain, "cuDevicePrimaryCtxRetain", e) &&
              load(lib, d.cuCtxSetCurrent, "cuCtxSetCurrent", e) &&
              load(lib, d.cuModuleLoadDataEx, "cuModuleLoadDataEx", e) &&
              load(lib, d.cuModuleUnload, "cuModuleUnload", e) &&
              load(lib, d.cuModuleGetFunction, "cuModuleGetFunction", e) &&
              load(lib, d.cuLaunchKernel, "cuLaunchKernel", e) &&
              load(lib, d.cuStreamCreate, "cuStreamCreate", e) &&
              load(lib, d.cuStreamSynchronize, "cuStreamSynchronize", e) &&
              load(lib, d.cuStreamDestroy, "cuStreamDestroy_v2", e) &&
              load(lib, d.cuMemAlloc, "cuMemAlloc_v2", e) &&
              load(lib, d.cuMemFree, "cuMemFree_v2", e) &&
              load(lib, d.cuMemcpyHtoD, "cuMemcpyHtoD_v2", e) &&
              load(lib, d.cuMemcpyDtoH, "cuMemcpyDtoH_v2", e) &&
              load(lib, d.cuCtxSynchronize, "cuCtxSynchronize", e) &&
              load(lib, d.cuGetErrorString, "cuGetErrorString", e) &&
              load(lib, d.cuEventCreate, "cuEventCreate", e) &&
              load(lib, d.cuEventRecord, "cuEventRecord", e) &&
              load(lib, d.cuEventSynchronize, "cuEventSynchronize", e) &&
              (loadOptional(lib, d.cuEventElapsedTime, "cuEventElapsedTime_v2") ||
               load(lib, d.cuEventElapsedTime, "cuEventElapsedTime", e)) &&
              load(lib, d.cuEventDestroy, "cuEventDestroy_v2", e);
    if (!ok)
      return st;
    loadOptional(lib, d.cuStreamBeginCapture, "cuStreamBeginCapture_v2");
    loadOptional(lib, d.cuStreamEndCapture, "cuStreamEndCapture");
    loadOptional(lib, d.cuGraphInstantiateWithFlags, "cuGraphInstantiateWithFlags");
    loadOptional(lib, d.cuGraphLaunch, "cuGraphLaunch");
    loadOptional(lib, d.cuGraphDestroy, "cuGraphDestroy");
    loadOptional(lib, d.cuGraphExecDestroy, "cuGraphExecDestroy");
    CUresult r = d.cuInit(0);
    if (r != 0) {
      st.error = describeWith(d, "cuInit", r);
      return st;
    }
    int count = 0;
    if ((r = d.cuDeviceGetCount(&count)) != 0 || count == 0) {
      st.error = r ? describeWith(d, "cuDeviceGetCount", r) : "no CUDA device found";
      return st;
    }
    CUdevice dev;
    CUcontext ctx;
    if ((r = d.cuDeviceGet(&dev, 0)) != 0 || (r = d.cuDevicePrimaryCtxRetain(&ctx, dev)) != 0 ||
        (r = d.cuCtxSetCurrent(ctx)) != 0 || (r = d.cuStreamCreate(&st.stream, 0)) != 0) {
      st.error = "CUDA context creation failed (error " + std::to_string(r) + ")";
      return st;
    }
    st.context = ctx;
    st.ok = true;
    return st;
  }();
  return s;
}

} // namespace

std::string describe(const char *call, CUresult r) {
  return describeWith(state().api, call, r);
}

Driver *driver(std::string *error) {
  State &s = state();
  if (!s.ok) {
    if (error)
      *error = s.error;
    return nullptr;
  }
  // The primary context must be current on the calling thread.
  thread_local bool current = false;
  if (!current) {
    s.api.cuCtxSetCurrent(s.context);
    current = true;
  }
  return &s.api;
}

CUstream stream() { return state().stream; }

std::string takeLaunchError() {
  std::lock_guard<std::mutex> lock(errorMutex);
  std::string e;
  e.swap(firstError);
  return e;
}

std::string deviceName() {
  Driver *d = driver();
  if (!d)
    return "";
  char name[256] = {0};
  CUdevice dev;
  d->cuDeviceGet(&dev, 0);
  d->cuDeviceGetName(name, sizeof name, dev);
  return name;
}

std::string deviceArch() {
  Driver *d = driver();
  if (!d)
    return "";
  CUdevice dev;
  d->cuDeviceGet(&dev, 0);
  int major = 0, minor = 0;
  d->cuDeviceGetAttribute(&major, 75, dev); // COMPUTE_CAPABILITY_MAJOR
  d->cuDeviceGetAttribute(&minor, 76, dev); // COMPUTE_CAPABILITY_MINOR
  return "sm_" + std::to_string(major * 10 + minor);
}

} // namespace cnnrt::cuda

//===----------------------------------------------------------------------===//
// MLIR's GPU runtime interface, as called by gpu-to-llvm lowered code.
//===----------------------------------------------------------------------===//

using namespace cnnrt::cuda;

extern "C" {

/// Called from the model library's constructors at dlopen: without a GPU it
/// records nothing and returns null; the runtime reports the missing driver
/// when the model is loaded.
__attribute__((visibility("default"))) void *mgpuModuleLoadJIT(void *data, int optLevel) {
  std::string err;
  Driver *d = driver(&err);
  if (!d)
    return nullptr;
  char log[8192] = {0};
  int options[] = {5 /*CU_JIT_ERROR_LOG_BUFFER*/, 6 /*..._SIZE_BYTES*/,
                   7 /*CU_JIT_OPTIMIZATION_LEVEL*/};
  void *values[] = {log, reinterpret_cast<void *>(sizeof log),
                    reinterpret_cast<void *>(static_cast<intptr_t>(optLevel > 4 ? 4 : optLevel))};
  CUmodule module = nullptr;
  CUresult r = d->cuModuleLoadDataEx(&module, data, 3, options, values);
  if (r != 0)
    recordError(describe("loading the model's PTX (cuModuleLoadDataEx)", r) + ": " + log);
  return module;
}

__attribute__((visibility("default"))) void *mgpuModuleLoad(void *data, size_t) {
  return mgpuModuleLoadJIT(data, 4);
}

__attribute__((visibility("default"))) void mgpuModuleUnload(void *module) {
  if (Driver *d = driver(); d && module)
    d->cuModuleUnload(static_cast<CUmodule>(module));
}

__attribute__((visibility("default"))) void *mgpuModuleGetFunction(void *module,
                                                                   const char *name) {
  Driver *d = driver();
  if (!d || !module)
    return nullptr;
  CUfunction fn = nullptr;
  CUresult r = d->cuModuleGetFunction(&fn, static_cast<CUmodule>(module), name);
  if (r != 0)
    recordError(describe("cuModuleGetFunction", r) + " for kernel " + name);
  return fn;
}

__attribute__((visibility("default"))) void *mgpuStreamCreate() {
  // The process's one stream: CudaDevice orders its users (a call's
  // launches, copies, recordings) with a mutex.
  return state().stream;
}

__attribute__((visibility("default"))) void mgpuStreamDestroy(void *) {}

__attribute__((visibility("default"))) void mgpuStreamSynchronize(void *stream) {
  Driver *d = driver();
  if (!d)
    return;
  CUresult r = d->cuStreamSynchronize(static_cast<CUstream>(stream));
  if (r != 0)
    recordError(describe("cuStreamSynchronize (a kernel failed)", r));
}

__attribute__((visibility("default"))) void
mgpuLaunchKernel(void *function, intptr_t gridX, intptr_t gridY, intptr_t gridZ,
                 intptr_t blockX, intptr_t blockY, intptr_t blockZ, int32_t smem, void *stream,
                 void **params, void **extra, size_t /*paramsCount*/) {
  Driver *d = driver();
  if (!d) {
    recordError("kernel launch without a CUDA driver");
    return;
  }
  if (!function) {
    recordError("kernel launch of a kernel that failed to load");
    return;
  }
  CUresult r = d->cuLaunchKernel(static_cast<CUfunction>(function), gridX, gridY, gridZ,
                                 blockX, blockY, blockZ, smem, static_cast<CUstream>(stream),
                                 params, extra);
  if (r != 0)
    recordError(describe("cuLaunchKernel", r));
}

} // extern "C"
