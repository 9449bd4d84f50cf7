//===- CudaDevice.cpp - nvptx libraries run on an NVIDIA GPU --------------===//

#include "Device.h"

#include "CudaDriver.h"
#include "cnnrt/Error.h"

#include <cstdlib>
#include <mutex>
#include <vector>

namespace cnnrt::detail {
namespace {

/// Compiled models launch their kernels through the process's one stream
/// and report failures through one error slot (CudaDriver.cpp): a call and
/// the error check after it run under this lock, so concurrent sessions'
/// launches never interleave and each sees its own errors.
std::mutex launchMutex;

class CudaDevice final : public Device {
public:
  explicit CudaDevice(std::string owner) : owner_(std::move(owner)) {}
  const char *kind() const override { return "cuda"; }
  bool hostMemory() const override { return false; }
  void *allocate(size_t bytes, const std::string &what) override {
    cuda::Driver *d = current();
    cuda::CUdeviceptr p = 0;
    size_t size = std::max<size_t>(bytes, 64);
    cuda::CUresult r = d->cuMemAlloc(&p, size);
    if (r != 0)
      throw Error(owner_ + ": " + cuda::describe("cuMemAlloc", r) + " (" +
                  std::to_string(bytes) + " bytes, " + what + ")");
    // Zero-filled, as the host's: padded batch rows must hold finite values.
    std::vector<char> zeros(size, 0);
    r = d->cuMemcpyHtoD(p, zeros.data(), size);
    if (r != 0) {
      d->cuMemFree(p);
      throw Error(owner_ + ": " + cuda::describe("clearing GPU memory", r));
    }
    return reinterpret_cast<void *>(p);
  }
  void release(void *p) noexcept override {
    if (p)
      current()->cuMemFree(reinterpret_cast<cuda::CUdeviceptr>(p));
  }
  void copyToDevice(void *dst, const void *src, size_t bytes, const char *what) override {
    cuda::CUresult r =
        current()->cuMemcpyHtoD(reinterpret_cast<cuda::CUdeviceptr>(dst), src, bytes);
    if (r != 0)
      throw Error(owner_ + ": " + cuda::describe(what, r));
  }
  void copyToHost(void *dst, const void *src, size_t bytes, const char *what) override {
    cuda::CUresult r =
        current()->cuMemcpyDtoH(dst, reinterpret_cast<cuda::CUdeviceptr>(src), bytes);
    if (r != 0)
      throw Error(owner_ + ": " + cuda::describe(what, r));
  }
  void call(EntryPoint fn, void **args, const char *what) override {
    current();
    std::lock_guard<std::mutex> lock(launchMutex);
    cuda::takeLaunchError(); // a failure of an earlier, already reported call
    fn(args);
    std::string err = cuda::takeLaunchError();
    if (!err.empty())
      throw Error(owner_ + ": " + what + ": " + err);
  }

private:
  /// The driver, with the primary context current on the calling thread.
  cuda::Driver *current() { return cuda::driver(); }
  std::string owner_;
};

int smNumber(const std::string &s) { return s.size() > 3 ? std::atoi(s.c_str() + 3) : 0; }

} // namespace

std::shared_ptr<Device> makeCudaDevice(const std::string &owner, const std::string &chip) {
  std::string err;
  if (!cuda::driver(&err))
    throw Error(owner + ": compiled for an NVIDIA GPU (" + chip + "), but " + err);
  std::string have = cuda::deviceArch();
  if (smNumber(have) < smNumber(chip))
    throw Error(owner + ": compiled for " + chip + ", but the GPU (" + cuda::deviceName() +
                ") is " + have + "; recompile with -mcpu=" + have);
  return std::make_shared<CudaDevice>(owner);
}

} // namespace cnnrt::detail
