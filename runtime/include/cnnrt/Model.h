//===- Model.h - load and run a cnnc-compiled model -------------*- C++ -*-===//
//
//   auto model = cnnrt::Model::load("resnet18.so");
//   for (auto &in : model->inputs()) ... in.name, in.shape
//   cnnrt::Tensor image({1, 3, 224, 224});
//   auto outputs = model->forward({{"image", image}});
//
// Every failure is a cnnrt::Error with a message naming the file (and
// tensor); nothing aborts the process.
//
//===----------------------------------------------------------------------===//
#ifndef CNNRT_MODEL_H
#define CNNRT_MODEL_H

#include "cnnrt/Error.h"
#include "cnnrt/Tensor.h"

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace cnnrt {

/// The ABI version this runtime reads (cnnc_abi_version in the library).
inline constexpr uint32_t kAbiVersion = 1;

struct TensorInfo {
  std::string name;
  std::vector<int64_t> shape;
};

struct LoadOptions {
  /// Parameters for a library compiled with --weights=external; default:
  /// "<library>.weights.safetensors" beside it. With an embedded library,
  /// a file given here replaces the embedded values.
  std::string weightsPath;
};

class Model {
public:
  static std::unique_ptr<Model> load(const std::string &path, const LoadOptions &options = {});
  ~Model();
  Model(const Model &) = delete;
  Model &operator=(const Model &) = delete;

  const std::string &path() const { return path_; }
  const std::string &name() const { return name_; }
  const std::vector<TensorInfo> &inputs() const { return inputs_; }
  const std::vector<TensorInfo> &outputs() const { return outputs_; }
  const std::vector<TensorInfo> &parameters() const { return params_; }
  /// Library metadata: versions, target, arena size (JSON text).
  const std::string &metadata() const { return metadataText_; }
  int64_t arenaBytes() const { return arenaBytes_; }
  std::string target() const { return target_; }
  /// True for -target=nvptx libraries: buffers live on the GPU, and
  /// forward() copies inputs and outputs across.
  bool onGpu() const { return gpu_; }

  /// Runs the forward graph. Inputs are matched by name; their shapes and
  /// dtypes must equal the compiled signature. Returns outputs by name, in
  /// the model's order.
  std::vector<std::pair<std::string, Tensor>>
  forward(const std::map<std::string, Tensor> &inputs);

  /// Runs the forward graph once with per-layer timing: (layer name, ms) in
  /// the order the layers first run. Layers are the model's nodes as
  /// compiled, one entry per node: a node fused into another reports ~0,
  /// and the group's time goes to the node that owns it (a conv whose
  /// epilogue runs in its register tile gets the tile's time).
  std::vector<std::pair<std::string, double>>
  profile(const std::map<std::string, Tensor> &inputs);

  /// Training (libraries compiled with --train): one SGD step on a batch.
  /// `labels` are class indices [N] (I32 or I64) in [0, classes). Returns
  /// the mean loss; parameters, momentum buffers and batchnorm running
  /// statistics are updated in place.
  bool trainable() const { return trainFn_ != nullptr; }
  float trainStep(const std::map<std::string, Tensor> &inputs, const Tensor &labels);
  /// Gradients of the last step's loss (before weight decay/momentum), by name.
  std::map<std::string, Tensor> gradients() const;
  float learningRate() const { return learningRate_; }
  void setLearningRate(float lr);
  /// Dropout's masks in a training step are a hash of (seed, step index,
  /// node, element): a run is reproducible for a given seed. The seed is 0
  /// at load; setSeed also restarts the step index at 0. Each trainStep
  /// uses the current step index, then increments it.
  void setSeed(uint64_t seed);
  uint64_t seed() const { return seed_; }
  int64_t stepIndex() const { return stepIndex_; }

  /// Copies of the parameters, by name.
  std::map<std::string, Tensor> parameterValues() const;
  /// Replaces parameters from a safetensors file (names and shapes must match).
  void loadParameters(const std::string &path);
  void saveParameters(const std::string &path) const;

private:
  Model() = default;
  void bindParameters(const std::string &weightsPath, bool required);
  /// Runs cnnc_prepare: parameter layouts computed once per parameter set.
  void prepareParameters();

  std::string path_, name_, metadataText_, target_;
  void *handle_ = nullptr;
  void (*forwardFn_)(void **) = nullptr;
  std::vector<TensorInfo> inputs_, outputs_, params_;
  std::vector<std::string> layers_;
  void (**profileHook_)(int64_t) = nullptr;
  std::vector<uint64_t> paramOffsets_;
  const uint8_t *embedded_ = nullptr;
  uint64_t blobBytes_ = 0;
  std::vector<float, std::allocator<float>> ownedParams_; // when loaded from a file
  std::vector<const float *> paramPtrs_;
  int64_t arenaBytes_ = 0;
  void *arena_ = nullptr;
  void (*prepareFn_)(void **) = nullptr;
  bool preparedStale_ = false;

  // Training state.
  void (*trainFn_)(void **) = nullptr;
  std::vector<std::string> learnable_, runningStats_;
  std::vector<size_t> learnableIndex_, statIndex_; // into params_
  std::vector<std::vector<float>> momentum_, grads_;
  float learningRate_ = 0;
  uint64_t seed_ = 0;     // cnnc_train_step's rng argument is {seed_, stepIndex_}
  int64_t stepIndex_ = 0;
  int64_t trainArenaBytes_ = 0;
  void *trainArena_ = nullptr;
  void makeParametersWritable();
  std::vector<std::vector<int64_t>> preparedShapes_;
  std::vector<std::vector<float>> prepared_;
  int64_t prepareArenaBytes_ = 0;

  // nvptx models: device copies of everything the kernels touch.
  struct DeviceBuffers;
  bool gpu_ = false;
  std::unique_ptr<DeviceBuffers> device_;
  /// Host parameters are older than the device's after a GPU training step.
  bool hostParamsStale_ = false;
  void setUpDevice();
  void uploadParameters();
  void downloadParameters();
  void prepareOnDevice();
  void checkLaunches(const char *what);
  /// `batch`: the inputs, checked, in signature order.
  float trainStepOnGpu(const std::vector<const Tensor *> &batch,
                       const std::vector<int64_t> &labels);
  std::map<std::string, Tensor> gradientsOnGpu() const;
};

} // namespace cnnrt

#endif // CNNRT_MODEL_H
