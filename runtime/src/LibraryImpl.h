//===- LibraryImpl.h - what a loaded library and a parameter set hold -*- C++ -*-===//
//
// Internal to libcnnrt: shared by Library.cpp, Session.cpp, Trainer.cpp.
//
//===----------------------------------------------------------------------===//
#ifndef CNNRT_LIBRARYIMPL_H
#define CNNRT_LIBRARYIMPL_H

#include "cnnrt/Library.h"
#include "cnnrt/Session.h"

#include "Device.h"

#include <string>
#include <vector>

namespace cnnrt {

/// The dlopen'ed file; closed when the last user lets go.
struct SharedObject {
  void *handle = nullptr;
  ~SharedObject();
};

struct Library::Impl {
  uint64_t id = 0; // unique per load in this process
  std::string path, name, metadataText, target, deviceKind;
  std::shared_ptr<SharedObject> object;
  std::shared_ptr<detail::Device> device;
  detail::EntryPoint forward = nullptr, prepare = nullptr, trainStep = nullptr;
  /// The library's profiling hook (a global the compiled code calls per
  /// layer when it is set): set at load to a recorder that only records on
  /// a thread that is profiling.
  void (**profileHook)(int64_t) = nullptr;
  /// cnnc --data-parallel: one replica's step, and the hook through which
  /// its cross-replica sums reach the communicator of the calling thread's
  /// Trainer (set at load, like profileHook).
  detail::EntryPoint trainStepReplicated = nullptr;
  void (**collectiveHook)(float *, int64_t) = nullptr;
  int64_t replicatedArenaBytes = 0;
  bool dataParallel = false; // the metadata lists the replica's step

  std::vector<TensorInfo> inputs, outputs, params;
  std::vector<uint64_t> paramOffsets; // into the embedded blob
  std::vector<std::string> layers;
  std::vector<std::vector<int64_t>> preparedShapes;
  int64_t arenaBytes = 0, prepareArenaBytes = 0, trainArenaBytes = 0;
  const uint8_t *embedded = nullptr; // cnnc_weights, when embedded
  std::string weightsPath;           // the file defaultParameters() reads, if any

  int64_t maxBatch = 1;
  bool runtimeBatch = false;
  /// OpenMP's omp_set_num_threads from the library's own libomp (null if it
  /// has none), and the thread count a run with RunOptions::threads = 0 uses.
  void (*setNumThreads)(int) = nullptr;
  int defaultThreads = 0;

  // Training (--train libraries).
  std::vector<std::string> learnable, runningStats;
  std::vector<std::string> trainLayers; // the training step's profiling marks
  std::vector<size_t> learnableIndex, statIndex; // into params
  float learningRate = 0;
  int stateSlots = 1; // optimizer state buffers per learnable parameter
  std::string optimizer = "sgd"; // sgd, adam or adamw
  /// The learning-rate schedule, stepped once per optimizer step.
  struct LrSchedule {
    std::string type = "constant"; // constant, step, cosine or linear
    int64_t stepSize = 1, tMax = 1, totalIters = 5;
    double gamma = 0.1, etaMin = 0, startFactor = 1.0 / 3, endFactor = 1.0;
  } lrSchedule;
  int64_t classes = 0;

  /// "<path>: " + message.
  Error error(const std::string &message) const { return Error(path + ": " + message); }
  InvalidArgument invalid(const std::string &message) const {
    return InvalidArgument(path + ": " + message);
  }
};

struct ParameterSet::Impl {
  std::shared_ptr<detail::Device> device;
  /// Host values, one pointer per parameter (into `owned` or the embedded
  /// blob, which `object` keeps mapped).
  std::vector<const float *> host;
  std::vector<float> owned;
  std::shared_ptr<SharedObject> object;
  /// What entry points get: the values on the device (the host pointers on
  /// the CPU) and the prepared layouts.
  std::vector<detail::DeviceBuffer> deviceValues, prepared;
  std::vector<void *> paramArgs, preparedArgs;
};

namespace detail {
int64_t numElements(const std::vector<int64_t> &shape);
std::string shapeString(const std::vector<int64_t> &shape);
inline size_t floatBytes(const std::vector<int64_t> &shape) {
  return size_t(numElements(shape)) * sizeof(float);
}
/// The given inputs in signature order, checked against the signature
/// (names, dtypes, shapes; one batch B for all); sets `batch` to B.
std::vector<const TensorView *> orderInputs(const Library::Impl &lib,
                                            const std::vector<TensorView> &given, int64_t &batch);
/// Appends each input's device address to `args`: the caller's memory where
/// the device reads host memory and `batch` is the compiled one, else a copy
/// in `staging` (full-batch buffers, made on first need).
void stageInputs(const Library::Impl &lib, const std::vector<const TensorView *> &ins,
                 int64_t batch, std::vector<DeviceBuffer> &staging, std::vector<void *> &args);
/// Views of host tensors, in place.
std::vector<TensorView> viewsOf(const std::map<std::string, Tensor> &tensors);
/// Sets the calling thread's OpenMP thread count for a run.
void applyThreads(const Library::Impl &lib, int threads);
} // namespace detail

} // namespace cnnrt

#endif // CNNRT_LIBRARYIMPL_H
