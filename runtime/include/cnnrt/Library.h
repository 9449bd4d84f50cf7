//===- Library.h - a loaded cnnc library, shared by its users ---*- C++ -*-===//
//
//   auto lib = cnnrt::Library::load("resnet18.so");   // once per process
//   cnnrt::Session session(lib);                      // one per thread
//   auto outputs = session.run({{"image", image}});
//
// A Library is the compiled code, its signature and its parameter values as
// loaded; it never changes after load, so any number of threads share one
// (and one copy of the weights). Run state lives in a Session (Session.h),
// training state in a Trainer (Trainer.h). Every failure is a cnnrt::Error
// naming the file (and tensor); nothing aborts the process.
//
//===----------------------------------------------------------------------===//
#ifndef CNNRT_LIBRARY_H
#define CNNRT_LIBRARY_H

#include "cnnrt/Error.h"
#include "cnnrt/Tensor.h"

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace cnnrt {

/// The ABI version this runtime reads (cnnc_abi_version in the library).
inline constexpr uint32_t kAbiVersion = 2;

struct TensorInfo {
  std::string name;
  std::vector<int64_t> shape;
};

struct LoadOptions {
  /// Parameters for a library compiled with --weights=external; default:
  /// "<library>.weights.safetensors" beside it. With an embedded library,
  /// a file given here replaces the embedded values.
  std::string weightsPath;
  /// "cpu" or "cuda" to insist on a device (an error if the library was
  /// compiled for the other); empty: the library's own.
  std::string device;
};

class Library;

/// One set of parameter values, laid out for a library's device (and with
/// the layouts cnnc_prepare derives from them): immutable, shared by every
/// Session that runs with it.
class ParameterSet {
public:
  ~ParameterSet();
  ParameterSet(const ParameterSet &) = delete;
  ParameterSet &operator=(const ParameterSet &) = delete;

  /// The parameters' names and shapes, as the library lists them.
  const std::vector<TensorInfo> &parameters() const { return parameters_; }
  /// True for a set made by (or for) `library`.
  bool madeFor(const Library &library) const;
  /// Copies of the values, by name.
  std::map<std::string, Tensor> values() const;
  void save(const std::string &path) const;

  struct Impl;
  const Impl &impl() const { return *impl_; }

private:
  friend class Library;
  ParameterSet(const Library &owner, std::unique_ptr<Impl> impl);
  uint64_t ownerId_; // Library::Impl::id: a set does not keep its library alive
  std::vector<TensorInfo> parameters_;
  std::unique_ptr<Impl> impl_;
};

class Library {
public:
  static std::shared_ptr<const Library> load(const std::string &path,
                                             const LoadOptions &options = {});
  ~Library();
  Library(const Library &) = delete;
  Library &operator=(const Library &) = delete;

  const std::string &path() const;
  const std::string &name() const;
  /// "x86_64 (znver5)" or "nvptx (sm_90)".
  const std::string &target() const;
  /// "cpu" or "cuda": where buffers live and entry points run.
  const std::string &device() const;
  bool onGpu() const { return device() == "cuda"; }
  /// Library metadata: versions, target, arena sizes (JSON text).
  const std::string &metadata() const;

  /// Inputs and outputs with the compiled shapes (batch = maxBatch()).
  const std::vector<TensorInfo> &inputs() const;
  const std::vector<TensorInfo> &outputs() const;
  const std::vector<TensorInfo> &parameters() const;
  /// The compiled layers, in the order profiles report them.
  const std::vector<std::string> &layers() const;
  /// The forward arena: what each Session allocates.
  int64_t arenaBytes() const;

  /// The compiled batch N. With runtimeBatch(), inputs may carry any batch
  /// B in [1, N] (a run costs what batch N costs); otherwise exactly N.
  int64_t maxBatch() const;
  bool runtimeBatch() const;

  /// The batch of `inputs` after checking them as a run does (names,
  /// dtypes, shapes, one batch for all); throws InvalidArgument.
  int64_t batchOf(const std::vector<TensorView> &inputs) const;
  /// Output shapes for a run at batch `batch`.
  std::vector<TensorInfo> outputsForBatch(int64_t batch) const;

  bool trainable() const;
  /// The learning rate compiled into the training step (a Trainer starts with it).
  float learningRate() const;

  /// The parameter values the library was loaded with (embedded, or from
  /// LoadOptions::weightsPath / the external weights file), made at load.
  std::shared_ptr<const ParameterSet> defaultParameters() const;
  /// Reads a safetensors file holding every parameter (names and shapes
  /// as parameters() lists them).
  std::shared_ptr<const ParameterSet> readParameters(const std::string &path) const;
  /// Parameter values in parameters() order, as dense F32 host arrays.
  std::shared_ptr<const ParameterSet>
  makeParameters(const std::vector<const float *> &values) const;

  struct Impl;
  const Impl &impl() const { return *impl_; }

private:
  Library();
  std::shared_ptr<const ParameterSet> loadDefaultParameters() const;
  std::unique_ptr<Impl> impl_;
  std::shared_ptr<const ParameterSet> defaults_;
};

} // namespace cnnrt

#endif // CNNRT_LIBRARY_H
