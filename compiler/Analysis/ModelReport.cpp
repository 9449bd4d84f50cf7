//===- ModelReport.cpp - per-node complexity report ------------------------===//
//
// Counting conventions (docs/report.md): MACs are counted for conv2d and dense
// only, as torchvision/ptflops tables do; FLOPs are 2 x MACs plus one per
// output element for bias adds, activations, adds/muls, pooling window
// elements, batchnorm (2 per element) and softmax (3 per element).
//
//===----------------------------------------------------------------------===//

#include "Analysis/ModelReport.h"
#include "Cnn/CnnDialect.h"
#include "Codegen/CodegenDialect.h"
#include "Import/ModelImporter.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/Format.h"

#include <nlohmann/json.hpp>

#include <cmath>
#include <cstring>
#include <fstream>

using namespace mlir;

namespace cnnc {

static int64_t numel(Type t) {
  return cast<RankedTensorType>(t).getNumElements();
}

static std::string nodeName(Operation *op) {
  if (auto name = dyn_cast<NameLoc>(op->getLoc()))
    return name.getName().str();
  return op->getName().stripDialect().str();
}

/// An attribute as a person reads it: "3, 3" for an i64 array, "2" for an
/// integer, "1e-05" for a float, "true"; anything else as MLIR prints it.
static std::string printAttribute(Attribute value) {
  std::string text;
  llvm::raw_string_ostream os(text);
  if (auto array = dyn_cast<DenseI64ArrayAttr>(value))
    llvm::interleaveComma(array.asArrayRef(), os);
  else if (auto integer = dyn_cast<IntegerAttr>(value))
    integer.getType().isInteger(1) ? os << (integer.getValue().getBoolValue() ? "true" : "false")
                                   : os << integer.getValue();
  else if (auto real = dyn_cast<FloatAttr>(value))
    os << llvm::format("%g", real.getValueAsDouble());
  else if (auto string = dyn_cast<StringAttr>(value))
    os << string.getValue();
  else if (isa<UnitAttr>(value))
    os << "true";
  else
    value.print(os);
  return text;
}

ModelCost computeModelCost(func::FuncOp forward) {
  ModelCost cost;
  llvm::DenseSet<Value> seenParams;
  Block &body = forward.getBody().front();
  // Liveness in program order: a value dies after its last user.
  llvm::DenseMap<Value, Operation *> lastUse;
  for (Operation &op : body)
    for (Value v : op.getOperands())
      lastUse[v] = &op;

  int64_t live = 0;
  for (BlockArgument a : body.getArguments())
    if (forward.getArgAttr(a.getArgNumber(), attrs::kInputName))
      live += numel(a.getType()) * 4;
  cost.peakLiveBytes = live;

  for (Operation &op : body) {
    if (op.getNumResults() != 1 || !isa<cnn::CnnDialect>(op.getDialect()))
      continue;
    NodeCost c;
    c.node = nodeName(&op);
    for (Value v : op.getOperands()) {
      if (auto arg = dyn_cast<BlockArgument>(v)) {
        if (auto input = forward.getArgAttrOfType<StringAttr>(arg.getArgNumber(),
                                                              attrs::kInputName))
          c.inputs.push_back(input.str());
      } else if (Operation *producer = v.getDefiningOp();
                 producer && isa<cnn::CnnDialect>(producer->getDialect())) {
        c.inputs.push_back(nodeName(producer));
      }
    }
    c.op = op.getName().stripDialect().str();
    for (NamedAttribute attr : op.getAttrs())
      c.attributes.emplace_back(attr.getName().str(), printAttribute(attr.getValue()));
    auto outType = cast<RankedTensorType>(op.getResult(0).getType());
    c.shape.assign(outType.getShape().begin(), outType.getShape().end());
    int64_t outElems = outType.getNumElements();
    c.activationBytes = outElems * 4;
    for (OpOperand &operand : op.getOpOperands()) {
      Value v = operand.get();
      auto arg = dyn_cast<BlockArgument>(v);
      if (!arg || !forward.getArgAttr(arg.getArgNumber(), attrs::kParamName) ||
          !seenParams.insert(v).second)
        continue;
      // Batchnorm's running statistics are buffers, not parameters (as in
      // PyTorch's parameters() vs buffers()).
      bool isBuffer = isa<cnn::BatchNormOp>(op) && operand.getOperandNumber() >= 3;
      (isBuffer ? c.buffers : c.params) += numel(v.getType());
    }
    if (auto conv = dyn_cast<cnn::Conv2dOp>(op)) {
      auto w = conv.getWeight().getType().getShape();
      // The weight's shape holds what the model file said as attributes.
      c.attributes.insert(c.attributes.begin(),
                          {{"out_channels", std::to_string(w[0])},
                           {"kernel", std::to_string(w[2]) + ", " + std::to_string(w[3])}});
      c.macs = outElems * w[1] * w[2] * w[3];
      c.flops = 2 * c.macs + (conv.getBias() ? outElems : 0);
    } else if (auto dense = dyn_cast<cnn::DenseOp>(op)) {
      int64_t outFeatures = dense.getWeight().getType().getShape()[0];
      c.attributes.insert(c.attributes.begin(), {"out_features", std::to_string(outFeatures)});
      c.macs = outElems * dense.getWeight().getType().getShape()[1];
      c.flops = 2 * c.macs + (dense.getBias() ? outElems : 0);
    } else if (auto convT = dyn_cast<cnn::ConvTranspose2dOp>(op)) {
      // Each input element meets O/groups * kh * kw filter taps.
      auto w = convT.getWeight().getType().getShape();
      c.macs = numel(convT.getInput().getType()) * w[1] * w[2] * w[3];
      c.flops = 2 * c.macs + (convT.getBias() ? outElems : 0);
    } else if (auto pool = dyn_cast<cnn::MaxPool2dOp>(op)) {
      c.flops = outElems * pool.getKernel()[0] * pool.getKernel()[1];
    } else if (auto pool = dyn_cast<cnn::AvgPool2dOp>(op)) {
      c.flops = outElems * pool.getKernel()[0] * pool.getKernel()[1];
    } else if (auto gap = dyn_cast<cnn::GlobalAvgPool2dOp>(op)) {
      c.flops = numel(gap.getInput().getType());
    } else if (auto pool = dyn_cast<cnn::AdaptiveAvgPool2dOp>(op)) {
      c.flops = numel(pool.getInput().getType());
    } else if (auto up = dyn_cast<cnn::UpsampleOp>(op)) {
      c.flops = up.getMode() == "bilinear" ? 4 * outElems : 0; // nearest only copies
    } else if (isa<cnn::BatchNormOp>(op)) {
      c.flops = 2 * outElems;
    } else if (isa<cnn::LayerNormOp>(op)) {
      c.flops = 5 * outElems; // mean, variance, normalize, scale, shift
    } else if (isa<cnn::SoftmaxOp>(op)) {
      c.flops = 3 * outElems;
    } else if (isa<cnn::ReluOp, cnn::Relu6Op, cnn::SigmoidOp, cnn::TanhOp, cnn::AddOp,
                   cnn::MulOp, cnn::SiluOp, cnn::HardswishOp, cnn::HardsigmoidOp,
                   cnn::LeakyReluOp, cnn::GeluOp>(op)) {
      c.flops = outElems; // one per element, as PyTorch's profilers count activations
    }
    live += c.activationBytes;
    cost.peakLiveBytes = std::max(cost.peakLiveBytes, live);
    for (Value v : op.getOperands())
      if (lastUse.lookup(v) == &op && !isa<BlockArgument>(v))
        live -= numel(v.getType()) * 4;
    cost.params += c.params;
    cost.buffers += c.buffers;
    cost.macs += c.macs;
    cost.flops += c.flops;
    cost.activationBytes += c.activationBytes;
    cost.nodes.push_back(std::move(c));
  }
  cost.parameterBytes = (cost.params + cost.buffers) * 4;
  return cost;
}

static std::string withCommas(int64_t v) {
  std::string s = std::to_string(v);
  for (int i = (int)s.size() - 3; i > 0; i -= 3)
    s.insert(i, ",");
  return s;
}

static std::string shapeText(const std::vector<int64_t> &s) {
  std::string t;
  for (size_t i = 0; i < s.size(); ++i)
    t += (i ? "x" : "") + std::to_string(s[i]);
  return t;
}

static std::string human(double v, const char *unit) {
  const char *prefixes[] = {"", "K", "M", "G", "T"};
  int p = 0;
  while (v >= 1000 && p < 4) {
    v /= 1000;
    ++p;
  }
  char buf[32];
  snprintf(buf, sizeof buf, "%.2f %s%s", v, prefixes[p], unit);
  return buf;
}

void printModelReport(const ModelCost &cost, llvm::raw_ostream &os,
                      std::optional<int64_t> arenaBytes) {
  os << llvm::format("%-28s %-16s %-18s %14s %16s %16s %14s\n", "node", "op",
                     "output", "params", "MACs", "FLOPs", "act bytes");
  for (const auto &c : cost.nodes)
    os << llvm::format("%-28s %-16s %-18s %14s %16s %16s %14s\n", c.node.c_str(),
                       c.op.c_str(), shapeText(c.shape).c_str(), withCommas(c.params).c_str(),
                       withCommas(c.macs).c_str(), withCommas(c.flops).c_str(),
                       withCommas(c.activationBytes).c_str());
  os << llvm::format("%-28s %-16s %-18s %14s %16s %16s %14s\n", "total", "", "",
                     withCommas(cost.params).c_str(), withCommas(cost.macs).c_str(),
                     withCommas(cost.flops).c_str(),
                     withCommas(cost.activationBytes).c_str());
  os << "\nparameters:        " << withCommas(cost.params)
     << " learnable + " << withCommas(cost.buffers) << " batchnorm running statistics ("
     << human((double)cost.parameterBytes, "B") << " in all)\n";
  os << "MACs:              " << withCommas(cost.macs) << " (" << human((double)cost.macs, "MAC")
     << ")\n";
  os << "FLOPs:             " << withCommas(cost.flops) << " ("
     << human((double)cost.flops, "FLOP") << ")\n";
  os << "activations:       " << withCommas(cost.activationBytes) << " bytes (sum of all outputs)\n";
  os << "peak live:         " << withCommas(cost.peakLiveBytes)
     << " bytes (activations alive at once, graph order, inputs included)\n";
  if (arenaBytes)
    os << "peak (arena plan): " << withCommas(*arenaBytes) << " bytes\n";
}

static nlohmann::ordered_json
attributesJson(const std::vector<std::pair<std::string, std::string>> &attributes) {
  nlohmann::ordered_json object = nlohmann::ordered_json::object();
  for (const auto &[name, value] : attributes)
    object[name] = value;
  return object;
}

static nlohmann::ordered_json reportJson(const ModelCost &cost, const std::string &model,
                                         const std::string &target,
                                         std::optional<int64_t> arenaBytes,
                                         const std::vector<PlannedBuffer> &buffers) {
  nlohmann::ordered_json r;
  r["format"] = "cnnc-report";
  r["version"] = 1;
  r["model"] = model;
  r["target"] = target;
  nlohmann::ordered_json nodes = nlohmann::ordered_json::array();
  for (const auto &c : cost.nodes)
    nodes.push_back({{"name", c.node},
                     {"op", c.op},
                     {"inputs", c.inputs},
                     {"shape", c.shape},
                     {"attributes", attributesJson(c.attributes)},
                     {"params", c.params},
                     {"buffers", c.buffers},
                     {"macs", c.macs},
                     {"flops", c.flops},
                     {"activation_bytes", c.activationBytes},
                     {"schedules", c.schedules},
                     {"kernels", c.kernels},
                     {"layout_change", c.layoutChange},
                     {"precision", c.precision}});
  r["nodes"] = std::move(nodes);
  r["totals"] = {{"params", cost.params},
                 {"buffers", cost.buffers},
                 {"parameter_bytes", cost.parameterBytes},
                 {"macs", cost.macs},
                 {"flops", cost.flops},
                 {"activation_bytes", cost.activationBytes},
                 {"peak_live_bytes", cost.peakLiveBytes}};
  if (arenaBytes)
    r["arena_bytes"] = *arenaBytes;
  if (!buffers.empty()) {
    nlohmann::ordered_json list = nlohmann::ordered_json::array();
    for (const PlannedBuffer &b : buffers)
      list.push_back({{"name", b.name},
                      {"offset", b.offset},
                      {"bytes", b.bytes},
                      {"first", b.first},
                      {"last", b.last}});
    r["memory_plan"] = std::move(list);
  }
  return r;
}

void printModelReportJson(const ModelCost &cost, llvm::raw_ostream &os,
                          const std::string &model, const std::string &target,
                          std::optional<int64_t> arenaBytes,
                          const std::vector<PlannedBuffer> &buffers) {
  os << reportJson(cost, model, target, arenaBytes, buffers).dump(1) << "\n";
}

bool readProfile(const std::string &path, const ModelCost &cost, const std::string &model,
                 std::string &jsonOrError) {
  auto fail = [&](const std::string &m) {
    jsonOrError = path + ": " + m;
    return false;
  };
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return fail("cannot open the profile");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  nlohmann::json p = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (p.is_discarded())
    return fail("not a cnnc profile: not valid JSON (truncated?)");
  if (!p.is_object() || p.value("format", "") != "cnnc-profile" || !p.contains("version") ||
      !p["version"].is_number_integer() || p["version"].get<int64_t>() != 1 ||
      !p.contains("layers") || !p["layers"].is_array())
    return fail("not a cnnc profile (format \"cnnc-profile\", version 1, layers; written by "
                "cnnc-run --profile=FILE.json)");
  std::string of = p.contains("model") && p["model"].is_string() ? p["model"].get<std::string>()
                                                                  : "";
  if (of != model)
    return fail("a profile of model '" + of + "', not of '" + model + "'");
  if (p.value("run", "forward") != "forward")
    return fail("a profile of a training step (cnnc-run --train-step --profile); the report "
                "places forward profiles (cnnc-run --profile=FILE.json)");
  llvm::StringSet<> names;
  for (const auto &n : cost.nodes)
    names.insert(n.node);
  for (const auto &l : p["layers"]) {
    if (!l.is_object() || !l.contains("name") || !l["name"].is_string() ||
        !l.contains("ms") || !l["ms"].is_number() || !(l["ms"].get<double>() >= 0) ||
        !std::isfinite(l["ms"].get<double>()))
      return fail("a layer entry needs a name and a time in ms >= 0, got " + l.dump());
    if (!names.contains(l["name"].get<std::string>()))
      return fail("layer '" + l["name"].get<std::string>() + "' is not a node of " + model +
                  " (a profile of another build of it?)");
  }
  jsonOrError = p.dump();
  return true;
}

/// The node names in `loc`: a NameLoc's, or those inside a fused or
/// call-site location (an op fused from several nodes names each).
static void nodeNames(Location loc, llvm::SmallVectorImpl<std::string> &names) {
  if (auto n = dyn_cast<NameLoc>(loc))
    names.push_back(n.getName().str());
  else if (auto f = dyn_cast<FusedLoc>(loc))
    for (Location l : f.getLocations())
      nodeNames(l, names);
  else if (auto c = dyn_cast<CallSiteLoc>(loc))
    nodeNames(c.getCallee(), names);
}

/// The nodes of `cost` named by `op`'s location, by index.
static llvm::SmallVector<size_t> nodesOf(Operation *op, const llvm::StringMap<size_t> &index) {
  llvm::SmallVector<std::string> names;
  nodeNames(op->getLoc(), names);
  llvm::SmallVector<size_t> found;
  for (const std::string &name : names)
    if (auto it = index.find(name); it != index.end() && !llvm::is_contained(found, it->second))
      found.push_back(it->second);
  return found;
}

/// `module`'s @forward (null if it has none) and `cost`'s nodes by name:
/// what each record* function maps ops to nodes with.
struct ForwardNodes {
  func::FuncOp forward;
  llvm::StringMap<size_t> index;
};

static ForwardNodes forwardAndNodes(ModuleOp module, const ModelCost &cost) {
  ForwardNodes f{module.lookupSymbol<func::FuncOp>("forward"), {}};
  for (auto [i, c] : llvm::enumerate(cost.nodes))
    f.index[c.node] = i;
  return f;
}

void recordSchedules(ModuleOp module, ModelCost &cost) {
  ForwardNodes lookup = forwardAndNodes(module, cost);
  if (!lookup.forward)
    return;
  lookup.forward.walk([&](Operation *op) {
    Attribute schedule = op->getAttr(codegen::CodegenDialect::kScheduleAttrName);
    if (!schedule)
      return;
    std::string text;
    llvm::raw_string_ostream os(text);
    schedule.print(os);
    for (size_t i : nodesOf(op, lookup.index)) {
      auto &list = cost.nodes[i].schedules;
      if (!llvm::is_contained(list, text))
        list.push_back(text);
    }
  });
}

/// "NCHW -> NHWC" for the permutation that takes NCHW to NHWC, and so on.
static std::string describePermutation(AffineMap readMap, AffineMap writeMap) {
  // Output dim j -> the input dim it reads (both maps are permutations).
  AffineMap outputToInput = inversePermutation(readMap.compose(inversePermutation(writeMap)));
  SmallVector<int64_t> perm;
  for (AffineExpr e : outputToInput.getResults())
    perm.push_back(cast<AffineDimExpr>(e).getPosition());
  if (perm == SmallVector<int64_t>{0, 2, 3, 1})
    return "NCHW -> NHWC";
  if (perm == SmallVector<int64_t>{0, 3, 1, 2})
    return "NHWC -> NCHW";
  std::string text = "transpose [";
  for (auto [i, p] : llvm::enumerate(perm))
    text += (i ? ", " : "") + std::to_string(p);
  return text + "]";
}

void recordLayoutChanges(ModuleOp module, ModelCost &cost) {
  ForwardNodes lookup = forwardAndNodes(module, cost);
  if (!lookup.forward)
    return;
  lookup.forward.walk([&](linalg::LinalgOp op) {
    // A 4-D elementwise op whose input and output maps are different
    // permutations moves data between layouts.
    if (op.getNumLoops() != 4 || op.getNumReductionLoops() != 0 || op.getNumDpsInits() != 1)
      return;
    AffineMap writeMap = op.getMatchingIndexingMap(op.getDpsInitOperand(0));
    if (!writeMap.isPermutation())
      return;
    for (OpOperand *input : op.getDpsInputOperands()) {
      AffineMap readMap = op.getMatchingIndexingMap(input);
      if (!readMap.isPermutation() || readMap == writeMap)
        continue;
      std::string change = describePermutation(readMap, writeMap);
      for (size_t i : nodesOf(op, lookup.index))
        if (cost.nodes[i].layoutChange.empty())
          cost.nodes[i].layoutChange = change;
      return;
    }
  });
}

void recordKernels(ModuleOp module, ModelCost &cost) {
  ForwardNodes lookup = forwardAndNodes(module, cost);
  if (!lookup.forward)
    return;
  int64_t kernel = 0;
  for (Operation &top : lookup.forward.getBody().front()) {
    // A kernel is a loop nest or a structured op; the glue between them
    // (empty tensors, slices, profile marks, constants) computes nothing.
    if (top.getNumRegions() == 0 && !isa<linalg::LinalgOp>(top))
      continue;
    // The nodes whose floating-point arithmetic runs in it: data movement
    // (slices, pads, transfers) is named after whichever node placed it.
    llvm::SmallVector<size_t> nodes;
    top.walk([&](Operation *op) {
      bool computes = isa_and_nonnull<arith::ArithDialect, math::MathDialect>(op->getDialect()) &&
                      op->getNumResults() == 1 && !op->hasTrait<OpTrait::ConstantLike>() &&
                      isa<FloatType>(getElementTypeOrSelf(op->getResult(0).getType()));
      if (!computes && !isa<vector::ContractionOp, vector::FMAOp, vector::ReductionOp,
                            vector::MultiDimReductionOp>(op))
        return;
      for (size_t i : nodesOf(op, lookup.index))
        if (!llvm::is_contained(nodes, i))
          nodes.push_back(i);
    });
    if (nodes.empty())
      continue;
    for (size_t i : nodes)
      cost.nodes[i].kernels.push_back(kernel);
    ++kernel;
  }
}

void recordPrecisions(ModuleOp module, ModelCost &cost) {
  ForwardNodes lookup = forwardAndNodes(module, cost);
  if (!lookup.forward)
    return;
  lookup.forward.walk([&](linalg::ConvolutionOpInterface conv) {
    auto op = cast<linalg::LinalgOp>(conv.getOperation());
    Type input = getElementTypeOrSelf(op.getDpsInputs()[0]);
    if (input.isBF16() || input.isInteger(8))
      for (size_t i : nodesOf(op, lookup.index))
        cost.nodes[i].precision = input.isBF16() ? "bf16" : "int8";
  });
}

static const char kReportPage[] =
#include "Analysis/ReportPage.inc"
    ;

void printModelReportHtml(const ModelCost &cost, llvm::raw_ostream &os,
                          const std::string &model, const std::string &target,
                          std::optional<int64_t> arenaBytes, const std::string &profileJson,
                          const std::vector<PlannedBuffer> &buffers, double peakGflops,
                          double peakBandwidth) {
  nlohmann::ordered_json r = reportJson(cost, model, target, arenaBytes, buffers);
  if (!profileJson.empty())
    r["profile"] = nlohmann::ordered_json::parse(profileJson);
  if (peakGflops > 0)
    r["peak_gflops"] = peakGflops;
  if (peakBandwidth > 0)
    r["peak_bandwidth_gbs"] = peakBandwidth;
  std::string json = r.dump();
  // Inside <script>, "</" could end the element: JSON allows "<\/" instead.
  std::string safe;
  for (size_t i = 0; i < json.size(); ++i) {
    safe += json[i];
    if (json[i] == '<' && i + 1 < json.size() && json[i + 1] == '/')
      safe += '\\';
  }
  llvm::StringRef page(kReportPage);
  size_t at = page.find("@REPORT_JSON@");
  os << page.substr(0, at) << safe << page.substr(at + strlen("@REPORT_JSON@"));
}

} // namespace cnnc
