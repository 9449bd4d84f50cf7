//===- OnnxReader.h - ONNX model files in the model JSON form ---*- C++ -*-===//
//
// The ONNX front end's reader (spec section 5.1): an ONNX ModelProto becomes
// the same in-memory model the JSON reader produces (the model JSON form,
// validated by describeModel), with the initializers as the parameters'
// values. Shape subgraphs are folded here; every node that cannot be read is
// reported, naming it and its op type.
//
//===----------------------------------------------------------------------===//
#ifndef CNNC_IMPORT_ONNX_ONNXREADER_H
#define CNNC_IMPORT_ONNX_ONNXREADER_H

#include "Import/ModelDescription.h"

#include <memory>
#include <optional>
#include <string>

namespace cnnc {

struct OnnxModel {
  /// The model in the JSON form (spec section 1, and 5.2's ops).
  nlohmann::json root;
  /// The initializers, by name.
  std::shared_ptr<TensorSource> initializers;
  /// The graph outputs' ONNX names, one per entry of root["outputs"].
  std::vector<std::string> outputNames;
};

/// True for a path the ONNX reader takes (".onnx", any case).
bool isOnnxPath(const std::string &path);

/// Reads `path`. Returns nullopt with every problem in `errors`. A symbolic
/// batch dimension becomes `batch` (1 if unset).
std::optional<OnnxModel> readOnnxModel(const std::string &path, std::optional<int64_t> batch,
                                       ErrorList &errors);

} // namespace cnnc

#endif // CNNC_IMPORT_ONNX_ONNXREADER_H
