//===- CpuTarget.cpp - an x86-64 target: its machine and its description --===//

#include "Target/CpuTarget.h"

#include "llvm/Analysis/TargetTransformInfo.h"
#include "llvm/IR/Function.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/Module.h"
#include "llvm/MC/MCSubtargetInfo.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Target/TargetOptions.h"
#include "llvm/TargetParser/Host.h"

#include <algorithm>
#include <fstream>
#include <thread>

namespace cnnc {
namespace {

/// What LLVM does not say about a CPU: caches per core (L3 per complex), the
/// L1 data cache's ways, vector FMAs issued per cycle at LLVM's vector
/// width with their latency, the bytes a core reads from L3 per cycle, and
/// the arithmetic a cycle of AVX512_BF16 dot products (`vdpbf16ps`) does,
/// as a percentage of the fp32 FMAs' (100 where unmeasured or absent).
/// Vendors' published figures and cnnc's measurements (docs/target.md); a
/// CPU not listed gets kDefaultCpu.
struct CpuFacts {
  const char *names; // LLVM CPU names, space-separated
  int64_t l1d, l1dWays, l2, l3, fmaPerCycle, fmaLatency, l3BytesPerCycle;
  int64_t bf16DotPercent = 100;
};
constexpr int64_t KiB = 1024, MiB = 1024 * 1024;
// Every x86-64 CPU's cache line, for those LLVM describes without one.
constexpr int64_t kX86CacheLineBytes = 64;
constexpr CpuFacts kCpuFacts[] = {
    {"znver2", 32 * KiB, 8, 512 * KiB, 16 * MiB, 2, 5, 32},
    {"znver3", 32 * KiB, 8, 512 * KiB, 32 * MiB, 2, 4, 32},
    // Zen 4 runs 512-bit FMAs as two 256-bit halves: one per cycle. AMD's
    // L3 feeds each core 32 bytes a cycle, Intel's mesh or ring about 16.
    // Zen 4 and 5 do twice the FMAs' arithmetic in bf16 dot products,
    // Intel's AVX-512 CPUs half (they leave bf16 to AMX; docs/target.md).
    {"znver4", 32 * KiB, 8, 1 * MiB, 32 * MiB, 1, 4, 32, 200},
    {"znver5", 48 * KiB, 12, 1 * MiB, 32 * MiB, 2, 4, 32, 200},
    {"haswell broadwell", 32 * KiB, 8, 256 * KiB, 8 * MiB, 2, 5, 16},
    {"skylake kabylake coffeelake cometlake", 32 * KiB, 8, 256 * KiB, 8 * MiB, 2, 4, 16},
    {"alderlake raptorlake meteorlake", 48 * KiB, 12, 1280 * KiB, 24 * MiB, 2, 4, 16},
    {"skylake-avx512 cascadelake cooperlake", 32 * KiB, 8, 1 * MiB, 32 * MiB, 2, 4, 16},
    {"icelake-server", 48 * KiB, 12, 1280 * KiB, 48 * MiB, 2, 4, 16},
    {"sapphirerapids emeraldrapids graniterapids", 48 * KiB, 12, 2 * MiB, 96 * MiB, 2, 4, 16,
     50},
};
/// For a CPU not in the table (x86-64-v3, x86-64-v4, ...): Zen 3's L1 and L2,
/// the smallest of the machines cnnc is measured on, and a modest L3.
constexpr CpuFacts kDefaultCpu = {"", 32 * KiB, 8, 512 * KiB, 16 * MiB, 2, 4, 16};

const CpuFacts &factsOf(const std::string &cpu, bool &known) {
  for (const CpuFacts &f : kCpuFacts)
    for (llvm::StringRef name : llvm::split(llvm::StringRef(f.names), ' '))
      if (name == cpu) {
        known = true;
        return f;
      }
  known = false;
  return kDefaultCpu;
}

/// The host's data cache of `level` (1, 2, 3): `file`'s value (`size` in
/// bytes, `ways_of_associativity`), from sysfs; 0 if unknown.
int64_t hostCache(int level, const char *file) {
  for (int index = 0; index < 8; ++index) {
    std::string dir = "/sys/devices/system/cpu/cpu0/cache/index" + std::to_string(index) + "/";
    auto read = [&](const char *name) -> std::string {
      std::ifstream in(dir + name); // sysfs files report a size they do not have
      std::string line;
      std::getline(in, line);
      return llvm::StringRef(line).trim().str();
    };
    std::string lv = read("level"), type = read("type"), size = read(file);
    if (lv.empty())
      break;
    if (lv != std::to_string(level) || type == "Instruction")
      continue;
    int64_t value = 0;
    llvm::StringRef s(size);
    int64_t scale = s.consume_back("K") ? KiB : s.consume_back("M") ? MiB : 1;
    if (s.getAsInteger(10, value))
      return 0;
    return value * scale;
  }
  return 0;
}

} // namespace

namespace {
llvm::CodeGenOptLevel codegenLevel(unsigned optLevel) {
  return optLevel == 0   ? llvm::CodeGenOptLevel::None
         : optLevel == 1 ? llvm::CodeGenOptLevel::Less
         : optLevel == 2 ? llvm::CodeGenOptLevel::Default
                         : llvm::CodeGenOptLevel::Aggressive;
}
} // namespace

std::optional<CpuTarget> makeCpuTarget(const std::string &cpuName, unsigned optLevel,
                                       bool tableOnly) {
  llvm::InitializeNativeTarget();
  llvm::InitializeNativeTargetAsmPrinter();
  llvm::InitializeNativeTargetAsmParser(); // the weights object's .incbin
  CpuTarget t;
  t.triple = llvm::sys::getDefaultTargetTriple();
  llvm::Triple triple(t.triple);
  if (triple.getArch() != llvm::Triple::x86_64) {
    llvm::errs() << "cnnc: error: the x86_64 target needs an x86-64 host, not " << t.triple
                 << "\n";
    return std::nullopt;
  }
  std::string err;
  const llvm::Target *target = llvm::TargetRegistry::lookupTarget(triple, err);
  if (!target) {
    llvm::errs() << "cnnc: error: " << err << "\n";
    return std::nullopt;
  }
  bool host = cpuName.empty() || cpuName == llvm::sys::getHostCPUName();
  t.cpu = cpuName.empty() ? llvm::sys::getHostCPUName().str() : cpuName;
  if (host) {
    std::vector<std::string> feats;
    for (auto &f : llvm::sys::getHostCPUFeatures())
      feats.push_back((f.second ? "+" : "-") + f.first().str());
    std::sort(feats.begin(), feats.end()); // deterministic
    for (const auto &f : feats)
      t.features += (t.features.empty() ? "" : ",") + f;
  }
  // The CPU's features as LLVM defines them, before the machine is made.
  std::unique_ptr<llvm::MCSubtargetInfo> subtarget(
      target->createMCSubtargetInfo(triple, t.cpu, t.features));
  // An unknown -mcpu makes LLVM warn and fall back; refuse it instead.
  if (!cpuName.empty() && !subtarget->isCPUStringValid(cpuName)) {
    llvm::errs() << "cnnc: error: unknown -mcpu '" << cpuName << "' for x86_64\n";
    return std::nullopt;
  }
  // Intel's AVX-512 CPUs tune LLVM to 256-bit vectors, against the clock
  // drop of sparse 512-bit code; cnnc's kernels are dense FMA blocks, which
  // 512-bit vectors speed up, so they take the ISA's full width.
  if (subtarget->checkFeatures("+avx512f") && subtarget->checkFeatures("+prefer-256-bit"))
    t.features += std::string(t.features.empty() ? "" : ",") + "-prefer-256-bit";
  t.machine.reset(target->createTargetMachine(triple, t.cpu, t.features, llvm::TargetOptions(),
                                              llvm::Reloc::PIC_, std::nullopt,
                                              codegenLevel(optLevel)));
  if (!t.machine) {
    llvm::errs() << "cnnc: error: cannot create a target machine for -mcpu=" << t.cpu << "\n";
    return std::nullopt;
  }

  // The vector unit as LLVM's cost model sees it for a function of this
  // CPU: the width it vectorizes to, the registers it allocates from.
  llvm::LLVMContext ctx;
  llvm::Module probe("cnnc-target-probe", ctx);
  probe.setDataLayout(t.machine->createDataLayout());
  probe.setTargetTriple(triple);
  auto *fn = llvm::Function::Create(llvm::FunctionType::get(llvm::Type::getVoidTy(ctx), false),
                                    llvm::GlobalValue::ExternalLinkage, "probe", probe);
  fn->addFnAttr("target-cpu", t.cpu);
  if (!t.features.empty())
    fn->addFnAttr("target-features", t.features);
  llvm::TargetTransformInfo tti = t.machine->getTargetTransformInfo(*fn);
  t.vectorRegisters = tti.getNumberOfRegisters(tti.getRegisterClassForType(/*Vector=*/true));
  t.vectorBits = int64_t(
      tti.getRegisterBitWidth(llvm::TargetTransformInfo::RGK_FixedWidthVector).getFixedValue());
  t.cacheLineBytes = tti.getCacheLineSize();
  if (t.cacheLineBytes == 0)
    t.cacheLineBytes = kX86CacheLineBytes; // LLVM leaves it unset for generic CPUs

  const llvm::MCSubtargetInfo *sti = t.machine->getMCSubtargetInfo();
  for (const char *f : {"avx", "avx2", "fma", "avx512f", "avx512bw", "avx512vl", "avx512dq",
                        "avx512vnni", "avx512bf16", "avxvnni", "amx-tile", "amx-bf16", "amx-int8"})
    if (sti->checkFeatures(std::string("+") + f))
      t.isa.push_back(f);

  bool known;
  const CpuFacts &facts = factsOf(t.cpu, known);
  t.fmaPerCycle = facts.fmaPerCycle;
  t.fmaLatency = facts.fmaLatency;
  t.l1dBytes = facts.l1d;
  t.l1dWays = facts.l1dWays;
  t.l2Bytes = facts.l2;
  t.l3Bytes = facts.l3;
  t.l3BytesPerCycle = facts.l3BytesPerCycle;
  t.bf16DotPercent = facts.bf16DotPercent;
  t.cacheSource = known ? "table" : "default";
  if (host && !tableOnly) {
    int64_t l1 = hostCache(1, "size"), l2 = hostCache(2, "size"), l3 = hostCache(3, "size");
    int64_t l1Ways = hostCache(1, "ways_of_associativity");
    if (l1 && l2 && l1Ways) {
      t.l1dBytes = l1;
      t.l1dWays = l1Ways;
      t.l2Bytes = l2;
      t.l3Bytes = l3;
      t.cacheSource = "host";
    }
    t.cores = std::max(1u, std::thread::hardware_concurrency());
  }
  return t;
}

mlir::codegen::CpuTargetAttr CpuTarget::toAttr(mlir::MLIRContext *ctx) const {
  std::string isaList;
  for (const auto &f : isa)
    isaList += (isaList.empty() ? "" : ",") + f;
  return mlir::codegen::CpuTargetAttr::get(ctx, cpu, vectorBits, vectorRegisters, isaList,
                                           fmaPerCycle, fmaLatency, l1dBytes, l1dWays,
                                           cacheLineBytes, l2Bytes,
                                           l3Bytes, l3BytesPerCycle, cacheSource, cores);
}

std::string CpuTarget::summary() const {
  std::string s;
  llvm::raw_string_ostream os(s);
  os << cpu << ": " << vectorBits << "-bit vectors x " << vectorRegisters << " registers, "
     << fmaPerCycle << " FMA/cycle (latency " << fmaLatency << "), L1d " << l1dBytes / KiB
     << " KiB " << l1dWays << "-way, " << cacheLineBytes << "-byte lines, L2 " << l2Bytes / KiB << " KiB, L3 " << l3Bytes / MiB
     << " MiB (" << cacheSource << ") at " << l3BytesPerCycle << " B/cycle";
  if (cores)
    os << ", " << cores << " cores";
  os << "; ISA";
  for (const auto &f : isa)
    os << " " << f;
  if (llvm::is_contained(isa, "avx512bf16"))
    os << " (bf16 dot products: " << bf16DotPercent << "% of the FMAs' arithmetic)";
  return s;
}

} // namespace cnnc
