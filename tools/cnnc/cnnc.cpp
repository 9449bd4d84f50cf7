//===- cnnc.cpp - the cnnc compiler driver ----------------------------------===//
//
//   cnnc MODEL.json [-target=x86_64|nvptx] [-mcpu=NAME] [-O0..-O3] [--batch=N]
//        [--train [--data-parallel]] [--seed=N] [--weights=embed|external]
//        [--emit=cnn|linalg|llvm|ptx|obj|so] [--report] [--disable-passes=P,...] -o OUT
//
// Parses the command line and calls the compiler library (Driver/Compiler).
//
//===----------------------------------------------------------------------===//

#include "CodeGen/CpuPipeline.h"
#include "Driver/Compiler.h"

#include "llvm/Support/CommandLine.h"
#include "llvm/Support/Process.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>

namespace cl = llvm::cl;

static cl::OptionCategory cnncCategory("cnnc options");
static cl::opt<std::string> modelPath(cl::Positional, cl::desc("MODEL.json"), cl::Required,
                                      cl::cat(cnncCategory));
static cl::opt<std::string> outputPath("o", cl::desc("output file"), cl::value_desc("OUT"),
                                       cl::cat(cnncCategory));
static cl::opt<std::string> target("target", cl::desc("x86_64 (default) or nvptx"),
                                   cl::init("x86_64"), cl::cat(cnncCategory));
static cl::opt<std::string> mcpu("mcpu", cl::desc("CPU name or sm_XX (default: host / sm_90)"),
                                 cl::cat(cnncCategory));
static cl::opt<char> optLevel("O", cl::Prefix, cl::desc("optimization level 0-3 (default 2)"),
                              cl::init('2'), cl::cat(cnncCategory));
static cl::opt<int64_t> batch("batch", cl::desc("override the batch dimension"), cl::init(0),
                              cl::cat(cnncCategory));
static cl::opt<bool> train("train", cl::desc("compile the training step too"),
                           cl::cat(cnncCategory));
static cl::opt<bool> dataParallel(
    "data-parallel",
    cl::desc("--train: also the step's halves for data-parallel training over MPI "
             "(gradients with synchronized batchnorm, then the optimizer update)"),
    cl::cat(cnncCategory));
static cl::opt<uint64_t> seed("seed", cl::desc("seed of default initialization"), cl::init(0),
                              cl::cat(cnncCategory));
static cl::opt<std::string> weightsMode("weights", cl::desc("embed (default) or external"),
                                        cl::init("embed"), cl::cat(cnncCategory));
static cl::opt<std::string> emit("emit", cl::desc("cnn|linalg|llvm|ptx|obj|so (default so)"),
                                 cl::init("so"), cl::cat(cnncCategory));
static cl::opt<std::string> precision(
    "precision",
    cl::desc("fp32 (default); bf16: convolutions on bf16 inputs and filters with f32 "
             "accumulation (x86-64 CPUs with AVX512_BF16); int8: on int8 inputs and filters "
             "with int32 accumulation, calibrated by --calibrate (AVX512_VNNI); "
             "docs/precision.md"),
    cl::value_desc("fp32|bf16|int8"), cl::init("fp32"), cl::cat(cnncCategory));
static cl::opt<std::string> calibrate(
    "calibrate",
    cl::desc("--precision=int8: images whose activation ranges set the int8 scales (a "
             "safetensors file of [N, ...] images for the model's input, or a directory of "
             "them)"),
    cl::value_desc("IMAGES"), cl::init(""), cl::cat(cnncCategory));
static cl::opt<std::string> calibrationMethod(
    "calibration",
    cl::desc("--precision=int8: minmax (default), or percentile[:P] (the range clipped to "
             "+-the P-th percentile of |x|, default 99.99)"),
    cl::value_desc("METHOD"), cl::init("minmax"), cl::cat(cnncCategory));
static cl::opt<bool> calibrationOutputs(
    "calibration-outputs", cl::Hidden,
    cl::desc("internal (--calibrate): every convolution's input is also an output"));
