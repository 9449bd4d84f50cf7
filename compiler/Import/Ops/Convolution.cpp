//===- Convolution.cpp - import rules of the convolutions and dense -------===//

#include "Import/OpImportRule.h"

#include "Cnn/CnnDialect.h"

namespace cnnc {

using namespace mlir;

namespace {

std::vector<ParamRole> weightAndBias(const NodeDesc &n) {
  std::vector<ParamRole> roles = {{"weight", ParamInit::FanInUniform}};
  if (n.flag("bias"))
    roles.push_back({"bias", ParamInit::FanInUniform});
  return roles;
}

/// The bias parameter's shape, when the node has one (params[1]).
std::optional<ArrayRef<int64_t>> biasOf(ArrayRef<Shape> params) {
  if (params.size() > 1)
    return ArrayRef<int64_t>(params[1]);
  return std::nullopt;
}

/// conv2d's and conv_transpose2d's attributes, as nn.Conv2d / ConvTranspose2d.
std::vector<AttrSpec> convolutionAttrs(bool transposed) {
  std::vector<AttrSpec> attrs = {
      {"out_channels", AttrKind::Int, true, {}, 0, false, AttrRange::Positive},
      {"kernel", AttrKind::Pair, true, {}, 0, false, AttrRange::Positive},
      {"stride", AttrKind::Pair, false, {1, 1}, 0, false, AttrRange::Positive},
      {"padding", AttrKind::Padding, false, {0, 0, 0, 0}, 0, false, AttrRange::NonNegative},
      {"dilation", AttrKind::Pair, false, {1, 1}, 0, false, AttrRange::Positive},
      {"groups", AttrKind::Int, false, {1}, 0, false, AttrRange::Positive},
      {"bias", AttrKind::Bool, false, {}, 0, true}};
  if (transposed)
    attrs.push_back(
        {"output_padding", AttrKind::Pair, false, {0, 0}, 0, false, AttrRange::NonNegative});
  return attrs;
}

/// The built conv op's stride, padding, dilation and groups.
void appendConvolutionAttrs(const NodeDesc &n, Builder &b, NamedAttrList &attrs) {
  attrs.append("stride", b.getDenseI64ArrayAttr(n.ints("stride")));
  attrs.append("padding", b.getDenseI64ArrayAttr(n.ints("padding")));
  attrs.append("dilation", b.getDenseI64ArrayAttr(n.ints("dilation")));
  attrs.append("groups", b.getI64IntegerAttr(n.integer("groups")));
}

OpImportRule conv2d() {
  OpImportRule r;
  r.name = "conv2d";
  r.dialectOp = cnn::Conv2dOp::getOperationName();
  r.minInputs = r.maxInputs = 1;
  r.attrs = convolutionAttrs(/*transposed=*/false);
  r.params = weightAndBias;
  r.paramShapes = [](const NodeDesc &n, ArrayRef<int64_t> in) {
    int64_t channels = in.size() >= 2 ? in[1] : 0;
    int64_t o = n.integer("out_channels"), g = n.integer("groups");
    auto k = n.ints("kernel");
    std::vector<Shape> shapes = {{o, g > 0 ? channels / g : 0, k[0], k[1]}};
    if (n.flag("bias"))
      shapes.push_back({o});
    return shapes;
  };
  r.inferShape = [](const NodeDesc &n, ArrayRef<Shape> in, ArrayRef<Shape> params) {
    std::optional<ArrayRef<int64_t>> bias = biasOf(params);
    int64_t groups = n.integer("groups");
    if (in[0].size() == 4 && in[0][1] % groups)
      return ShapeOrError::fail("input channels (" + std::to_string(in[0][1]) +
                                ") are not divisible by groups (" + std::to_string(groups) +
                                ")");
    if (n.integer("out_channels") % groups)
      return ShapeOrError::fail("out_channels (" + std::to_string(n.integer("out_channels")) +
                                ") is not divisible by groups (" + std::to_string(groups) +
                                ")");
    return cnn::shape::conv2d(in[0], params[0], bias, n.ints("stride"), n.ints("padding"),
                              n.ints("dilation"), groups);
  };
  r.attributes = [](const NodeDesc &n, ArrayRef<Shape>, Builder &b, NamedAttrList &attrs) {
    appendConvolutionAttrs(n, b, attrs);
  };
  return r;
}

OpImportRule dense() {
  OpImportRule r;
  r.name = "dense";
  r.dialectOp = cnn::DenseOp::getOperationName();
  r.minInputs = r.maxInputs = 1;
  r.attrs = {{"out_features", AttrKind::Int, true, {}, 0, false, AttrRange::Positive},
             {"bias", AttrKind::Bool, false, {}, 0, true}};
  r.params = weightAndBias;
  r.paramShapes = [](const NodeDesc &n, ArrayRef<int64_t> in) {
    int64_t o = n.integer("out_features");
    std::vector<Shape> shapes = {{o, in.size() >= 2 ? in.back() : 0}};
    if (n.flag("bias"))
      shapes.push_back({o});
    return shapes;
  };
  r.inferShape = [](const NodeDesc &, ArrayRef<Shape> in, ArrayRef<Shape> params) {
    std::optional<ArrayRef<int64_t>> bias = biasOf(params);
    return cnn::shape::dense(in[0], params[0], bias);
  };
  return r;
}

/// nn.ConvTranspose2d: weight [C, out_channels/groups, kh, kw], initialized
/// as PyTorch does (fan_in from the weight's dimension 1 and the kernel).
OpImportRule convTranspose2d() {
  OpImportRule r;
  r.name = "conv_transpose2d";
  r.dialectOp = cnn::ConvTranspose2dOp::getOperationName();
  r.minInputs = r.maxInputs = 1;
  r.attrs = convolutionAttrs(/*transposed=*/true);
  r.params = weightAndBias;
  r.paramShapes = [](const NodeDesc &n, ArrayRef<int64_t> in) {
    int64_t channels = in.size() >= 2 ? in[1] : 0;
    int64_t o = n.integer("out_channels"), g = n.integer("groups");
    auto k = n.ints("kernel");
    std::vector<Shape> shapes = {{channels, g > 0 ? o / g : 0, k[0], k[1]}};
    if (n.flag("bias"))
      shapes.push_back({o});
    return shapes;
  };
  r.inferShape = [](const NodeDesc &n, ArrayRef<Shape> in, ArrayRef<Shape> params) {
    std::optional<ArrayRef<int64_t>> bias = biasOf(params);
    if (n.integer("out_channels") % n.integer("groups"))
      return ShapeOrError::fail("out_channels (" + std::to_string(n.integer("out_channels")) +
                                ") is not divisible by groups (" +
                                std::to_string(n.integer("groups")) + ")");
    return cnn::shape::convTranspose2d(in[0], params[0], bias, n.ints("stride"),
                                       n.ints("padding"), n.ints("output_padding"),
                                       n.ints("dilation"), n.integer("groups"));
  };
  r.attributes = [](const NodeDesc &n, ArrayRef<Shape>, Builder &b, NamedAttrList &attrs) {
    appendConvolutionAttrs(n, b, attrs);
    attrs.append("output_padding", b.getDenseI64ArrayAttr(n.ints("output_padding")));
  };
  return r;
}

/// x @ weight with weight [F, out] (ONNX's MatMul by an initializer, as
/// torch writes nn.Linear over a rank-4 tensor): a dense layer over the last
/// axis reading the weight transposed (a parameter-only transpose, done at
/// load time).
OpImportRule matmul() {
  OpImportRule r;
  r.name = "matmul";
  r.dialectOp = cnn::DenseOp::getOperationName();
  r.minInputs = r.maxInputs = 1;
  r.attrs = {{"out_features", AttrKind::Int, true, {}, 0, false, AttrRange::Positive},
             {"bias", AttrKind::Bool, false, {}, 0, false}};
  // nn.Linear's initialization: fan_in is F, the weight's first dimension here.
  r.params = [](const NodeDesc &n) {
    std::vector<ParamRole> roles = {{"weight", ParamInit::FanInUniformInputsFirst}};
    if (n.flag("bias"))
      roles.push_back({"bias", ParamInit::FanInUniformInputsFirst});
    return roles;
  };
  r.paramShapes = [](const NodeDesc &n, ArrayRef<int64_t> in) {
    int64_t o = n.integer("out_features");
    std::vector<Shape> shapes = {{in.size() >= 2 ? in.back() : 0, o}};
    if (n.flag("bias"))
      shapes.push_back({o});
    return shapes;
  };
  r.inferShape = [](const NodeDesc &, ArrayRef<Shape> in, ArrayRef<Shape> params) {
    std::optional<ArrayRef<int64_t>> bias = biasOf(params);
    Shape transposed = {params[0][1], params[0][0]};
    return cnn::shape::dense(in[0], transposed, bias);
  };
  r.build = [](const NodeDesc &n, OpBuilder &b, Location loc, ArrayRef<Value> inputs,
               ArrayRef<Value> params, Type result) -> Value {
    auto w = cast<RankedTensorType>(params[0].getType());
    auto wT = RankedTensorType::get({w.getDimSize(1), w.getDimSize(0)}, w.getElementType());
    Value t = cnn::PermuteOp::create(b, NameLoc::get(b.getStringAttr(n.name + ".weight_t")), wT,
                                     params[0], b.getDenseI64ArrayAttr({1, 0}));
    return cnn::DenseOp::create(b, loc, result, inputs[0], t,
                                params.size() > 1 ? params[1] : Value());
  };
  return r;
}

} // namespace

void addConvolutionRules(std::vector<OpImportRule> &rules) {
  rules.push_back(conv2d());
  rules.push_back(dense());
  rules.push_back(convTranspose2d());
  rules.push_back(matmul());
}

} // namespace cnnc
