//===- Tensor.h - host tensors ---------------------------------*- C++ -*-===//
#ifndef CNNRT_TENSOR_H
#define CNNRT_TENSOR_H

#include <cstdint>
#include <string>
#include <vector>

namespace cnnrt {

enum class DType { F32, I32, I64 };

const char *dtypeName(DType t);
size_t dtypeSize(DType t);

/// A dense, row-major host tensor that owns its bytes.
struct Tensor {
  DType dtype = DType::F32;
  std::vector<int64_t> shape;
  std::vector<uint8_t> bytes;

  Tensor() = default;
  Tensor(std::vector<int64_t> shape, DType dtype = DType::F32);

  int64_t numElements() const;
  float *f32() { return reinterpret_cast<float *>(bytes.data()); }
  const float *f32() const { return reinterpret_cast<const float *>(bytes.data()); }
  std::string shapeString() const;
};

/// A caller's dense, row-major host tensor, read in place.
struct TensorView {
  std::string name;
  DType dtype = DType::F32;
  std::vector<int64_t> shape;
  const void *data = nullptr;
};

/// A caller's dense, row-major host buffer that a run writes in place.
struct MutableTensorView {
  std::string name;
  DType dtype = DType::F32;
  std::vector<int64_t> shape;
  void *data = nullptr;
};

} // namespace cnnrt

#endif // CNNRT_TENSOR_H
