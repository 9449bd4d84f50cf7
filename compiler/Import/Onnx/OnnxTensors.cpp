//===- OnnxTensors.cpp - TensorProto data, inline or external -------------===//

#include "Import/Onnx/OnnxGraph.h"

#include <charconv>
#include <climits>
#include <cstdlib>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>

namespace cnnc::onnx_import {

namespace {

struct TypeInfo {
  int onnxType;
  const char *onnxName;
  const char *dtype; // safetensors spelling
  size_t size;
};

const TypeInfo kTypes[] = {
    {onnx::TensorProto::FLOAT, "FLOAT", "F32", 4},
    {onnx::TensorProto::UINT8, "UINT8", "U8", 1},
    {onnx::TensorProto::INT8, "INT8", "I8", 1},
    {onnx::TensorProto::UINT16, "UINT16", "U16", 2},
    {onnx::TensorProto::INT16, "INT16", "I16", 2},
    {onnx::TensorProto::INT32, "INT32", "I32", 4},
    {onnx::TensorProto::INT64, "INT64", "I64", 8},
    {onnx::TensorProto::BOOL, "BOOL", "BOOL", 1},
    {onnx::TensorProto::FLOAT16, "FLOAT16", "F16", 2},
    {onnx::TensorProto::DOUBLE, "DOUBLE", "F64", 8},
    {onnx::TensorProto::UINT32, "UINT32", "U32", 4},
    {onnx::TensorProto::UINT64, "UINT64", "U64", 8},
    {onnx::TensorProto::BFLOAT16, "BFLOAT16", "BF16", 2},
};

const TypeInfo *typeInfo(int dataType) {
  for (const auto &t : kTypes)
    if (t.onnxType == dataType)
      return &t;
  return nullptr;
}

/// Copies a repeated field into `owned` as elements of `size` bytes.
template <typename Field>
const void *ownCopy(const Field &field, size_t size,
                    std::vector<std::unique_ptr<std::vector<uint8_t>>> &owned) {
  auto buf = std::make_unique<std::vector<uint8_t>>(field.size() * size);
  for (int i = 0; i < field.size(); ++i) {
    auto v = field.Get(i);
    // Narrowing to the element size keeps the low bytes (little-endian).
    std::memcpy(buf->data() + i * size, &v, size);
  }
  owned.push_back(std::move(buf));
  return owned.back()->data();
}

} // namespace

std::string onnxTypeName(int dataType) {
  const TypeInfo *t = typeInfo(dataType);
  return t ? t->onnxName : "type " + std::to_string(dataType);
}

std::string decodeTensor(const onnx::TensorProto &t, const std::string &modelDir,
                         std::vector<std::unique_ptr<std::vector<uint8_t>>> &owned,
                         DecodedTensor &out) {
  const TypeInfo *type = typeInfo(t.data_type());
  if (!type)
    return "has data type " + onnxTypeName(t.data_type()) + ", which cnnc does not read";
  out.dtype = type->dtype;
  out.shape.assign(t.dims().begin(), t.dims().end());
  uint64_t count = 1;
  for (int64_t d : out.shape) {
    if (d < 0 || d > (int64_t(1) << 40))
      return "has a dimension of " + std::to_string(d);
    if (__builtin_mul_overflow(count, (uint64_t)d, &count) || count > (uint64_t(1) << 40))
      return "has more than 2^40 elements";
  }
  uint64_t bytes = count * type->size;

  if (t.data_location() == onnx::TensorProto::EXTERNAL) {
    std::string location;
    int64_t offset = 0, length = -1;
    for (const auto &kv : t.external_data()) {
      try {
        if (kv.key() == "location")
          location = kv.value();
        else if (kv.key() == "offset")
          offset = std::stoll(kv.value());
        else if (kv.key() == "length")
          length = std::stoll(kv.value());
      } catch (const std::exception &) {
        return "has external data with a bad " + kv.key() + " '" + kv.value() + "'";
      }
    }
    if (location.empty())
      return "has external data but no location";
    namespace fs = std::filesystem;
    fs::path file = fs::path(location).is_absolute() ? fs::path(location)
                                                      : fs::path(modelDir) / location;
    std::error_code ec;
    if (!fs::is_regular_file(file, ec))
      return "keeps its data in external file '" + location + "', which is missing (looked for " +
             file.string() + ")";
    if (length < 0)
      length = (int64_t)bytes;
    if (offset < 0 || (uint64_t)length != bytes)
      return "has external data of " + std::to_string(length) + " bytes at offset " +
             std::to_string(offset) + "; its shape needs " + std::to_string(bytes);
    uint64_t fileSize = fs::file_size(file, ec);
    if (ec || (uint64_t)offset + bytes > fileSize)
      return "has external data past the end of '" + location + "' (" +
             std::to_string(fileSize) + " bytes)";
    auto buf = std::make_unique<std::vector<uint8_t>>(bytes);
    std::ifstream in(file, std::ios::binary);
    in.seekg(offset);
    in.read(reinterpret_cast<char *>(buf->data()), (std::streamsize)bytes);
    if (!in)
      return "cannot read its external data from '" + location + "'";
    owned.push_back(std::move(buf));
    out.data = owned.back()->data();
    out.bytes = bytes;
    return "";
  }

  if (t.has_raw_data()) {
    if (t.raw_data().size() != bytes)
      return "holds " + std::to_string(t.raw_data().size()) + " bytes; its shape of " +
             type->onnxName + " needs " + std::to_string(bytes);
    out.data = t.raw_data().data();
    out.bytes = bytes;
    return "";
  }
  // Typed fields, as the ONNX spec assigns them to data types.
  int64_t have = 0;
  switch (t.data_type()) {
  case onnx::TensorProto::FLOAT:
    have = t.float_data_size();
    out.data = t.float_data().data();
    break;
  case onnx::TensorProto::INT64:
    have = t.int64_data_size();
    out.data = t.int64_data().data();
    break;
  case onnx::TensorProto::DOUBLE:
    have = t.double_data_size();
    out.data = t.double_data().data();
    break;
  case onnx::TensorProto::UINT32:
  case onnx::TensorProto::UINT64:
    have = t.uint64_data_size();
    if (have == (int64_t)count)
      out.data = ownCopy(t.uint64_data(), type->size, owned);
    break;
  default: // INT32, INT16, INT8, UINT16, UINT8, BOOL, FLOAT16, BFLOAT16
    have = t.int32_data_size();
    if (have == (int64_t)count)
      out.data = ownCopy(t.int32_data(), type->size, owned);
    break;
  }
  if (have != (int64_t)count)
    return "holds " + std::to_string(have) + " values; its shape needs " + std::to_string(count);
  out.bytes = bytes;
  if (count == 0)
    out.data = nullptr;
  return "";
}

std::string shapeText(const std::vector<int64_t> &shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i)
    s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

std::optional<int64_t> elementCount(const std::vector<int64_t> &shape, size_t from) {
  int64_t count = 1;
  for (size_t i = from; i < shape.size(); ++i)
    if (shape[i] < 0 || __builtin_mul_overflow(count, shape[i], &count) ||
        count > (int64_t(1) << 40))
      return std::nullopt;
  return count;
}

double decimalOf(float f) {
  char buf[32];
  auto r = std::to_chars(buf, buf + sizeof buf, f);
  return std::strtod(std::string(buf, r.ptr).c_str(), nullptr);
}

std::optional<int64_t> toInt64(double v) {
  // 2^63 is exactly representable; every double below it converts.
  if (!std::isfinite(v) || v >= 9223372036854775808.0 || v < -9223372036854775808.0)
    return std::nullopt;
  return (int64_t)v;
}

std::vector<int64_t> ConstTensor::asInts() const {
  if (isInt)
    return ints;
  std::vector<int64_t> v;
  for (double x : reals)
    v.push_back(toInt64(x).value_or(x < 0 ? INT64_MIN : INT64_MAX));
  return v;
}

ConstTensor ConstTensor::ofInts(std::vector<int64_t> values, std::vector<int64_t> shape) {
  ConstTensor t;
  t.isInt = true;
  t.ints = std::move(values);
  t.shape = std::move(shape);
  return t;
}

ConstTensor ConstTensor::ofReals(std::vector<double> values, std::vector<int64_t> shape) {
  ConstTensor t;
  t.isInt = false;
  t.reals = std::move(values);
  t.shape = std::move(shape);
  return t;
}

} // namespace cnnc::onnx_import
