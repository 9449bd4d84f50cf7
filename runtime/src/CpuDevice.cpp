//===- CpuDevice.cpp - x86_64 libraries run on the host -------------------===//

#include "Device.h"

#include "cnnrt/Error.h"

#include <cstdlib>
#include <cstring>
#include <sys/mman.h>

namespace cnnrt::detail {
namespace {

/// Arenas and staging buffers start on a cache line: the compiled code's
/// aligned vector accesses into the arena assume 64 bytes.
constexpr size_t kAlignment = 64;

/// Buffers of at least a huge page start on one and ask the kernel for huge
/// pages (Linux's transparent huge pages, which Debian gives only where
/// asked: "madvise"), before the first touch: a batch's activations span
/// tens of MB, and in 4 KiB pages every pass over them missed the TLB.
constexpr size_t kHugePage = size_t(2) << 20;

class CpuDevice final : public Device {
public:
  explicit CpuDevice(std::string owner) : owner_(std::move(owner)) {}
  const char *kind() const override { return "cpu"; }
  bool hostMemory() const override { return true; }
  void *allocate(size_t bytes, const std::string &what) override {
    size_t alignment = bytes >= kHugePage ? kHugePage : kAlignment;
    size_t rounded = (std::max<size_t>(bytes, alignment) + alignment - 1) / alignment * alignment;
    void *p = std::aligned_alloc(alignment, rounded);
    if (!p)
      throw Error(owner_ + ": cannot allocate " + std::to_string(bytes) + " bytes (" + what + ")");
#ifdef MADV_HUGEPAGE
    if (alignment == kHugePage)
      (void)madvise(p, rounded, MADV_HUGEPAGE); // advice: without it, 4 KiB pages
#endif
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
