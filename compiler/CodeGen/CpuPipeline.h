//===- CpuPipeline.h - cnn -> LLVM dialect for x86-64 -----------*- C++ -*-===//
#ifndef CNNC_CODEGEN_CPUPIPELINE_H
#define CNNC_CODEGEN_CPUPIPELINE_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Support/Timing.h"

#include <functional>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace cnnc {

/// Where the pipeline may stop (`--emit=linalg|llvm`).
enum class Stage { Linalg, LLVMDialect };

/// What convolutions compute in (`cnnc --precision`): f32, bf16 operands
/// accumulated in f32 (cnnc-demote-convs-to-bf16), or calibrated int8
/// operands accumulated in i32 (cnnc-quantize-convs-to-int8).
enum class Precision { Fp32, Bf16, Int8 };

/// "fp32", "bf16" or "int8", as the command line and the metadata name it.
const char *precisionName(Precision precision);

/// The cnn-level rewrites that hold for every target (cnnc-trim-padding-taps),
/// run on the imported graph before the training step is built from it.
mlir::LogicalResult simplifyGraph(mlir::ModuleOp module,
                                  const std::set<std::string> &disabled = {},
                                  mlir::TimingScope *timing = nullptr);

/// Runs the named passes that take the imported cnn module to the LLVM
/// dialect. `pipelineText` receives the textual pipeline of each phase (for
/// docs and reproduction with cnnc-opt).
/// `disabled` names optimization passes to leave out (`cnnc --disable-passes`,
/// to measure what each one is worth); see optionalPasses().
mlir::LogicalResult lowerToLinalg(mlir::ModuleOp module,
                                  const std::set<std::string> &disabled = {},
                                  mlir::TimingScope *timing = nullptr,
                                  Precision precision = Precision::Fp32, bool cpuLoops = true);
/// Tiles and vectorizes the compute-heavy linalg ops (skipped at -O0).
/// `selectOptions`: options of cnnc-select-cpu-schedules ("a=b c=d"), for
/// experiments (`cnnc --schedule-options`).
/// `afterSelection`, if given, sees the module right after
/// cnnc-select-cpu-schedules wrote each op's schedule (before they are
/// applied): `cnnc --report` lists them per node.
mlir::LogicalResult scheduleLinalg(mlir::ModuleOp module, unsigned optLevel,
                                   const std::set<std::string> &disabled = {},
                                   const std::string &selectOptions = "",
                                   mlir::TimingScope *timing = nullptr,
                                   const std::function<void(mlir::ModuleOp)> &afterSelection = {});
/// How the threads share a parallel loop's tiles (cnnc-distribute-parallel-loops).
struct ParallelSchedule {
  std::string kind = "static"; // static, dynamic or guided
  int64_t chunk = 0;           // tiles handed out at a time (0: the runtime's default)
};
/// Parses `--parallel-schedule` ("KIND" or "KIND:CHUNK"); nullopt if malformed.
std::optional<ParallelSchedule> parseParallelSchedule(const std::string &text);

mlir::LogicalResult lowerLinalgToLLVM(mlir::ModuleOp module,
                                      const std::set<std::string> &disabled = {},
                                      mlir::TimingScope *timing = nullptr,
                                      const ParallelSchedule &parallel = {});

/// The passes that only make code faster: each can be disabled by name.
const std::vector<std::string> &optionalPasses();
/// optionalPasses() as "a, b, c" (for help and error texts).
std::string optionalPassList();
/// `pipeline` without its top-level passes named in `disabled`.
std::string withoutPasses(const std::string &pipeline, const std::set<std::string> &disabled);

/// Testing without a GPU: the GPU's loop structure (collapsed, block-tiled,
/// guarded parallel loops) run as CPU loops, to catch indexing bugs.
mlir::LogicalResult lowerGpuLoopsOnCpu(mlir::ModuleOp module);

/// nvptx: bufferize, plan memory, map every loop nest to GPU blocks and
/// threads, outline kernels into one module, enqueue their launches without
/// host waits, and compile them to PTX (one gpu.binary op).
mlir::LogicalResult lowerLinalgToPtx(mlir::ModuleOp module, const std::string &chip,
                                     const std::string &cudaToolkit,
                                     const std::set<std::string> &disabled = {});
/// The CUDA toolkit whose libdevice the kernels' math links against:
/// $CUDA_HOME, $CUDA_PATH, $CUDA_ROOT, ptxas's installation, /usr/local/cuda.
std::optional<std::string> findCudaToolkit();
/// nvptx: the host side (launches through MLIR's mgpu* interface) to LLVM.
mlir::LogicalResult lowerGpuHostToLLVM(mlir::ModuleOp module);

/// The textual pass pipelines (nested in builtin.module), reproducible with
/// cnnc-opt --pass-pipeline='builtin.module(...)'.
/// `cpuLoops`: the loops become CPU code (cnnc's CPU pipeline), not GPU
/// kernels or their CPU rendering (--gpu-loops-on-cpu), which map linalg
/// loops only.
std::string linalgPipeline(Precision precision = Precision::Fp32, bool cpuLoops = true);
std::string schedulePipeline(unsigned optLevel, const std::string &selectOptions = "");
std::string llvmPipeline(const ParallelSchedule &parallel = {});
std::string gpuLoopsOnCpuPipeline();
std::string gpuPipeline(const std::string &chip, const std::string &cudaToolkit);
std::string gpuHostPipeline();

} // namespace cnnc

#endif
