//===- cnnc-run.cpp - run a cnnc-compiled model -----------------------------===//
//
//   cnnc-run MODEL.so --inputs IN.safetensors [--outputs OUT.safetensors]
//            [--device=cpu|cuda] [--weights=W.safetensors] [--bench=N] [--profile]
//            [--profile-runs=N]
//   cnnc-run MODEL.so --train-step [--steps=K] --inputs BATCH.safetensors
//            [--outputs OUT.safetensors] [--seed=N] [--resume=CKPT] [--save-checkpoint=CKPT]
//            [--profile[=FILE.json]] (the last of the K steps, per op)
//   mpirun -np P cnnc-run MODEL.so --train-step --data-parallel --inputs BATCH.safetensors ...
//
// With --data-parallel (a library from cnnc --train --data-parallel), each
// of the P processes takes its P-th of the batch's rows (in rank order) and
// the steps train on the whole batch together; process 0 writes the outputs.
//
// A small client of libcnnrt; it links neither LLVM nor MLIR.
//
//===----------------------------------------------------------------------===//

#include "cnnrt/Model.h"
#include "cnnrt/MpiCommunicator.h"
#include "cnnrt/Safetensors.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <map>
#include <numeric>
#include <string>

namespace {

struct Args {
  std::string model, inputs, outputs, weights, device; // device: default = the model's
  std::string resume, saveCheckpoint; // --train-step: checkpoint to start from / to write
  std::string profileJson;            // --profile=FILE.json: also write the profile there
  int bench = 0;
  int profileRuns = 1; // --profile-runs=N: each layer's fastest of N profiled runs
  bool profile = false, trainStep = false, dataParallel = false;
  long steps = 1, seed = 0;
};

[[noreturn]] void usage(const std::string &msg) {
  std::cerr << "cnnc-run: error: " << msg << "\n"
            << "usage: cnnc-run MODEL.so --inputs IN.safetensors [--outputs OUT.safetensors]\n"
               "                [--device=cpu|cuda] [--weights=W.safetensors] [--bench=N] "
               "[--profile[=FILE.json]]\n"
               "                [--profile-runs=N]\n"
               "       cnnc-run MODEL.so --train-step [--steps=K] --inputs BATCH.safetensors\n"
               "                [--outputs OUT.safetensors] [--seed=N] [--resume=CKPT]\n"
               "                [--save-checkpoint=CKPT] [--data-parallel (under mpirun)]\n"
               "                [--profile[=FILE.json]] (the last step, per op)\n";
  std::exit(1);
}

long parseInt(const std::string &flag, const std::string &v, long min) {
  char *end = nullptr;
  long r = std::strtol(v.c_str(), &end, 10);
  if (v.empty() || *end || r < min)
    usage(flag + " needs an integer >= " + std::to_string(min) + ", got '" + v + "'");
  return r;
}

Args parseArgs(int argc, char **argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    std::string s = argv[i];
    auto value = [&](const std::string &flag) -> std::string {
      if (s.rfind(flag + "=", 0) == 0)
        return s.substr(flag.size() + 1);
      if (i + 1 >= argc)
        usage(flag + " needs a value");
      return argv[++i];
    };
    auto is = [&](const std::string &flag) {
      return s == flag || s.rfind(flag + "=", 0) == 0;
    };
    if (is("--inputs")) a.inputs = value("--inputs");
    else if (is("--outputs")) a.outputs = value("--outputs");
    else if (is("--weights")) a.weights = value("--weights");
    else if (is("--device")) a.device = value("--device");
    else if (is("--bench")) a.bench = (int)parseInt("--bench", value("--bench"), 1);
    else if (is("--profile-runs"))
      a.profileRuns = (int)parseInt("--profile-runs", value("--profile-runs"), 1);
    else if (is("--steps")) a.steps = parseInt("--steps", value("--steps"), 1);
    else if (is("--seed")) a.seed = parseInt("--seed", value("--seed"), 0);
    else if (is("--resume")) a.resume = value("--resume");
    else if (is("--save-checkpoint")) a.saveCheckpoint = value("--save-checkpoint");
    else if (s == "--profile") a.profile = true;
    else if (s.rfind("--profile=", 0) == 0) {
      a.profile = true;
      a.profileJson = s.substr(10);
      if (a.profileJson.empty())
        usage("--profile=FILE.json needs a file name");
    }
    else if (s == "--train-step") a.trainStep = true;
    else if (s == "--data-parallel") a.dataParallel = true;
    else if (s == "-h" || s == "--help") usage("help requested");
    else if (!s.empty() && s[0] == '-') usage("unknown option '" + s + "'");
    else if (a.model.empty()) a.model = s;
    else usage("unexpected argument '" + s + "'");
  }
  if (a.model.empty())
    usage("no MODEL.so given");
  if (a.inputs.empty())
    usage("--inputs IN.safetensors is required");
  if ((!a.resume.empty() || !a.saveCheckpoint.empty()) && !a.trainStep)
    usage("--resume and --save-checkpoint go with --train-step");
  if (a.dataParallel && !a.trainStep)
    usage("--data-parallel goes with --train-step");
  if (a.profileRuns > 1 && (!a.profile || a.trainStep))
    usage("--profile-runs goes with --profile of a forward pass (not --train-step)");
  if (!a.device.empty() && a.device != "cpu" && a.device != "cuda")
    usage("--device must be cpu or cuda, got '" + a.device + "'");
  return a;
}

