//===- Safetensors.cpp - safetensors reader and writer ---------------------===//
#include "cnnrt/Safetensors.h"
#include "cnnrt/Error.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace cnnrt {

namespace {
[[noreturn]] void fail(const std::string &path, const std::string &msg) {
  throw Error(path + ": " + msg);
}

/// Multiplies with overflow detection (sizes come from untrusted headers).
bool mulOverflows(uint64_t a, uint64_t b, uint64_t &out) {
  return __builtin_mul_overflow(a, b, &out);
}

constexpr int kMaxJsonDepth = 64;

/// Thrown by the parser callback to stop at the first level too deep (the
/// parser itself would go on through the whole nesting).
struct TooDeep {};

/// `text` with bytes that are not printable ASCII written as \xNN: parser
/// messages quote what they last read, which may be binary or not UTF-8.
std::string printable(const std::string &text) {
  static const char *hex = "0123456789abcdef";
  std::string out;
  for (unsigned char c : text) {
    if (c >= 0x20 && c < 0x7f) {
      out.push_back(static_cast<char>(c));
    } else {
      out += "\\x";
      out.push_back(hex[c >> 4]);
      out.push_back(hex[c & 15]);
    }
  }
  return out;
}
} // namespace

size_t safetensorsDtypeSize(const std::string &d) {
  if (d == "F64" || d == "I64" || d == "U64")
    return 8;
  if (d == "F32" || d == "I32" || d == "U32")
    return 4;
  if (d == "F16" || d == "BF16" || d == "I16" || d == "U16")
    return 2;
  if (d == "I8" || d == "U8" || d == "BOOL" || d == "F8_E4M3" || d == "F8_E5M2")
    return 1;
  return 0;
}

std::shared_ptr<SafetensorsFile> SafetensorsFile::open(const std::string &path) {
  int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0)
    fail(path, std::string("cannot open: ") + std::strerror(errno));
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    fail(path, std::string("not a regular file") +
                   (S_ISDIR(st.st_mode) ? " (a directory)" : ""));
  }
  uint64_t fileSize = static_cast<uint64_t>(st.st_size);
  std::shared_ptr<SafetensorsFile> f(new SafetensorsFile());
  f->path_ = path;
  if (fileSize < 8) {
    ::close(fd);
    fail(path, "not a safetensors file: shorter than its 8-byte header length");
  }
  void *map = mmap(nullptr, fileSize, PROT_READ, MAP_PRIVATE, fd, 0);
  ::close(fd);
  if (map == MAP_FAILED)
    fail(path, std::string("cannot map: ") + std::strerror(errno));
  f->map_ = map;
  f->mapSize_ = fileSize;
  const uint8_t *bytes = static_cast<const uint8_t *>(map);

  uint64_t headerLen = 0;
  for (int i = 7; i >= 0; --i)
    headerLen = (headerLen << 8) | bytes[i];
  if (headerLen > fileSize - 8)
    fail(path, "header length " + std::to_string(headerLen) + " is longer than the file (" +
                   std::to_string(fileSize) + " bytes), which leaves " +
                   std::to_string(fileSize - 8) + " bytes after the 8-byte length");
  const char *hdr = reinterpret_cast<const char *>(bytes + 8);
  f->dataStart_ = bytes + 8 + headerLen;
  uint64_t dataSize = fileSize - 8 - headerLen;

  nlohmann::json header;
  try {
    header = nlohmann::json::parse(
        hdr, hdr + headerLen,
        [&](int depth, nlohmann::json::parse_event_t, nlohmann::json &) {
          if (depth > kMaxJsonDepth)
            throw TooDeep();
          return true;
        });
  } catch (const TooDeep &) {
    fail(path, "header JSON is nested more than " + std::to_string(kMaxJsonDepth) +
                   " levels deep");
  } catch (const nlohmann::json::exception &e) {
    // Drop nlohmann's "[json.exception.parse_error.101] " tag.
    std::string what = e.what();
    if (!what.empty() && what[0] == '[' && what.find("] ") != std::string::npos)
      what = what.substr(what.find("] ") + 2);
    fail(path, "header is not valid JSON: " + printable(what));
  }
  if (!header.is_object())
    fail(path, "header is not a JSON object");

  for (auto it = header.begin(); it != header.end(); ++it) {
    if (it.key() == "__metadata__") {
      if (it.value().is_object())
        for (auto m = it.value().begin(); m != it.value().end(); ++m)
          if (m.value().is_string())
            f->metadata_[m.key()] = m.value().get<std::string>();
      continue;
    }
    const std::string &name = it.key();
    const nlohmann::json &v = it.value();
    auto bad = [&](const std::string &msg) { fail(path, "tensor '" + name + "': " + msg); };
    if (!v.is_object() || !v.contains("dtype") || !v.contains("shape") ||
        !v.contains("data_offsets"))
      bad("entry needs dtype, shape and data_offsets");
    TensorEntry e;
    e.name = name;
    if (!v["dtype"].is_string())
      bad("dtype is not a string");
    e.dtype = v["dtype"].get<std::string>();
    size_t elemSize = safetensorsDtypeSize(e.dtype);
    if (elemSize == 0)
      bad("unknown dtype '" + e.dtype + "'");
    if (!v["shape"].is_array())
      bad("shape is not an array");
    uint64_t numel = 1;
    for (const auto &d : v["shape"]) {
      if (!d.is_number_integer() || d.get<int64_t>() < 0)
        bad("shape entries must be non-negative integers");
      int64_t dim = d.get<int64_t>();
      if (mulOverflows(numel, static_cast<uint64_t>(dim), numel))
        bad("shape's element count overflows");
      e.shape.push_back(dim);
    }
    const auto &off = v["data_offsets"];
    if (!off.is_array() || off.size() != 2 || !off[0].is_number_unsigned() ||
        !off[1].is_number_unsigned())
      bad("data_offsets must be two non-negative integers");
    e.begin = off[0].get<uint64_t>();
    e.end = off[1].get<uint64_t>();
    if (e.begin > e.end || e.end > dataSize)
      bad("data_offsets [" + std::to_string(e.begin) + ", " + std::to_string(e.end) +
          "] are out of range (data section is " + std::to_string(dataSize) + " bytes)");
    uint64_t expected;
    if (mulOverflows(numel, elemSize, expected) || expected != e.end - e.begin)
      bad("holds " + std::to_string(e.end - e.begin) + " bytes but shape x dtype needs " +
          std::to_string(numel) + " x " + std::to_string(elemSize));
    f->index_[name] = f->entries_.size();
    f->entries_.push_back(std::move(e));
  }
  // Overlapping tensors would alias: refuse them.
  std::vector<const TensorEntry *> sorted;
  for (const auto &e : f->entries_)
    if (e.end > e.begin)
      sorted.push_back(&e);
  std::sort(sorted.begin(), sorted.end(),
            [](const TensorEntry *a, const TensorEntry *b) { return a->begin < b->begin; });
  for (size_t i = 1; i < sorted.size(); ++i)
    if (sorted[i]->begin < sorted[i - 1]->end)
      fail(path, "tensors '" + sorted[i - 1]->name + "' and '" + sorted[i]->name +
                     "' overlap");
  return f;
}

