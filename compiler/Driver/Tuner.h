//===- Tuner.h - cnnc --tune: measured conv schedules, cached ---*- C++ -*-===//
#ifndef CNNC_DRIVER_TUNER_H
#define CNNC_DRIVER_TUNER_H

#include "Driver/Compiler.h"

#include <string>

namespace cnnc {

/// Measures alternative conv register blocks for the model `opts` describes
/// (compiling and profiling it once per candidate, within
/// opts.tuneBudgetSeconds) and writes the fastest per conv shape to the
/// tuning cache `cachePath`, merged with what it held for this target.
/// Prints progress on stderr; returns false after printing an error.
bool tuneSchedules(const CompileOptions &opts, const std::string &cachePath);

} // namespace cnnc

#endif
