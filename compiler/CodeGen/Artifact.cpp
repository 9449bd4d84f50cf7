//===- Artifact.cpp - the compiled model library ---------------------------===//

#include "Cnn/CnnAttrNames.h"
#include "CodeGen/Artifact.h"
#include "Conversion/CnnToLinalg/CnnToLinalg.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/GPU/GPUToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/NVVM/NVVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/OpenMP/OpenMPToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Export.h"

#include "llvm/Analysis/LoopInfo.h"
#include "llvm/Bitcode/BitcodeReader.h"
#include "llvm/Bitcode/BitcodeWriter.h"
#include "llvm/IR/Dominators.h"
#include "llvm/IR/IRBuilder.h"
#include "llvm/Passes/PassBuilder.h"
#include "llvm/Passes/StandardInstrumentations.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/IR/Module.h"
#include "llvm/MC/MCSubtargetInfo.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/ThreadPool.h"
#include "llvm/Support/Threading.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/Target/TargetOptions.h"
#include "llvm/TargetParser/Host.h"
#include "llvm/Transforms/IPO/MergeFunctions.h"
#include "llvm/Transforms/Utils/Cloning.h"
#include "llvm/Transforms/Utils/CodeExtractor.h"
#include "llvm/Transforms/Utils/SplitModule.h"

#include <nlohmann/json.hpp>

#include <cstring>


using namespace mlir;

