//===- Safetensors.h - safetensors reader and writer -----------*- C++ -*-===//
//
// The tensor-file format of the spec (section 2). The reader validates the
// whole header before handing out any data: offsets inside the file, no
// overlaps, sizes that agree with shape x dtype. It never reads past the end.
//
//===----------------------------------------------------------------------===//
#ifndef CNNRT_SAFETENSORS_H
#define CNNRT_SAFETENSORS_H

#include "cnnrt/Tensor.h"

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace cnnrt {

/// One entry of a safetensors header.
struct TensorEntry {
  std::string name;
  std::string dtype; // as written: "F32", "I64", "BF16", ...
  std::vector<int64_t> shape;
  uint64_t begin = 0, end = 0; // byte offsets into the data section
};

/// A validated, memory-mapped safetensors file.
class SafetensorsFile {
public:
  /// Opens and validates `path`; throws cnnrt::Error naming the file.
  static std::shared_ptr<SafetensorsFile> open(const std::string &path);
  ~SafetensorsFile();

  const std::string &path() const { return path_; }
  const std::vector<TensorEntry> &entries() const { return entries_; }
  const TensorEntry *find(const std::string &name) const;
  /// The header's "__metadata__" (string to string; other values skipped).
  const std::map<std::string, std::string> &metadata() const { return metadata_; }
  /// Pointer to the entry's bytes (valid while this object lives).
  const uint8_t *data(const TensorEntry &e) const { return dataStart_ + e.begin; }
  /// Copies an entry into a Tensor; the dtype must be F32, I32 or I64.
  Tensor read(const TensorEntry &e) const;

private:
  SafetensorsFile() = default;
  std::string path_;
  std::vector<TensorEntry> entries_;
  std::map<std::string, size_t> index_;
  std::map<std::string, std::string> metadata_;
  void *map_ = nullptr;
  size_t mapSize_ = 0;
  const uint8_t *dataStart_ = nullptr;
};

/// Size in bytes of a safetensors dtype string, or 0 if unknown.
size_t safetensorsDtypeSize(const std::string &dtype);

/// Writes tensors (in the given order) to `path`; throws cnnrt::Error.
/// Writes `tensors` in order; `metadata` becomes the header's "__metadata__".
void writeSafetensors(const std::string &path,
                      const std::vector<std::pair<std::string, const Tensor *>> &tensors,
                      const std::map<std::string, std::string> &metadata = {});

/// Reads every F32/I32/I64 tensor of a file.
std::map<std::string, Tensor> readSafetensors(const std::string &path);

} // namespace cnnrt

#endif // CNNRT_SAFETENSORS_H
