//===- Tuner.cpp - cnnc --tune: measured conv schedules, cached ------------===//
//
// For K = 0, 1, 2, ... (within the time budget): compile the model with
// every conv given its K-th alternative register block
// (cnnc-select-cpu-schedules candidate=K; 0 is the rules' own), run it with
// `cnnc-run --profile` and record each layer's time. Then, per conv shape,
// the candidate under which the layers holding that shape ran fastest wins;
// the winners go to the tuning cache, keyed by shape, for this target and
// cnnc version. Candidate 0 is always measured, so a tuned compile never
// takes a block that measured slower than the rules' for its layers.
//
//===----------------------------------------------------------------------===//

#include "Driver/Tuner.h"
#include "Driver/RunTool.h"

#include "Import/ModelImporter.h"
#include "Target/CpuTarget.h"

#include "cnnrt/Safetensors.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/MLIRContext.h"

#include "llvm/ADT/StringMap.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/raw_ostream.h"

#include <chrono>
#include <map>
#include <set>

namespace cnnc {
namespace {

/// Layer -> ms from `cnnc-run --profile` ("  NAME  MS  SHARE%").
std::map<std::string, double> parseProfile(llvm::StringRef text) {
  std::map<std::string, double> layers;
  llvm::SmallVector<llvm::StringRef> lines;
  text.split(lines, '\n');
  for (llvm::StringRef line : lines) {
    llvm::SmallVector<llvm::StringRef> cols;
    line.trim().split(cols, ' ', -1, /*KeepEmpty=*/false);
    double ms;
    if (cols.size() == 3 && cols[2].ends_with("%") && !cols[1].getAsDouble(ms))
      layers[cols[0].str()] = ms;
  }
  return layers;
}

struct ConvRecord {
  std::string node, key;
  llvm::json::Object schedule;
  bool rules = true;
};

std::vector<ConvRecord> readRecord(const std::string &path) {
  std::vector<ConvRecord> records;
  auto buf = llvm::MemoryBuffer::getFile(path);
  if (!buf)
    return records;
  llvm::SmallVector<llvm::StringRef> lines;
  (*buf)->getBuffer().split(lines, '\n', -1, false);
  for (llvm::StringRef line : lines) {
    auto value = llvm::json::parse(line);
    if (!value) {
      llvm::consumeError(value.takeError());
      continue;
    }
    const llvm::json::Object *o = value->getAsObject();
    if (!o)
      continue;
    ConvRecord r;
    r.node = o->getString("node").value_or("").str();
    r.key = o->getString("key").value_or("").str();
    r.rules = o->getBoolean("rules").value_or(true);
    for (const char *field : {"batch_tile", "width_tile", "channel_tile", "reduction_step"})
      r.schedule[field] = o->getInteger(field).value_or(1);
    r.schedule["tile_rows"] = o->getInteger("tile_rows").value_or(0);
    r.schedule["channel_rest"] = o->getInteger("channel_rest").value_or(0);
    records.push_back(std::move(r));
  }
  return records;
}

} // namespace

bool tuneSchedules(const CompileOptions &opts, const std::string &cachePath) {
  using Clock = std::chrono::steady_clock;
  auto start = Clock::now();
  auto elapsed = [&] { return std::chrono::duration<double>(Clock::now() - start).count(); };
  std::string self = cnncExecutable();
  std::string runner =
      (llvm::sys::path::parent_path(self) + llvm::sys::path::get_separator() + "cnnc-run").str();
  if (!llvm::sys::fs::can_execute(runner)) {
    llvm::errs() << "cnnc: error: --tune runs the model with cnnc-run, which is not beside "
                 << self << "\n";
    return false;
  }
  std::optional<CpuTarget> target = makeCpuTarget(opts.mcpu, opts.optLevel);
  if (!target)
    return false;

  // The model's inputs, to run it on.
  llvm::SmallString<128> dir;
  if (std::error_code ec = llvm::sys::fs::createUniqueDirectory("cnnc-tune", dir)) {
    llvm::errs() << "cnnc: error: --tune: cannot make a scratch directory: " << ec.message()
                 << "\n";
    return false;
  }
  std::string work = dir.str().str();
  std::string inputs = work + "/inputs.safetensors";
  {
    mlir::MLIRContext ctx;
    auto model = importModelOrReport(ctx, opts);
    if (!model)
      return false;
    auto fwd = model->module->lookupSymbol<mlir::func::FuncOp>(attrs::kForward);
    std::vector<cnnrt::Tensor> tensors;
    std::vector<std::string> names;
    for (unsigned i = 0; i < fwd.getNumArguments(); ++i)
      if (auto name = fwd.getArgAttrOfType<mlir::StringAttr>(i, attrs::kInputName)) {
        auto shape = llvm::cast<mlir::RankedTensorType>(fwd.getArgumentTypes()[i]).getShape();
        tensors.emplace_back(std::vector<int64_t>(shape.begin(), shape.end()));
        for (int64_t k = 0; k < tensors.back().numElements(); ++k)
          tensors.back().f32()[k] = float((k * 7919) % 1000) / 1000.0f - 0.5f;
        names.push_back(name.str());
      }
    std::vector<std::pair<std::string, const cnnrt::Tensor *>> entries;
    for (size_t i = 0; i < tensors.size(); ++i)
      entries.push_back({names[i], &tensors[i]});
    try {
      cnnrt::writeSafetensors(inputs, entries);
    } catch (const std::exception &e) {
      llvm::errs() << "cnnc: error: --tune: " << e.what() << "\n";
      return false;
    }
  }

  // key -> (K, ms) of the fastest candidate; K -> the records of compile K.
  llvm::StringMap<std::pair<int, double>> best;
  std::vector<std::vector<ConvRecord>> records;
  double rulesMs = 0;
  constexpr int kMaxCandidates = 12;
  constexpr int kProfileRuns = 3; // the fastest of 3 per layer: the machine is noisy
  for (int k = 0; k < kMaxCandidates; ++k) {
    if (k > 0 && elapsed() > opts.tuneBudgetSeconds) {
      llvm::errs() << "cnnc: tune: time budget of " << opts.tuneBudgetSeconds
                   << " s reached after " << k << " candidates\n";
      break;
    }
    std::string lib = work + "/candidate" + std::to_string(k) + ".so";
    std::string record = work + "/candidate" + std::to_string(k) + ".jsonl";
    std::vector<std::string> args = {opts.modelPath, "-o", lib, "-O" + std::to_string(opts.optLevel),
                                     "--weights=external", "--seed=" + std::to_string(opts.seed),
                                     "--schedule-options=candidate=" + std::to_string(k) +
                                         " record=" + record};
    if (!opts.mcpu.empty())
      args.push_back("-mcpu=" + opts.mcpu);
    if (opts.batch)
      args.push_back("--batch=" + std::to_string(*opts.batch));
    for (const auto &p : opts.disabledPasses)
      args.push_back("--disable-passes=" + p);
    auto t0 = Clock::now();
    if (runTool(self, args, nullptr, work + "/compile") != 0) {
      llvm::errs() << "cnnc: error: --tune: compiling candidate " << k << " failed\n";
      return false;
    }
    double compileS = std::chrono::duration<double>(Clock::now() - t0).count();
    records.push_back(readRecord(record));
    if (k > 0 && llvm::all_of(records.back(), [](const ConvRecord &r) { return r.rules; }))
      break; // no conv has a K-th alternative
    std::map<std::string, double> layers;
    for (int run = 0; run < kProfileRuns; ++run) {
      std::string out;
      if (runTool(runner, {lib, "--inputs", inputs, "--profile"}, &out, work + "/run") != 0) {
        llvm::errs() << "cnnc: error: --tune: running candidate " << k << " failed\n";
        return false;
      }
      for (const auto &[layer, ms] : parseProfile(out))
        layers[layer] = run == 0 ? ms : std::min(layers[layer], ms);
    }
    double total = 0;
    for (const auto &[layer, ms] : layers)
      total += ms;
    if (k == 0)
      rulesMs = total;
    // A shape's time under this candidate: the layers that hold it.
    llvm::StringMap<double> byKey;
    llvm::StringMap<std::set<std::string>> seen;
    for (const ConvRecord &r : records.back())
      if (layers.count(r.node) && seen[r.key].insert(r.node).second)
        byKey[r.key] += layers[r.node];
    for (const auto &entry : byKey) {
      auto it = best.find(entry.getKey());
      if (it == best.end() || entry.getValue() < it->second.second)
        best[entry.getKey()] = {k, entry.getValue()};
    }
    llvm::errs() << llvm::format("cnnc: tune: candidate %d of up to %d: compiled in %.1f s, "
                                 "model %.3f ms (rules' blocks: %.3f ms), %.0f s elapsed\n",
                                 k, kMaxCandidates - 1, compileS, total, rulesMs, elapsed());
  }

  // The cache: what was there for this target, plus the winners.
  llvm::json::Object convs;
  if (auto buf = llvm::MemoryBuffer::getFile(cachePath)) {
    auto old = llvm::json::parse((*buf)->getBuffer());
    if (old && old->getAsObject() && old->getAsObject()->getObject("convs") &&
        old->getAsObject()->getString("cnnc_version") == llvm::StringRef(CNNC_VERSION) &&
        old->getAsObject()->getObject("target") &&
        old->getAsObject()->getObject("target")->getString("cpu") == target->cpu)
      convs = *old->getAsObject()->getObject("convs");
    else if (!old)
      llvm::consumeError(old.takeError());
  }
  int changed = 0;
  for (const auto &entry : best) {
    int k = entry.getValue().first;
    for (const ConvRecord &r : records[k])
      if (r.key == entry.getKey()) {
        convs[r.key] = llvm::json::Object(r.schedule);
        changed += !r.rules;
        break;
      }
  }
  std::string isa;
  for (const auto &f : target->isa)
    isa += (isa.empty() ? "" : ",") + f;
  llvm::json::Object root{
      {"format", "cnnc-tuning-cache"},
      {"version", 1},
      {"cnnc_version", CNNC_VERSION},
      {"target",
       llvm::json::Object{{"cpu", target->cpu},
                          {"isa", isa},
                          {"vector_bits", target->vectorBits},
                          {"vector_registers", target->vectorRegisters}}},
      {"convs", std::move(convs)}};
  std::error_code ec;
  llvm::raw_fd_ostream file(cachePath, ec);
  if (ec) {
    llvm::errs() << "cnnc: error: cannot write the tuning cache " << cachePath << ": "
                 << ec.message() << "\n";
    return false;
  }
  file << llvm::formatv("{0:2}", llvm::json::Value(std::move(root))) << "\n";
  llvm::errs() << "cnnc: tune: " << best.size() << " conv shapes measured, " << changed
               << " take another block than the rules'; written to " << cachePath << " ("
               << llvm::format("%.0f", elapsed()) << " s)\n";
  llvm::sys::fs::remove_directories(work);
  return true;
}

} // namespace cnnc
