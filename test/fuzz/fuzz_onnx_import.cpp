//===- fuzz_onnx_import.cpp - libFuzzer target: the ONNX front end ---------===//
//
// Writes the input to <dir>/model.onnx and imports it with cnnc::importModel,
// the function `cnnc` itself calls: protobuf parsing, initializers (inline and
// external data), inputs, the op converters and the folding of shape
// subgraphs, then the shared validation, shape inference and construction of
// the cnn IR. <dir> also holds external.bin (24 bytes), the external data of
// test/Inputs/onnx/external.textproto.
//
// A rejected model must come back as errors (each naming the file); an
// accepted one as a verified module. Anything else (a crash, an exception, a
// sanitizer report, an accepted model with errors) is a finding.
// Built by test/fuzz/CMakeLists.txt (-DCNNC_FUZZERS=ON); see docs/robustness.md.
//
//===----------------------------------------------------------------------===//

#include "Import/ModelImporter.h"

#include "mlir/IR/MLIRContext.h"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <unistd.h>

namespace {
std::string workDir;
} // namespace

extern "C" int LLVMFuzzerInitialize(int *, char ***) {
  const char *tmp = std::getenv("TMPDIR");
  std::string templ = std::string(tmp && *tmp ? tmp : "/tmp") + "/cnnc-fuzz-onnx-XXXXXX";
  if (!mkdtemp(templ.data()))
    std::abort();
  workDir = templ;
  const float weights[6] = {0.5f, -0.25f, 0.125f, 1.0f, 0.5f, -1.0f};
  FILE *f = std::fopen((workDir + "/external.bin").c_str(), "wb");
  if (!f || std::fwrite(weights, sizeof weights, 1, f) != 1)
    std::abort();
  std::fclose(f);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const std::string path = workDir + "/model.onnx";
  FILE *f = std::fopen(path.c_str(), "wb");
  if (!f)
    std::abort();
  if (size && std::fwrite(data, 1, size, f) != size)
    std::abort();
  std::fclose(f);

  // A fresh context per input: MLIR interns attributes and types for the
  // context's lifetime.
  mlir::MLIRContext ctx(mlir::MLIRContext::Threading::DISABLED);
  ctx.printOpOnDiagnostic(false);
  cnnc::ImportOptions options;
  // As fuzz_model_import: small parameters, so that the fuzzer explores.
  options.maxParameterElements = int64_t(1) << 20;
  options.maxTotalParameterElements = int64_t(1) << 22;
  cnnc::ErrorList errors(path);
  auto model = cnnc::importModel(ctx, path, options, errors);
  if (model && !errors.empty())
    std::abort(); // accepted, yet with errors
  if (!model && errors.empty())
    std::abort(); // refused without saying why
  for (const auto &e : errors.all())
    if (e.rfind(path + ": ", 0) != 0)
      std::abort(); // a message that does not name the file
  return 0;
}
