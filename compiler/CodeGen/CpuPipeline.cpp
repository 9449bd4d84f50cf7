//===- CpuPipeline.cpp - cnn -> LLVM dialect for x86-64 --------------------===//
//
// The pipeline is text so that every step is a named pass a lit test (or a
// user, with cnnc-opt) can run alone.
//
//===----------------------------------------------------------------------===//

#include "CodeGen/CpuPipeline.h"
#include "Target/GpuTarget.h"

#include "mlir/Pass/Pass.h"
#include "mlir/Pass/PassInstrumentation.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"

#include <cstdlib>

using namespace mlir;

namespace cnnc {

const std::vector<std::string> &optionalPasses() {
  static const std::vector<std::string> names = {
      "cnnc-trim-padding-taps", "cnnc-fuse-activations", "cnnc-fold-batchnorm",
      "linalg-fuse-elementwise-ops",
      "cnnc-hoist-parameter-transforms", "cnnc-winograd-convs",
      "cnnc-propagate-channels-last", "cnnc-pad-in-place", "cnnc-grow-concats",
      "cnnc-block-conv-filters", "cnnc-pack-columns-into-channels", "cnnc-split-strided-convs",
      "cnnc-fuse-conv-epilogues",
      "cnnc-fuse-quantizations-into-producers",
      "cnnc-accumulate-into-residual", "cnnc-tile-and-vectorize", "cnnc-tile-matmuls",
      "cnnc-parallelize-elementwise", "cnnc-ignore-signed-zeros-in-max-min",
      "cnnc-flatten-elementwise-loops", "cnnc-interleave-channels",
      "cnnc-walk-rows-outside-blocks", "cnnc-prefetch-epilogue-reads",
      "cnnc-outline-parallel-regions", "cnnc-fuse-gpu-loop-nests", "cnnc-tile-gpu-loop-nests", "cnnc-contract-multiply-adds",
      "cnnc-enqueue-gpu-launches"};
  return names;
}

std::string optionalPassList() {
  std::string list;
  for (const auto &name : optionalPasses())
    list += (list.empty() ? "" : ", ") + name;
  return list;
}

std::string withoutPasses(const std::string &pipeline, const std::set<std::string> &disabled) {
  if (disabled.empty())
    return pipeline;
  // Split at top-level commas (not inside `{options}` or `anchor(...)`).
  std::string result, item;
  int depth = 0;
  auto flush = [&] {
    std::string name = item.substr(0, item.find_first_of("{("));
    if (!item.empty() && !disabled.count(name))
      result += (result.empty() ? "" : ",") + item;
    item.clear();
  };
  for (char ch : pipeline) {
    if (ch == '{' || ch == '(')
      ++depth;
    else if (ch == '}' || ch == ')')
      --depth;
    if (ch == ',' && depth == 0)
      flush();
    else
      item += ch;
  }
  flush();
  return result;
}

const char *precisionName(Precision precision) {
  switch (precision) {
  case Precision::Bf16:
    return "bf16";
  case Precision::Int8:
    return "int8";
  case Precision::Fp32:
    break;
  }
  return "fp32";
}

/// Hoisting runs before elementwise fusion: fusion would otherwise merge
/// parameter-only producers (a folded batchnorm's bias) into per-call
/// consumers (the bias broadcast into the accumulator), and the merged op
/// could no longer move to @prepare. Demotion to bf16 and quantization to
/// int8 come before both: the filters' rounding is hoisted, the inputs'
/// fused into producers.
std::string linalgPipeline(Precision precision, bool cpuLoops) {
  return std::string("cnnc-fuse-activations,cnnc-fold-batchnorm,cnnc-instrument-layers,") +
         (cpuLoops ? "cnnc-convert-cnn-to-linalg{channels-last-pool-gradients=true},"
                   : "cnnc-convert-cnn-to-linalg,") +
         "canonicalize,cse," +
         (precision == Precision::Bf16   ? "cnnc-demote-convs-to-bf16,canonicalize,"
          : precision == Precision::Int8 ? "cnnc-quantize-convs-to-int8,canonicalize,"
                                         : "") +
         // Filter blocks are a CPU cache layout; on a GPU each block conv
         // would be its own kernel of a fraction of the outputs.
         (cpuLoops ? "cnnc-winograd-convs,cnnc-block-conv-filters," : "") +
         "cnnc-hoist-parameter-transforms,"
         "linalg-fuse-elementwise-ops,canonicalize,cse,"
         "cnnc-propagate-channels-last,canonicalize,cse";
}

/// Schedules are selected once the ops they are written for exist (the
/// phase convs of strided convs, fused epilogues), then applied: convs
/// first, while the filter-block chains that cnnc-fuse-conv-epilogues built
/// are intact (a schedule's clean-up, CSE across the blocks, unmade them:
/// ResNet-50 b1 1.12x slower). At -O0 they are only selected. The i8
/// convs in cnnc's pipeline are cnnc-quantize-convs-to-int8's, whose inputs
/// are in [0, 127]: their dot products may read them as u8.
std::string schedulePipeline(unsigned optLevel, const std::string &selectOptions) {
  std::string select = "cnnc-select-cpu-schedules";
  if (!selectOptions.empty())
    select += "{" + selectOptions + "}";
  return optLevel == 0 ? "cnnc-collapse-contraction-reductions," + select +
                             ",cnnc-lower-winograd-convs"
                       : "cnnc-collapse-contraction-reductions,cnnc-pack-columns-into-channels,"
                         "cnnc-split-strided-convs,"
                         "cnnc-fuse-conv-epilogues,cnnc-fuse-quantizations-into-producers," +
                             select +
                             ",cnnc-lower-winograd-convs,cnnc-accumulate-into-residual,"
                             "cnnc-tile-and-vectorize,"
                             "cnnc-lower-contractions-to-amx,cnnc-lower-bf16-contractions,"
                             "cnnc-lower-int8-contractions{nonnegative-lhs=true},"
                             "cnnc-tile-matmuls,canonicalize,cse,"
                             "cnnc-parallelize-elementwise";
}

/// Bufferization and memory planning, shared by every target. On the CPU a
/// pad fills only its border (a whole-buffer memset is a single-threaded
/// pass over memory there); on the GPU one fill per pad is one kernel.
static std::string bufferizePipeline(bool padBorderOnly = true) {
  return std::string("cnnc-distinct-function-results,cnnc-pad-in-place{border-only=") +
         (padBorderOnly ? "true" : "false") + "},cnnc-grow-concats,eliminate-empty-tensors,"
         "one-shot-bufferize{bufferize-function-boundaries "
         "function-boundary-type-conversion=identity-layout-map},"
         "buffer-results-to-out-params{hoist-static-allocs=true modify-public-functions=true},"
         "cse,canonicalize,cse,"
         "cnnc-plan-memory,cnnc-lower-copies,";
}

/// From loops (scf, vector, OpenMP) to the LLVM dialect on the CPU.
static std::string cpuLoopsToLLVMPipeline() {
  return "cnnc-approximate-math,cnnc-ignore-signed-zeros-in-max-min,"
         "convert-vector-to-scf{full-unroll=true target-rank=1},"
         "func.func(lower-vector-multi-reduction),"
         "lower-affine,cnnc-lower-alloca-scopes,convert-scf-to-cf,expand-strided-metadata,"
         "lower-affine,"
         "convert-vector-to-llvm{vector-contract-lowering=outerproduct enable-x86vector=true},"
         "cnnc-convert-loops-to-llvm,reconcile-unrealized-casts,cnnc-outline-parallel-regions";
}

std::string llvmPipeline(const ParallelSchedule &parallel) {
  return bufferizePipeline() +
         "cnnc-walk-rows-outside-blocks,cnnc-prefetch-epilogue-reads,scf-forall-to-parallel,convert-scf-to-openmp,"
         "cnnc-distribute-parallel-loops{schedule=" + parallel.kind +
         " chunk=" + std::to_string(parallel.chunk) + "},canonicalize,"
         "cnnc-flatten-elementwise-loops,cnnc-interleave-channels,"
         "func.func(convert-linalg-to-loops)," +
         cpuLoopsToLLVMPipeline();
}

/// Bufferized entry functions to one GPU-mapped parallel loop per kernel;
/// nests keep at least `minThreads` threads when register-tiled.
static std::string gpuLoopsPipeline(int64_t minThreads) {
  return bufferizePipeline(/*padBorderOnly=*/false) +
         "cnnc-gpu-atomic-reductions,"
         "func.func(convert-linalg-to-parallel-loops),cnnc-fuse-gpu-loop-nests,"
         "cnnc-tile-gpu-loop-nests{min-threads=" + std::to_string(minThreads) +
         "},cnnc-contract-multiply-adds,cnnc-map-loops-to-gpu,";
}

std::string gpuLoopsOnCpuPipeline() {
  // Every nest that can be tiled is (no thread minimum): the CPU run checks
  // the tiled loop structure on small op cases too.
  return gpuLoopsPipeline(/*minThreads=*/0) +
         cpuLoopsToLLVMPipeline();
}

std::string gpuPipeline(const std::string &chip, const std::string &cudaToolkit) {
  return gpuLoopsPipeline(gpuTargetFor(chip)->minBusyThreads()) +
         "func.func(convert-parallel-loops-to-gpu),"
         "lower-affine,canonicalize,gpu-launch-sink-index-computations,gpu-kernel-outlining,"
         "cnnc-mark-noalias-kernel-args,"
         "cnnc-merge-gpu-modules,cnnc-enqueue-gpu-launches,"
         "nvvm-attach-target{chip=" + chip + " features=+ptx80 O=3},"
         "gpu.module(convert-scf-to-cf,convert-gpu-to-nvvm{use-bare-ptr-memref-call-conv=true},"
         "canonicalize,cse,reconcile-unrealized-casts),"
         "gpu-module-to-binary{format=isa toolkit=" + cudaToolkit + "}";
}

std::string gpuHostPipeline() {
  return "convert-scf-to-cf,expand-strided-metadata,lower-affine,"
         "finalize-memref-to-llvm,convert-math-to-llvm,convert-arith-to-llvm,"
         "convert-cf-to-llvm,"
         "convert-func-to-llvm{use-bare-ptr-memref-call-conv=true},"
         "gpu-to-llvm{use-bare-pointers-for-host=true use-bare-pointers-for-kernels=true},"
         "convert-index-to-llvm,convert-ub-to-llvm,reconcile-unrealized-casts";
}

namespace {
/// Calls `callback` with the module after each run of the pass `argument`.
struct AfterPass : PassInstrumentation {
  AfterPass(StringRef argument, std::function<void(ModuleOp)> callback)
      : argument(argument), callback(std::move(callback)) {}
  void runAfterPass(Pass *pass, Operation *op) override {
    if (pass->getArgument() == argument)
      if (auto module = dyn_cast<ModuleOp>(op))
        callback(module);
  }
  StringRef argument;
  std::function<void(ModuleOp)> callback;
};
} // namespace

/// `timing` (cnnc --timing): the scope each pass's time is reported under.
/// `afterPass`: (pass argument, callback) to see the module after that pass.
static LogicalResult
runPipeline(ModuleOp module, const std::string &text, const std::set<std::string> &disabled = {},
            TimingScope *timing = nullptr,
            std::pair<StringRef, std::function<void(ModuleOp)>> afterPass = {}) {
  PassManager pm(module.getContext());
  if (failed(parsePassPipeline(withoutPasses(text, disabled), pm, llvm::errs())))
    return failure();
  if (timing)
    pm.enableTiming(*timing);
  if (afterPass.second)
    pm.addInstrumentation(std::make_unique<AfterPass>(afterPass.first, afterPass.second));
  return pm.run(module);
}

LogicalResult simplifyGraph(ModuleOp module, const std::set<std::string> &disabled,
                            TimingScope *timing) {
  return runPipeline(module, "cnnc-trim-padding-taps", disabled, timing);
}

LogicalResult lowerToLinalg(ModuleOp module, const std::set<std::string> &disabled,
                            TimingScope *timing, Precision precision, bool cpuLoops) {
  return runPipeline(module, linalgPipeline(precision, cpuLoops), disabled, timing);
}

LogicalResult scheduleLinalg(ModuleOp module, unsigned optLevel,
                             const std::set<std::string> &disabled,
                             const std::string &selectOptions, TimingScope *timing,
                             const std::function<void(ModuleOp)> &afterSelection) {
  return runPipeline(module, schedulePipeline(optLevel, selectOptions), disabled, timing,
                     {"cnnc-select-cpu-schedules", afterSelection});
}

LogicalResult lowerLinalgToLLVM(ModuleOp module, const std::set<std::string> &disabled,
                                TimingScope *timing, const ParallelSchedule &parallel) {
  return runPipeline(module, llvmPipeline(parallel), disabled, timing);
}

std::optional<ParallelSchedule> parseParallelSchedule(const std::string &text) {
  ParallelSchedule s;
  llvm::StringRef kind = text, chunk;
  std::tie(kind, chunk) = llvm::StringRef(text).split(':');
  if (kind != "static" && kind != "dynamic" && kind != "guided")
    return std::nullopt;
  s.kind = kind.str();
  s.chunk = kind == "static" ? 0 : 1;
  if (!chunk.empty() && (chunk.getAsInteger(10, s.chunk) || s.chunk < 0))
    return std::nullopt;
  return s;
}

LogicalResult lowerGpuLoopsOnCpu(ModuleOp module) {
  return runPipeline(module, gpuLoopsOnCpuPipeline());
}

std::optional<std::string> findCudaToolkit() {
  auto hasLibdevice = [](const std::string &root) {
    return llvm::sys::fs::exists(root + "/nvvm/libdevice/libdevice.10.bc");
  };
  for (const char *var : {"CUDA_HOME", "CUDA_PATH", "CUDA_ROOT"})
    if (const char *v = std::getenv(var); v && hasLibdevice(v))
      return std::string(v);
  if (auto ptxas = llvm::sys::findProgramByName("ptxas")) {
    std::string root = llvm::sys::path::parent_path(llvm::sys::path::parent_path(*ptxas)).str();
    if (hasLibdevice(root))
      return root;
  }
  if (hasLibdevice("/usr/local/cuda"))
    return std::string("/usr/local/cuda");
  return std::nullopt;
}

LogicalResult lowerLinalgToPtx(ModuleOp module, const std::string &chip,
                               const std::string &cudaToolkit,
                               const std::set<std::string> &disabled) {
  return runPipeline(module, gpuPipeline(chip, cudaToolkit), disabled);
}

LogicalResult lowerGpuHostToLLVM(ModuleOp module) {
  return runPipeline(module, gpuHostPipeline());
}

} // namespace cnnc