void printSummary(const std::string &name, const cnnrt::Tensor &t) {
  std::printf("%s: shape %s\n", name.c_str(), t.shapeString().c_str());
  const float *d = t.f32();
  if (t.shape.size() == 2) {
    int64_t n = t.shape[0], k = t.shape[1];
    for (int64_t b = 0; b < n; ++b) {
      std::vector<int64_t> idx(k);
      std::iota(idx.begin(), idx.end(), 0);
      int64_t top = std::min<int64_t>(5, k);
      std::partial_sort(idx.begin(), idx.begin() + top, idx.end(),
                        [&](int64_t x, int64_t y) { return d[b * k + x] > d[b * k + y]; });
      std::printf("  [%lld] top-%lld:", (long long)b, (long long)top);
      for (int64_t j = 0; j < top; ++j)
        std::printf("  class %lld (%.4f)", (long long)idx[j], d[b * k + idx[j]]);
      std::printf("\n");
    }
  } else {
    int64_t n = t.numElements();
    double sum = 0;
    float mn = n ? d[0] : 0, mx = n ? d[0] : 0;
    for (int64_t i = 0; i < n; ++i) {
      sum += d[i];
      mn = std::min(mn, d[i]);
      mx = std::max(mx, d[i]);
    }
    std::printf("  min %.6g  max %.6g  mean %.6g\n", mn, mx, n ? sum / n : 0.0);
  }
}

/// --profile=FILE.json: the per-layer times as `cnnc --report=html --profile`
/// reads them (docs/report.md).
void writeProfileJson(const std::string &path, const cnnrt::Model &model,
                      const std::vector<std::pair<std::string, double>> &layers, double totalMs,
                      bool trainStep) {
  std::ofstream out(path);
  if (!out)
    throw cnnrt::Error(path + ": cannot write the profile");
  auto quoted = [](const std::string &s) {
    std::string q = "\"";
    for (char c : s) {
      if (c == '"' || c == '\\')
        q += '\\';
      if (static_cast<unsigned char>(c) < 0x20)
        continue;
      q += c;
    }
    return q + "\"";
  };
  char num[64];
  std::snprintf(num, sizeof num, "%.6f", totalMs);
  out << "{\"format\": \"cnnc-profile\", \"version\": 1, \"model\": " << quoted(model.name())
      << ", \"device\": " << quoted(model.onGpu() ? "cuda" : "cpu")
      << ", \"run\": " << quoted(trainStep ? "train_step" : "forward")
      << ", \"total_ms\": " << num << ", \"layers\": [";
  for (size_t i = 0; i < layers.size(); ++i) {
    std::snprintf(num, sizeof num, "%.6f", layers[i].second);
    out << (i ? ", " : "") << "{\"name\": " << quoted(layers[i].first) << ", \"ms\": " << num
        << "}";
  }
  out << "]}\n";
  if (!out)
    throw cnnrt::Error(path + ": write failed");
}

