//===- Session.h - one caller's run state for a loaded library --*- C++ -*-===//
//
// A Session owns what one forward pass writes: the arena, and on a GPU the
// device copies of inputs and outputs. Sessions of one Library run
// concurrently (one thread per session at a time); they share the
// library's code and a ParameterSet's weights.
//
//===----------------------------------------------------------------------===//
#ifndef CNNRT_SESSION_H
#define CNNRT_SESSION_H

#include "cnnrt/Library.h"

#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace cnnrt {

struct RunOptions {
  /// Threads for this run's parallel loops; 0: the process default
  /// (OMP_NUM_THREADS, else every core). A server running one session per
  /// core sets 1.
  int threads = 0;
};

class Session {
public:
  /// Runs `library` with `parameters` (default: library->defaultParameters()).
  explicit Session(std::shared_ptr<const Library> library,
                   std::shared_ptr<const ParameterSet> parameters = nullptr);
  ~Session();
  Session(const Session &) = delete;
  Session &operator=(const Session &) = delete;

  const Library &library() const { return *library_; }
  const std::shared_ptr<const ParameterSet> &parameters() const { return parameters_; }
  /// Later runs use `parameters` (a set made for the same library).
  void setParameters(std::shared_ptr<const ParameterSet> parameters);

  /// Runs the forward graph. Inputs are matched by name; each must be F32
  /// with the compiled shape, or, when the library allows a run-time batch,
  /// the compiled shape with any first dimension B in [1, maxBatch()] (the
  /// same B for all inputs). Returns outputs by name, in the model's order,
  /// with first dimension B.
  std::vector<std::pair<std::string, Tensor>> run(const std::map<std::string, Tensor> &inputs,
                                                  const RunOptions &options = {});
  /// The same, reading inputs from and writing outputs into the caller's
  /// memory: no copies on the CPU when B is the compiled batch. `outputs`
  /// must name every output once, with the shape run() would return.
  void run(const std::vector<TensorView> &inputs, const std::vector<MutableTensorView> &outputs,
           const RunOptions &options = {});
  /// Runs the forward graph once with per-layer timing: (layer name, ms) in
  /// the order the layers first run. Layers are the model's nodes as
  /// compiled, one entry per node: a node fused into another reports ~0,
  /// and the group's time goes to the node that owns it (a conv whose
  /// epilogue runs in its register tile gets the tile's time). Intervals of
  /// one layer add up.
  std::vector<std::pair<std::string, double>>
  profile(const std::map<std::string, Tensor> &inputs, const RunOptions &options = {});

private:
  std::shared_ptr<const Library> library_;
  std::shared_ptr<const ParameterSet> parameters_;
  struct Buffers;
  std::unique_ptr<Buffers> buffers_;
};

} // namespace cnnrt

#endif // CNNRT_SESSION_H
