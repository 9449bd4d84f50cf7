//===- Trainer.h - the training state of a --train library ------*- C++ -*-===//
//
//   auto lib = cnnrt::Library::load("lenet-train.so");
//   cnnrt::Trainer trainer(lib);
//   float loss = trainer.step({{"image", batch}}, labels);
//   cnnrt::Session eval(lib, trainer.snapshot());
//
// A Trainer owns mutable parameters (a copy of the set it starts from),
// the optimizer's buffers, the step counter and the dropout seed, on the
// library's device. One thread at a time.
//
//===----------------------------------------------------------------------===//
#ifndef CNNRT_TRAINER_H
#define CNNRT_TRAINER_H

#include "cnnrt/Communicator.h"
#include "cnnrt/Session.h"

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace cnnrt {

class Trainer {
public:
  /// Starts from `initial` (default: library->defaultParameters()), with
  /// zero optimizer state, step 0, seed 0 and the compiled learning rate.
  explicit Trainer(std::shared_ptr<const Library> library,
                   std::shared_ptr<const ParameterSet> initial = nullptr);
  ~Trainer();
  Trainer(const Trainer &) = delete;
  Trainer &operator=(const Trainer &) = delete;

  const Library &library() const { return *library_; }

  /// One optimizer step on a batch. `labels` are class indices [B] (I32 or
  /// I64) in [0, classes); B is the inputs' batch (the compiled one, or any
  /// B in [1, N] when the library allows a run-time batch: the loss is then
  /// the mean over B and batchnorm's statistics are the B samples').
  /// Returns the mean loss; parameters, optimizer buffers and batchnorm
  /// running statistics are updated.
  float step(const std::map<std::string, Tensor> &inputs, const Tensor &labels);
  float step(const std::vector<TensorView> &inputs, const TensorView &labels);
  /// step() timed per op of the step, in the order they first run: each
  /// label is "node op" (the node's forward op, its gradients, its
  /// parameters' updates), with its milliseconds; `loss` receives the loss.
  /// Not for data-parallel trainers (setCommunicator).
  std::vector<std::pair<std::string, double>>
  profileStep(const std::map<std::string, Tensor> &inputs, const Tensor &labels,
              float *loss = nullptr);

  /// Gradients of the last step's loss (before weight decay/momentum), by
  /// name; empty before the first step.
  std::map<std::string, Tensor> gradients() const;
  /// Copies of the current parameters, by name.
  std::map<std::string, Tensor> parameterValues() const;
  /// Replaces the parameters (names and shapes must match); optimizer
  /// state and step count stay.
  void loadParameters(const std::string &path);
  void setParameters(const ParameterSet &values);
  void saveParameters(const std::string &path) const;
  /// The whole training state in one safetensors file: every parameter
  /// (running statistics included) as `param.NAME`, the optimizer state as
  /// `state.SLOT.NAME`, and in its metadata the model, the optimizer, the
  /// base learning rate, the seed, the step index and the optimizer steps.
  /// A trainer that loads it continues bit for bit as this one would.
  void saveCheckpoint(const std::string &path) const;
  /// Restores a saveCheckpoint file. A file that is not a checkpoint, is
  /// corrupt, or was written for another model (names, shapes) or another
  /// optimizer throws an Error naming the file and the difference; the
  /// trainer is then unchanged.
  void loadCheckpoint(const std::string &path);

  /// The current parameters as an immutable set for Sessions; made anew
  /// only when a step or a load changed them since the last call.
  std::shared_ptr<const ParameterSet> snapshot();

  /// The base learning rate (the compiled one until set).
  float learningRate() const { return learningRate_; }
  /// The rate the next step uses: the base rate through the library's
  /// schedule (`train_step.lr_schedule`) at the optimizer steps taken.
  float scheduledLearningRate() const;
  void setLearningRate(float lr);
  /// Dropout's masks in a step are a hash of (seed, step index, node,
  /// element): a run is reproducible for a given seed. setSeed also
  /// restarts the step index at 0; each step uses the current index, then
  /// increments it.
  void setSeed(uint64_t seed);
  uint64_t seed() const { return seed_; }
  int64_t stepIndex() const { return stepIndex_; }
  /// The optimizer steps taken (Adam's bias correction counts them).
  int64_t optimizerSteps() const { return optimizerSteps_; }

  /// Data-parallel training, for a library compiled with `cnnc --train
  /// --data-parallel` (CPU). Each replica (process) passes its own share of
  /// every batch to step(); the step then computes this replica's part of
  /// the combined batch's gradients (batchnorm's statistics are the combined
  /// batch's), sums the parts over the replicas and applies the optimizer
  /// to the sum, so that every replica holds the same parameters as one
  /// process training on the combined batch would. step() returns the
  /// combined batch's loss, gradients() the summed gradients. Replica 0's
  /// parameters, optimizer state, learning rate, seed and counters are
  /// copied to the others now; every replica must then call step() as
  /// often as the others. Dropout's masks differ between replicas (the
  /// rank is mixed into the seed). Null: one process again.
  void setCommunicator(std::shared_ptr<Communicator> communicator);
  const std::shared_ptr<Communicator> &communicator() const { return communicator_; }

private:
  std::shared_ptr<const Library> library_;
  float learningRate_ = 0;
  uint64_t seed_ = 0;
  int64_t stepIndex_ = 0;
  int64_t optimizerSteps_ = 0;
  struct State;
  std::unique_ptr<State> state_;
  std::shared_ptr<const ParameterSet> snapshot_; // null: stale
  std::shared_ptr<Communicator> communicator_;
  void runReplicated(std::vector<void *> &args);
};

} // namespace cnnrt

#endif // CNNRT_TRAINER_H