SafetensorsFile::~SafetensorsFile() {
  if (map_)
    munmap(map_, mapSize_);
}

const TensorEntry *SafetensorsFile::find(const std::string &name) const {
  auto it = index_.find(name);
  return it == index_.end() ? nullptr : &entries_[it->second];
}

Tensor SafetensorsFile::read(const TensorEntry &e) const {
  DType t;
  if (e.dtype == "F32")
    t = DType::F32;
  else if (e.dtype == "I32")
    t = DType::I32;
  else if (e.dtype == "I64")
    t = DType::I64;
  else
    throw Error(path_ + ": tensor '" + e.name + "' has dtype " + e.dtype +
                "; version 1 reads F32 (and I32/I64 labels)");
  Tensor out(e.shape, t);
  if (!out.bytes.empty())
    std::memcpy(out.bytes.data(), data(e), out.bytes.size());
  return out;
}

std::map<std::string, Tensor> readSafetensors(const std::string &path) {
  auto f = SafetensorsFile::open(path);
  std::map<std::string, Tensor> out;
  for (const auto &e : f->entries())
    out.emplace(e.name, f->read(e));
  return out;
}

void writeSafetensors(const std::string &path,
                      const std::vector<std::pair<std::string, const Tensor *>> &tensors,
                      const std::map<std::string, std::string> &metadata) {
  nlohmann::ordered_json header = nlohmann::ordered_json::object();
  if (!metadata.empty())
    header["__metadata__"] = metadata;
  uint64_t offset = 0;
  for (const auto &[name, t] : tensors) {
    header[name] = {{"dtype", dtypeName(t->dtype)},
                    {"shape", t->shape},
                    {"data_offsets", {offset, offset + t->bytes.size()}}};
    offset += t->bytes.size();
  }
  std::string text = header.dump();
  // Pad the header so the data section starts 8-byte aligned.
  while ((8 + text.size()) % 8 != 0)
    text.push_back(' ');
  std::ofstream out(path, std::ios::binary);
  if (!out)
    throw Error(path + ": cannot write: " + std::strerror(errno));
  uint64_t len = text.size();
  char lenBytes[8];
  for (int i = 0; i < 8; ++i)
    lenBytes[i] = static_cast<char>((len >> (8 * i)) & 0xff);
  out.write(lenBytes, 8);
  out.write(text.data(), text.size());
  for (const auto &[name, t] : tensors)
    out.write(reinterpret_cast<const char *>(t->bytes.data()), t->bytes.size());
  if (!out)
    throw Error(path + ": write failed");
}

} // namespace cnnrt
