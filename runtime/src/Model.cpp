//===- Model.cpp - a library, a pool of sessions and a trainer -------------===//

#include "cnnrt/Model.h"

namespace cnnrt {

std::unique_ptr<Model> Model::load(const std::string &path, const LoadOptions &options) {
  return std::unique_ptr<Model>(new Model(Library::load(path, options)));
}

Model::Model(std::shared_ptr<const Library> library)
    : library_(std::move(library)), parameters_(library_->defaultParameters()) {}

Model::~Model() = default;

std::shared_ptr<const ParameterSet> Model::currentParameters() {
  std::lock_guard<std::mutex> lock(state_);
  if (trainer_)
    parameters_ = trainer_->snapshot(); // remade only after a change
  return parameters_;
}

std::unique_ptr<Session> Model::takeSession() {
  std::shared_ptr<const ParameterSet> params = currentParameters();
  std::unique_ptr<Session> session;
  {
    std::lock_guard<std::mutex> lock(state_);
    if (!idle_.empty()) {
      session = std::move(idle_.back());
      idle_.pop_back();
    }
  }
  if (!session)
    return std::make_unique<Session>(library_, params);
  session->setParameters(params);
  return session;
}

void Model::returnSession(std::unique_ptr<Session> session) {
  std::lock_guard<std::mutex> lock(state_);
  idle_.push_back(std::move(session));
}

/// A session of the pool for one call, returned however the call ends.
class Model::SessionLease {
public:
  explicit SessionLease(Model &m) : model_(m), session_(m.takeSession()) {}
  ~SessionLease() { model_.returnSession(std::move(session_)); }
  Session &operator*() { return *session_; }

private:
  Model &model_;
  std::unique_ptr<Session> session_;
};

std::vector<std::pair<std::string, Tensor>>
Model::forward(const std::map<std::string, Tensor> &inputs, const RunOptions &options) {
  SessionLease session(*this);
  return (*session).run(inputs, options);
}

void Model::forward(const std::vector<TensorView> &inputs,
                    const std::vector<MutableTensorView> &outputs, const RunOptions &options) {
  SessionLease session(*this);
  (*session).run(inputs, outputs, options);
}

std::vector<std::pair<std::string, double>>
Model::profile(const std::map<std::string, Tensor> &inputs, const RunOptions &options) {
  SessionLease session(*this);
  return (*session).profile(inputs, options);
}

Trainer &Model::trainer() {
  if (!trainer_)
    trainer_ = std::make_unique<Trainer>(library_, parameters_);
  return *trainer_;
}

float Model::trainStep(const std::map<std::string, Tensor> &inputs, const Tensor &labels) {
  std::lock_guard<std::mutex> lock(state_);
  return trainer().step(inputs, labels);
}

float Model::trainStep(const std::vector<TensorView> &inputs, const TensorView &labels) {
  std::lock_guard<std::mutex> lock(state_);
  return trainer().step(inputs, labels);
}

std::vector<std::pair<std::string, double>>
Model::profileTrainStep(const std::map<std::string, Tensor> &inputs, const Tensor &labels,
                        float *loss) {
  std::lock_guard<std::mutex> lock(state_);
  return trainer().profileStep(inputs, labels, loss);
}

std::map<std::string, Tensor> Model::gradients() const {
  std::lock_guard<std::mutex> lock(state_);
  return trainer_ ? trainer_->gradients() : std::map<std::string, Tensor>{};
}

float Model::learningRate() const {
  std::lock_guard<std::mutex> lock(state_);
  return trainer_ ? trainer_->learningRate() : library_->learningRate();
}

void Model::setLearningRate(float lr) {
  std::lock_guard<std::mutex> lock(state_);
  trainer().setLearningRate(lr);
}

void Model::setCommunicator(std::shared_ptr<Communicator> communicator) {
  std::lock_guard<std::mutex> lock(state_);
  trainer().setCommunicator(std::move(communicator));
}

void Model::setSeed(uint64_t seed) {
  std::lock_guard<std::mutex> lock(state_);
  trainer().setSeed(seed);
}

uint64_t Model::seed() const {
  std::lock_guard<std::mutex> lock(state_);
  return trainer_ ? trainer_->seed() : 0;
}

int64_t Model::stepIndex() const {
  std::lock_guard<std::mutex> lock(state_);
  return trainer_ ? trainer_->stepIndex() : 0;
}

int64_t Model::optimizerSteps() const {
  std::lock_guard<std::mutex> lock(state_);
  return trainer_ ? trainer_->optimizerSteps() : 0;
}

std::map<std::string, Tensor> Model::parameterValues() const {
  std::lock_guard<std::mutex> lock(state_);
  return trainer_ ? trainer_->parameterValues() : parameters_->values();
}

void Model::loadParameters(const std::string &path) {
  auto set = library_->readParameters(path);
  std::lock_guard<std::mutex> lock(state_);
  if (trainer_)
    trainer_->setParameters(*set);
  parameters_ = std::move(set);
}

void Model::saveCheckpoint(const std::string &path) {
  if (!trainable())
    throw Error(library_->path() + ": checkpoints need a library compiled with cnnc --train");
  std::lock_guard<std::mutex> lock(state_);
  trainer().saveCheckpoint(path);
}

void Model::loadCheckpoint(const std::string &path) {
  if (!trainable())
    throw Error(library_->path() + ": checkpoints need a library compiled with cnnc --train");
  std::lock_guard<std::mutex> lock(state_);
  trainer().loadCheckpoint(path);
}

void Model::saveParameters(const std::string &path) const {
  std::lock_guard<std::mutex> lock(state_);
  if (trainer_)
    trainer_->saveParameters(path);
  else
    parameters_->save(path);
}

} // namespace cnnrt
