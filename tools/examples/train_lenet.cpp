//===- train_lenet.cpp - train a compiled model on Fashion-MNIST -----------===//
//
//   cnnc-example-train MODEL.so [--data DIR] [--epochs E] [--limit N] [--seed S]
//                      [--log FILE.csv|FILE.json] [--checkpoint FILE] [--resume FILE]
//                      [--data-parallel]
//   mpirun -np P cnnc-example-train MODEL.so --data-parallel ...
//
// With --data-parallel (MODEL.so from cnnc --train --data-parallel --batch=B)
// the P processes train on batches of P x B images, each on its B rows;
// process 0 prints, tests, logs and writes checkpoints.
//
// MODEL.so is a classifier of 1x28x28 images compiled with `cnnc --train
// --batch=B`. Reads the idx.gz files of Debian's dataset-fashion-mnist,
// scales pixels to [0, 1], shuffles each epoch, runs SGD steps with a
// progress bar (loss, images/s), and prints loss, test accuracy (with the
// library's forward entry point) and speed per epoch, optionally as a CSV
// or JSON-lines log (tools/examples/plot_training_log.py draws it), saving
// a checkpoint after each epoch and resuming from one.
//
//===----------------------------------------------------------------------===//

#include "cnnrt/Model.h"
#include "cnnrt/MpiCommunicator.h"

#include <zlib.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <numeric>
#include <random>
#include <string>
#include <vector>

namespace {

std::vector<uint8_t> readGz(const std::string &path) {
  gzFile f = gzopen(path.c_str(), "rb");
  if (!f)
    throw cnnrt::Error(path + ": cannot open");
  std::vector<uint8_t> data;
  uint8_t buf[1 << 16];
  int n;
  while ((n = gzread(f, buf, sizeof buf)) > 0)
    data.insert(data.end(), buf, buf + n);
  gzclose(f);
  if (n < 0)
    throw cnnrt::Error(path + ": not a valid gzip file");
  return data;
}

uint32_t be32(const uint8_t *p) { return (p[0] << 24) | (p[1] << 16) | (p[2] << 8) | p[3]; }

struct Dataset {
  std::vector<float> images; // N x 784, in [0, 1]
  std::vector<int64_t> labels;
  size_t size() const { return labels.size(); }
};

Dataset load(const std::string &dir, const std::string &prefix) {
  auto img = readGz(dir + "/" + prefix + "-images-idx3-ubyte.gz");
  auto lab = readGz(dir + "/" + prefix + "-labels-idx1-ubyte.gz");
  if (img.size() < 16 || be32(img.data()) != 2051 || lab.size() < 8 || be32(lab.data()) != 2049)
    throw cnnrt::Error(dir + ": not Fashion-MNIST idx files (" + prefix + ")");
  size_t n = be32(img.data() + 4), rows = be32(img.data() + 8), cols = be32(img.data() + 12);
  if (rows != 28 || cols != 28 || img.size() != 16 + n * 784 || lab.size() != 8 + n)
    throw cnnrt::Error(dir + ": unexpected idx sizes (" + prefix + ")");
  Dataset d;
  d.images.resize(n * 784);
  for (size_t i = 0; i < n * 784; ++i)
    d.images[i] = img[16 + i] / 255.0f;
  d.labels.assign(lab.begin() + 8, lab.end());
  return d;
}

int64_t argmax(const float *v, int64_t k) {
  return std::max_element(v, v + k) - v;
}

/// Correct test predictions with the forward entry point, the last batch padded.
size_t testCorrect(cnnrt::Model &net, const Dataset &test, cnnrt::Tensor &x,
                    const std::string &input, int64_t batch, int64_t classes) {
  size_t correct = 0;
  for (size_t start = 0; start < test.size(); start += size_t(batch)) {
    size_t count = std::min(size_t(batch), test.size() - start);
    std::fill(x.f32(), x.f32() + x.numElements(), 0.0f);
    std::memcpy(x.f32(), &test.images[start * 784], count * 784 * sizeof(float));
    auto out = net.forward({{input, x}});
    const float *logits = out[0].second.f32();
    for (size_t b = 0; b < count; ++b)
      correct += argmax(logits + b * classes, classes) == test.labels[start + b];
  }
  return correct;
}

/// One row per epoch, as CSV or JSON lines (by the file's extension).
class TrainingLog {
public:
  explicit TrainingLog(const std::string &path, bool append) : path_(path) {
    json_ = path.size() >= 5 && (path.rfind(".json") == path.size() - 5 ||
                                 path.rfind(".jsonl") == path.size() - 6);
    if (path.empty())
      return;
    bool fresh = !append || !std::ifstream(path).good();
    out_.open(path, append ? std::ios::app : std::ios::trunc);
    if (!out_)
      throw cnnrt::Error(path + ": cannot write the training log");
    if (fresh && !json_)
      out_ << "epoch,loss,test_accuracy,seconds,images_per_second,learning_rate\n";
  }
  void add(int epoch, double loss, double accuracy, double secs, double imagesPerSec,
           double lr) {
    if (path_.empty())
      return;
    char line[256];
    if (json_)
      std::snprintf(line, sizeof line,
                    "{\"epoch\": %d, \"loss\": %.6f, \"test_accuracy\": %.2f, \"seconds\": %.3f, "
                    "\"images_per_second\": %.1f, \"learning_rate\": %.6g}\n",
                    epoch, loss, accuracy, secs, imagesPerSec, lr);
    else
      std::snprintf(line, sizeof line, "%d,%.6f,%.2f,%.3f,%.1f,%.6g\n", epoch, loss, accuracy,
                    secs, imagesPerSec, lr);
    out_ << line;
    out_.flush();
  }

private:
  std::string path_;
  bool json_ = false;
  std::ofstream out_;
};

} // namespace