/// --profile: the table (and the JSON file); a training step's ops are also
/// summed by op ("node op" labels).
void printProfile(const cnnrt::Model &model,
                  const std::vector<std::pair<std::string, double>> &layers, const Args &args,
                  const char *what) {
  double total = 0;
  for (const auto &l : layers)
    total += l.second;
  std::printf("profile: %zu %s, %.3f ms in all\n", layers.size(), what, total);
  std::printf("  %-40s %10s %7s\n", "layer", "ms", "share");
  for (const auto &l : layers)
    std::printf("  %-40s %10.3f %6.1f%%\n", l.first.c_str(), l.second,
                total > 0 ? 100.0 * l.second / total : 0.0);
  if (args.trainStep) {
    std::map<std::string, std::pair<int, double>> byOp;
    for (const auto &l : layers) {
      auto &row = byOp[l.first.substr(l.first.rfind(' ') + 1)];
      ++row.first;
      row.second += l.second;
    }
    std::vector<std::pair<std::string, std::pair<int, double>>> rows(byOp.begin(), byOp.end());
    std::sort(rows.begin(), rows.end(), [](const auto &a, const auto &b) {
      return a.second.second != b.second.second ? a.second.second > b.second.second
                                                : a.first < b.first;
    });
    std::printf("by op:\n  %-40s %5s %10s %7s\n", "op", "count", "ms", "share");
    for (const auto &[op, row] : rows)
      std::printf("  %-40s %5d %10.3f %6.1f%%\n", op.c_str(), row.first, row.second,
                  total > 0 ? 100.0 * row.second / total : 0.0);
  }
  if (!args.profileJson.empty())
    writeProfileJson(args.profileJson, model, layers, total, args.trainStep);
}

/// Rows [first, first + count) of `t` (the file's tensor `name`).
cnnrt::Tensor rowsOf(const std::string &file, const std::string &name, const cnnrt::Tensor &t,
                     int64_t first, int64_t count) {
  if (t.shape.empty() || t.shape[0] < first + count)
    throw cnnrt::Error(file + ": tensor '" + name + "' " + t.shapeString() + " has fewer than " +
                       std::to_string(first + count) + " rows");
  cnnrt::Tensor r = t;
  r.shape[0] = count;
  size_t rowBytes = t.bytes.size() / size_t(t.shape[0]);
  r.bytes.assign(t.bytes.begin() + long(first * rowBytes),
                 t.bytes.begin() + long((first + count) * rowBytes));
  return r;
}

/// --train-step: K steps on one batch; writes loss, grad.<name>, param.<name>.
int trainSteps(cnnrt::Model &model, const Args &args,
               const std::map<std::string, cnnrt::Tensor> &inputs,
               const cnnrt::SafetensorsFile &file) {
  if (!model.trainable())
    throw cnnrt::Error(args.model + ": --train-step needs a library compiled with cnnc --train");
  const cnnrt::TensorEntry *e = file.find("labels");
  if (!e)
    throw cnnrt::Error(args.inputs + ": has no tensor 'labels' (class indices [N], I32 or I64)");
  cnnrt::Tensor labels = file.read(*e);
  // A checkpoint brings its own seed and step counters; otherwise dropout's
  // masks are reproducible per --seed.
  if (!args.resume.empty())
    model.loadCheckpoint(args.resume);
  else
    model.setSeed(uint64_t(args.seed));
  // Data-parallel: this process's share of the rows, and the replicas' sums.
  std::map<std::string, cnnrt::Tensor> shareInputs;
  cnnrt::Tensor shareLabels;
  const auto *stepInputs = &inputs;
  const cnnrt::Tensor *stepLabels = &labels;
  bool writer = true; // this process writes outputs and checkpoints
  if (args.dataParallel) {
    auto world = cnnrt::MpiCommunicator::world();
    int64_t rows = labels.shape.empty() ? 0 : labels.shape[0];
    if (rows % world->size() != 0)
      throw cnnrt::Error(args.inputs + ": --data-parallel splits the batch's " +
                         std::to_string(rows) + " rows over " + std::to_string(world->size()) +
                         " processes: make it a multiple");
    int64_t share = rows / world->size(), first = share * world->rank();
    for (const auto &[name, t] : inputs)
      shareInputs.emplace(name, rowsOf(args.inputs, name, t, first, share));
    shareLabels = rowsOf(args.inputs, "labels", labels, first, share);
    stepInputs = &shareInputs;
    stepLabels = &shareLabels;
    model.setCommunicator(world);
    writer = world->rank() == 0;
  }
  float loss = 0;
  for (long k = 0; k + (args.profile ? 1 : 0) < args.steps; ++k)
    loss = model.trainStep(*stepInputs, *stepLabels);
  if (args.profile) // the last step, timed per op (the ones before warm up)
    printProfile(model, model.profileTrainStep(*stepInputs, *stepLabels, &loss), args,
                 "ops of the step");
  if (!writer)
    return 0;
  if (!args.saveCheckpoint.empty())
    model.saveCheckpoint(args.saveCheckpoint);
  cnnrt::Tensor lossT({1});
  lossT.f32()[0] = loss;
  auto grads = model.gradients();
  auto params = model.parameterValues();
  std::vector<std::pair<std::string, const cnnrt::Tensor *>> entries = {{"loss", &lossT}};
  for (auto &[name, t] : grads)
    entries.push_back({"grad." + name, &t});
  for (auto &[name, t] : params)
    entries.push_back({"param." + name, &t});
  if (!args.outputs.empty()) {
    cnnrt::writeSafetensors(args.outputs, entries);
  } else {
    std::printf("loss after %ld step(s): %.6f\n", args.steps, loss);
  }
  return 0;
}

} // namespace

