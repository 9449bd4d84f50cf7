//===- stress.cpp - one loaded model, many threads, every output checked ---===//
//
//   cnnrt-stress MODEL.so THREADS CALLS
//
// Loads MODEL.so once. Each thread gets its own input (a different batch
// size when the library allows a run-time batch, different values always)
// and its expected output, computed first on one thread. Then THREADS
// threads run CALLS forward passes each, alternating between the Model's
// shared pool (cnnrt::Model::forward) and a Session of their own over the
// shared Library, and compare every output with their expected one bit for
// bit: a run that read another thread's arena, input or output differs.
// Prints "stress ok: N runs" or the first mismatch, exit 1.
//
//===----------------------------------------------------------------------===//

#include "cnnrt/Model.h"

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <thread>

namespace {

struct Case {
  std::map<std::string, cnnrt::Tensor> inputs;
  std::vector<std::pair<std::string, cnnrt::Tensor>> expected;
};

Case makeCase(const cnnrt::Model &model, int index) {
  const cnnrt::Library &lib = *model.library();
  int64_t batch = lib.runtimeBatch() ? 1 + index % lib.maxBatch() : lib.maxBatch();
  Case c;
  std::mt19937 gen(1234 + index);
  std::normal_distribution<float> dist(0.0f, 1.0f);
  for (const auto &in : lib.inputs()) {
    std::vector<int64_t> shape = in.shape;
    shape[0] = batch;
    cnnrt::Tensor t(shape);
    for (int64_t i = 0; i < t.numElements(); ++i)
      t.f32()[i] = dist(gen);
    c.inputs.emplace(in.name, std::move(t));
  }
  return c;
}

bool same(const std::vector<std::pair<std::string, cnnrt::Tensor>> &a,
          const std::vector<std::pair<std::string, cnnrt::Tensor>> &b) {
  if (a.size() != b.size())
    return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (a[i].first != b[i].first || a[i].second.shape != b[i].second.shape ||
        std::memcmp(a[i].second.bytes.data(), b[i].second.bytes.data(),
                    a[i].second.bytes.size()) != 0)
      return false;
  return true;
}

} // namespace

int main(int argc, char **argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: %s MODEL.so THREADS CALLS\n", argv[0]);
    return 2;
  }
  int threads = std::atoi(argv[2]), calls = std::atoi(argv[3]);
  try {
    auto model = cnnrt::Model::load(argv[1]);
    // One OpenMP thread per call: THREADS callers share the machine, as in a
    // server with one session per core.
    cnnrt::RunOptions options;
    options.threads = 1;
    std::vector<Case> cases;
    for (int t = 0; t < threads; ++t) {
      cases.push_back(makeCase(*model, t));
      cases.back().expected = model->forward(cases.back().inputs, options);
    }
    // Distinct inputs must give distinct outputs, or a swap would go unseen.
    for (int t = 1; t < threads; ++t)
      if (same(cases[t].expected, cases[0].expected)) {
        std::printf("cases 0 and %d have equal outputs; the check would be blind\n", t);
        return 1;
      }
    std::atomic<int> failures{0};
    std::atomic<long> runs{0};
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t)
      pool.emplace_back([&, t] {
        cnnrt::Session own(model->library());
        for (int i = 0; i < calls && failures == 0; ++i) {
          auto got = i % 2 ? own.run(cases[t].inputs, options)
                           : model->forward(cases[t].inputs, options);
          ++runs;
          if (!same(got, cases[t].expected)) {
            if (failures++ == 0)
              std::printf("thread %d call %d: output differs from its single-threaded run\n",
                          t, i);
          }
        }
      });
    for (auto &th : pool)
      th.join();
    if (failures) {
      std::printf("stress FAILED: %d mismatches\n", failures.load());
      return 1;
    }
    std::printf("stress ok: %ld runs on %d threads\n", runs.load(), threads);
  } catch (const std::exception &e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
  return 0;
}
