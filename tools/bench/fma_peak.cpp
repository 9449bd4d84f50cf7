//===- fma_peak.cpp - measured fp32 FMA peak of this CPU ------------------===//
//
// cnnc-fma-peak: the fp32 GFLOP/s this machine's cores reach on FMAs alone
// (no loads, no stores), on one thread and on every core at once, for each
// vector ISA the CPU has: AVX2 (ymm, 8 lanes) and AVX-512 (zmm, 16 lanes).
// It is the "100%" of the "% of peak" that tools/bench/zoo_bench.py reports;
// the AVX2 figure is the peak an AVX2 build (-mcpu=x86-64-v3) is measured
// against, also on an AVX-512 machine.
//
// One FMA per cycle per port needs latency x ports independent accumulators
// to keep the FMA units busy (4 cycles x 2 ports on recent Intel and AMD
// cores); the AVX-512 kernel keeps 24 zmm accumulators, the AVX2 one 12 of
// the 16 ymm registers (2 hold the operands), so that neither the latency nor
// a third port's worth of throughput limits them. Each FMA counts as 2 FLOPs
// per lane.
//
// Plain C++ and pthreads: no LLVM, no MLIR, no OpenMP.
//
//   cnnc-fma-peak [--threads=N] [--ms=M] [--repeats=R]
//
// prints, for 1 thread and for N threads (default: every online CPU), the best
// of R runs of about M ms each:
//   fma-peak: avx2 fp32, 1 thread: 57.60 GFLOP/s (57.60 per thread)
//   fma-peak: avx2 fp32, 2 threads: 115.10 GFLOP/s (57.55 per thread)
//   fma-peak: avx512 fp32, 1 thread: 115.32 GFLOP/s (115.32 per thread)
//   fma-peak: avx512 fp32, 2 threads: 230.10 GFLOP/s (115.05 per thread)
// and, on a CPU with AVX512_BF16, the same for its dot products ("avx512bf16
// bf16 dot"; 4 FLOPs per lane: twice the fp32 figure on Zen 4 and 5, half of
// it on Intel's Emerald Rapids). (--isa=avx2, avx512 or avx512bf16 measures one.)
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

constexpr int kFlopsPerFma = 2;
// FMAs per loop iteration: one per accumulator, unrolled 4 times so the loop
// counter and branch are negligible next to the FMAs.
constexpr int kUnroll = 4;

/// Runs `iterations` x N x kUnroll independent chains of `acc = OP(acc, a,
/// b)` and returns a value that depends on all of them (so none is dead
/// code). The operands (type OPND) are chosen so that the values stay finite
/// forever (an FMA's acc * a + b with a slightly below 1). The empty asm
/// keeps a and b in registers and stops the compiler from treating the loop
/// body as loop-invariant or folding it.
#define CNNC_PEAK_KERNEL(NAME, TARGET, VEC, OPND, N, A, B, SET1, OP, ADD, REDUCE)           \
  __attribute__((target(TARGET), noinline)) float NAME(long iterations, float seed) {      \
    OPND a = A, b = B;                                                                      \
    VEC acc[N];                                                                             \
    for (int i = 0; i < N; ++i)                                                             \
      acc[i] = SET1(seed + float(i));                                                       \
    for (long it = 0; it < iterations; ++it) {                                              \
      asm volatile("" : "+v"(a), "+v"(b));                                                  \
      _Pragma("clang loop unroll(full)") for (int u = 0; u < kUnroll; ++u)                 \
          _Pragma("clang loop unroll(full)") for (int i = 0; i < N; ++i) acc[i] =           \
              OP(acc[i], a, b);                                                             \
    }                                                                                       \
    VEC sum = acc[0];                                                                       \
    for (int i = 1; i < N; ++i)                                                             \
      sum = ADD(sum, acc[i]);                                                               \
    return REDUCE(sum);                                                                     \
  }

__attribute__((target("avx"))) float reduceYmm(__m256 v) {
  alignas(32) float lanes[8];
  _mm256_store_ps(lanes, v);
  float s = 0;
  for (float x : lanes)
    s += x;
  return s;
}

CNNC_PEAK_KERNEL(fmaKernelAvx2, "avx2,fma", __m256, __m256, 12, _mm256_set1_ps(0.999999f),
                 _mm256_set1_ps(1e-7f), _mm256_set1_ps, _mm256_fmadd_ps, _mm256_add_ps,
                 reduceYmm)
CNNC_PEAK_KERNEL(fmaKernelAvx512, "avx512f", __m512, __m512, 24, _mm512_set1_ps(0.999999f),
                 _mm512_set1_ps(1e-7f), _mm512_set1_ps, _mm512_fmadd_ps, _mm512_add_ps,
                 _mm512_reduce_add_ps)
