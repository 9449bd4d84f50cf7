//===- Compiler.h - the cnnc driver library ---------------------*- C++ -*-===//
#ifndef CNNC_DRIVER_COMPILER_H
#define CNNC_DRIVER_COMPILER_H

#include "CodeGen/CpuPipeline.h"
#include "Import/ModelImporter.h"
#include "Import/TrainingConfig.h"

#include "mlir/IR/MLIRContext.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace cnnc {

struct CompileOptions {
  std::string modelPath;
  std::string outputPath; // "" = stdout for textual stages
  std::string target = "x86_64";
  std::string mcpu;
  /// Experiments: the CPU schedules are selected for (default: -mcpu's).
  std::string scheduleCpu;
  /// Experiments: options of cnnc-select-cpu-schedules ("a=b c=d").
  std::string scheduleOptions;
  /// --tune: measure conv schedules first (within the budget) and compile
  /// with the fastest; they are stored in `tuningCache` (default
  /// OUT.tuning.json). Without --tune, a given cache is only read.
  bool tune = false;
  std::string tuningCache;
  double tuneBudgetSeconds = 300;
  unsigned optLevel = 2;
  /// --precision: what convolutions compute in (bf16 needs AVX512_BF16,
  /// int8 AVX512_VNNI and calibration images).
  Precision precision = Precision::Fp32;
  /// --precision=int8: the calibration images (a safetensors file or a
  /// directory of them) and how their ranges are taken (Calibration.h).
  std::string calibrate;
  std::string calibrationMethod = "minmax";
  /// Internal (the calibration library): every conv input is also an output.
  bool calibrationOutputs = false;
  std::optional<int64_t> batch;
  bool train = false;
  /// With train: command-line settings over the model's training object.
  TrainingOverrides trainingOverrides;
  /// With train: also @train_step_replicated (MPI training).
  bool dataParallel = false;
  uint64_t seed = 0;
  bool embedWeights = true;
  std::string emit = "so";
  bool report = false;
  /// With `report`: the JSON form (`--report=json`) instead of the table,
  /// or the HTML page written to outputPath instead of a library.
  bool reportJson = false, reportHtml = false;
  /// With reportHtml: `cnnc-run --profile=FILE.json`'s per-layer times.
  std::string profilePath;
  /// With profilePath: the machine's peak GFLOP/s and memory GB/s (0: unknown).
  double peakGflops = 0, peakBandwidth = 0;
  /// Print where the compile time goes (MLIR passes, LLVM stages) on stderr.
  bool timing = false;
  /// A progress line on stderr once the compile has taken `progressDelayMs`
  /// (Driver/CompileProgress.h), redrawn in place where `progressInPlace`.
  bool progress = false, progressInPlace = false;
  unsigned progressDelayMs = 2000;
  /// x86_64 only: compile the GPU's loop structure for the CPU (a test of the
  /// nvptx path's indexing without a GPU).
  bool gpuLoopsOnCpu = false;
  /// How the threads share each parallel loop's tiles.
  ParallelSchedule parallelSchedule;
  /// Optimization passes to leave out (names from optionalPasses()).
  std::vector<std::string> disabledPasses;
};

/// Imports opts.modelPath with its batch and seed, printing every error.
std::optional<ImportedModel> importModelOrReport(mlir::MLIRContext &ctx,
                                                 const CompileOptions &opts);

/// Runs cnnc; returns the process exit status (0 ok, 1 user error). Every
/// message goes to stderr, naming the file and node.
int runCompiler(const CompileOptions &options);

} // namespace cnnc

#endif
