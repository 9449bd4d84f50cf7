//===- Calibration.cpp - cnnc --calibrate: activation ranges for int8 -----===//

#include "Driver/Calibration.h"

#include "Cnn/CnnAttrNames.h"
#include "Cnn/CnnDialect.h"
#include "Driver/RunTool.h"
#include "Import/ModelImporter.h"

#include "cnnrt/Error.h"
#include "cnnrt/Safetensors.h"
#include "cnnrt/Session.h"

#include "mlir/IR/Builders.h"

#include "llvm/ADT/ScopeExit.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <cmath>
#include <cstring>

using namespace mlir;

namespace cnnc {

static constexpr llvm::StringLiteral kCalibrationOutputPrefix = "calibration:";

std::vector<CalibrationPoint> calibrationPoints(func::FuncOp forward) {
  std::vector<CalibrationPoint> points;
  llvm::DenseMap<Value, size_t> index;
  forward.walk([&](Operation *op) {
    if (!isa<cnn::Conv2dOp, cnn::DenseOp>(op))
      return;
    auto name = dyn_cast<NameLoc>(op->getLoc());
    if (!name)
      return;
    Value input = op->getOperand(0);
    auto [it, inserted] = index.try_emplace(input, points.size());
    if (inserted)
      points.push_back({input, {}});
    points[it->second].nodes.push_back(name.getName().str());
  });
  return points;
}

void addCalibrationOutputs(ModuleOp module) {
  auto forward = module.lookupSymbol<func::FuncOp>(attrs::kForward);
  std::vector<CalibrationPoint> points = calibrationPoints(forward);
  auto ret = cast<func::ReturnOp>(forward.getBody().back().getTerminator());
  OpBuilder b(module.getContext());
  for (size_t i = 0; i < points.size(); ++i) {
    unsigned at = forward.getNumResults();
    std::string name = (kCalibrationOutputPrefix + llvm::Twine(i)).str();
    (void)forward.insertResult(
        at, points[i].value.getType(),
        b.getDictionaryAttr(b.getNamedAttr(attrs::kOutputName, b.getStringAttr(name))));
    ret->insertOperands(ret->getNumOperands(), points[i].value);
  }
}

void attachCalibration(ModuleOp module, const CalibrationRanges &ranges) {
  Builder b(module.getContext());
  SmallVector<NamedAttribute> entries;
  for (const auto &[node, range] : ranges)
    entries.push_back(b.getNamedAttr(node, b.getDenseF32ArrayAttr({range.first, range.second})));
  module->setAttr(mlir::cnn::attr_names::kCalibration, b.getDictionaryAttr(entries));
}

namespace {

/// The calibration images: one [N, ...] f32 tensor for the model's input.
std::optional<cnnrt::Tensor> readImages(const std::string &path, const std::string &inputName,
                                        llvm::ArrayRef<int64_t> rowShape) {
  std::vector<std::string> files;
  if (llvm::sys::fs::is_directory(path)) {
    std::error_code ec;
    for (llvm::sys::fs::directory_iterator it(path, ec), end; it != end && !ec;
         it.increment(ec))
      if (llvm::StringRef(it->path()).ends_with(".safetensors"))
        files.push_back(it->path());
    std::sort(files.begin(), files.end());
    if (files.empty()) {
      llvm::errs() << "cnnc: error: --calibrate=" << path
                   << ": the directory holds no .safetensors file\n";
      return std::nullopt;
    }
  } else {
    files.push_back(path);
  }
  int64_t rowElements = 1;
  for (int64_t d : rowShape)
    rowElements *= d;
  std::vector<float> values;
  for (const std::string &file : files) {
    try {
      auto st = cnnrt::SafetensorsFile::open(file);
      const cnnrt::TensorEntry *entry = st->find(inputName);
      if (!entry && st->entries().size() == 1)
        entry = &st->entries()[0];
      if (!entry) {
        llvm::errs() << "cnnc: error: --calibrate: " << file << " has no tensor named '"
                     << inputName << "' (the model's input) and more than one tensor\n";
        return std::nullopt;
      }
      bool shapeMatches = entry->dtype == "F32" && entry->shape.size() == rowShape.size() + 1 &&
                          std::equal(rowShape.begin(), rowShape.end(), entry->shape.begin() + 1);
      if (!shapeMatches || entry->shape[0] < 1) {
        std::string want;
        for (int64_t d : rowShape)
          want += ", " + std::to_string(d);
        llvm::errs() << "cnnc: error: --calibrate: " << file << ": tensor '" << entry->name
                     << "' must be F32 of shape [N" << want << "] (images for the model's input '"
                     << inputName << "')\n";
        return std::nullopt;
      }
      const float *data = reinterpret_cast<const float *>(st->data(*entry));
      values.insert(values.end(), data, data + entry->shape[0] * rowElements);
    } catch (const std::exception &e) {
      llvm::errs() << "cnnc: error: --calibrate: " << e.what() << "\n";
      return std::nullopt;
    }
  }
  std::vector<int64_t> shape = {int64_t(values.size()) / rowElements};
  shape.insert(shape.end(), rowShape.begin(), rowShape.end());
  cnnrt::Tensor images(shape);
  std::memcpy(images.f32(), values.data(), values.size() * sizeof(float));
  return images;
}

/// The calibration method: the percentile of the values that becomes the
/// range's maximum (100: the maximum itself).
std::optional<double> parseMethod(const std::string &method) {
  if (method == "minmax")
    return 100.0;
  llvm::StringRef text(method);
  if (!text.consume_front("percentile"))
    return std::nullopt;
  if (text.empty())
    return 99.99;
  double p;
  if (!text.consume_front(":") || text.getAsDouble(p) || !(p > 0 && p <= 100))
    return std::nullopt;
  return p;
}

} // namespace

std::optional<CalibrationRanges> calibrate(const CompileOptions &opts, ModuleOp module) {
  std::optional<double> percentile = parseMethod(opts.calibrationMethod);
  if (!percentile) {
    llvm::errs() << "cnnc: error: --calibration must be minmax, percentile or percentile:P "
                    "(0 < P <= 100), got '"
                 << opts.calibrationMethod << "'\n";
    return std::nullopt;
  }
  auto forward = module.lookupSymbol<func::FuncOp>(attrs::kForward);
  std::vector<CalibrationPoint> points = calibrationPoints(forward);
  if (points.empty())
    return CalibrationRanges{};
  std::vector<unsigned> inputs;
  for (unsigned i = 0; i < forward.getNumArguments(); ++i)
    if (forward.getArgAttr(i, attrs::kInputName))
      inputs.push_back(i);
  if (inputs.size() != 1) {
    llvm::errs() << "cnnc: error: " << opts.modelPath
                 << ": --calibrate takes models with one input; this one has " << inputs.size()
                 << "\n";
    return std::nullopt;
  }
  std::string inputName =
      forward.getArgAttrOfType<StringAttr>(inputs[0], attrs::kInputName).str();
  auto inputShape = cast<RankedTensorType>(forward.getArgumentTypes()[inputs[0]]).getShape();
  std::optional<cnnrt::Tensor> images =
      readImages(opts.calibrate, inputName, inputShape.drop_front());
  if (!images)
    return std::nullopt;

  // The float32 library with the points as outputs, for this machine.
  llvm::SmallString<128> dir;
  if (std::error_code ec = llvm::sys::fs::createUniqueDirectory("cnnc-calibrate", dir)) {
    llvm::errs() << "cnnc: error: --calibrate: cannot make a scratch directory: "
                 << ec.message() << "\n";
    return std::nullopt;
  }
  std::string work = dir.str().str(), lib = work + "/calibration.so";
  llvm::scope_exit removeWork([&] { llvm::sys::fs::remove_directories(work); });
  std::vector<std::string> args = {opts.modelPath, "-o", lib, "--calibration-outputs",
                                   "--seed=" + std::to_string(opts.seed)};
  if (opts.batch)
    args.push_back("--batch=" + std::to_string(*opts.batch));
  if (runTool(cnncExecutable(), args, nullptr, work + "/compile") != 0) {
    llvm::errs() << "cnnc: error: --calibrate: compiling the float32 model with its conv "
                    "inputs as outputs failed\n";
    return std::nullopt;
  }

  // Per point: min and max, then (for a percentile) a histogram of |x| over
  // [0, max |x|].
  constexpr int64_t kBins = 4096;
  std::vector<float> lo(points.size(), INFINITY), hi(points.size(), -INFINITY);
  auto magnitude = [&](size_t point) { return std::max(-double(lo[point]), double(hi[point])); };
  std::vector<std::vector<int64_t>> histograms(points.size(), std::vector<int64_t>(kBins, 0));
  try {
    auto library = cnnrt::Library::load(lib);
    cnnrt::Session session(library);
    int64_t count = images->shape[0], maxBatch = library->maxBatch();
    int64_t rowElements = images->numElements() / count;
    auto forEachBatch = [&](auto &&visit) {
      for (int64_t start = 0; start < count; start += maxBatch) {
        int64_t rows = std::min(maxBatch, count - start);
        // A library without a run-time batch runs full batches: the rest
        // repeats this batch's first image and is not counted.
        int64_t runRows = library->runtimeBatch() ? rows : maxBatch;
        std::vector<int64_t> shape = images->shape;
        shape[0] = runRows;
        cnnrt::Tensor batch(shape);
        for (int64_t r = 0; r < runRows; ++r)
          std::memcpy(batch.f32() + r * rowElements,
                      images->f32() + (start + std::min(r, rows - 1)) * rowElements,
                      rowElements * sizeof(float));
        for (auto &[name, out] : session.run({{inputName, batch}})) {
          llvm::StringRef id(name);
          size_t point;
          if (!id.consume_front(kCalibrationOutputPrefix) || id.getAsInteger(10, point) ||
              point >= points.size())
            continue;
          int64_t n = out.numElements() / runRows * rows;
          visit(point, out.f32(), n);
        }
      }
    };
    forEachBatch([&](size_t point, const float *v, int64_t n) {
      for (int64_t i = 0; i < n; ++i) {
        lo[point] = std::min(lo[point], v[i]);
        hi[point] = std::max(hi[point], v[i]);
      }
    });
    if (*percentile < 100.0)
      forEachBatch([&](size_t point, const float *v, int64_t n) {
        double span = magnitude(point);
        if (!(span > 0))
          return;
        double perBin = kBins / span;
        for (int64_t i = 0; i < n; ++i)
          ++histograms[point][std::clamp<int64_t>(int64_t(std::fabs(v[i]) * perBin), 0,
                                                  kBins - 1)];
      });
  } catch (const std::exception &e) {
    llvm::errs() << "cnnc: error: --calibrate: running the float32 model: " << e.what() << "\n";
    return std::nullopt;
  }

  // The percentile of |x| clips both ends of the range.
  CalibrationRanges ranges;
  for (size_t i = 0; i < points.size(); ++i) {
    float min = lo[i], max = hi[i];
    if (*percentile < 100.0 && magnitude(i) > 0) {
      int64_t total = 0;
      for (int64_t c : histograms[i])
        total += c;
      int64_t seen = 0, bin = 0;
      for (; bin < kBins; ++bin)
        if ((seen += histograms[i][bin]) >= *percentile / 100.0 * double(total))
          break;
      float clip = float(magnitude(i) * (bin + 1) / kBins);
      min = std::max(min, -clip);
      max = std::min(max, clip);
    }
    for (const std::string &node : points[i].nodes)
      ranges[node] = {min, max};
  }
  return ranges;
}

} // namespace cnnc
