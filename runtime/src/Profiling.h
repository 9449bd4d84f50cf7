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
#include <memory>
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

/// Times one profiled run's marks. The host's clock where the code runs on
/// the host; a device whose work runs after the host enqueued it times that
/// work itself (CUDA: events recorded on its stream, read after the run).
class ProfileClock {
public:
  virtual ~ProfileClock() = default;
  /// Layer `layer` starts now (in the order of the run's work).
  virtual void mark(int64_t layer) = 0;
  /// The run's marks, once its work has ended.
  virtual ProfileMarks finish() = 0;
};

std::unique_ptr<ProfileClock> makeHostProfileClock();

/// The hook: passes the mark to this thread's clock, if it has one.
void recordProfileMark(int64_t layer);

/// True on a thread inside a ProfileScope.
bool profiling();

/// Gives this thread's marks to `clock` while it lives.
class ProfileScope {
public:
  explicit ProfileScope(ProfileClock &clock);
  ~ProfileScope();
  ProfileScope(const ProfileScope &) = delete;
  ProfileScope &operator=(const ProfileScope &) = delete;
};

} // namespace cnnrt::detail

#endif
