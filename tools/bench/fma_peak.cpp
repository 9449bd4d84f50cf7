//===- fma_peak.cpp - measured fp32 FMA peak of this CPU ------------------===//
//
// cnnc-fma-peak: the fp32 GFLOP/s this machine's cores reach on AVX-512 FMAs
// alone (no loads, no stores), on one thread and on every core at once. It is
// the "100%" of the "% of peak" that tools/bench/zoo_bench.py reports.
//
// One FMA per cycle per port needs latency x ports independent accumulators
// to keep the FMA units busy (4 cycles x 2 ports on recent Intel and AMD
// cores); the kernel keeps 24 zmm accumulators, so that neither the latency
// nor a third port's worth of throughput limits it. Each FMA counts as 2 FLOPs
// per lane, 16 lanes.
//
// Plain C++ and pthreads: no LLVM, no MLIR, no OpenMP.
//
//   cnnc-fma-peak [--threads=N] [--ms=M] [--repeats=R]
//
// prints, for 1 thread and for N threads (default: every online CPU), the best
// of R runs of about M ms each:
//   fma-peak: avx512 fp32, 1 thread: 115.32 GFLOP/s (115.32 per thread)
//   fma-peak: avx512 fp32, 2 threads: 230.10 GFLOP/s (115.05 per thread)
//
//===----------------------------------------------------------------------===//

#include <immintrin.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <pthread.h>
#include <sched.h>
#include <string>
#include <thread>
#include <unistd.h>
#include <vector>

namespace {

constexpr int kAccumulators = 24;
constexpr int kLanes = 16;
constexpr int kFlopsPerFma = 2;
// FMAs per loop iteration: one per accumulator, unrolled 4 times so the loop
// counter and branch are negligible next to the FMAs.
constexpr int kUnroll = 4;
constexpr double kFlopsPerIteration =
    double(kAccumulators) * kUnroll * kLanes * kFlopsPerFma;

/// Runs `iterations` x kAccumulators x kUnroll independent FMA chains and
/// returns a value that depends on all of them (so none is dead code).
/// acc = acc * a + b with a slightly below 1 keeps the values finite forever.
__attribute__((target("avx512f"), noinline)) float fmaKernel(long iterations,
                                                              float seed) {
  __m512 a = _mm512_set1_ps(0.999999f);
  __m512 b = _mm512_set1_ps(1e-7f);
  __m512 acc[kAccumulators];
  for (int i = 0; i < kAccumulators; ++i)
    acc[i] = _mm512_set1_ps(seed + float(i));
  for (long it = 0; it < iterations; ++it) {
    // The empty asm keeps a and b in registers and stops the compiler from
    // treating the loop body as loop-invariant or folding it.
    asm volatile("" : "+v"(a), "+v"(b));
#pragma clang loop unroll(full)
    for (int u = 0; u < kUnroll; ++u)
#pragma clang loop unroll(full)
      for (int i = 0; i < kAccumulators; ++i)
        acc[i] = _mm512_fmadd_ps(acc[i], a, b);
  }
  __m512 sum = acc[0];
  for (int i = 1; i < kAccumulators; ++i)
    sum = _mm512_add_ps(sum, acc[i]);
  return _mm512_reduce_add_ps(sum);
}

double nowSeconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

void pinToCpu(int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  pthread_setaffinity_np(pthread_self(), sizeof(set), &set); // best effort
}

/// Iterations that take about `ms` milliseconds on one core.
long calibrate(double ms) {
  long iterations = 1 << 12;
  for (;;) {
    double t0 = nowSeconds();
    volatile float sink = fmaKernel(iterations, 1.0f);
    (void)sink;
    double dt = nowSeconds() - t0;
    if (dt > 0.02 || iterations > (1L << 40))
      return std::max(1L, long(iterations * (ms / 1e3) / dt));
    iterations *= 4;
  }
}

/// GFLOP/s of `threads` threads, each pinned to its own CPU, each running the
/// kernel for `iterations`: all the threads' FLOPs over the time from the
/// common start to the last one's end.
double runOnce(const std::vector<int> &cpus, long iterations) {
  const int n = (int)cpus.size();
  std::atomic<int> ready{0};
  std::atomic<bool> go{false};
  std::vector<double> end(n);
  double start = 0;
  std::vector<std::thread> pool;
  for (int t = 0; t < n; ++t)
    pool.emplace_back([&, t] {
      pinToCpu(cpus[t]);
      fmaKernel(iterations / 64 + 1, 2.0f); // warm the core up to its clock
      ready.fetch_add(1);
      while (!go.load(std::memory_order_acquire)) {
      }
      volatile float sink = fmaKernel(iterations, float(t));
      (void)sink;
      end[t] = nowSeconds();
    });
  while (ready.load() < n) // this thread shares a CPU with worker 0: let it run
    std::this_thread::yield();
  start = nowSeconds();
  go.store(true, std::memory_order_release);
  for (auto &th : pool)
    th.join();
  double last = *std::max_element(end.begin(), end.end());
  return n * iterations * kFlopsPerIteration / (last - start) / 1e9;
}

int parseArg(const char *arg, const char *name, int fallback) {
  size_t len = std::strlen(name);
  if (std::strncmp(arg, name, len) != 0 || arg[len] != '=')
    return fallback;
  char *end = nullptr;
  long v = std::strtol(arg + len + 1, &end, 10);
  if (!*(arg + len + 1) || *end || v < 1 || v > 1 << 20) {
    std::fprintf(stderr, "cnnc-fma-peak: error: %s needs a positive integer, got '%s'\n", name,
                 arg + len + 1);
    std::exit(1);
  }
  return (int)v;
}

} // namespace

