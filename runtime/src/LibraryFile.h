//===- LibraryFile.h - checks a file before dlopen runs it ------*- C++ -*-===//
//
// Internal to libcnnrt.
//
//===----------------------------------------------------------------------===//
#ifndef CNNRT_LIBRARYFILE_H
#define CNNRT_LIBRARYFILE_H

#include <cstdint>
#include <string>

namespace cnnrt::detail {

/// What the ELF check learns from the file before it is loaded.
struct LibraryFile {
  uint64_t metadataBytes = 0; // st_size of cnnc_metadata (its NUL included)
  uint64_t weightsBytes = 0;  // st_size of cnnc_weights, 0 if none
};

/// Checks the file before dlopen runs any of it: an ELF shared object for
/// x86-64 whose loadable segments lie inside the file (a truncated library
/// would fault when touched), which defines cnnc_abi_version and
/// cnnc_metadata, of this runtime's ABI version, with NUL-terminated metadata.
/// Every failure is a cnnrt::Error naming the file.
LibraryFile checkLibraryFile(const std::string &path);

} // namespace cnnrt::detail

#endif