static cl::opt<std::string> report(
    "report",
    cl::desc("print per-node shapes, parameters, FLOPs, memory: a table (--report or "
             "--report=text), one JSON object (--report=json), or a page (--report=html "
             "-o FILE.html, no library)"),
    cl::value_desc("text|json|html"), cl::ValueOptional, cl::init(""), cl::cat(cnncCategory));

// Built from the pipeline's own list (defined before the option that points
// into it: statics in one file are initialized in order).
static const std::string disablePassesHelp =
    "leave out optimization passes, to measure them: " + cnnc::optionalPassList();
static cl::list<std::string> disablePasses("disable-passes", cl::CommaSeparated,
                                           cl::value_desc("PASS,..."),
                                           cl::desc(disablePassesHelp), cl::cat(cnncCategory));

static cl::opt<bool> tune("tune",
                          cl::desc("measure conv schedules on this machine first and compile "
                                   "with the fastest (stored in --tuning-cache)"),
                          cl::init(false), cl::cat(cnncCategory));
static cl::opt<std::string> tuningCache(
    "tuning-cache",
    cl::desc("tuned schedules: read (and with --tune, updated); default with --tune: "
             "OUT.tuning.json"),
    cl::value_desc("FILE"), cl::init(""), cl::cat(cnncCategory));
static cl::opt<double> tuneBudget("tune-budget",
                                  cl::desc("--tune: stop measuring after this many seconds "
                                           "(default 300)"),
                                  cl::value_desc("SECONDS"), cl::init(300),
                                  cl::cat(cnncCategory));
static cl::opt<bool> timing("timing",
                            cl::desc("print where the compile time goes (MLIR passes, LLVM)"),
                            cl::init(false), cl::cat(cnncCategory));
static cl::opt<std::string> progress(
    "progress",
    cl::desc("a progress line on stderr for compiles over 2 s: auto (where stderr is a "
             "terminal), always, never"),
    cl::value_desc("WHEN"), cl::init("auto"), cl::cat(cnncCategory));
static cl::opt<unsigned> progressDelayMs("progress-delay-ms",
                                         cl::desc("--progress: after this many milliseconds"),
                                         cl::init(2000), cl::Hidden, cl::cat(cnncCategory));
static cl::opt<std::string> scheduleCpu(
    "schedule-cpu",
    cl::desc("for experiments: select CPU schedules as if for this CPU (emitting code for "
             "-mcpu)"),
    cl::value_desc("NAME"), cl::init(""), cl::cat(cnncCategory));
static cl::opt<std::string> scheduleOptions(
    "schedule-options",
    cl::desc("for experiments: options of cnnc-select-cpu-schedules, e.g. "
             "\"wide-blocks=false\""),
    cl::value_desc("OPTS"), cl::init(""), cl::cat(cnncCategory));
static cl::opt<std::string> parallelSchedule(
    "parallel-schedule",
    cl::desc("how the threads share each parallel loop's tiles: static, dynamic or guided, "
             "optionally :CHUNK (default static)"),
    cl::value_desc("KIND[:CHUNK]"), cl::init("static"), cl::cat(cnncCategory));
static cl::opt<std::string> profilePath(
    "profile",
    cl::desc("with --report=html: show these per-layer times (cnnc-run --profile=FILE.json)"),
    cl::value_desc("FILE.json"), cl::init(""), cl::cat(cnncCategory));
// Training settings over the model's "training" object (docs/training.md).
static cl::opt<std::string> optimizerType("optimizer", cl::desc("--train: sgd, adam or adamw"),
                                          cl::value_desc("NAME"), cl::cat(cnncCategory));
static cl::opt<std::string> learningRate("lr", cl::desc("--train: the learning rate"),
                                         cl::value_desc("X"), cl::cat(cnncCategory));
static cl::opt<std::string> momentum("momentum", cl::desc("--train: SGD's momentum"),
                                     cl::value_desc("X"), cl::cat(cnncCategory));
