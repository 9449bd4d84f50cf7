//===- fuzz_model_import.cpp - libFuzzer target: the model importer --------===//
//
// Writes the input to <dir>/model.json and imports it with cnnc::importModel,
// the function `cnnc` itself calls: JSON parsing, validation, topological
// sort, shape inference, weights lookup and default initialization, and the
// construction (and verification) of the cnn IR. <dir> also holds
// weights.safetensors with the tensors of test/Inputs/import/weighted.json, so
// a model naming "weights.safetensors" exercises the weights path too.
//
// A rejected model must come back as errors (each naming the file); an
// accepted one as a verified module. Anything else (a crash, an exception, a
// sanitizer report, an accepted model with errors) is a finding.
// Built by test/fuzz/CMakeLists.txt (-DCNNC_FUZZERS=ON); see docs/robustness.md.
//
//===----------------------------------------------------------------------===//

#include "Import/ModelImporter.h"

#include "cnnrt/Error.h"
#include "cnnrt/Safetensors.h"

#include "mlir/IR/MLIRContext.h"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <unistd.h>

namespace {

std::string workDir;

void writeWeights(const std::string &path) {
  // The tensors of test/Inputs/import/weighted.json (see make_safetensors.py).
  std::vector<std::pair<std::string, std::vector<int64_t>>> shapes = {
      {"c1.weight", {4, 3, 3, 3}}, {"c1.bias", {4}},         {"bn1.weight", {4}},
      {"bn1.bias", {4}},           {"bn1.running_mean", {4}}, {"bn1.running_var", {4}},
      {"head.w", {2, 4}},          {"head.b", {2}}};
  std::vector<cnnrt::Tensor> tensors;
  tensors.reserve(shapes.size() + 1);
  std::vector<std::pair<std::string, const cnnrt::Tensor *>> entries;
  for (const auto &[name, shape] : shapes) {
    tensors.emplace_back(shape);
    for (int64_t i = 0; i < tensors.back().numElements(); ++i)
      tensors.back().f32()[i] = 0.01f * float(i);
  }
  tensors.emplace_back(std::vector<int64_t>{}, cnnrt::DType::I64); // num_batches_tracked
  for (size_t i = 0; i < shapes.size(); ++i)
    entries.push_back({shapes[i].first, &tensors[i]});
  entries.push_back({"bn1.num_batches_tracked", &tensors.back()});
  cnnrt::writeSafetensors(path, entries);
}

} // namespace

extern "C" int LLVMFuzzerInitialize(int *, char ***) {
  const char *tmp = std::getenv("TMPDIR");
  std::string templ = std::string(tmp && *tmp ? tmp : "/tmp") + "/cnnc-fuzz-import-XXXXXX";
  if (!mkdtemp(templ.data()))
    std::abort();
  workDir = templ;
  writeWeights(workDir + "/weights.safetensors");
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const std::string path = workDir + "/model.json";
  FILE *f = std::fopen(path.c_str(), "wb");
  if (!f)
    std::abort();
  if (size && std::fwrite(data, 1, size, f) != size)
    std::abort();
  std::fclose(f);

  // A fresh context per input: MLIR interns every attribute and type for the
  // context's lifetime, so one shared context would grow without bound.
  mlir::MLIRContext ctx(mlir::MLIRContext::Threading::DISABLED);
  ctx.printOpOnDiagnostic(false);
  cnnc::ImportOptions options;
  // Parameters are allocated and default-initialized at import: keep each
  // input's total small so that the fuzzer explores rather than memsets.
  // (cnnc's own limits are 2^31 elements per tensor, no total limit.)
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