int main(int argc, char **argv) {
  // The CPUs this process may run on (a container may hold fewer than the host has).
  std::vector<int> cpus;
  cpu_set_t allowed;
  if (sched_getaffinity(0, sizeof(allowed), &allowed) == 0) {
    for (int c = 0; c < CPU_SETSIZE; ++c)
      if (CPU_ISSET(c, &allowed))
        cpus.push_back(c);
  }
  if (cpus.empty())
    for (unsigned c = 0; c < std::max(1u, std::thread::hardware_concurrency()); ++c)
      cpus.push_back((int)c);

  int threads = (int)cpus.size(), ms = 300, repeats = 5;
  for (int i = 1; i < argc; ++i) {
    const char *a = argv[i];
    if (!std::strcmp(a, "--help") || !std::strcmp(a, "-h")) {
      std::printf("usage: cnnc-fma-peak [--threads=N] [--ms=M] [--repeats=R]\n"
                  "  fp32 AVX-512 FMA peak on 1 thread and on N threads (default: %zu, the\n"
                  "  CPUs this process may use), best of R runs of about M ms\n",
                  cpus.size());
      return 0;
    }
    int t = parseArg(a, "--threads", -1), m = parseArg(a, "--ms", -1),
        r = parseArg(a, "--repeats", -1);
    if (t > 0)
      threads = t;
    else if (m > 0)
      ms = m;
    else if (r > 0)
      repeats = r;
    else {
      std::fprintf(stderr, "cnnc-fma-peak: error: unknown argument '%s' (see --help)\n", a);
      return 1;
    }
  }
  __builtin_cpu_init();
  if (!__builtin_cpu_supports("avx512f")) {
    std::fprintf(stderr, "cnnc-fma-peak: error: this CPU has no AVX-512F\n");
    return 1;
  }

  pinToCpu(cpus[0]);
  const long iterations = calibrate(ms);
  std::vector<int> counts = {1};
  if (threads > 1)
    counts.push_back(threads);
  for (int n : counts) {
    std::vector<int> use;
    for (int t = 0; t < n; ++t)
      use.push_back(cpus[t % cpus.size()]);
    double best = 0;
    for (int r = 0; r < repeats; ++r)
      best = std::max(best, runOnce(use, iterations));
    std::printf("fma-peak: avx512 fp32, %d thread%s: %.2f GFLOP/s (%.2f per thread)\n", n,
                n == 1 ? "" : "s", best, best / n);
  }
  return 0;
}
