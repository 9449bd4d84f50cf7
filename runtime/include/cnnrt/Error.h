//===- Error.h - cnnrt error type ------------------------------*- C++ -*-===//
#ifndef CNNRT_ERROR_H
#define CNNRT_ERROR_H

#include <stdexcept>
#include <string>

namespace cnnrt {

/// Every failure the runtime reports: a message naming the file (and tensor or
/// node) involved. Nothing in cnnrt aborts the process on bad input.
class Error : public std::runtime_error {
public:
  explicit Error(const std::string &message) : std::runtime_error(message) {}
};

/// A caller's mistake: a tensor with an unknown name, a wrong shape or
/// dtype, a label out of range, a bad option value. (Python: ValueError.)
class InvalidArgument : public Error {
public:
  explicit InvalidArgument(const std::string &message) : Error(message) {}
};

} // namespace cnnrt

#endif // CNNRT_ERROR_H
