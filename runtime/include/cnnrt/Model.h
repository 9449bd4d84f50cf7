//===- Model.h - load and run a cnnc-compiled model -------------*- C++ -*-===//
//
//   auto model = cnnrt::Model::load("resnet18.so");
//   for (auto &in : model->inputs()) ... in.name, in.shape
//   cnnrt::Tensor image({1, 3, 224, 224});
//   auto outputs = model->forward({{"image", image}});
//
// A Model is the convenient whole: a Library, a pool of Sessions and, for a
// --train library, a Trainer. Every member function may be called from
// several threads at once: forward() and profile() run concurrently (each
// call takes a free session, so N threads hold N arenas and one copy of the
// weights); a training step, a parameter load or a learning-rate change is
// serialized with the others, and a forward that started before it
// finishes with the parameters it started with.
//
// Every failure is a cnnrt::Error with a message naming the file (and
// tensor); nothing aborts the process.
//
//===----------------------------------------------------------------------===//
#ifndef CNNRT_MODEL_H
#define CNNRT_MODEL_H

#include "cnnrt/Error.h"
#include "cnnrt/Library.h"
#include "cnnrt/Session.h"
#include "cnnrt/Tensor.h"
#include "cnnrt/Trainer.h"

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace cnnrt {

class Model {
public:
  static std::unique_ptr<Model> load(const std::string &path, const LoadOptions &options = {});
  ~Model();
  Model(const Model &) = delete;
  Model &operator=(const Model &) = delete;

  const std::shared_ptr<const Library> &library() const { return library_; }
  const std::string &path() const { return library_->path(); }
  const std::string &name() const { return library_->name(); }
  const std::vector<TensorInfo> &inputs() const { return library_->inputs(); }
  const std::vector<TensorInfo> &outputs() const { return library_->outputs(); }
  const std::vector<TensorInfo> &parameters() const { return library_->parameters(); }
  const std::string &metadata() const { return library_->metadata(); }
  int64_t arenaBytes() const { return library_->arenaBytes(); }
  std::string target() const { return library_->target(); }
  bool onGpu() const { return library_->onGpu(); }

  /// Session::run on a free session of the pool.
  std::vector<std::pair<std::string, Tensor>>
  forward(const std::map<std::string, Tensor> &inputs, const RunOptions &options = {});
  void forward(const std::vector<TensorView> &inputs, const std::vector<MutableTensorView> &outputs,
               const RunOptions &options = {});
  /// Session::profile on a free session of the pool.
  std::vector<std::pair<std::string, double>>
  profile(const std::map<std::string, Tensor> &inputs, const RunOptions &options = {});

  /// Training (libraries compiled with --train): Trainer::step.
  bool trainable() const { return library_->trainable(); }
  float trainStep(const std::map<std::string, Tensor> &inputs, const Tensor &labels);
  float trainStep(const std::vector<TensorView> &inputs, const TensorView &labels);
  /// Trainer::profileStep.
  std::vector<std::pair<std::string, double>>
  profileTrainStep(const std::map<std::string, Tensor> &inputs, const Tensor &labels,
                   float *loss = nullptr);
  std::map<std::string, Tensor> gradients() const;
  float learningRate() const;
  void setLearningRate(float lr);
  void setSeed(uint64_t seed);
  uint64_t seed() const;
  int64_t stepIndex() const;
  /// The optimizer steps taken (restored by loadCheckpoint).
  int64_t optimizerSteps() const;
  /// Trainer::setCommunicator: data-parallel training (cnnc --data-parallel).
  void setCommunicator(std::shared_ptr<Communicator> communicator);

  /// Copies of the parameters, by name.
  std::map<std::string, Tensor> parameterValues() const;
  /// Replaces parameters from a safetensors file (names and shapes must match).
  void loadParameters(const std::string &path);
  void saveParameters(const std::string &path) const;
  /// Trainer::saveCheckpoint / loadCheckpoint (libraries compiled with --train).
  void saveCheckpoint(const std::string &path);
  void loadCheckpoint(const std::string &path);

private:
  class SessionLease;
  explicit Model(std::shared_ptr<const Library> library);
  /// A session of the pool, bound to the current parameters.
  std::unique_ptr<Session> takeSession();
  void returnSession(std::unique_ptr<Session> session);
  Trainer &trainer(); // made on first use; state_ must be locked
  std::shared_ptr<const ParameterSet> currentParameters();

  std::shared_ptr<const Library> library_;
  mutable std::mutex state_; // guards everything below
  std::shared_ptr<const ParameterSet> parameters_;
  std::unique_ptr<Trainer> trainer_;
  std::vector<std::unique_ptr<Session>> idle_;
};

} // namespace cnnrt

#endif // CNNRT_MODEL_H
