//===- Tensor.cpp - host tensors -------------------------------------------===//
#include "cnnrt/Tensor.h"

namespace cnnrt {

const char *dtypeName(DType t) {
  switch (t) {
  case DType::F32: return "F32";
  case DType::I32: return "I32";
  case DType::I64: return "I64";
  }
  return "?";
}

size_t dtypeSize(DType t) { return t == DType::I64 ? 8 : 4; }

Tensor::Tensor(std::vector<int64_t> s, DType t) : dtype(t), shape(std::move(s)) {
  bytes.resize(static_cast<size_t>(numElements()) * dtypeSize(t));
}

int64_t Tensor::numElements() const {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

std::string Tensor::shapeString() const {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i)
    s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

} // namespace cnnrt