static cl::opt<std::string> weightDecay("weight-decay", cl::desc("--train: weight decay"),
                                        cl::value_desc("X"), cl::cat(cnncCategory));
static cl::opt<std::string> betas("betas", cl::desc("--train: Adam's betas"),
                                  cl::value_desc("B1,B2"), cl::cat(cnncCategory));
static cl::opt<std::string> adamEps("eps", cl::desc("--train: Adam's epsilon"),
                                    cl::value_desc("X"), cl::cat(cnncCategory));
static cl::opt<bool> nesterov("nesterov", cl::desc("--train: SGD with Nesterov momentum"),
                              cl::cat(cnncCategory));
static cl::opt<std::string> lrSchedule(
    "lr-schedule",
    cl::desc("--train: step:step_size=N[,gamma=G] | cosine:t_max=N[,eta_min=X] | "
             "linear[:start_factor=X,end_factor=X,total_iters=N]"),
    cl::value_desc("SCHEDULE"), cl::cat(cnncCategory));
static cl::opt<std::string> clipGradNorm("clip-grad-norm",
                                         cl::desc("--train: clip gradients to this global norm"),
                                         cl::value_desc("X"), cl::cat(cnncCategory));
static cl::opt<double> peakGflops(
    "peak-gflops",
    cl::desc("with --report=html --profile: the machine's peak (cnnc-fma-peak) for % of peak "
             "and the roofline"),
    cl::value_desc("GFLOP/s"), cl::init(0), cl::cat(cnncCategory));
static cl::opt<double> peakBandwidth(
    "peak-bandwidth",
    cl::desc("with --report=html --profile: the memory bandwidth for the roofline's slope"),
    cl::value_desc("GB/s"), cl::init(0), cl::cat(cnncCategory));
static cl::opt<bool> gpuLoopsOnCpu(
    "gpu-loops-on-cpu", cl::Hidden,
    cl::desc("testing: compile the nvptx path's loop structure for the CPU"));

