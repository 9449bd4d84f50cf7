//===- Compiler.cpp - the cnnc driver library ------------------------------===//

#include "Cnn/CnnAttrNames.h"
#include "Driver/Compiler.h"
#include "Driver/Calibration.h"
#include "Driver/CompileProgress.h"
#include "Driver/Tuner.h"

#include "Analysis/BatchRows.h"
#include "Analysis/ModelReport.h"
#include "CodeGen/Artifact.h"
#include "CodeGen/CpuPipeline.h"
#include "Import/ModelImporter.h"
#include "Import/TrainingConfig.h"
#include "Passes.h"
#include "Target/CpuTarget.h"
#include "Target/GpuTarget.h"
#include "Transforms/ScheduledOps.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"

#include "cnnrt/Safetensors.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Support/FileUtilities.h"
#include "mlir/Target/LLVMIR/Dialect/All.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;

namespace cnnc {

static int userError(const std::string &msg) {
  llvm::errs() << "cnnc: error: " << msg << "\n";
  return 1;
}

static bool printModule(ModuleOp module, const std::string &path) {
  std::string err;
  auto out = openOutputFile(path.empty() ? "-" : path, &err);
  if (!out) {
    llvm::errs() << "cnnc: error: " << err << "\n";
    return false;
  }
  module.print(out->os(), OpPrintingFlags().enableDebugInfo(false));
  out->keep();
  return true;
}

static std::vector<TensorSignature> signatures(ModuleOp module, StringRef attrName,
                                               bool results) {
  auto fwd = module.lookupSymbol<func::FuncOp>(attrs::kForward);
  std::vector<TensorSignature> sigs;
  unsigned n = results ? fwd.getNumResults() : fwd.getNumArguments();
  for (unsigned i = 0; i < n; ++i) {
    auto name = results ? fwd.getResultAttrOfType<StringAttr>(i, attrName)
                        : fwd.getArgAttrOfType<StringAttr>(i, attrName);
    if (!name)
      continue;
    auto type = cast<RankedTensorType>(results ? fwd.getResultTypes()[i]
                                               : fwd.getArgumentTypes()[i]);
    sigs.push_back({name.str(), {type.getShape().begin(), type.getShape().end()}});
  }
  return sigs;
}

static bool writeExternalWeights(const WeightStore &weights, const std::string &path) {
  std::vector<cnnrt::Tensor> tensors;
  tensors.reserve(weights.parameters().size());
  std::vector<std::pair<std::string, const cnnrt::Tensor *>> entries;
  for (const auto &p : weights.parameters()) {
    cnnrt::Tensor t(p.shape);
    std::memcpy(t.bytes.data(), p.data, t.bytes.size());
    tensors.push_back(std::move(t));
  }
  for (size_t i = 0; i < tensors.size(); ++i)
    entries.push_back({weights.parameters()[i].name, &tensors[i]});
  try {
    cnnrt::writeSafetensors(path, entries);
  } catch (const std::exception &e) {
    llvm::errs() << "cnnc: error: " << e.what() << "\n";
    return false;
  }
  return true;
}

static int compile(const CompileOptions &opts, CompileProgress &progress);

std::optional<ImportedModel> importModelOrReport(MLIRContext &ctx, const CompileOptions &opts) {
  ImportOptions importOptions;
  importOptions.batch = opts.batch;
  importOptions.seed = opts.seed;
  ErrorList errors(opts.modelPath);
  auto model = importModel(ctx, opts.modelPath, importOptions, errors);
  if (!model)
    for (const auto &e : errors.all())
      llvm::errs() << "cnnc: error: " << e << "\n";
  return model;
}

int runCompiler(const CompileOptions &options) {
  CompileOptions opts = options;
  // Said before the compile, not as a temporary file that cannot be written.
  StringRef outputDir = llvm::sys::path::parent_path(opts.outputPath);
  if (opts.outputPath != "-" && !outputDir.empty() && !llvm::sys::fs::is_directory(outputDir))
    return userError("cannot write " + opts.outputPath + ": no directory " + outputDir.str());
  if (opts.tune) {
    if (opts.target != "x86_64")
      return userError("--tune measures CPU schedules: it needs -target=x86_64");
    if (opts.outputPath.empty() || opts.emit != "so")
      return userError("--tune needs --emit=so and -o OUT");
    if (opts.tuningCache.empty())
      opts.tuningCache = opts.outputPath + ".tuning.json";
    if (!tuneSchedules(opts, opts.tuningCache))
      return 1;
  }
  if (!opts.tuningCache.empty())
    opts.scheduleOptions += (opts.scheduleOptions.empty() ? "" : " ") +
                            std::string("tuning-cache=") + opts.tuningCache;
  CompileProgress progress(opts.modelPath, opts.progress, opts.progressInPlace,
                           std::chrono::milliseconds(opts.progressDelayMs));
  int status = compile(opts, progress);
  progress.end(status == 0);
  return status;
}

static int compile(const CompileOptions &opts, CompileProgress &progress) {
  DialectRegistry registry;
  registerAllDialects(registry);
  registerAllExtensions(registry);
  registerAllToLLVMIRTranslations(registry);
  registerAllPasses();
  registerCnncPasses();
  MLIRContext ctx(registry);
  // --timing: where the time goes (MLIR pass timing, then LLVM's stages).
  DefaultTimingManager timingManager;
  timingManager.setEnabled(opts.timing);
  timingManager.setDisplayMode(DefaultTimingManager::DisplayMode::Tree);
  TimingScope timing = timingManager.getRootScope();
  // A stage of the compile: timed (--timing) and shown (--progress).
  auto enterStage = [&](StringRef name) {
    progress.stage(name);
    return timing.nest(name);
  };
  TimingScope importTime = enterStage("import");

  auto model = importModelOrReport(ctx, opts);
  if (!model)
    return 1;
  if (model->defaultInitialized && !model->weights.parameters().empty())
    llvm::errs() << "cnnc: warning: " << opts.modelPath
                 << " names no weights file: parameters use PyTorch's default "
                    "initialization with seed "
                 << opts.seed << "\n";
  importTime.stop();
  if (opts.train && !model->description.training && !opts.trainingOverrides.any())
    return userError(opts.modelPath + ": --train needs a \"training\" object in the model, or "
                     "the optimizer on the command line (--optimizer, --lr, ...)");
  bool gpu = opts.target == "nvptx";
  if (opts.emit == "ptx" && !gpu)
    return userError("--emit=ptx needs -target=nvptx");
  std::string chip = gpu ? (opts.mcpu.empty() ? kDefaultGpuChip.str() : opts.mcpu) : "";
  if (gpu && !gpuTargetFor(chip)) {
    std::string known;
    const auto &targets = gpuTargets();
    for (size_t i = 0; i < targets.size(); ++i)
      known += (i == 0 ? "" : i + 1 == targets.size() ? " or " : ", ") + targets[i].chip;
    return userError("-mcpu=" + chip + " is not a supported NVIDIA GPU for -target=nvptx (use " +
                     known + ")");
  }

  // The CPU the code is emitted for (for nvptx, the host code's), made
  // before any lowering: every CPU schedule reads its description.
  std::optional<CpuTarget> cpuTarget = makeCpuTarget(gpu ? "" : opts.mcpu, opts.optLevel);
  if (!cpuTarget)
    return 1;
  if (opts.precision == Precision::Bf16 && !llvm::is_contained(cpuTarget->isa, "avx512bf16"))
    return userError("--precision=bf16 needs a CPU with AVX512_BF16 (vdpbf16ps); " +
                     cpuTarget->cpu + " has none: compile for fp32, or with -mcpu= naming "
                     "a CPU that has it (znver4, znver5)");
  // Where bf16 dot products do less arithmetic a cycle than the fp32 FMAs
  // (Intel's AVX-512 CPUs) and the convs do not run on AMX tiles instead
  // (none on the CPU, or --schedule-options=matrix-tiles=false), bf16 convs
  // run slower than fp32: compiled as asked, with a warning that says so.
  bool matrixTiles = llvm::is_contained(cpuTarget->isa, "amx-bf16") &&
                     cnnc::selectsMatrixTiles(opts.scheduleOptions);
  if (opts.precision == Precision::Bf16 && cpuTarget->bf16DotPercent < 100 && !matrixTiles)
    llvm::errs() << "cnnc: warning: --precision=bf16 on " << cpuTarget->cpu
                 << ": its vdpbf16ps does " << cpuTarget->bf16DotPercent
                 << "% of the arithmetic a cycle of its fp32 FMAs, so bf16 convolutions run "
                    "slower than fp32 here (docs/precision.md); fp32 or --precision=int8 "
                    "are faster on this CPU\n";
  if (opts.precision == Precision::Int8 && !llvm::is_contained(cpuTarget->isa, "avx2"))
    return userError("--precision=int8 needs a CPU with AVX2 (vpmaddubsw) or AVX512_VNNI "
                     "(vpdpbusd); " + cpuTarget->cpu + " has neither: compile for fp32, or with "
                     "-mcpu= naming a CPU that has one (x86-64-v3, znver3, znver5)");
  std::optional<CpuTarget> scheduleTarget;
  if (!gpu && !opts.scheduleCpu.empty() &&
      !(scheduleTarget = makeCpuTarget(opts.scheduleCpu, opts.optLevel, /*tableOnly=*/true)))
    return 1;

  std::set<std::string> disabled;
  for (const auto &name : opts.disabledPasses) {
    const auto &known = optionalPasses();
    if (std::find(known.begin(), known.end(), name) == known.end())
      return userError("--disable-passes: '" + name + "' is not an optional pass (" +
                       optionalPassList() + ")");
    disabled.insert(name);
  }

  ModuleOp module = *model->module;
  if (opts.calibrationOutputs)
    addCalibrationOutputs(module);
  CalibrationRanges calibration;
  if (opts.precision == Precision::Int8) {
    std::optional<CalibrationRanges> ranges = calibrate(opts, module);
    if (!ranges)
      return 1;
    attachCalibration(module, *ranges);
    calibration = *ranges;
  }

  // Pass failures report at op locations: print them as "FILE: node 'N': msg".
  ScopedDiagnosticHandler diagnostics(&ctx, [&](Diagnostic &diag) {
    bool error = diag.getSeverity() == DiagnosticSeverity::Error;
    if (!error && diag.getSeverity() != DiagnosticSeverity::Warning)
      return success();
    std::string where = opts.modelPath;
    if (auto name = dyn_cast<NameLoc>(diag.getLocation()))
      where += ": node '" + name.getName().str() + "'";
    llvm::errs() << (error ? "cnnc: error: " : "cnnc: warning: ") << where << ": " << diag.str()
                 << "\n";
    return success();
  });

  // The report costs the graph as the model states it (nominal FLOPs, as
  // peers count them), before rewrites that skip work.
  std::optional<ModelCost> cost;
  if (opts.report)
    cost = computeModelCost(module.lookupSymbol<func::FuncOp>(attrs::kForward));
  TimingScope graphTime = enterStage("simplify the graph");
  if (failed(simplifyGraph(module, disabled, &graphTime)))
    return userError(opts.modelPath + ": simplifying the graph failed (see above)");
  graphTime.stop();

  if (opts.train) {
    ErrorList trainErrors(opts.modelPath);
    nlohmann::json training =
        opts.trainingOverrides.any()
            ? applyTrainingOverrides(model->description.training, opts.trainingOverrides,
                                     trainErrors)
            : *model->description.training;
    if (!trainErrors.all().empty() || !attachTrainingConfig(module, training, trainErrors)) {
      for (const auto &e : trainErrors.all())
        llvm::errs() << "cnnc: error: " << e << "\n";
      return 1;
    }
    PassManager pm(&ctx);
    const char *buildStep = opts.dataParallel ? "cnnc-build-train-step{data-parallel=true}"
                                              : "cnnc-build-train-step";
    if (failed(parsePassPipeline(buildStep, pm)) || failed(pm.run(module)))
      return userError(opts.modelPath + ": cannot build the training step (see above)");
  }
  std::string targetText = gpu ? "nvptx " + chip : cpuTarget->summary();
  if (opts.reportHtml && (opts.outputPath.empty() || opts.emit != "so"))
    return userError("--report=html writes the page to -o FILE (and no library); it does not "
                     "go with --emit");
  auto printReport = [&](std::optional<int64_t> arena,
                         const std::vector<PlannedBuffer> &buffers = {}) -> bool {
    if (opts.reportHtml) {
      // The profile is checked first: a bad one leaves no page behind.
      std::string profile;
      if (!opts.profilePath.empty() &&
          !readProfile(opts.profilePath, *cost, model->description.name, profile)) {
        llvm::errs() << "cnnc: error: " << profile << "\n";
        return false;
      }
      std::error_code ec;
      llvm::raw_fd_ostream page(opts.outputPath, ec);
      if (ec) {
        llvm::errs() << "cnnc: error: cannot write " << opts.outputPath << ": " << ec.message()
                     << "\n";
        return false;
      }
      printModelReportHtml(*cost, page, model->description.name, targetText, arena, profile,
                           buffers, opts.peakGflops, opts.peakBandwidth);
    } else if (opts.reportJson) {
      printModelReportJson(*cost, llvm::outs(), model->description.name, targetText, arena,
                           buffers);
    } else {
      printModelReport(*cost, llvm::outs(), arena);
    }
    return true;
  };
  if (cost && !gpu && !opts.reportJson && !opts.reportHtml)
    llvm::outs() << "target: " << targetText << "\n";
  if (opts.emit == "cnn") {
    if (cost)
      printReport(std::nullopt);
    return printModule(module, opts.outputPath) ? 0 : 1;
  }

  ArtifactSpec spec;
  spec.modelName = model->description.name;
  spec.inputs = signatures(module, attrs::kInputName, false);
  spec.outputs = signatures(module, attrs::kOutputName, true);
  spec.batch = spec.inputs.empty() || spec.inputs[0].shape.empty() ? 1 : spec.inputs[0].shape[0];
  spec.runtimeBatch = batchRowsIndependent(module.lookupSymbol<func::FuncOp>(attrs::kForward),
                                           spec.batch);
  spec.weights = &model->weights;
  spec.embedWeights = opts.embedWeights;
  // Embedded weights live in the library's data, which x86-64's default code
  // model addresses within 2 GiB (RegNetY-128GF's 2.6 GB failed at link).
  if (opts.embedWeights && (opts.emit == "so" || opts.emit == "obj")) {
    constexpr int64_t kMaxEmbeddedBytes = (int64_t(2) << 30) - (int64_t(64) << 20);
    int64_t bytes = 0;
    for (const auto &p : model->weights.parameters())
      bytes += p.numElements() * int64_t(sizeof(float));
    if (bytes > kMaxEmbeddedBytes)
      return userError(opts.modelPath + ": its parameters take " +
                       std::to_string(bytes >> 20) +
                       " MiB, more than a library can embed (2 GiB less 64 MiB); compile "
                       "with --weights=external (the weights then go to OUT.weights.safetensors)");
  }
  spec.cpuTarget = &*cpuTarget;
  spec.target.cpu = gpu ? "" : opts.mcpu;
  spec.target.gpuChip = chip;
  spec.target.optLevel = opts.optLevel;
  spec.precision = opts.precision;
  spec.calibrationMethod = opts.calibrationMethod;
  spec.calibration = calibration;

  // The CPU schedules' target (the model itself, --emit=cnn, knows none).
  if (!gpu) {
    ctx.loadDialect<codegen::CodegenDialect>();
    module->setAttr(codegen::CodegenDialect::kTargetAttrName,
                    (scheduleTarget ? *scheduleTarget : *cpuTarget).toAttr(&ctx));
  }
  TimingScope linalgTime = enterStage("lower to linalg");
  if (failed(lowerToLinalg(module, disabled, &linalgTime, opts.precision,
                           /*cpuLoops=*/!gpu && !opts.gpuLoopsOnCpu)))
    return userError(opts.modelPath + ": lowering to linalg failed (see above)");
  linalgTime.stop();
  if (opts.emit == "linalg")
    return printModule(module, opts.outputPath) ? 0 : 1;
  if (gpu) {
    auto toolkit = findCudaToolkit();
    if (!toolkit)
      return userError("-target=nvptx needs the CUDA toolkit's libdevice "
                       "(nvvm/libdevice/libdevice.10.bc) for the kernels' math; none found "
                       "under $CUDA_HOME, ptxas's installation or /usr/local/cuda");
    if (failed(lowerLinalgToPtx(module, chip, *toolkit, disabled)))
      return userError(opts.modelPath + ": lowering to PTX failed (see above)");
    if (opts.emit == "ptx") {
      std::string err;
      auto out = openOutputFile(opts.outputPath.empty() ? "-" : opts.outputPath, &err);
      if (!out)
        return userError(err);
      out->os() << collectPtx(module);
      out->keep();
      return 0;
    }
    if (failed(lowerGpuHostToLLVM(module)))
      return userError(opts.modelPath + ": lowering the GPU host code failed (see above)");
  } else if (opts.gpuLoopsOnCpu) {
    if (failed(lowerGpuLoopsOnCpu(module)))
      return userError(opts.modelPath + ": lowering the GPU loop structure failed (see above)");
  } else {
    TimingScope scheduleTime = enterStage("schedule (tile, vectorize)");
    // The report lists each node's layout changes, selected schedules and
    // the kernels (fused groups) that compute it.
    std::function<void(ModuleOp)> recordForReport;
    if (cost) {
      recordLayoutChanges(module, *cost);
      recordPrecisions(module, *cost);
      recordForReport = [&](ModuleOp m) { recordSchedules(m, *cost); };
    }
    if (failed(scheduleLinalg(module, opts.optLevel, disabled, opts.scheduleOptions,
                              &scheduleTime, recordForReport)))
      return userError(opts.modelPath + ": tiling and vectorization failed (see above)");
    if (cost)
      recordKernels(module, *cost);
    scheduleTime.stop();
    TimingScope llvmTime = enterStage("lower to the LLVM dialect");
    if (failed(lowerLinalgToLLVM(module, disabled, &llvmTime, opts.parallelSchedule)))
      return userError(opts.modelPath + ": lowering to LLVM failed (see above)");
  }
  if (cost) {
    auto fwd = module.lookupSymbol<LLVM::LLVMFuncOp>(attrs::kForward);
    std::optional<int64_t> arena;
    if (auto a = fwd ? fwd->getAttrOfType<IntegerAttr>(mlir::cnn::attr_names::kArenaBytes) : IntegerAttr())
      arena = a.getInt();
    std::vector<PlannedBuffer> buffers;
    auto plan = fwd ? fwd->getAttrOfType<DenseI64ArrayAttr>(mlir::cnn::attr_names::kArenaPlan)
                    : DenseI64ArrayAttr();
    auto names = fwd ? fwd->getAttrOfType<ArrayAttr>(mlir::cnn::attr_names::kArenaPlanNames)
                     : ArrayAttr();
    if (plan && names && plan.size() == 4 * int64_t(names.size()))
      for (size_t i = 0; i < names.size(); ++i)
        buffers.push_back({cast<StringAttr>(names[i]).str(), plan[4 * i], plan[4 * i + 1],
                           plan[4 * i + 2], plan[4 * i + 3]});
    if (!printReport(arena, buffers))
      return 1;
    if ((opts.outputPath.empty() || opts.reportHtml) && opts.emit == "so")
      return 0;
  }
  if (opts.emit == "so" || opts.emit == "obj") {
    if (opts.outputPath.empty())
      return userError("--emit=" + opts.emit + " needs -o OUT");
  }
  ArtifactKind kind = opts.emit == "llvm"  ? ArtifactKind::LLVMIR
                      : opts.emit == "obj" ? ArtifactKind::Object
                                           : ArtifactKind::SharedLibrary;
  std::string out = opts.outputPath.empty() ? "-" : opts.outputPath;
  progress.stage(kind == ArtifactKind::LLVMIR ? "LLVM optimization"
                                              : "LLVM optimization and code generation");
  TimingScope emitTime = timing.nest("emit " + opts.emit);
  spec.timing = &emitTime;
  if (!emitArtifact(module, spec, kind, out))
    return 1;
  if (kind == ArtifactKind::SharedLibrary && !opts.embedWeights &&
      !writeExternalWeights(model->weights, out + ".weights.safetensors"))
    return 1;
  return 0;
}

} // namespace cnnc
