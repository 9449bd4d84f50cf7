//===- ModelImporter.cpp - model JSON + safetensors to cnn IR --------------===//
//
// Builds `func.func @forward(inputs..., parameters...) -> outputs` of cnn ops.
// Shapes are checked with the dialect's own shape rules before each op is
// created, so a bad model yields messages naming its nodes, never a verifier
// failure or an assertion.
//
//===----------------------------------------------------------------------===//

#include "Import/ModelImporter.h"

#include "Cnn/CnnDialect.h"
#include "Cnn/ShapeInference.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/Verifier.h"

#include <cmath>
#include <map>
#include <new>
#include <random>

using namespace mlir;

namespace cnnc {
namespace {

namespace shape = mlir::cnn::shape;
using shape::Shape;

/// "2^31" for a power of two, the number otherwise.
std::string elementLimitText(int64_t limit) {
  if (limit > 0 && (limit & (limit - 1)) == 0)
    return "2^" + std::to_string(__builtin_ctzll(static_cast<unsigned long long>(limit)));
  return std::to_string(limit);
}

class Importer {
public:
  Importer(MLIRContext &ctx, ModelDescription &desc, const ImportOptions &opts,
           ErrorList &errors)
      : ctx(ctx), b(&ctx), desc(desc), opts(opts), errors(errors) {}

  std::optional<ImportedModel> run();

private:
  /// Shapes of the node's parameters, by role, given its first input's shape.
  std::vector<Shape> expectedParamShapes(const NodeDesc &n, ArrayRef<int64_t> in);
  /// The block argument of a parameter, creating (and loading) it if new.
  Value parameter(const NodeDesc &n, const std::string &role, const Shape &shape);
  /// Output shape of `n`, or an error message.
  shape::ShapeOrError inferShape(const NodeDesc &n, ArrayRef<Shape> inputs,
                                 ArrayRef<Shape> params);
  Operation *build(const NodeDesc &n, ArrayRef<Value> inputs, ArrayRef<Value> params,
                   const Shape &outShape, Location loc);
  std::vector<float> defaultInit(const NodeDesc &n, const std::string &role,
                                 const Shape &shape);

  RankedTensorType tensorType(ArrayRef<int64_t> s) {
    return RankedTensorType::get(s, b.getF32Type());
  }

