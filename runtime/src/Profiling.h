//===- Profiling.h - per-layer marks of a profiled run -----------*- C++ -*-===//
//
// Internal to libcnnrt. A compiled library calls its profiling hook at each
// layer boundary, on the thread that runs it. The hook is set once at load
// and records only on a thread inside Session::profile, so profiles and
// ordinary runs of one library proceed concurrently.
//
//===----------------------------------------------------------------------===//
#ifndef CNNRT_PROFILING_H
#define CNNRT_PROFILING_H

#include <chrono>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace cnnrt::detail {

using ProfileMarks = std::vector<std::pair<int64_t, std::chrono::steady_clock::time_point>>;

/// Per-layer milliseconds from a run's marks: a mark starts an interval of
/// its layer (`names[id]`), the next mark ends it; a layer's intervals add
/// up, in first-seen order.
std::vector<std::pair<std::string, double>> layerTimes(const ProfileMarks &marks,
                                                       const std::vector<std::string> &names);

/// The hook: appends (layer, now) to this thread's marks, if it has any.
void recordProfileMark(int64_t layer);

/// Records this thread's marks into `marks` while it lives.
class ProfileScope {
public:
  explicit ProfileScope(ProfileMarks &marks);
  ~ProfileScope();
  ProfileScope(const ProfileScope &) = delete;
  ProfileScope &operator=(const ProfileScope &) = delete;
};

} // namespace cnnrt::detail

#endif
