//===- Device.h - where a library's buffers live and its code runs -*- C++ -*-===//
//
// Internal to libcnnrt. x86_64 libraries run on the host; nvptx libraries
// keep every buffer in GPU memory and launch kernels through the CUDA
// driver. Sessions, parameter sets and trainers are written once against
// this interface.
//
//===----------------------------------------------------------------------===//
#ifndef CNNRT_DEVICE_H
#define CNNRT_DEVICE_H

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

namespace cnnrt::detail {

class ProfileClock;

/// An entry point of a compiled library: cnnc_forward, cnnc_prepare,
/// cnnc_train_step (docs/abi.md).
using EntryPoint = void (*)(void **);

class Device {
public:
  virtual ~Device() = default;
  /// "cpu" or "cuda".
  virtual const char *kind() const = 0;
  /// True when device addresses are host addresses: an entry point may
  /// read and write callers' memory in place.
  virtual bool hostMemory() const = 0;
  /// `bytes` of zero-filled memory, 64-byte aligned; `what` names it in
  /// the error if the allocation fails.
  virtual void *allocate(size_t bytes, const std::string &what) = 0;
  virtual void release(void *p) noexcept = 0;
  virtual void copyToDevice(void *dst, const void *src, size_t bytes, const char *what) = 0;
  virtual void copyToHost(void *dst, const void *src, size_t bytes, const char *what) = 0;
  /// Runs an entry point whose arguments are this device's addresses.
  virtual void call(EntryPoint fn, void **args, const char *what) = 0;

  /// What a device kept of one call, to do the same work again without the
  /// host code (CUDA: the call's kernels captured as a graph).
  class Recording {
  public:
    virtual ~Recording() = default;
  };
  /// Runs `fn` as call() does and returns its recording, or nullptr where
  /// this device (or this call) cannot be recorded.
  virtual std::unique_ptr<Recording> record(EntryPoint fn, void **args, const char *what) {
    call(fn, args, what);
    return nullptr;
  }
  /// Does a recorded call's work again, with the arguments it was recorded
  /// with.
  virtual void replay(Recording &, const char *) {}

  /// The clock of a profiled run of this device's code (Profiling.h).
  virtual std::unique_ptr<ProfileClock> profileClock();
};

/// One caller's calls of one entry point: a call with new arguments
/// (addresses) is recorded, and later calls with the arguments of one of
/// the last two recordings replay it (a training step alternates between
/// two sets of parameter buffers).
class ReplayableCall {
public:
  void run(Device &device, EntryPoint fn, std::vector<void *> &args, const char *what) {
    for (auto &[recordedArgs, recording] : recordings_)
      if (recordedArgs == args)
        return device.replay(*recording, what);
    if (!recordable_) {
      device.call(fn, args.data(), what);
      return;
    }
    std::unique_ptr<Device::Recording> recording = device.record(fn, args.data(), what);
    recordable_ = recording != nullptr;
    if (!recording)
      return;
    if (recordings_.size() == kRecordings)
      recordings_.erase(recordings_.begin());
    recordings_.emplace_back(args, std::move(recording));
  }

private:
  static constexpr size_t kRecordings = 2;
  std::vector<std::pair<std::vector<void *>, std::unique_ptr<Device::Recording>>> recordings_;
  bool recordable_ = true;
};

/// The host. `owner` (the library's path) prefixes error messages.
std::shared_ptr<Device> makeCpuDevice(const std::string &owner);
/// The first CUDA GPU; throws cnnrt::Error when there is none usable or it
/// is older than `chip` ("sm_90").
std::shared_ptr<Device> makeCudaDevice(const std::string &owner, const std::string &chip);

/// Memory of one device, released with it.
class DeviceBuffer {
public:
  DeviceBuffer() = default;
  DeviceBuffer(std::shared_ptr<Device> device, size_t bytes, const std::string &what)
      : device_(std::move(device)), bytes_(bytes), ptr_(device_->allocate(bytes, what)) {}
  DeviceBuffer(DeviceBuffer &&o) noexcept { *this = std::move(o); }
  DeviceBuffer &operator=(DeviceBuffer &&o) noexcept {
    if (this != &o) {
      reset();
      device_ = std::move(o.device_);
      bytes_ = o.bytes_;
      ptr_ = o.ptr_;
      o.ptr_ = nullptr;
      o.bytes_ = 0;
    }
    return *this;
  }
  ~DeviceBuffer() { reset(); }
  void *get() const { return ptr_; }
  size_t bytes() const { return bytes_; }
  void reset() {
    if (ptr_)
      device_->release(ptr_);
    ptr_ = nullptr;
  }

private:
  std::shared_ptr<Device> device_;
  size_t bytes_ = 0;
  void *ptr_ = nullptr;
};

} // namespace cnnrt::detail

#endif // CNNRT_DEVICE_H