/// AVX512_BF16's dot products (`vdpbf16ps`: each of the 16 f32 lanes adds
/// the products of a pair of bf16s, 4 FLOPs per lane), what cnnc's
/// --precision=bf16 convolutions run on: acc += a . b with b tiny.
CNNC_PEAK_KERNEL(bf16DotKernel, "avx512f,avx512bf16", __m512, __m512bh, 24,
                 (__m512bh)_mm512_set1_epi32(0x3f7f3f7f), (__m512bh)_mm512_set1_epi32(0x33d633d6),
                 _mm512_set1_ps, _mm512_dpbf16_ps, _mm512_add_ps, _mm512_reduce_add_ps)

/// One ISA's kernel: FLOPs per loop iteration = accumulators x unroll x lanes x
/// FLOPs per lane and instruction.
struct Kernel {
  const char *isa, *what;
  float (*run)(long, float);
  double flopsPerIteration;
};
const Kernel kAvx2 = {"avx2", "fp32", fmaKernelAvx2, 12.0 * kUnroll * 8 * kFlopsPerFma};
const Kernel kAvx512 = {"avx512", "fp32", fmaKernelAvx512, 24.0 * kUnroll * 16 * kFlopsPerFma};
const Kernel kBf16 = {"avx512bf16", "bf16 dot", bf16DotKernel, 24.0 * kUnroll * 16 * 4};

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
long calibrate(const Kernel &k, double ms) {
  long iterations = 1 << 12;
  for (;;) {
    double t0 = nowSeconds();
    volatile float sink = k.run(iterations, 1.0f);
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
double runOnce(const Kernel &k, const std::vector<int> &cpus, long iterations) {
  const int n = (int)cpus.size();
  std::atomic<int> ready{0};
  std::atomic<bool> go{false};
  std::vector<double> end(n);
  double start = 0;
  std::vector<std::thread> pool;
  for (int t = 0; t < n; ++t)
    pool.emplace_back([&, t] {
      pinToCpu(cpus[t]);
      k.run(iterations / 64 + 1, 2.0f); // warm the core up to its clock
      ready.fetch_add(1);
      while (!go.load(std::memory_order_acquire)) {
      }
      volatile float sink = k.run(iterations, float(t));
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
  return n * iterations * k.flopsPerIteration / (last - start) / 1e9;
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
  std::string isa; // empty: every ISA the CPU has
  for (int i = 1; i < argc; ++i) {
    const char *a = argv[i];
    if (!std::strcmp(a, "--help") || !std::strcmp(a, "-h")) {
      std::printf("usage: cnnc-fma-peak [--isa=avx2|avx512|avx512bf16] [--threads=N] [--ms=M] "
                  "[--repeats=R]\n"
                  "  fp32 FMA peak of each vector ISA this CPU has (or the one --isa names), and\n"
                  "  AVX512_BF16's dot-product peak where it has that, on\n"
                  "  1 thread and on N threads (default: %zu, the CPUs this process may use),\n"
                  "  best of R runs of about M ms\n",
                  cpus.size());
      return 0;
    }
    if (!std::strncmp(a, "--isa=", 6)) {
      isa = a + 6;
      if (isa != "avx2" && isa != "avx512" && isa != "avx512bf16") {
        std::fprintf(stderr,
                     "cnnc-fma-peak: error: --isa must be avx2, avx512 or avx512bf16, got '%s'\n",
                     isa.c_str());
        return 1;
      }
      continue;
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
  std::vector<const Kernel *> kernels;
  bool avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  bool avx512 = __builtin_cpu_supports("avx512f");
  if (avx2 && (isa.empty() || isa == "avx2"))
    kernels.push_back(&kAvx2);
  if (avx512 && (isa.empty() || isa == "avx512"))
    kernels.push_back(&kAvx512);
  if (avx512 && __builtin_cpu_supports("avx512bf16") && (isa.empty() || isa == "avx512bf16"))
    kernels.push_back(&kBf16);
  if (kernels.empty()) {
    std::fprintf(stderr, "cnnc-fma-peak: error: this CPU has no %s\n",
                 isa.empty() || isa == "avx2" ? "AVX2 with FMA"
                 : isa == "avx512"            ? "AVX-512F"
                                              : "AVX512_BF16");
    return 1;
  }

  pinToCpu(cpus[0]);
  std::vector<int> counts = {1};
  if (threads > 1)
    counts.push_back(threads);
  for (const Kernel *k : kernels) {
    const long iterations = calibrate(*k, ms);
    for (int n : counts) {
      std::vector<int> use;
      for (int t = 0; t < n; ++t)
        use.push_back(cpus[t % cpus.size()]);
      double best = 0;
      for (int r = 0; r < repeats; ++r)
        best = std::max(best, runOnce(*k, use, iterations));
      std::printf("fma-peak: %s %s, %d thread%s: %.2f GFLOP/s (%.2f per thread)\n", k->isa,
                  k->what, n, n == 1 ? "" : "s", best, best / n);
    }
  }
  return 0;
}
