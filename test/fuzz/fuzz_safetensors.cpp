//===- fuzz_safetensors.cpp - libFuzzer target: the safetensors reader -----===//
//
// Writes the input to a file, opens it with cnnrt::SafetensorsFile::open and,
// if the header validates, touches every byte of every tensor (through data()
// and read()), so that a header that lies about offsets or sizes shows up as
// an out-of-bounds read under AddressSanitizer. A refusal (cnnrt::Error) is
// the expected outcome for most inputs; any other exception is a finding.
// Built by test/fuzz/CMakeLists.txt (-DCNNC_FUZZERS=ON); see docs/robustness.md.
//
//===----------------------------------------------------------------------===//

#include "cnnrt/Error.h"
#include "cnnrt/Safetensors.h"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <unistd.h>

namespace {
std::string tempPath() {
  static std::string path = [] {
    const char *dir = std::getenv("TMPDIR");
    std::string p = std::string(dir && *dir ? dir : "/tmp") + "/cnnc-fuzz-st-" +
                    std::to_string(getpid()) + ".safetensors";
    return p;
  }();
  return path;
}
} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const std::string path = tempPath();
  FILE *f = std::fopen(path.c_str(), "wb");
  if (!f)
    std::abort();
  if (size && std::fwrite(data, 1, size, f) != size)
    std::abort();
  std::fclose(f);
  try {
    auto file = cnnrt::SafetensorsFile::open(path);
    volatile uint8_t sink = 0;
    for (const auto &e : file->entries()) {
      const uint8_t *p = file->data(e);
      for (uint64_t i = e.begin; i < e.end; ++i)
        sink = sink ^ p[i - e.begin];
      if (e.dtype == "F32" || e.dtype == "I32" || e.dtype == "I64") {
        cnnrt::Tensor t = file->read(e);
        if (t.bytes.size() != e.end - e.begin)
          std::abort(); // read() disagrees with the validated header
      }
      if (file->find(e.name) != &e)
        std::abort();
    }
  } catch (const cnnrt::Error &) {
    // A refused file: the expected outcome.
  }
  return 0;
}
