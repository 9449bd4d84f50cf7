//===- ModelImporter.cpp - model JSON + safetensors to cnn IR --------------===//
//
// Builds `func.func @forward(inputs..., parameters...) -> outputs` of cnn ops.
// Shapes are checked with the dialect's own shape rules before each op is
// created, so a bad model yields messages naming its nodes, never a verifier
// failure or an assertion.
//
//===----------------------------------------------------------------------===//

#include "Import/ModelImporter.h"
#include "Import/OpImportRule.h"
#include "Import/Onnx/OnnxReader.h"

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
  /// The block argument of a parameter, creating (and loading) it if new.
  Value parameter(const NodeDesc &n, const ParamRole &role, const Shape &shape);
  Operation *build(const NodeDesc &n, ArrayRef<Value> inputs, ArrayRef<Shape> inShapes,
                   ArrayRef<Value> params, const Shape &outShape, Location loc);
  std::vector<float> defaultInit(const NodeDesc &n, const ParamRole &role,
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
  std::shared_ptr<TensorSource> tensors; // null: default initialization
  bool weightsBroken = false; // the model names a weights file that failed to open
  std::map<std::string, Value> paramArgs;
  int64_t totalParameterElements = 0; // of the distinct parameters so far
  std::mt19937_64 rng;
};

std::vector<float> Importer::defaultInit(const NodeDesc &n, const ParamRole &role,
                                         const Shape &s) {
  int64_t count = 1;
  for (int64_t d : s)
    count *= d;
  std::vector<float> v(count);
  switch (role.init) {
  case ParamInit::Zeros:
    return v;
  case ParamInit::Ones:
    std::fill(v.begin(), v.end(), 1.0f);
    return v;
  case ParamInit::Constant:
    std::fill(v.begin(), v.end(), role.value);
    return v;
  case ParamInit::FanInUniform:
  case ParamInit::FanInUniformInputsFirst:
    break;
  }
  // fan_in: the weight's elements per output channel (its shape past the
  // first dimension); a bias reads it from its node's weight.
  Shape weightShape = s;
  if (role.name != "weight")
    for (const auto &p : result.weights.parameters())
      if (p.name == n.params.at("weight"))
        weightShape.assign(p.shape.begin(), p.shape.end());
  int64_t fanIn = 1;
  if (role.init == ParamInit::FanInUniformInputsFirst)
    fanIn = weightShape.empty() ? 0 : weightShape[0];
  else
    for (size_t i = 1; i < weightShape.size(); ++i)
      fanIn *= weightShape[i];
  float bound = fanIn > 0 ? 1.0f / std::sqrt((float)fanIn) : 0.0f;
  std::uniform_real_distribution<float> dist(-bound, bound);
  for (float &x : v)
    x = dist(rng);
  return v;
}

Value Importer::parameter(const NodeDesc &n, const ParamRole &paramRole, const Shape &s) {
  const std::string &role = paramRole.name;
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
  if (tensors) {
    std::optional<StoredTensor> e = tensors->find(name);
    if (!e) {
      errors.addNode(n.name, n.op,
                     tensors->containerText() + " has no tensor '" + name + "' (" + role +
                         ", expected shape " + shape::toString(s) + ")");
      return {};
    }
    if (e->dtype != "F32") {
      errors.addNode(n.name, n.op,
                     tensors->tensorText(name) + " has dtype " + e->dtype +
                         "; parameters must be F32");
      return {};
    }
    if (e->shape != p.shape) {
      errors.addNode(n.name, n.op,
                     tensors->tensorText(name) + " has shape " + shape::toString(e->shape) +
                         ", expected " + shape::toString(s));
      return {};
    }
    p.data = static_cast<const float *>(e->data);
  } else if (!weightsBroken) { // (a broken weights file fails the import: no data needed)
    try {
      p.data = result.weights.own(defaultInit(n, paramRole, s));
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

Operation *Importer::build(const NodeDesc &n, ArrayRef<Value> inputs, ArrayRef<Shape> inShapes,
                           ArrayRef<Value> params, const Shape &outShape, Location loc) {
  if (n.rule->build) {
    Value v = n.rule->build(n, b, loc, inputs, params, tensorType(outShape));
    return v.getDefiningOp();
  }
  OperationState state(loc, n.rule->dialectOp);
  state.addOperands(inputs);
  state.addOperands(params);
  state.addTypes(tensorType(outShape));
  if (n.rule->attributes)
    n.rule->attributes(n, inShapes, b, state.attributes);
  return b.create(state);
}

std::optional<ImportedModel> Importer::run() {
  rng.seed(opts.seed);
  if (desc.tensors) {
    tensors = desc.tensors;
    result.weights.retain(tensors);
  } else if (!desc.weights.empty()) {
    try {
      tensors = std::make_shared<SafetensorsSource>(cnnrt::SafetensorsFile::open(desc.weights));
      result.weights.retain(tensors);
    } catch (const std::exception &e) {
      errors.add(std::string("weights: ") + e.what());
      weightsBroken = true;
    }
  }
  result.defaultInitialized = !desc.tensors && desc.weights.empty();

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
    const OpImportRule &rule = *n.rule;
    NodeShapes shapes = inferNodeShapes(n, inShapes);
    const std::vector<Shape> &paramShapes = shapes.params;
    const ShapeOrError &out = shapes.output;
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
    std::vector<ParamRole> roles;
    if (rule.params)
      roles = rule.params(n);
    bool absurd = false;
    for (size_t i = 0; i < roles.size(); ++i) {
      auto count = shape::numElements(paramShapes[i]);
      if (!count || *count > opts.maxParameterElements) {
        errors.addNode(n.name, n.op,
                       roles[i].name + " '" + n.params.at(roles[i].name) + "' of shape " +
                           shape::toString(paramShapes[i]) + " is absurdly large (more than " +
                           elementLimitText(opts.maxParameterElements) + " elements)");
        absurd = true;
        continue;
      }
      if (paramArgs.count(n.params.at(roles[i].name)))
        continue; // shared with an earlier node: counted there
      if (*count > opts.maxTotalParameterElements - totalParameterElements) {
        errors.addNode(n.name, n.op,
                       roles[i].name + " '" + n.params.at(roles[i].name) + "' of shape " +
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
    values[n.name] = build(n, inputs, inShapes, params, out.shape, loc)->getResult(0);
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
    func.setResultAttr(i, attrs::kOutputName, b.getStringAttr(desc.outputName(i)));

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
  std::optional<ModelDescription> desc;
  if (isOnnxPath(path)) {
    std::optional<OnnxModel> onnx = readOnnxModel(path, options.batch, errors);
    if (!onnx)
      return std::nullopt;
    desc = describeModel(std::move(onnx->root), path, options.batch, errors);
    if (desc) {
      desc->tensors = onnx->initializers;
      desc->outputNames = onnx->outputNames;
    }
  } else {
    desc = readModelDescription(path, options.batch, errors);
  }
  if (!desc)
    return std::nullopt;
  Importer importer(ctx, *desc, options, errors);
  return importer.run();
}

} // namespace cnnc