int main(int argc, char **argv) {
  cl::HideUnrelatedOptions(cnncCategory);
  cl::ParseCommandLineOptions(argc, argv, "cnnc: compile a CNN model to a native library\n");

  std::vector<std::string> problems;
  if (target != "x86_64" && target != "nvptx")
    problems.push_back("-target must be x86_64 or nvptx, got '" + target + "'");
  if (optLevel < '0' || optLevel > '3')
    problems.push_back(std::string("-O must be 0, 1, 2 or 3, got '") + (char)optLevel + "'");
  if (weightsMode != "embed" && weightsMode != "external")
    problems.push_back("--weights must be embed or external, got '" + weightsMode + "'");
  static const char *emits[] = {"cnn", "linalg", "llvm", "ptx", "obj", "so"};
  if (std::find(std::begin(emits), std::end(emits), emit.getValue()) == std::end(emits))
    problems.push_back("--emit must be one of cnn, linalg, llvm, ptx, obj, so; got '" + emit +
                       "'");
  if (batch.getNumOccurrences() && batch <= 0)
    problems.push_back("--batch must be positive");
  if (precision != "fp32" && precision != "bf16" && precision != "int8")
    problems.push_back("--precision must be fp32, bf16 or int8, got '" + precision + "'");
  if (precision != "fp32" && train)
    problems.push_back("--precision=" + precision + " is for inference; --train computes in fp32");
  if (precision != "fp32" && target == "nvptx")
    problems.push_back("--precision=" + precision +
                       " is for -target=x86_64 so far (docs/precision.md)");
  if (precision == "int8" && calibrate.empty())
    problems.push_back("--precision=int8 needs --calibrate=IMAGES: the activations' ranges set "
                       "the int8 scales (docs/precision.md)");
  if (precision != "int8" && (calibrate.getNumOccurrences() || calibrationMethod.getNumOccurrences()))
    problems.push_back("--calibrate and --calibration go with --precision=int8");
  std::optional<cnnc::ParallelSchedule> parallel = cnnc::parseParallelSchedule(parallelSchedule);
  if (!parallel)
    problems.push_back("--parallel-schedule must be static, dynamic or guided, optionally "
                       "followed by :CHUNK (a count >= 0); got '" + parallelSchedule + "'");
  if (report.getNumOccurrences() && !report.empty() && report != "text" && report != "json" &&
      report != "html")
    problems.push_back("--report must be text, json or html, got '" + report + "'");
  cnnc::TrainingOverrides overrides;
  overrides.optimizer = optimizerType;
  overrides.learningRate = learningRate;
  overrides.momentum = momentum;
  overrides.weightDecay = weightDecay;
  overrides.betas = betas;
  overrides.eps = adamEps;
  if (nesterov.getNumOccurrences())
    overrides.nesterov = nesterov ? "true" : "false";
  overrides.lrSchedule = lrSchedule;
  overrides.clipGradNorm = clipGradNorm;
  if (overrides.any() && !train)
    problems.push_back("--optimizer, --lr, --momentum, --weight-decay, --betas, --eps, "
                       "--nesterov, --lr-schedule and --clip-grad-norm go with --train");
  if (dataParallel && !train)
    problems.push_back("--data-parallel goes with --train");
  if (dataParallel && target == "nvptx")
    problems.push_back("--data-parallel is for -target=x86_64 so far (docs/training.md)");
  if ((peakGflops.getNumOccurrences() || peakBandwidth.getNumOccurrences()) &&
      (profilePath.empty() || !(peakGflops > 0) || peakBandwidth < 0))
    problems.push_back("--peak-gflops (a positive number) and --peak-bandwidth go with "
                       "--report=html --profile=FILE.json");
  if (!profilePath.empty() && report != "html")
    problems.push_back("--profile goes with --report=html");
  if (progress != "auto" && progress != "always" && progress != "never")
    problems.push_back("--progress must be auto, always or never, got '" + progress + "'");
  if (!(tuneBudget > 0))
    problems.push_back("--tune-budget must be a positive number of seconds");
  for (const auto &p : problems)
    llvm::errs() << "cnnc: error: " << p << "\n";
  if (!problems.empty())
    return 1;

  cnnc::CompileOptions options;
  options.modelPath = modelPath;
  options.outputPath = outputPath;
  options.target = target;
  options.mcpu = mcpu;
  options.scheduleCpu = scheduleCpu;
  options.timing = timing;
  bool terminal = llvm::sys::Process::StandardErrIsDisplayed();
  options.progress = progress == "always" || (progress == "auto" && terminal);
  options.progressInPlace = terminal;
  options.progressDelayMs = progressDelayMs;
  options.tune = tune;
  options.tuningCache = tuningCache;
  options.tuneBudgetSeconds = tuneBudget;
  options.scheduleOptions = scheduleOptions;
  options.parallelSchedule = *parallel;
  options.optLevel = optLevel - '0';
  options.precision = precision == "bf16"   ? cnnc::Precision::Bf16
                      : precision == "int8" ? cnnc::Precision::Int8
                                            : cnnc::Precision::Fp32;
  options.calibrate = calibrate;
  options.calibrationMethod = calibrationMethod;
  options.calibrationOutputs = calibrationOutputs;
  if (batch.getNumOccurrences())
    options.batch = batch;
  options.train = train;
  options.trainingOverrides = overrides;
  options.dataParallel = dataParallel;
  options.seed = seed;
  options.embedWeights = weightsMode == "embed";
  options.emit = emit;
  options.report = report.getNumOccurrences() > 0;
  options.reportJson = report == "json";
  options.reportHtml = report == "html";
  options.profilePath = profilePath;
  options.peakGflops = peakGflops;
  options.peakBandwidth = peakBandwidth;
  options.gpuLoopsOnCpu = gpuLoopsOnCpu;
  options.disabledPasses.assign(disablePasses.begin(), disablePasses.end());
  return cnnc::runCompiler(options);
}