int main(int argc, char **argv) {
  Args args = parseArgs(argc, argv);
  // This process runs one model: pin libomp's threads to cores (an unpinned
  // pool measured up to 2x slower on small, shared VMs). A user's setting wins.
  setenv("OMP_PROC_BIND", "close", 0);
  try {
    cnnrt::LoadOptions options;
    options.weightsPath = args.weights;
    auto model = cnnrt::Model::load(args.model, options);
    if (args.device == "cuda" && !model->onGpu())
      throw cnnrt::Error(args.model + ": --device=cuda needs a model compiled with "
                                      "-target=nvptx; this one is for " + model->target());
    if (args.device == "cpu" && model->onGpu())
      throw cnnrt::Error(args.model + ": --device=cpu needs a model compiled for x86_64; this "
                                      "one is for " + model->target());
    std::map<std::string, cnnrt::Tensor> inputs;
    auto file = cnnrt::SafetensorsFile::open(args.inputs);
    for (const auto &in : model->inputs()) {
      const cnnrt::TensorEntry *e = file->find(in.name);
      if (!e)
        throw cnnrt::Error(args.inputs + ": has no tensor '" + in.name + "' (input of " +
                           args.model + ")");
      inputs.emplace(in.name, file->read(*e));
    }
    if (args.trainStep)
      return trainSteps(*model, args, inputs, *file);
    auto outputs = model->forward(inputs);
    if (args.bench > 0) {
      for (int i = 0; i < 3; ++i)
        model->forward(inputs);
      std::vector<double> ms;
      for (int i = 0; i < args.bench; ++i) {
        auto t0 = std::chrono::steady_clock::now();
        model->forward(inputs);
        auto t1 = std::chrono::steady_clock::now();
        ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
      }
      std::sort(ms.begin(), ms.end());
      std::printf("bench: %d runs  min %.3f ms  median %.3f ms  max %.3f ms\n", args.bench,
                  ms.front(), ms[ms.size() / 2], ms.back());
    }
    if (args.profile) {
      model->forward(inputs); // warm-up
      // A neighbour's burst slows one layer of one run; its fastest run does not see it.
      auto layers = model->profile(inputs);
      for (int run = 1; run < args.profileRuns; ++run) {
        auto again = model->profile(inputs);
        for (size_t i = 0; i < layers.size() && i < again.size(); ++i)
          if (layers[i].first == again[i].first)
            layers[i].second = std::min(layers[i].second, again[i].second);
      }
      printProfile(*model, layers, args, "layers");
    }
    if (!args.outputs.empty()) {
      std::vector<std::pair<std::string, const cnnrt::Tensor *>> entries;
      for (const auto &o : outputs)
        entries.push_back({o.first, &o.second});
      cnnrt::writeSafetensors(args.outputs, entries);
    } else if (args.bench == 0 && !args.profile) {
      for (const auto &o : outputs)
        printSummary(o.first, o.second);
    }
  } catch (const std::exception &e) {
    std::cerr << "cnnc-run: error: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
