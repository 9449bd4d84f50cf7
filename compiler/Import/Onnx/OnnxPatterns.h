//===- OnnxPatterns.h - torch's decomposed ops, put back together -*- C++ -*-===//
//
// torch.onnx.export (1.13, opset 13) writes nn.LayerNorm as ReduceMean, Sub,
// Pow, ReduceMean, Add, Sqrt, Div (then Mul and Add by its weight and bias),
// nn.GELU as Div by sqrt(2), Erf, Add 1, Mul by x, Mul by 0.5, and nn.Linear
// over a rank > 2 tensor as MatMul then Add of the bias. Before conversion,
// the reader replaces each such chain by one node (LayerNormalization, Gelu,
// MatMul with the bias as a third input), which the converters read like the
// standard ops of later opsets: one cnnc op each, instead of elementwise
// arithmetic that cnnc does not import.
//
//===----------------------------------------------------------------------===//
#ifndef CNNC_IMPORT_ONNX_ONNXPATTERNS_H
#define CNNC_IMPORT_ONNX_ONNXPATTERNS_H

#include "Import/Onnx/OnnxGraph.h"

namespace cnnc::onnx_import {

/// Rewrites the chains in place; returns how many were fused.
int fuseDecomposedPatterns(onnx::GraphProto &graph, const OnnxGraph &g,
                           const std::string &modelDir);

} // namespace cnnc::onnx_import

#endif // CNNC_IMPORT_ONNX_ONNXPATTERNS_H