int main(int argc, char **argv) {
  std::string model, data = "/usr/share/datasets/fashion-mnist", logPath, checkpoint, resume;
  int epochs = 10;
  size_t limit = 0;
  unsigned seed = 0;
  bool dataParallel = false;
  const char *usage = "usage: %s MODEL.so [--data DIR] [--epochs E] [--limit N] [--seed S]\n"
                      "          [--log FILE.csv|FILE.json] [--checkpoint FILE] [--resume FILE]\n"
                      "          [--data-parallel (under mpirun)]\n";
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "error: %s needs a value\n", a.c_str());
        std::exit(1);
      }
      return argv[++i];
    };
    if (a == "--data") data = next();
    else if (a == "--epochs") epochs = std::atoi(next().c_str());
    else if (a == "--limit") limit = std::strtoul(next().c_str(), nullptr, 10);
    else if (a == "--seed") seed = std::strtoul(next().c_str(), nullptr, 10);
    else if (a == "--log") logPath = next();
    else if (a == "--checkpoint") checkpoint = next();
    else if (a == "--resume") resume = next();
    else if (a == "--data-parallel") dataParallel = true;
    else if (model.empty() && !a.empty() && a[0] != '-') model = a;
    else {
      std::fprintf(stderr, usage, argv[0]);
      return 1;
    }
  }
  try {
    auto net = cnnrt::Model::load(model);
    if (!net->trainable())
      throw cnnrt::Error(model + ": compile it with cnnc --train");
    const auto &in = net->inputs().at(0);
    int64_t batch = in.shape[0], classes = net->outputs().at(0).shape.at(1);
    if (in.shape != std::vector<int64_t>{batch, 1, 28, 28})
      throw cnnrt::Error(model + ": expects an input [B, 1, 28, 28]");
    // Data-parallel: replica `rank` of `replicas` takes rows [rank * batch,
    // (rank + 1) * batch) of every combined batch of replicas * batch.
    int rank = 0, replicas = 1;
    if (dataParallel) {
      auto world = cnnrt::MpiCommunicator::world();
      rank = world->rank();
      replicas = world->size();
      net->setCommunicator(world);
    }
    bool leader = rank == 0; // prints, tests, logs, writes checkpoints
    size_t combined = size_t(batch) * size_t(replicas);
    Dataset train = load(data, "train"), test = load(data, "t10k");
    size_t n = limit ? std::min(limit, train.size()) : train.size();
    size_t steps = n / combined;
    if (steps == 0)
      throw cnnrt::Error("fewer training images (" + std::to_string(n) + ") than one batch (" +
                         std::to_string(combined) + ")");
    // A checkpoint holds whole epochs: training goes on after the last one.
    int firstEpoch = 1;
    if (!resume.empty()) {
      net->loadCheckpoint(resume);
      if (dataParallel) // every replica from the checkpoint's state
        net->setCommunicator(cnnrt::MpiCommunicator::world());
      firstEpoch = int(net->optimizerSteps() / int64_t(steps)) + 1;
    }
    if (leader)
      std::printf("training %s (%s) on %zu Fashion-MNIST images, batch %zu%s, lr %.3g, "
                  "%d epochs\n",
                  net->name().c_str(), net->target().c_str(), steps * combined, combined,
                  replicas > 1 ? (" (" + std::to_string(replicas) + " processes x " +
                                  std::to_string(batch) + ")").c_str()
                               : "",
                  net->learningRate(), epochs);
    if (firstEpoch > 1 && leader)
      std::printf("resuming from %s after epoch %d\n", resume.c_str(), firstEpoch - 1);
    std::vector<size_t> order(train.size());
    std::iota(order.begin(), order.end(), 0);
    std::mt19937 rng(seed);
    // The shuffles of the epochs a checkpoint covers, replayed: a resumed
    // run sees the batches an uninterrupted one would.
    for (int e = 1; e < firstEpoch; ++e)
      std::shuffle(order.begin(), order.begin() + n, rng);
    cnnrt::Tensor x({batch, 1, 28, 28}), labels({batch}, cnnrt::DType::I64);
    auto *lab = reinterpret_cast<int64_t *>(labels.bytes.data());
    TrainingLog log(leader ? logPath : std::string(), /*append=*/firstEpoch > 1);
    double totalSeconds = 0, accuracy = 0;
    size_t correct = 0;
    for (int e = firstEpoch; e <= epochs; ++e) {
      std::shuffle(order.begin(), order.begin() + n, rng);
      double lossSum = 0;
      auto t0 = std::chrono::steady_clock::now();
      for (size_t s = 0; s < steps; ++s) {
        for (int64_t b = 0; b < batch; ++b) {
          size_t i = order[s * combined + size_t(rank * batch + b)];
          std::memcpy(x.f32() + b * 784, &train.images[i * 784], 784 * sizeof(float));
          lab[b] = train.labels[i];
        }
        // Views, not a map of Tensors: no copy of the batch per step.
        lossSum += net->trainStep(
            std::vector<cnnrt::TensorView>{{in.name, cnnrt::DType::F32, x.shape, x.bytes.data()}},
            cnnrt::TensorView{"labels", cnnrt::DType::I64, labels.shape, labels.bytes.data()});
        if (leader && (s % 8 == 0 || s + 1 == steps)) {
          int width = 30, done = int(width * (s + 1) / steps);
          double elapsed =
              std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
          std::fprintf(stderr, "\repoch %2d [%s%s] %3zu%% loss %.4f, %.0f images/s", e,
                       std::string(done, '=').c_str(), std::string(width - done, ' ').c_str(),
                       100 * (s + 1) / steps, lossSum / double(s + 1),
                       elapsed > 0 ? double((s + 1) * combined) / elapsed : 0.0);
        }
      }
      double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      totalSeconds += secs;
      if (!leader)
        continue;
      std::fprintf(stderr, "\n");
      correct = testCorrect(*net, test, x, in.name, batch, classes);
      accuracy = 100.0 * double(correct) / double(test.size());
      double imagesPerSec = double(steps * combined) / secs;
      std::printf("epoch %2d: loss %.4f, test accuracy %.2f%%, %.2f s (%.0f images/s)\n", e,
                  lossSum / double(steps), accuracy, secs, imagesPerSec);
      log.add(e, lossSum / double(steps), accuracy, secs, imagesPerSec, net->learningRate());
      if (!checkpoint.empty())
        net->saveCheckpoint(checkpoint);
    }
    if (!leader)
      return 0;
    if (firstEpoch > epochs) {
      correct = testCorrect(*net, test, x, in.name, batch, classes);
      accuracy = 100.0 * double(correct) / double(test.size());
    }
    int trained = std::max(0, epochs - firstEpoch + 1);
    std::printf("test accuracy: %.2f%% (%zu / %zu); %.2f s per epoch\n", accuracy, correct,
                test.size(),
                trained ? totalSeconds / trained : 0.0);
  } catch (const std::exception &e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
  return 0;
}
