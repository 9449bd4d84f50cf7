//===- CpuDevice.cpp - x86_64 libraries run on the host -------------------===//

#include "Device.h"

#include "cnnrt/Error.h"

#include <cstdlib>
#include <cstring>

namespace cnnrt::detail {
namespace {

/// Arenas and staging buffers start on a cache line: the compiled code's
/// aligned vector accesses into the arena assume 64 bytes.
constexpr size_t kAlignment = 64;

class CpuDevice final : public Device {
public:
  explicit CpuDevice(std::string owner) : owner_(std::move(owner)) {}
  const char *kind() const override { return "cpu"; }
  bool hostMemory() const override { return true; }
  void *allocate(size_t bytes, const std::string &what) override {
    size_t rounded = (std::max<size_t>(bytes, kAlignment) + kAlignment - 1) / kAlignment * kAlignment;
    void *p = std::aligned_alloc(kAlignment, rounded);
    if (!p)
      throw Error(owner_ + ": cannot allocate " + std::to_string(bytes) + " bytes (" + what + ")");
    std::memset(p, 0, rounded);
    return p;
  }
  void release(void *p) noexcept override { std::free(p); }
  void copyToDevice(void *dst, const void *src, size_t bytes, const char *) override {
    std::memcpy(dst, src, bytes);
  }
  void copyToHost(void *dst, const void *src, size_t bytes, const char *) override {
    std::memcpy(dst, src, bytes);
  }
  void call(EntryPoint fn, void **args, const char *) override { fn(args); }

private:
  std::string owner_;
};

} // namespace

std::shared_ptr<Device> makeCpuDevice(const std::string &owner) {
  return std::make_shared<CpuDevice>(owner);
}

} // namespace cnnrt::detail
