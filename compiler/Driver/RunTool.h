//===- RunTool.h - run another program of the toolchain ---------*- C++ -*-===//
#ifndef CNNC_DRIVER_RUNTOOL_H
#define CNNC_DRIVER_RUNTOOL_H

#include <string>
#include <vector>

namespace cnnc {

/// Runs `program` with `args`; returns its exit status, its stdout in `out`
/// (if given). Its stdout and stderr go to `scratch`.stdout / .stderr; the
/// stderr is printed when it fails.
int runTool(const std::string &program, const std::vector<std::string> &args, std::string *out,
            const std::string &scratch);

/// The path of cnnc itself (the running executable).
std::string cnncExecutable();

} // namespace cnnc

#endif
