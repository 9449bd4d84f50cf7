//===- RunTool.cpp - run another program of the toolchain -----------------===//

#include "Driver/RunTool.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/raw_ostream.h"

#include <optional>

namespace cnnc {

int runTool(const std::string &program, const std::vector<std::string> &args, std::string *out,
            const std::string &scratch) {
  std::vector<llvm::StringRef> argv = {program};
  for (const auto &a : args)
    argv.push_back(a);
  std::string outPath = scratch + ".stdout", errPath = scratch + ".stderr";
  std::optional<llvm::StringRef> redirects[] = {std::nullopt, llvm::StringRef(outPath),
                                                llvm::StringRef(errPath)};
  int rc = llvm::sys::ExecuteAndWait(program, argv, std::nullopt, redirects);
  if (out) {
    auto buf = llvm::MemoryBuffer::getFile(outPath);
    *out = buf ? (*buf)->getBuffer().str() : "";
  }
  if (rc != 0)
    if (auto err = llvm::MemoryBuffer::getFile(errPath))
      llvm::errs() << (*err)->getBuffer();
  return rc;
}

std::string cnncExecutable() {
  return llvm::sys::fs::getMainExecutable("cnnc", (void *)&cnncExecutable);
}

} // namespace cnnc