  MLIRContext &ctx;
  OpBuilder b;
  ModelDescription &desc;
  const ImportOptions &opts;
  ErrorList &errors;
  ImportedModel result;
  Block *body = nullptr;
  std::shared_ptr<cnnrt::SafetensorsFile> weightsFile;
  bool weightsBroken = false; // the model names a weights file that failed to open
  std::map<std::string, Value> paramArgs;
  int64_t totalParameterElements = 0; // of the distinct parameters so far
  std::mt19937_64 rng;
};

std::vector<Shape> Importer::expectedParamShapes(const NodeDesc &n, ArrayRef<int64_t> in) {
  std::vector<Shape> shapes;
  int64_t channels = in.size() >= 2 ? in[1] : 0;
  if (n.op == "conv2d") {
    int64_t o = n.integer("out_channels"), g = n.integer("groups");
    auto k = n.ints("kernel");
    shapes.push_back({o, g > 0 ? channels / g : 0, k[0], k[1]});
    if (n.flag("bias"))
      shapes.push_back({o});
  } else if (n.op == "dense") {
    int64_t o = n.integer("out_features");
    shapes.push_back({o, in.size() == 2 ? in[1] : 0});
    if (n.flag("bias"))
      shapes.push_back({o});
  } else if (n.op == "batchnorm") {
    shapes.assign(4, Shape{channels});
  }
  return shapes;
}

shape::ShapeOrError Importer::inferShape(const NodeDesc &n, ArrayRef<Shape> in,
                                         ArrayRef<Shape> params) {
  const std::string &op = n.op;
  auto axis = [&](int64_t a) { return a < 0 ? a + (int64_t)in[0].size() : a; };
  if (op == "concat" || op == "softmax" || op == "slice") {
    // Checked here, before a negative axis is resolved, so that the message
    // shows the axis as written.
    int64_t a = n.integer("axis"), rank = (int64_t)in[0].size();
    if (a < -rank || a >= rank)
      return shape::ShapeOrError::fail("axis " + std::to_string(a) + " is out of range for " +
                                       shape::toString(in[0]) + " (rank " +
                                       std::to_string(rank) + ")");
  }
  if (op == "conv2d") {
    std::optional<ArrayRef<int64_t>> bias;
    if (params.size() > 1)
      bias = ArrayRef<int64_t>(params[1]);
    if (in[0].size() == 4 && n.integer("groups") > 0 && in[0][1] % n.integer("groups"))
      return shape::ShapeOrError::fail(
          "input channels (" + std::to_string(in[0][1]) + ") are not divisible by groups (" +
          std::to_string(n.integer("groups")) + ")");
    if (n.integer("out_channels") % n.integer("groups"))
      return shape::ShapeOrError::fail(
          "out_channels (" + std::to_string(n.integer("out_channels")) +
          ") is not divisible by groups (" + std::to_string(n.integer("groups")) + ")");
    return shape::conv2d(in[0], params[0], bias, n.ints("stride"), n.ints("padding"),
                         n.ints("dilation"), n.integer("groups"));
  }
  if (op == "dense") {
    std::optional<ArrayRef<int64_t>> bias;
    if (params.size() > 1)
      bias = ArrayRef<int64_t>(params[1]);
    return shape::dense(in[0], params[0], bias);
  }
  if (op == "maxpool2d" || op == "avgpool2d")
    return shape::pool2d(in[0], n.ints("kernel"), n.ints("stride"), n.ints("padding"),
                         n.flag("ceil_mode"));
  if (op == "global_avgpool2d")
    return shape::globalAvgPool2d(in[0]);
  if (op == "batchnorm") {
    std::vector<ArrayRef<int64_t>> ps(params.begin(), params.end());
    return shape::batchnorm(in[0], ps);
  }
  if (op == "add" || op == "mul")
    return shape::broadcast(in[0], in[1]);
  if (op == "concat") {
    std::vector<ArrayRef<int64_t>> shapes(in.begin(), in.end());
    return shape::concat(shapes, axis(n.integer("axis")));
  }
  if (op == "flatten")
    return shape::flatten(in[0]);
  if (op == "softmax")
    return shape::axisCheck(in[0], axis(n.integer("axis")));
  if (op == "channel_shuffle")
    return shape::channelShuffle(in[0], n.integer("groups"));
  if (op == "slice") {
    int64_t a = axis(n.integer("axis"));
    auto r = shape::axisCheck(in[0], a);
    if (!r.ok())
      return r;
    // Python slicing: negative bounds count from the end, then clamp.
    int64_t dim = in[0][a];
    auto clampBound = [&](int64_t v) {
      if (v < 0)
        v += dim;
      return std::clamp<int64_t>(v, 0, dim);
    };
    int64_t start = clampBound(n.integer("start")), end = clampBound(n.integer("end"));
    if (start >= end)
      return shape::ShapeOrError::fail(
          "slice [" + std::to_string(n.integer("start")) + ":" +
          std::to_string(n.integer("end")) + "] of axis " + std::to_string(a) + " of " +
          shape::toString(in[0]) + " is empty");
    return shape::slice(in[0], a, start, end);
  }
  // Elementwise ops keep the shape.
  return {in[0], ""};
}

std::vector<float> Importer::defaultInit(const NodeDesc &n, const std::string &role,
                                         const Shape &s) {
  int64_t count = 1;
  for (int64_t d : s)
    count *= d;
  std::vector<float> v(count);
  if (n.op == "batchnorm") {
    float fill = (role == "weight" || role == "running_var") ? 1.0f : 0.0f;
    std::fill(v.begin(), v.end(), fill);
    return v;
  }
  // nn.Conv2d / nn.Linear: kaiming_uniform(a=sqrt(5)) gives bound 1/sqrt(fan_in)
  // for the weight, and the bias uses the same bound.
  int64_t fanIn = 1;
  if (n.op == "conv2d") {
    auto k = n.ints("kernel");
    int64_t cPerGroup = 1;
    for (const auto &p : result.weights.parameters())
      if (p.name == n.params.at("weight"))
        cPerGroup = p.shape[1];
    fanIn = (role == "weight" ? s[1] : cPerGroup) * k[0] * k[1];
  } else {
    for (const auto &p : result.weights.parameters())
      if (p.name == n.params.at("weight"))
        fanIn = p.shape[1];
    if (role == "weight")
      fanIn = s[1];
  }
  float bound = fanIn > 0 ? 1.0f / std::sqrt((float)fanIn) : 0.0f;
  std::uniform_real_distribution<float> dist(-bound, bound);
  for (float &x : v)
    x = dist(rng);
  return v;
}

Value Importer::parameter(const NodeDesc &n, const std::string &role, const Shape &s) {
  const std::string &name = n.params.at(role);
  auto it = paramArgs.find(name);
  if (it != paramArgs.end()) {
    auto have = cast<RankedTensorType>(it->second.getType()).getShape();
    if (have != ArrayRef<int64_t>(s)) {
      errors.addNode(n.name, n.op,
                     role + " '" + name + "' is shared with another node but needs shape " +
                         shape::toString(s) + " here, not " + shape::toString(have));
      return {};
    }
    return it->second;
  }
  Parameter p{name, std::vector<int64_t>(s.begin(), s.end()), nullptr};
  if (weightsFile) {
    const cnnrt::TensorEntry *e = weightsFile->find(name);
    if (!e) {
      errors.addNode(n.name, n.op,
                     "weights file " + desc.weights + " has no tensor '" + name + "' (" + role +
                         ", expected shape " + shape::toString(s) + ")");
      return {};
    }
    if (e->dtype != "F32") {
      errors.addNode(n.name, n.op,
                     "tensor '" + name + "' in " + desc.weights + " has dtype " + e->dtype +
                         "; parameters must be F32");
      return {};
    }
    if (e->shape != p.shape) {
      errors.addNode(n.name, n.op,
                     "tensor '" + name + "' in " + desc.weights + " has shape " +
                         shape::toString(e->shape) + ", expected " + shape::toString(s));
      return {};
    }
    p.data = reinterpret_cast<const float *>(weightsFile->data(*e));
  } else if (!weightsBroken) { // (a broken weights file fails the import: no data needed)
    try {
      p.data = result.weights.own(defaultInit(n, role, s));
    } catch (const std::bad_alloc &) {
      errors.addNode(n.name, n.op,
                     "out of memory while default-initializing " + role + " '" + name +
                         "' of shape " + shape::toString(s));
      return {};
    }
  }
  result.weights.parameters().push_back(p);
  Value arg = body->addArgument(tensorType(s), b.getUnknownLoc());
  paramArgs[name] = arg;
  return arg;
}

Operation *Importer::build(const NodeDesc &n, ArrayRef<Value> inputs,
                           ArrayRef<Value> params, const Shape &outShape, Location loc) {
  OperationState state(loc, "cnn." + n.op);
  state.addOperands(inputs);
  state.addOperands(params);
  state.addTypes(tensorType(outShape));
  auto i64 = [&](int64_t v) { return b.getI64IntegerAttr(v); };
  auto axis = [&](const char *k) {
    int64_t a = n.integer(k);
    return i64(a < 0 ? a + (int64_t)cast<RankedTensorType>(inputs[0].getType()).getRank() : a);
  };
  const std::string &op = n.op;
  if (op == "conv2d") {
    state.addAttribute("stride", b.getDenseI64ArrayAttr(n.ints("stride")));
    state.addAttribute("padding", b.getDenseI64ArrayAttr(n.ints("padding")));
    state.addAttribute("dilation", b.getDenseI64ArrayAttr(n.ints("dilation")));
    state.addAttribute("groups", i64(n.integer("groups")));
  } else if (op == "maxpool2d" || op == "avgpool2d") {
    state.addAttribute("kernel", b.getDenseI64ArrayAttr(n.ints("kernel")));
    state.addAttribute("stride", b.getDenseI64ArrayAttr(n.ints("stride")));
    state.addAttribute("padding", b.getDenseI64ArrayAttr(n.ints("padding")));
    state.addAttribute("ceil_mode", b.getBoolAttr(n.flag("ceil_mode")));
    if (op == "avgpool2d")
      state.addAttribute("count_include_pad", b.getBoolAttr(n.flag("count_include_pad")));
  } else if (op == "batchnorm") {
    state.addAttribute("epsilon", b.getF64FloatAttr(n.number("epsilon")));
    state.addAttribute("momentum", b.getF64FloatAttr(n.number("momentum")));
  } else if (op == "concat" || op == "softmax") {
    state.addAttribute("axis", axis("axis"));
  } else if (op == "dropout") {
    state.addAttribute("p", b.getF64FloatAttr(n.number("p")));
  } else if (op == "channel_shuffle") {
    state.addAttribute("groups", i64(n.integer("groups")));
  } else if (op == "slice") {
    int64_t a = axis("axis").getInt();
    int64_t dim = cast<RankedTensorType>(inputs[0].getType()).getDimSize(a);
    auto clampBound = [&](int64_t v) { return std::clamp<int64_t>(v < 0 ? v + dim : v, 0, dim); };
    state.addAttribute("axis", i64(a));
    state.addAttribute("start", i64(clampBound(n.integer("start"))));
    state.addAttribute("end", i64(clampBound(n.integer("end"))));
  }
  return b.create(state);
}

std::optional<ImportedModel> Importer::run() {
  rng.seed(opts.seed);
  if (!desc.weights.empty()) {
    try {
      weightsFile = cnnrt::SafetensorsFile::open(desc.weights);
      result.weights.retain(weightsFile);
    } catch (const std::exception &e) {
      errors.add(std::string("weights: ") + e.what());
      weightsBroken = true;
    }
  }
  result.defaultInitialized = desc.weights.empty();

  auto fileLoc = FileLineColLoc::get(&ctx, desc.path, 0, 0);
  result.module = ModuleOp::create(fileLoc);
  result.module->getOperation()->setAttr(attrs::kModelName, b.getStringAttr(desc.name));
  b.setInsertionPointToEnd(result.module->getBody());
  auto func = func::FuncOp::create(b, fileLoc, attrs::kForward, b.getFunctionType({}, {}));
  body = func.addEntryBlock();
  b.setInsertionPointToEnd(body);

  std::map<std::string, Value> values;
  for (const auto &in : desc.inputs)
    values[in.name] = body->addArgument(tensorType(in.shape),
                                        NameLoc::get(b.getStringAttr(in.name), fileLoc));
  size_t numInputs = desc.inputs.size();

  for (const NodeDesc &n : desc.nodes) {
    std::vector<Value> inputs;
    std::vector<Shape> inShapes;
    bool resolved = true;
    for (const auto &name : n.inputs) {
      auto it = values.find(name);
      if (it == values.end()) {
        resolved = false; // its producer failed and was reported
        break;
      }
      inputs.push_back(it->second);
      auto s = cast<RankedTensorType>(it->second.getType()).getShape();
      inShapes.emplace_back(s.begin(), s.end());
    }
    if (!resolved)
      continue;
    std::vector<Shape> paramShapes = expectedParamShapes(n, inShapes[0]);
    auto out = inferShape(n, inShapes, paramShapes);
    if (!out.ok()) {
      errors.addNode(n.name, n.op, out.error);
      continue;
    }
    if (!shape::numElements(out.shape) ||
        *shape::numElements(out.shape) > (int64_t(1) << 40)) {
      errors.addNode(n.name, n.op,
                     "output shape " + shape::toString(out.shape) + " is absurdly large");
      continue;
    }
    std::vector<Value> params;
    auto roles = parameterRoles(n);
    bool absurd = false;
    for (size_t i = 0; i < roles.size(); ++i) {
      auto count = shape::numElements(paramShapes[i]);
      if (!count || *count > opts.maxParameterElements) {
        errors.addNode(n.name, n.op,
                       roles[i] + " '" + n.params.at(roles[i]) + "' of shape " +
                           shape::toString(paramShapes[i]) + " is absurdly large (more than " +
                           elementLimitText(opts.maxParameterElements) + " elements)");
        absurd = true;
        continue;
      }
      if (paramArgs.count(n.params.at(roles[i])))
        continue; // shared with an earlier node: counted there
      if (*count > opts.maxTotalParameterElements - totalParameterElements) {
        errors.addNode(n.name, n.op,
                       roles[i] + " '" + n.params.at(roles[i]) + "' of shape " +
                           shape::toString(paramShapes[i]) +
                           " takes the model's parameters past " +
                           elementLimitText(opts.maxTotalParameterElements) + " elements");
        absurd = true;
        continue;
      }
      totalParameterElements += *count;
    }
    if (absurd)
      continue;
    for (size_t i = 0; i < roles.size(); ++i)
      params.push_back(parameter(n, roles[i], paramShapes[i]));
    if (llvm::any_of(params, [](Value v) { return !v; }))
      continue;
    Location loc = NameLoc::get(b.getStringAttr(n.name), fileLoc);
    values[n.name] = build(n, inputs, params, out.shape, loc)->getResult(0);
  }

  std::vector<Value> results;
  for (const auto &o : desc.outputs) {
    auto it = values.find(o);
    if (it != values.end())
      results.push_back(it->second);
  }
  if (!errors.empty())
    return std::nullopt;

  func::ReturnOp::create(b, fileLoc, results);
  func.setType(b.getFunctionType(body->getArgumentTypes(), TypeRange(results)));
  for (size_t i = 0; i < numInputs; ++i)
    func.setArgAttr(i, attrs::kInputName, b.getStringAttr(desc.inputs[i].name));
  for (size_t i = 0; i < result.weights.parameters().size(); ++i)
    func.setArgAttr(numInputs + i, attrs::kParamName,
                    b.getStringAttr(result.weights.parameters()[i].name));
  for (size_t i = 0; i < desc.outputs.size(); ++i)
    func.setResultAttr(i, attrs::kOutputName, b.getStringAttr(desc.outputs[i]));

  if (failed(verify(*result.module))) {
    errors.add("internal error: the imported module does not verify");
    return std::nullopt;
  }
  result.description = desc;
  return std::move(result);
}

} // namespace

std::optional<ImportedModel> importModel(MLIRContext &ctx, const std::string &path,
                                         const ImportOptions &options, ErrorList &errors) {
  ctx.loadDialect<cnn::CnnDialect, func::FuncDialect>();
  auto desc = readModelDescription(path, options.batch, errors);
  if (!desc)
    return std::nullopt;
  Importer importer(ctx, *desc, options, errors);
  return importer.run();
}

} // namespace cnnc
