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
#include <utility>
#include <vector>

namespace cnnrt::detail {

using ProfileMarks = std::vector<std::pair<int64_t, std::chrono::steady_clock::time_point>>;

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
