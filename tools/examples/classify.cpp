//===- classify.cpp - the runtime API in 40 lines ---------------------------===//
//
//   cnnc-example-classify MODEL.so IMAGE.safetensors
//
// Loads a compiled classifier, lists its signature, runs one input and
// prints the predicted class with its softmax probability.
//
//===----------------------------------------------------------------------===//

#include "cnnrt/Model.h"
#include "cnnrt/Safetensors.h"

#include <cmath>
#include <cstdio>

int main(int argc, char **argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s MODEL.so IMAGE.safetensors\n", argv[0]);
    return 1;
  }
  try {
    auto model = cnnrt::Model::load(argv[1]);
    std::printf("model %s for %s\n", model->name().c_str(), model->target().c_str());
    for (const auto &in : model->inputs())
      std::printf("  input  %s %s\n", in.name.c_str(), cnnrt::Tensor(in.shape).shapeString().c_str());
    for (const auto &out : model->outputs())
      std::printf("  output %s %s\n", out.name.c_str(), cnnrt::Tensor(out.shape).shapeString().c_str());

    auto tensors = cnnrt::readSafetensors(argv[2]);
    const std::string &inputName = model->inputs()[0].name;
    auto found = tensors.find(inputName);
    if (found == tensors.end())
      throw cnnrt::Error(std::string(argv[2]) + ": has no tensor '" + inputName +
                         "' (input of " + argv[1] + ")");
    std::map<std::string, cnnrt::Tensor> inputs;
    inputs[inputName] = found->second;
    auto outputs = model->forward(inputs);

    const cnnrt::Tensor &logits = outputs[0].second;
    int64_t classes = logits.shape.back(), best = 0;
    const float *z = logits.f32();
    double denom = 0;
    for (int64_t k = 0; k < classes; ++k) {
      denom += std::exp(z[k] - z[0]);
      if (z[k] > z[best])
        best = k;
    }
    std::printf("predicted class %lld (p = %.3f)\n", (long long)best,
                std::exp(z[best] - z[0]) / denom);
  } catch (const std::exception &e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
  return 0;
}
