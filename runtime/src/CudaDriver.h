//===- CudaDriver.h - the CUDA driver API, loaded at run time ---*- C++ -*-===//
//
// libcnnrt never links libcuda: a CPU-only machine must load CPU models. The
// driver is dlopen'ed on first use; its absence is an error message for GPU
// models only. The few types used are declared here (no cuda.h needed).
//
//===----------------------------------------------------------------------===//
#ifndef CNNRT_CUDADRIVER_H
#define CNNRT_CUDADRIVER_H

#include <cstddef>
#include <cstdint>
#include <string>

namespace cnnrt::cuda {

using CUresult = int;
using CUdevice = int;
using CUdeviceptr = unsigned long long;
using CUcontext = struct CUctx_st *;
using CUmodule = struct CUmod_st *;
using CUfunction = struct CUfunc_st *;
using CUstream = struct CUstream_st *;
using CUevent = struct CUevent_st *;
using CUgraph = struct CUgraph_st *;
using CUgraphExec = struct CUgraphExec_st *;

/// CU_STREAM_CAPTURE_MODE_RELAXED: capturing forbids no call on any thread
/// (libcnnrt orders its own calls on the stream with a mutex).
constexpr int kCaptureModeRelaxed = 2;

struct Driver {
  CUresult (*cuInit)(unsigned);
  CUresult (*cuDeviceGetCount)(int *);
  CUresult (*cuDeviceGet)(CUdevice *, int);
  CUresult (*cuDeviceGetName)(char *, int, CUdevice);
  CUresult (*cuDeviceGetAttribute)(int *, int, CUdevice);
  CUresult (*cuDevicePrimaryCtxRetain)(CUcontext *, CUdevice);
  CUresult (*cuCtxSetCurrent)(CUcontext);
  CUresult (*cuModuleLoadDataEx)(CUmodule *, const void *, unsigned, int *, void **);
  CUresult (*cuModuleUnload)(CUmodule);
  CUresult (*cuModuleGetFunction)(CUfunction *, CUmodule, const char *);
  CUresult (*cuLaunchKernel)(CUfunction, unsigned, unsigned, unsigned, unsigned, unsigned,
                             unsigned, unsigned, CUstream, void **, void **);
  CUresult (*cuStreamCreate)(CUstream *, unsigned);
  CUresult (*cuStreamSynchronize)(CUstream);
  CUresult (*cuStreamDestroy)(CUstream);
  CUresult (*cuMemAlloc)(CUdeviceptr *, size_t);
  CUresult (*cuMemFree)(CUdeviceptr);
  CUresult (*cuMemcpyHtoD)(CUdeviceptr, const void *, size_t);
  CUresult (*cuMemcpyDtoH)(void *, CUdeviceptr, size_t);
  CUresult (*cuCtxSynchronize)();
  CUresult (*cuGetErrorString)(CUresult, const char **);
  CUresult (*cuEventCreate)(CUevent *, unsigned);
  CUresult (*cuEventRecord)(CUevent, CUstream);
  CUresult (*cuEventSynchronize)(CUevent);
  CUresult (*cuEventElapsedTime)(float *, CUevent, CUevent);
  CUresult (*cuEventDestroy)(CUevent);
  // CUDA graphs (driver 11.4 or newer); null where the driver lacks them.
  CUresult (*cuStreamBeginCapture)(CUstream, int);
  CUresult (*cuStreamEndCapture)(CUstream, CUgraph *);
  CUresult (*cuGraphInstantiateWithFlags)(CUgraphExec *, CUgraph, unsigned long long);
  CUresult (*cuGraphLaunch)(CUgraphExec, CUstream);
  CUresult (*cuGraphDestroy)(CUgraph);
  CUresult (*cuGraphExecDestroy)(CUgraphExec);
  bool hasGraphs() const {
    return cuStreamBeginCapture && cuStreamEndCapture && cuGraphInstantiateWithFlags &&
           cuGraphLaunch && cuGraphDestroy && cuGraphExecDestroy;
  }
};

/// The driver with a current context on device 0, or nullptr with `error`
/// set (no libcuda, no device, init failure). Thread-safe; made once.
Driver *driver(std::string *error = nullptr);

/// The stream every kernel and copy of the process runs on (ordered by the
/// caller: CudaDevice serializes its users with a mutex).
CUstream stream();

/// Describes a failed call: "cuLaunchKernel: CUDA_ERROR_... (code)".
std::string describe(const char *call, CUresult r);

/// The first error a compiled model's kernel launches hit since the last
/// call (launches run inside the model's code and cannot throw).
std::string takeLaunchError();

/// Name of device 0, e.g. "NVIDIA H100 80GB HBM3" and "sm_90".
std::string deviceName();
std::string deviceArch();

} // namespace cnnrt::cuda

#endif
