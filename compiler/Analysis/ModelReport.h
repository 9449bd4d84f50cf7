//===- ModelReport.h - per-node complexity report ---------------*- C++ -*-===//
#ifndef CNNC_ANALYSIS_MODELREPORT_H
#define CNNC_ANALYSIS_MODELREPORT_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "llvm/Support/raw_ostream.h"

#include <optional>
#include <string>
#include <vector>

namespace cnnc {

/// One row of `cnnc --report`.
struct NodeCost {
  std::string node, op;
  /// The nodes (or model inputs) whose outputs this node reads, in operand
  /// order; parameters are not listed.
  std::vector<std::string> inputs;
  std::vector<int64_t> shape;
  /// The op's attributes (kernel, stride, padding, groups, ...) as
  /// (name, printed value), in the op's order.
  std::vector<std::pair<std::string, std::string>> attributes;
  int64_t params = 0;  // learnable parameters first used by this node
  int64_t buffers = 0; // batchnorm running statistics first used here
  int64_t macs = 0;   // multiply-accumulates (conv, dense)
  int64_t flops = 0;  // 2 * MACs + one per output element for other arithmetic
  int64_t activationBytes = 0;
  /// The CPU schedules the compiler selected for this node's ops
  /// (`#codegen.conv_schedule<...>`, ...), when the report compiled it.
  std::vector<std::string> schedules;
  /// The kernels (top-level loop nests of the scheduled forward function,
  /// numbered in execution order) that compute this node; a kernel that
  /// computes several nodes is a fused group.
  std::vector<int64_t> kernels;
  /// Where a 4-D layout change was lowered with this node: "NCHW -> NHWC",
  /// "NHWC -> NCHW" or "transpose [p0, p1, p2, p3]"; empty if none.
  std::string layoutChange;
  /// What the node computes in: "bf16" for convolutions that take bf16
  /// operands (cnnc --precision=bf16; f32 accumulation), "int8" where they
  /// read quantized ones (--precision=int8; i32 accumulation), else "fp32".
  std::string precision = "fp32";
};

/// The schedules selected in `module` (cnnc-select-cpu-schedules), added to
/// the nodes they were lowered from (by the ops' location names).
void recordSchedules(mlir::ModuleOp module, struct ModelCost &cost);

/// The layout changes left in `module` after cnnc-propagate-channels-last
/// (4-D ops that read or write through a permutation), added to the nodes
/// they were lowered from.
void recordLayoutChanges(mlir::ModuleOp module, struct ModelCost &cost);

/// The nodes whose ops in `module` (lowered to linalg) read bf16 operands.
void recordPrecisions(mlir::ModuleOp module, struct ModelCost &cost);

/// The kernels of the scheduled `module` (each top-level loop nest or
/// structured op of `@forward`), added to the nodes named by the locations
/// of the ops inside them.
void recordKernels(mlir::ModuleOp module, struct ModelCost &cost);

struct ModelCost {
  std::vector<NodeCost> nodes;
  int64_t params = 0, buffers = 0, macs = 0, flops = 0, activationBytes = 0;
  int64_t parameterBytes = 0;
  int64_t peakLiveBytes = 0; // largest sum of live activations in graph order
};

/// One buffer of the compiled plan (cnnc-plan-memory): its place in the
/// arena and its live range in the lowered function's op positions.
struct PlannedBuffer {
  std::string name;
  int64_t offset = 0, bytes = 0, first = 0, last = 0;
};

/// Costs of the cnn ops of `forward`, counted on the imported (unfused) graph.
ModelCost computeModelCost(mlir::func::FuncOp forward);

/// Prints the table; `arenaBytes` is the compiled plan's arena if known.
void printModelReport(const ModelCost &cost, llvm::raw_ostream &os,
                      std::optional<int64_t> arenaBytes = std::nullopt);

/// The same report as one JSON object (`cnnc --report=json`, docs/report.md):
/// the nodes with their inputs (the graph's edges), shapes and costs, the
/// totals the text report prints, the target and, if known, the arena.
void printModelReportJson(const ModelCost &cost, llvm::raw_ostream &os,
                          const std::string &model, const std::string &target,
                          std::optional<int64_t> arenaBytes = std::nullopt,
                          const std::vector<PlannedBuffer> &buffers = {});

/// The report as one self-contained HTML page (`cnnc --report=html -o
/// FILE`): the JSON report embedded in Analysis/ReportPage.html, whose
/// script draws the graph, the totals and the per-layer table.
/// `profileJson`: `cnnc-run --profile=FILE.json`'s file, checked by
/// readProfile, shown per layer on the page ("" for none).
void printModelReportHtml(const ModelCost &cost, llvm::raw_ostream &os,
                          const std::string &model, const std::string &target,
                          std::optional<int64_t> arenaBytes = std::nullopt,
                          const std::string &profileJson = "",
                          const std::vector<PlannedBuffer> &buffers = {},
                          double peakGflops = 0, double peakBandwidth = 0);

/// Reads and checks a profile for `model`: its JSON text (normalized), or
/// an error message naming `path` (not a profile, truncated, another
/// model's, a layer the model does not have, a time that is not a number).
bool readProfile(const std::string &path, const ModelCost &cost, const std::string &model,
                 std::string &jsonOrError);

} // namespace cnnc

#endif // CNNC_ANALYSIS_MODELREPORT_H
