//===- CudaDevice.cpp - nvptx libraries run on an NVIDIA GPU --------------===//

#include "Device.h"

#include "CudaDriver.h"
#include "Profiling.h"
#include "cnnrt/Error.h"

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <vector>

namespace cnnrt::detail {
namespace {

/// Compiled models enqueue their kernels on the process's one stream and
/// report failures through one error slot (CudaDriver.cpp): a call (or a
/// copy) and the error check after it run under this lock, so concurrent
/// sessions' work never interleaves, a capture records one call's kernels
/// only, and each caller sees its own errors.
std::mutex streamMutex;

/// CNNRT_CUDA_GRAPHS=0 turns the graphs off (to measure what they save).
bool graphsWanted() {
  const char *v = std::getenv("CNNRT_CUDA_GRAPHS");
  return !v || std::strcmp(v, "0") != 0;
}

/// A call's kernels, captured from the stream and instantiated.
class CudaGraph final : public Device::Recording {
public:
  explicit CudaGraph(cuda::CUgraphExec exec) : exec_(exec) {}
  ~CudaGraph() override {
    if (cuda::Driver *d = cuda::driver())
      d->cuGraphExecDestroy(exec_);
  }
  cuda::CUgraphExec exec() const { return exec_; }

private:
  cuda::CUgraphExec exec_;
};

/// Times a profiled run with events recorded on the stream between its
/// layers' kernels (the host only enqueues them: its clock would time the
/// launches).
class EventProfileClock final : public ProfileClock {
public:
  explicit EventProfileClock(std::string owner) : owner_(std::move(owner)) {}
  ~EventProfileClock() override { destroy(); }
  void mark(int64_t layer) override {
    cuda::Driver *d = cuda::driver();
    cuda::CUevent event = nullptr;
    if (d->cuEventCreate(&event, 0) != 0 || d->cuEventRecord(event, cuda::stream()) != 0) {
      failed_ = true;
      if (event)
        d->cuEventDestroy(event);
      return;
    }
    marks_.emplace_back(layer, event);
  }
  ProfileMarks finish() override {
    cuda::Driver *d = cuda::driver();
    if (failed_)
      throw Error(owner_ + ": recording the profile's CUDA events failed");
    ProfileMarks out;
    auto start = std::chrono::steady_clock::now();
    if (!marks_.empty())
      d->cuEventSynchronize(marks_.back().second);
    for (auto &[layer, event] : marks_) {
      float ms = 0;
      cuda::CUresult r = d->cuEventElapsedTime(&ms, marks_.front().second, event);
      if (r != 0)
        throw Error(owner_ + ": " + cuda::describe("cuEventElapsedTime", r));
      out.emplace_back(layer, start + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                          std::chrono::duration<double, std::milli>(ms)));
    }
    destroy();
    return out;
  }

private:
  void destroy() {
    if (cuda::Driver *d = cuda::driver())
      for (auto &mark : marks_)
        d->cuEventDestroy(mark.second);
    marks_.clear();
  }
  std::string owner_;
  std::vector<std::pair<int64_t, cuda::CUevent>> marks_;
  bool failed_ = false;
};

class CudaDevice final : public Device {
public:
  explicit CudaDevice(std::string owner) : owner_(std::move(owner)) {}
  const char *kind() const override { return "cuda"; }
  bool hostMemory() const override { return false; }
  void *allocate(size_t bytes, const std::string &what) override {
    cuda::Driver *d = current();
    std::lock_guard<std::mutex> lock(streamMutex);
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
    if (!p)
      return;
    cuda::Driver *d = current();
    std::lock_guard<std::mutex> lock(streamMutex);
    d->cuMemFree(reinterpret_cast<cuda::CUdeviceptr>(p));
  }
  // The copies run on the legacy default stream, which waits for the
  // kernels enqueued before them and holds back those enqueued after.
  void copyToDevice(void *dst, const void *src, size_t bytes, const char *what) override {
    cuda::Driver *d = current();
    std::lock_guard<std::mutex> lock(streamMutex);
    cuda::CUresult r = d->cuMemcpyHtoD(reinterpret_cast<cuda::CUdeviceptr>(dst), src, bytes);
    if (r != 0)
      throw Error(owner_ + ": " + cuda::describe(what, r));
  }
  void copyToHost(void *dst, const void *src, size_t bytes, const char *what) override {
    cuda::Driver *d = current();
    std::lock_guard<std::mutex> lock(streamMutex);
    cuda::CUresult r = d->cuMemcpyDtoH(dst, reinterpret_cast<cuda::CUdeviceptr>(src), bytes);
    if (r != 0)
      throw Error(owner_ + ": " + cuda::describe(what, r));
  }
  void call(EntryPoint fn, void **args, const char *what) override {
    cuda::Driver *d = current();
    std::lock_guard<std::mutex> lock(streamMutex);
    cuda::takeLaunchError(); // a failure of an earlier, already reported call
    fn(args);
    finish(d, what);
  }
  std::unique_ptr<Recording> record(EntryPoint fn, void **args, const char *what) override {
    cuda::Driver *d = current();
    if (!d->hasGraphs() || !graphsWanted()) {
      call(fn, args, what);
      return nullptr;
    }
    std::lock_guard<std::mutex> lock(streamMutex);
    cuda::takeLaunchError();
    cuda::CUstream stream = cuda::stream();
    // Captured, the launches enqueue nothing: the graph's launch runs them.
    cuda::CUgraph graph = nullptr;
    cuda::CUgraphExec exec = nullptr;
    bool captured = d->cuStreamBeginCapture(stream, cuda::kCaptureModeRelaxed) == 0;
    if (captured) {
      fn(args);
      captured = d->cuStreamEndCapture(stream, &graph) == 0 && graph &&
                 cuda::takeLaunchError().empty() &&
                 d->cuGraphInstantiateWithFlags(&exec, graph, 0) == 0;
      if (graph)
        d->cuGraphDestroy(graph);
    }
    if (!captured) {
      // Not capturable (an older library waits inside its calls): run it
      // as it is, and never try again for this caller.
      cuda::takeLaunchError();
      fn(args);
      finish(d, what);
      return nullptr;
    }
    auto recording = std::make_unique<CudaGraph>(exec);
    launch(d, *recording, what);
    return recording;
  }
  void replay(Recording &recording, const char *what) override {
    cuda::Driver *d = current();
    std::lock_guard<std::mutex> lock(streamMutex);
    cuda::takeLaunchError();
    launch(d, static_cast<CudaGraph &>(recording), what);
  }
  std::unique_ptr<ProfileClock> profileClock() override {
    return std::make_unique<EventProfileClock>(owner_);
  }

private:
  /// The driver, with the primary context current on the calling thread.
  cuda::Driver *current() { return cuda::driver(); }

  void launch(cuda::Driver *d, CudaGraph &graph, const char *what) {
    cuda::CUresult r = d->cuGraphLaunch(graph.exec(), cuda::stream());
    if (r != 0)
      throw Error(owner_ + ": " + what + ": " + cuda::describe("cuGraphLaunch", r));
    finish(d, what);
  }

  /// Waits for the call's kernels: the one host wait of a call, where a
  /// kernel's failure shows.
  void finish(cuda::Driver *d, const char *what) {
    cuda::CUresult r = d->cuStreamSynchronize(cuda::stream());
    std::string err = cuda::takeLaunchError();
    if (err.empty() && r != 0)
      err = cuda::describe("cuStreamSynchronize (a kernel failed)", r);
    if (!err.empty())
      throw Error(owner_ + ": " + what + ": " + err);
  }

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