namespace cnnc {
namespace {

constexpr uint64_t kWeightAlignment = 64;

/// The CPU features that the runtime checks before running the code: the
/// vector ISA's, AVX512_BF16 where convolutions take bf16 (vdpbf16ps) and
/// the VNNI extension that int8 convolutions use where the CPU has one
/// (vpdpbusd; else they take AVX2's vpmaddubsw), and AMX's tiles where
/// convolutions run on them (`amx`: the AMX extensions the code calls,
/// amx-bf16 for tdpbf16ps, amx-int8 for tdpbssd).
std::vector<std::string> requiredFeatures(const CpuTarget &t, Precision precision,
                                          const std::vector<std::string> &amx) {
  std::vector<std::string> req;
  for (const char *f : {"avx512f", "avx512bw", "avx512vl", "avx2", "fma", "avx"})
    if (llvm::is_contained(t.isa, f))
      req.push_back(f);
  if (precision == Precision::Bf16)
    req.push_back("avx512bf16");
  if (!amx.empty())
    req.push_back("amx-tile");
  req.insert(req.end(), amx.begin(), amx.end());
  if (precision == Precision::Int8)
    for (const char *f : {"avx512vnni", "avxvnni"})
      if (llvm::is_contained(t.isa, f)) {
        req.push_back(f);
        break;
      }
  return req;
}

struct ArenaSizes {
  int64_t forward = 0, prepare = 0, trainStep = 0;
  int64_t trainStepReplicated = -1; // -1: not built (no --data-parallel)
};

/// The training step's contract (names in argument order), read from the
/// lowered function's attributes and the module's `cnn.training`.
nlohmann::ordered_json trainingMetadata(ModuleOp module) {
  auto config = module->getAttrOfType<DictionaryAttr>(mlir::cnn::attr_names::kTraining);
  if (!config || !module.lookupSymbol<LLVM::LLVMFuncOp>("train_step"))
    return nullptr;
  auto names = module->getAttrOfType<ArrayAttr>(mlir::cnn::attr_names::kTrainLearnable);
  auto stats = module->getAttrOfType<ArrayAttr>(mlir::cnn::attr_names::kTrainRunningStats);
  nlohmann::ordered_json t;
  t["symbol"] = "cnnc_train_step";
  t["loss"] = config.getAs<StringAttr>("loss").str();
  t["learning_rate"] = config.getAs<FloatAttr>("learning_rate").getValueAsDouble();
  t["momentum"] = config.getAs<FloatAttr>("momentum").getValueAsDouble();
  t["weight_decay"] = config.getAs<FloatAttr>("weight_decay").getValueAsDouble();
  t["nesterov"] = config.getAs<BoolAttr>("nesterov").getValue();
  auto optimizer = config.getAs<StringAttr>("optimizer");
  std::string type = optimizer ? optimizer.str() : "sgd";
  t["optimizer"] = type;
  bool adam = type == "adam" || type == "adamw";
  if (adam) {
    t["betas"] = {config.getAs<FloatAttr>("beta1").getValueAsDouble(),
                  config.getAs<FloatAttr>("beta2").getValueAsDouble()};
    t["eps"] = config.getAs<FloatAttr>("eps").getValueAsDouble();
  }
  // Optimizer state buffers per learnable parameter, slot-major in the
  // arguments: SGD's momentum; Adam's exp_avg, then exp_avg_sq.
  t["state_slots"] = adam ? 2 : 1;
  // The runtime sets each step's learning rate from this (docs/training.md).
  nlohmann::ordered_json schedule = {{"type", "constant"}};
  if (auto s = config.getAs<DictionaryAttr>("lr_schedule"))
    for (NamedAttribute a : s) {
      if (auto str = dyn_cast<StringAttr>(a.getValue()))
        schedule[a.getName().str()] = str.str();
      else if (auto i = dyn_cast<IntegerAttr>(a.getValue()))
        schedule[a.getName().str()] = i.getInt();
      else if (auto f = dyn_cast<FloatAttr>(a.getValue()))
        schedule[a.getName().str()] = f.getValueAsDouble();
    }
  t["lr_schedule"] = schedule;
  auto clip = config.getAs<FloatAttr>("clip_grad_norm");
  t["clip_grad_norm"] = clip ? clip.getValueAsDouble() : 0.0;
  t["learnable"] = nlohmann::ordered_json::array();
  t["running_stats"] = nlohmann::ordered_json::array();
  for (Attribute a : names)
    t["learnable"].push_back(cast<StringAttr>(a).str());
  for (Attribute a : stats)
    t["running_stats"].push_back(cast<StringAttr>(a).str());
  // The profiling marks' labels in the step (cnnc-instrument-layers).
  t["layers"] = nlohmann::ordered_json::array();
  if (auto layers = module->getAttrOfType<ArrayAttr>(mlir::cnn::attr_names::kTrainLayers))
    for (Attribute a : layers)
      t["layers"].push_back(cast<StringAttr>(a).str());
  // Dropout's counter-based masks: a hash of {seed, step} (i64[2], right
  // after the labels), the node name's FNV-1a and the element index.
  t["rng"] = "i64[2] {seed, step}";
  t["args"] = {"inputs", "labels (i64)", "rng (i64[2]: seed, step)", "params",
               "optimizer state (state_slots x learnable)",
               "learning rate [1]", "optimizer steps taken (i64[1])", "loss [1]",
               "new learnable params", "new optimizer state", "grads (learnable)",
               "new running stats", "arena"};
  return t;
}

std::string buildMetadata(const ArtifactSpec &spec, const CpuTarget &t, ArenaSizes arenas,
                          const std::vector<uint64_t> &offsets, uint64_t blobBytes,
                          const std::vector<std::string> &layers,
                          const std::vector<std::vector<int64_t>> &prepared,
                          const nlohmann::ordered_json &training,
                          const std::vector<std::string> &amx) {
  nlohmann::ordered_json m;
  m["format"] = "cnnc-library";
  m["abi_version"] = kAbiVersion;
  m["cnnc_version"] = CNNC_VERSION;
  m["name"] = spec.modelName;
  if (!spec.target.gpuChip.empty())
    m["target"] = {{"arch", "nvptx"},
                   {"chip", spec.target.gpuChip},
                   {"host_triple", t.triple},
                   {"host_cpu", t.cpu}};
  else
    m["target"] = {{"arch", "x86_64"},
                   {"triple", t.triple},
                   {"cpu", t.cpu},
                   {"required_features", requiredFeatures(t, spec.precision, amx)},
                   // What the schedules were derived from (docs/target.md).
                   {"description",
                    {{"vector_bits", t.vectorBits},
                     {"vector_registers", t.vectorRegisters},
                     {"isa", t.isa},
                     {"fma_per_cycle", t.fmaPerCycle},
                     {"fma_latency", t.fmaLatency},
                     {"l1d_bytes", t.l1dBytes},
                     {"l1d_ways", t.l1dWays},
                     {"cache_line_bytes", t.cacheLineBytes},
                     {"l2_bytes", t.l2Bytes},
                     {"l3_bytes", t.l3Bytes},
                     {"l3_bytes_per_cycle", t.l3BytesPerCycle},
                     {"cache_source", t.cacheSource},
                     {"cores", t.cores}}}};
  auto sigs = [](const std::vector<TensorSignature> &v) {
    nlohmann::ordered_json a = nlohmann::ordered_json::array();
    for (const auto &s : v)
      a.push_back({{"name", s.name}, {"shape", s.shape}, {"dtype", "f32"}});
    return a;
  };
  // What the convolutions compute in (cnnc --precision; docs/precision.md).
  m["precision"] = precisionName(spec.precision);
  if (spec.precision == Precision::Int8) {
    nlohmann::ordered_json ranges = nlohmann::ordered_json::object();
    for (const auto &[node, range] : spec.calibration)
      ranges[node] = {range.first, range.second};
    m["calibration"] = {{"method", spec.calibrationMethod}, {"ranges", ranges}};
  }
  m["inputs"] = sigs(spec.inputs);
  m["outputs"] = sigs(spec.outputs);
  m["batch"] = {{"size", spec.batch}, {"runtime", spec.runtimeBatch}};
  nlohmann::ordered_json params = nlohmann::ordered_json::array();
  const auto &ps = spec.weights->parameters();
  for (size_t i = 0; i < ps.size(); ++i)
    params.push_back({{"name", ps[i].name}, {"shape", ps[i].shape}, {"offset", offsets[i]}});
  m["params"] = params;
  m["weights"] = {{"storage", spec.embedWeights ? "embedded" : "external"},
                  {"bytes", blobBytes}};
  m["arena_bytes"] = arenas.forward;
  // Parameter layouts computed once at load time by cnnc_prepare.
  nlohmann::ordered_json prep = nlohmann::ordered_json::array();
  for (const auto &shape : prepared)
    prep.push_back({{"shape", shape}});
  m["prepared"] = prep;
  m["prepare_arena_bytes"] = arenas.prepare;
  if (!training.is_null()) {
    nlohmann::ordered_json tr = training;
    tr["arena_bytes"] = arenas.trainStep;
    // cnnc --data-parallel: one replica's step, and the hook through which
    // its cross-replica sums reach the runtime's communicator.
    if (arenas.trainStepReplicated >= 0)
      tr["data_parallel"] = {
          {"step",
           {{"symbol", "cnnc_train_step_replicated"},
            {"arena_bytes", arenas.trainStepReplicated},
            {"args", "as cnnc_train_step's; the loss is this replica's share"}}},
          {"collective_hook",
           {{"symbol", "cnnc_collective_hook"},
            {"type", "void (*)(float *data, int64_t count)"}}}};
    m["train_step"] = tr;
  }
  m["layers"] = layers;
  m["entry_points"] = {{"forward",
                        {{"symbol", "cnnc_forward"},
                         {"args", {"inputs", "params", "prepared", "outputs", "arena"}}}},
                       {"prepare",
                        {{"symbol", prepared.empty() ? "" : "cnnc_prepare"},
                         {"args", {"params", "prepared", "arena"}}}},
                       {"profile_hook", {{"symbol", "cnnc_profile_hook"},
                                         {"type", "void (*)(int64_t layer)"}}}};
  return m.dump();
}

/// LLVM's default pipeline at `optLevel`. Below -O3 without loop unrolling:
/// the hot loops arrive unrolled and vectorized from MLIR, and unrolling the
/// rest was half of ResNet-50's compile time (LLVM optimization 6.0 -> 2.6 s,
/// code generation 2.9 -> 1.4 s) for 0-3% of run time (docs/benchmarks.md).
void optimizeModule(llvm::Module &module, llvm::TargetMachine &machine, unsigned optLevel) {
  llvm::LoopAnalysisManager lam;
  llvm::FunctionAnalysisManager fam;
  llvm::CGSCCAnalysisManager cgam;
  llvm::ModuleAnalysisManager mam;
  llvm::PipelineTuningOptions tuning;
  tuning.LoopUnrolling = optLevel >= 3;
  tuning.SLPVectorization = optLevel >= 2;
  // The new pass manager skips `optnone` functions only through this
  // instrumentation (opt registers it; a bare PassBuilder does not).
  llvm::PassInstrumentationCallbacks instrumentation;
  llvm::OptNoneInstrumentation optNone(/*DebugLogging=*/false);
  optNone.registerCallbacks(instrumentation);
  llvm::PassBuilder pb(&machine, tuning, std::nullopt, &instrumentation);
  pb.registerModuleAnalyses(mam);
  pb.registerCGSCCAnalyses(cgam);
  pb.registerFunctionAnalyses(fam);
  pb.registerLoopAnalyses(lam);
  pb.crossRegisterProxies(lam, fam, cgam, mam);
  llvm::OptimizationLevel level = optLevel == 0   ? llvm::OptimizationLevel::O0
                                  : optLevel == 1 ? llvm::OptimizationLevel::O1
                                  : optLevel == 2 ? llvm::OptimizationLevel::O2
                                                  : llvm::OptimizationLevel::O3;
  llvm::ModulePassManager mpm = optLevel == 0 ? pb.buildO0DefaultPipeline(level)
                                              : pb.buildPerModuleDefaultPipeline(level);
  mpm.run(module, mam);
}

void addByteGlobal(llvm::Module &m, const std::string &name, llvm::StringRef bytes,
                   uint64_t align) {
  auto &ctx = m.getContext();
  auto *init = llvm::ConstantDataArray::getRaw(bytes, bytes.size(), llvm::Type::getInt8Ty(ctx));
  auto *g = new llvm::GlobalVariable(m, init->getType(), /*isConstant=*/true,
                                     llvm::GlobalValue::ExternalLinkage, init, name);
  g->setAlignment(llvm::Align(align));
}

/// The shapes of @forward's `cnn.prepared` arguments, in index order. They
/// are read from the LLVM-dialect function's argument attributes.
std::vector<std::vector<int64_t>> preparedSignature(ModuleOp module) {
  std::vector<std::vector<int64_t>> shapes;
  auto prepare = module.lookupSymbol<LLVM::LLVMFuncOp>("prepare");
  if (!prepare)
    return shapes;
  auto attr = prepare->getAttrOfType<ArrayAttr>(mlir::cnn::attr_names::kPreparedShapes);
  if (!attr)
    return shapes;
  for (Attribute a : attr) {
    auto dims = cast<DenseI64ArrayAttr>(a).asArrayRef();
    shapes.emplace_back(dims.begin(), dims.end());
  }
  return shapes;
}

/// Removes every `cnn.*` attribute from the LLVM functions (and their
/// arguments and results) and from the module.
void stripCnnAttributes(ModuleOp module) {
  auto isCnn = [](NamedAttribute a) { return a.getName().strref().starts_with(mlir::cnn::attr_names::kPrefix); };
  auto strip = [&](DictionaryAttr dict) -> DictionaryAttr {
    if (!dict)
      return dict;
    SmallVector<NamedAttribute> kept;
    for (NamedAttribute a : dict)
      if (!isCnn(a))
        kept.push_back(a);
    return DictionaryAttr::get(module.getContext(), kept);
  };
  module.walk([&](LLVM::LLVMFuncOp fn) {
    for (unsigned i = 0; i < fn.getNumArguments(); ++i)
      if (auto d = fn.getArgAttrDict(i))
        fn.setArgAttrs(i, strip(d));
    for (unsigned i = 0; i < fn.getNumResults(); ++i)
      if (auto d = fn.getResultAttrDict(i))
        fn.setResultAttrs(i, strip(d));
    SmallVector<StringAttr> names;
    for (NamedAttribute a : fn->getDiscardableAttrs())
      if (isCnn(a))
        names.push_back(a.getName());
    for (StringAttr n : names)
      fn->removeAttr(n);
  });
  SmallVector<StringAttr> names;
  for (NamedAttribute a : module->getAttrs())
    if (isCnn(a))
      names.push_back(a.getName());
  for (StringAttr n : names)
    module->removeAttr(n);
}

/// `void SYMBOL(void **args)` unpacks an argument array into the body of
/// `target` (bare-pointer convention: one pointer per buffer), which is
/// inlined and removed: a call passing DenseNet-121's ~700 buffers on the
/// stack took 3.5 s of instruction selection.
void addEntryPoint(llvm::Module &m, const char *target, const char *symbol) {
  auto &ctx = m.getContext();
  llvm::Function *fn = m.getFunction(target);
  fn->setLinkage(llvm::GlobalValue::InternalLinkage);
  auto *ptrTy = llvm::PointerType::getUnqual(ctx);
  auto *entryTy = llvm::FunctionType::get(llvm::Type::getVoidTy(ctx), {ptrTy}, false);
  auto *entry =
      llvm::Function::Create(entryTy, llvm::GlobalValue::ExternalLinkage, symbol, m);
  llvm::IRBuilder<> b(llvm::BasicBlock::Create(ctx, "entry", entry));
  std::vector<llvm::Value *> args;
  for (unsigned i = 0; i < fn->arg_size(); ++i) {
    llvm::Value *slot = b.CreateConstGEP1_64(ptrTy, entry->getArg(0), i);
    args.push_back(b.CreateLoad(ptrTy, slot));
  }
  llvm::CallInst *call = b.CreateCall(fn, args);
  b.CreateRetVoid();
  llvm::InlineFunctionInfo info;
  if (llvm::InlineFunction(*call, info).isSuccess() && fn->use_empty())
    fn->eraseFromParent();
}

/// A global function pointer the runtime may set after loading (null
/// until then), exported under `name`.
llvm::GlobalVariable *addHookGlobal(llvm::Module &m, llvm::StringRef name) {
  auto *ptrTy = llvm::PointerType::getUnqual(m.getContext());
  return new llvm::GlobalVariable(m, ptrTy, /*isConstant=*/false,
                                  llvm::GlobalValue::ExternalLinkage,
                                  llvm::ConstantPointerNull::get(ptrTy), name);
}

/// Gives the declared function `fn` a body that calls the pointer in `hook`,
/// of type `hookTy`, with `hookArgs` (built in the body) when it is set,
/// and otherwise does nothing.
void defineHookCall(
    llvm::Function *fn, llvm::GlobalVariable *hook, llvm::FunctionType *hookTy,
    llvm::function_ref<llvm::SmallVector<llvm::Value *>(llvm::IRBuilder<> &)> hookArgs) {
  auto &ctx = fn->getContext();
  fn->setLinkage(llvm::GlobalValue::InternalLinkage);
  llvm::IRBuilder<> b(llvm::BasicBlock::Create(ctx, "entry", fn));
  llvm::Value *target = b.CreateLoad(hook->getValueType(), hook);
  auto *call = llvm::BasicBlock::Create(ctx, "call", fn);
  auto *done = llvm::BasicBlock::Create(ctx, "done", fn);
  b.CreateCondBr(b.CreateIsNotNull(target), call, done);
  b.SetInsertPoint(call);
  b.CreateCall(hookTy, target, hookArgs(b));
  b.CreateBr(done);
  b.SetInsertPoint(done);
  b.CreateRetVoid();
}

/// `cnnc_cross_replica_sum_f32(address, count)` (cnn.cross_replica_sum)
/// calls the hook `cnnc_collective_hook` if the runtime set one (a
/// data-parallel trainer), else does nothing: one replica's sum is itself.
void defineCrossReplicaSum(llvm::Module &m) {
  llvm::Function *sum = m.getFunction(kCrossReplicaSumFunction);
  if (!sum)
    return; // no data-parallel step
  auto &ctx = m.getContext();
  auto *ptrTy = llvm::PointerType::getUnqual(ctx);
  auto *hookTy = llvm::FunctionType::get(llvm::Type::getVoidTy(ctx),
                                         {ptrTy, llvm::Type::getInt64Ty(ctx)}, false);
  sum->addFnAttr(llvm::Attribute::NoInline);
  defineHookCall(sum, addHookGlobal(m, "cnnc_collective_hook"), hookTy,
                 [&](llvm::IRBuilder<> &b) -> llvm::SmallVector<llvm::Value *> {
                   return {b.CreateIntToPtr(sum->getArg(0), ptrTy), sum->getArg(1)};
                 });
}

/// `cnnc_profile_mark(id)` calls the hook `cnnc_profile_hook` if the runtime
/// set one (cnnc-run --profile), else does nothing. The hook is exported
/// whether or not the model was instrumented.
void defineProfileMark(llvm::Module &m) {
  auto &ctx = m.getContext();
  llvm::GlobalVariable *hook = addHookGlobal(m, "cnnc_profile_hook");
  llvm::Function *mark = m.getFunction("cnnc_profile_mark");
  if (!mark)
    return; // not instrumented
  auto *hookTy = llvm::FunctionType::get(llvm::Type::getVoidTy(ctx),
                                         {llvm::Type::getInt64Ty(ctx)}, false);
  defineHookCall(mark, hook, hookTy, [&](llvm::IRBuilder<> &) -> llvm::SmallVector<llvm::Value *> {
    return {mark->getArg(0)};
  });
}

std::string findLinker() {
  for (const char *name : {"clang-22", "clang", "cc", "gcc"}) {
    if (auto p = llvm::sys::findProgramByName(name, {"/usr/lib/llvm-22/bin", "/usr/bin"}))
      return *p;
  }
  return "";
}

/// Optimizes `module` and writes it as the object file `path`.
bool emitObject(llvm::Module &module, llvm::TargetMachine &machine, unsigned optLevel,
                const std::string &path, llvm::raw_ostream &errs = llvm::errs()) {
  optimizeModule(module, machine, optLevel);
  std::error_code ec;
  llvm::raw_fd_ostream os(path, ec, llvm::sys::fs::OF_None);
  if (ec) {
    errs << "cnnc: error: cannot write " << path << ": " << ec.message() << "\n";
    return false;
  }
  llvm::legacy::PassManager pm;
  if (machine.addPassesToEmitFile(pm, os, nullptr, llvm::CodeGenFileType::ObjectFile)) {
    errs << "cnnc: internal error: the target cannot emit object files\n";
    return false;
  }
  pm.run(module);
  return true;
}

/// The module is split into this many parts, whatever the machine, so that
/// the library is the same byte for byte wherever it is compiled; up to
/// this many threads optimize and code-generate them.
constexpr unsigned kCodegenPartitions = 8;

/// Moves each top-level loop nest of `fn` into a function of its own (not
/// to be inlined back), so that no partition of the parallel code
/// generation holds one giant function: the loops that run on one thread
/// (those in parallel regions are already outlined by OpenMP) made
/// DenseNet-121's @forward one function of most of the compile time, and
/// @prepare's (not optimized: it runs once, at load) the slowest partition.
/// The nests of an unoptimized function stay unoptimized.
void extractLoopNests(llvm::Function &fn) {
  if (fn.isDeclaration())
    return;
  llvm::DominatorTree dt(fn);
  llvm::LoopInfo loops(dt);
  std::vector<llvm::Loop *> topLevel(loops.begin(), loops.end());
  std::reverse(topLevel.begin(), topLevel.end()); // LoopInfo lists them last first
  llvm::CodeExtractorAnalysisCache cache(fn);
  for (llvm::Loop *loop : topLevel) {
    llvm::CodeExtractor extractor(loop->getBlocks(), &dt, /*AggregateArgs=*/false, nullptr,
                                  nullptr, nullptr, /*AllowVarArgs=*/false,
                                  /*AllowAlloca=*/false, nullptr, "loop");
    if (!extractor.isEligible())
      continue;
    if (llvm::Function *nest = extractor.extractCodeRegion(cache)) {
      nest->addFnAttr(llvm::Attribute::NoInline);
      if (fn.hasOptNone())
        nest->addFnAttr(llvm::Attribute::OptimizeNone);
    }
  }
}

/// Identical kernels (one conv shape and schedule in several layers, as in
/// ResNet-50's repeated blocks) are optimized and code-generated once: the
/// outlined parallel regions and loop nests are local, their addresses never
/// compared, so they may share one body, which MergeFunctions finds.
void mergeIdenticalKernels(llvm::Module &module) {
  for (llvm::Function &fn : module)
    if (fn.hasLocalLinkage() && !fn.isDeclaration())
      fn.setUnnamedAddr(llvm::GlobalValue::UnnamedAddr::Global);
  llvm::MergeFunctionsPass::runOnModule(module);
}

/// Splits `module` into partitions (functions dealt out by size, round
/// robin; locals become hidden globals) and optimizes and code-generates
/// each on its own thread, in its own LLVMContext with its own
/// TargetMachine (neither may be shared between threads). Writes one object
/// file per partition, `basePath`.N.o, in partition order.
bool emitObjectsInParallel(llvm::Module &module, const CpuTarget &target, unsigned optLevel,
                           const std::string &basePath, std::vector<std::string> &objPaths,
                           TimingScope &timing) {
  TimingScope splitTime = timing.nest("extract loop nests, split into partitions");
  for (const char *name :
       {"cnnc_prepare", "cnnc_forward", "cnnc_train_step", "cnnc_train_step_replicated"})
    if (llvm::Function *fn = module.getFunction(name))
      extractLoopNests(*fn);
  mergeIdenticalKernels(module);
  std::vector<llvm::SmallVector<char, 0>> bitcode;
  llvm::SplitModule(
      module, kCodegenPartitions,
      [&](std::unique_ptr<llvm::Module> part) {
        bitcode.emplace_back();
        llvm::raw_svector_ostream os(bitcode.back());
        llvm::WriteBitcodeToFile(*part, os);
      },
      /*PreserveLocals=*/false, /*RoundRobin=*/true);
  splitTime.stop();
  TimingScope partsTime = timing.nest("optimize and code-generate the partitions");
  objPaths.clear();
  for (size_t i = 0; i < bitcode.size(); ++i)
    objPaths.push_back(basePath + "." + std::to_string(i) + ".o");
  std::vector<std::string> errors(bitcode.size());
  llvm::DefaultThreadPool pool(llvm::hardware_concurrency());
  const llvm::TargetMachine &shared = *target.machine;
  for (size_t i = 0; i < bitcode.size(); ++i) {
    pool.async([&, i] {
      llvm::LLVMContext ctx;
      llvm::Expected<std::unique_ptr<llvm::Module>> part = llvm::parseBitcodeFile(
          llvm::MemoryBufferRef(llvm::StringRef(bitcode[i].data(), bitcode[i].size()),
                                "partition"),
          ctx);
      if (!part) {
        errors[i] = llvm::toString(part.takeError());
        return;
      }
      std::unique_ptr<llvm::TargetMachine> machine(shared.getTarget().createTargetMachine(
          shared.getTargetTriple(), shared.getTargetCPU(), shared.getTargetFeatureString(),
          shared.Options, llvm::Reloc::PIC_, std::nullopt, shared.getOptLevel()));
      if (!machine) {
        errors[i] = "cannot create a target machine";
        return;
      }
      std::string message;
      llvm::raw_string_ostream err(message);
      if (!emitObject(**part, *machine, optLevel, objPaths[i], err))
        errors[i] = message;
    });
  }
  pool.wait();
  for (const std::string &e : errors)
    if (!e.empty()) {
      llvm::errs() << "cnnc: error: code generation: " << e << "\n";
      return false;
    }
  return true;
}

/// Writes the parameter blob to `binPath` and an object defining the
/// symbol `cnnc_weights` as its bytes to `objPath`. The assembler copies
/// the file (.incbin): ResNet-50's 100 MB never pass through LLVM IR, whose
/// bitcode and code generation of them took seconds.
bool emitWeightsObject(llvm::StringRef blob, const llvm::TargetMachine &shared,
                       const std::string &binPath, const std::string &objPath) {
  std::error_code ec;
  {
    llvm::raw_fd_ostream bin(binPath, ec, llvm::sys::fs::OF_None);
    if (!ec) {
      bin << blob;
      bin.close();
      ec = bin.error();
    }
  }
  if (ec) {
    llvm::errs() << "cnnc: error: cannot write " << binPath << ": " << ec.message() << "\n";
    return false;
  }
  std::string quoted;
  for (char c : binPath) {
    if (c == '"' || c == '\\')
      quoted += '\\';
    quoted += c;
  }
  llvm::LLVMContext ctx;
  llvm::Module m("cnnc_weights", ctx);
  m.setTargetTriple(shared.getTargetTriple());
  m.setDataLayout(shared.createDataLayout());
  m.setModuleInlineAsm(".section .rodata.cnnc_weights,\"a\",@progbits\n"
                       ".globl cnnc_weights\n"
                       ".type cnnc_weights,@object\n"
                       ".p2align " + std::to_string(llvm::Log2_64(kWeightAlignment)) + "\n"
                       "cnnc_weights:\n"
                       ".incbin \"" + quoted + "\"\n"
                       ".size cnnc_weights, " + std::to_string(blob.size()) + "\n");
  std::unique_ptr<llvm::TargetMachine> machine(shared.getTarget().createTargetMachine(
      shared.getTargetTriple(), shared.getTargetCPU(), shared.getTargetFeatureString(),
      shared.Options, llvm::Reloc::PIC_, std::nullopt, shared.getOptLevel()));
  return machine && emitObject(m, *machine, 0, objPath);
}

/// Rewrites the linked library with plain sequential writes. The linker
/// writes its output through a memory map; a ResNet-50 whose 100 MB of
/// weights are embedded, run from that file straight after the link, took
/// 196-403 ms per batch-8 forward (median of 3, varying from process to
/// process), and 187-219 ms from a `cp` of the same file
/// (docs/benchmarks.md, session 7). Users run what cnnc just wrote.
bool rewriteSequentially(const std::string &path) {
  std::string tmpPath = path + ".tmp";
  llvm::ErrorOr<llvm::sys::fs::perms> perms = llvm::sys::fs::getPermissions(path);
  std::error_code ec = perms.getError();
  if (!ec)
    ec = llvm::sys::fs::copy_file(path, tmpPath); // read() and write(), no map
  if (!ec)
    ec = llvm::sys::fs::setPermissions(tmpPath, *perms);
  if (!ec)
    ec = llvm::sys::fs::rename(tmpPath, path);
  if (ec) {
    llvm::sys::fs::remove(tmpPath);
    llvm::errs() << "cnnc: error: cannot rewrite " << path << ": " << ec.message() << "\n";
    return false;
  }
  return true;
}

} // namespace

std::string collectPtx(ModuleOp module) {
  std::string out;
  module.walk([&](gpu::BinaryOp binary) {
    for (Attribute a : binary.getObjects()) {
      auto object = dyn_cast<gpu::ObjectAttr>(a);
      if (!object)
        continue;
      out += object.getObject().str();
      if (!out.empty() && out.back() == '\0')
        out.pop_back();
      out += "\n";
    }
  });
  return out;
}

bool emitArtifact(ModuleOp module, const ArtifactSpec &spec, ArtifactKind kind,
                  const std::string &outPath) {
  const CpuTarget *target = spec.cpuTarget;
  if (!target || !target->machine) {
    llvm::errs() << "cnnc: internal error: no CPU target to emit code for\n";
    return false;
  }

  auto forward = module.lookupSymbol<LLVM::LLVMFuncOp>("forward");
  auto arenaOf = [](LLVM::LLVMFuncOp f) -> int64_t {
    auto a = f ? f->getAttrOfType<IntegerAttr>(mlir::cnn::attr_names::kArenaBytes) : IntegerAttr();
    return a ? a.getInt() : -1;
  };
  if (arenaOf(forward) < 0) {
    llvm::errs() << "cnnc: internal error: lowered module lacks @forward or its arena size\n";
    return false;
  }
  auto prepare = module.lookupSymbol<LLVM::LLVMFuncOp>("prepare");
  auto trainStep = module.lookupSymbol<LLVM::LLVMFuncOp>("train_step");
  auto trainStepReplicated =
      module.lookupSymbol<LLVM::LLVMFuncOp>("train_step_replicated");
  ArenaSizes arenas{arenaOf(forward), prepare ? arenaOf(prepare) : 0,
                    trainStep ? arenaOf(trainStep) : 0,
                    trainStepReplicated ? arenaOf(trainStepReplicated) : -1};
  nlohmann::ordered_json training = trainingMetadata(module);
  std::vector<std::vector<int64_t>> preparedShapes = preparedSignature(module);
  std::vector<std::string> layers;
  if (auto names = module->getAttrOfType<ArrayAttr>(mlir::cnn::attr_names::kLayers))
    for (Attribute a : names)
      layers.push_back(cast<StringAttr>(a).str());

  TimingScope noTiming;
  TimingScope &timing = spec.timing ? *spec.timing : noTiming;
  TimingScope translateTime = timing.nest("translate to LLVM IR");
  // cnnc's own attributes have been read into the metadata above. Strip them:
  // the translation warns about every unknown argument attribute, and each
  // warning prints the whole function (minutes on large models).
  stripCnnAttributes(module);
  registerBuiltinDialectTranslation(*module.getContext());
  registerLLVMDialectTranslation(*module.getContext());
  registerOpenMPDialectTranslation(*module.getContext());
  registerGPUDialectTranslation(*module.getContext());
  registerNVVMDialectTranslation(*module.getContext());
  llvm::LLVMContext llvmCtx;
  TimingScope exportTime = translateTime.nest("export the LLVM dialect");
  auto llvmModule = translateModuleToLLVMIR(module, llvmCtx, spec.modelName);
  exportTime.stop();
  if (!llvmModule) {
    llvm::errs() << "cnnc: internal error: translation to LLVM IR failed\n";
    return false;
  }
  llvmModule->setTargetTriple(llvm::Triple(target->triple));
  llvmModule->setDataLayout(target->machine->createDataLayout());

  TimingScope entryTime = translateTime.nest("entry points");
  addEntryPoint(*llvmModule, "forward", "cnnc_forward");
  if (prepare)
    addEntryPoint(*llvmModule, "prepare", "cnnc_prepare");
  if (trainStep)
    addEntryPoint(*llvmModule, "train_step", "cnnc_train_step");
  if (trainStepReplicated)
    addEntryPoint(*llvmModule, "train_step_replicated", "cnnc_train_step_replicated");
  entryTime.stop();

  // Parameters: 64-byte aligned slots in one blob.
  std::vector<uint64_t> offsets;
  uint64_t blobBytes = 0;
  for (const auto &p : spec.weights->parameters()) {
    blobBytes = (blobBytes + kWeightAlignment - 1) / kWeightAlignment * kWeightAlignment;
    offsets.push_back(blobBytes);
    blobBytes += uint64_t(p.numElements()) * sizeof(float);
  }
  defineProfileMark(*llvmModule);
  defineCrossReplicaSum(*llvmModule);
  std::vector<std::string> amx;
  for (auto [intrinsic, feature] : {std::pair{"llvm.x86.tdpbf16ps", "amx-bf16"},
                                    std::pair{"llvm.x86.tdpbssd", "amx-int8"}})
    if (llvm::any_of(llvmModule->functions(), [&](const llvm::Function &f) {
          return f.isDeclaration() && f.getName().starts_with(intrinsic);
        }))
      amx.push_back(feature);
  std::string metadata = buildMetadata(spec, *target, arenas, offsets, blobBytes, layers,
                                       preparedShapes, training, amx);
  uint32_t abi = kAbiVersion;
  addByteGlobal(*llvmModule, "cnnc_abi_version",
                llvm::StringRef(reinterpret_cast<const char *>(&abi), sizeof abi), 4);
  addByteGlobal(*llvmModule, "cnnc_metadata",
                llvm::StringRef(metadata.c_str(), metadata.size() + 1), 1);
  std::string blob;
  if (spec.embedWeights && kind != ArtifactKind::LLVMIR) {
    blob.assign(blobBytes, '\0');
    const auto &ps = spec.weights->parameters();
    for (size_t i = 0; i < ps.size(); ++i)
      std::memcpy(&blob[offsets[i]], ps[i].data, ps[i].numElements() * sizeof(float));
    // One object file holds everything: the weights are a global of it.
    if (kind == ArtifactKind::Object)
      addByteGlobal(*llvmModule, "cnnc_weights", blob, kWeightAlignment);
  }

  // @prepare runs once per parameter set, at load: optimizing its loop nests
  // was most of LLVM's time (ResNet-50: 4.8 of 6.1 s in the optimizer).
  if (llvm::Function *prepareFn = llvmModule->getFunction("cnnc_prepare")) {
    prepareFn->addFnAttr(llvm::Attribute::OptimizeNone);
    prepareFn->addFnAttr(llvm::Attribute::NoInline);
  }
  translateTime.stop();
  if (kind == ArtifactKind::LLVMIR) {
    TimingScope optimizeTime = timing.nest("LLVM optimization");
    optimizeModule(*llvmModule, *target->machine, spec.target.optLevel);
    std::error_code ec;
    llvm::raw_fd_ostream os(outPath, ec);
    if (ec) {
      llvm::errs() << "cnnc: error: cannot write " << outPath << ": " << ec.message() << "\n";
      return false;
    }
    llvmModule->print(os, nullptr);
    return true;
  }

  if (kind == ArtifactKind::Object) {
    TimingScope codegenTime = timing.nest("LLVM optimization and code generation");
    return emitObject(*llvmModule, *target->machine, spec.target.optLevel, outPath);
  }
  // A library is linked from partitions code-generated in parallel.
  std::vector<std::string> objPaths;
  {
    TimingScope codegenTime =
        timing.nest("LLVM optimization and code generation (parallel partitions)");
    bool ok = emitObjectsInParallel(*llvmModule, *target, spec.target.optLevel,
                                    outPath + ".tmp", objPaths, codegenTime);
    if (ok && spec.embedWeights) {
      std::string binPath = outPath + ".weights.tmp";
      objPaths.push_back(outPath + ".weights.o.tmp");
      ok = emitWeightsObject(blob, *target->machine, binPath, objPaths.back());
      llvm::sys::fs::remove(binPath);
      std::string().swap(blob);
    }
    if (!ok) {
      for (const std::string &p : objPaths)
        llvm::sys::fs::remove(p);
      return false;
    }
  }

  TimingScope linkTime = timing.nest("link");
  std::string linker = findLinker();
  if (linker.empty()) {
    llvm::errs() << "cnnc: error: no system linker (clang-22 or cc) found to link " << outPath
                 << "\n";
    return false;
  }
  std::string errMsg;
  // Parallel loops use the OpenMP runtime (libomp.so.5, a plain C runtime,
  // not LLVM): the model's thread pool lives there.
  llvm::SmallVector<llvm::StringRef> argv = {linker, "-shared", "-o", outPath};
  for (const std::string &p : objPaths)
    argv.push_back(p);
  argv.append({"-lm", "-Wl,--build-id=none"});
  // GPU models call MLIR's mgpu* launch interface, which libcnnrt defines.
  if (spec.target.gpuChip.empty())
    argv.push_back("-l:libomp.so.5");
  int rc = llvm::sys::ExecuteAndWait(linker, argv, std::nullopt, {}, 0, 0, &errMsg);
  for (const std::string &p : objPaths)
    llvm::sys::fs::remove(p);
  if (rc != 0) {
    llvm::errs() << "cnnc: error: linking " << outPath << " failed (" << linker
                 << " exit " << rc << ") " << errMsg << "\n";
    return false;
  }
  return rewriteSequentially(outPath);
}

} // namespace cnnc
