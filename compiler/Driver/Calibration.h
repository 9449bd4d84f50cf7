//===- Calibration.h - cnnc --calibrate: activation ranges for int8 -*- C++ -*-===//
//
// `--precision=int8` quantizes each convolution's input with one scale per
// tensor, taken from the range that input spans over calibration images:
// the float32 model is compiled with those inputs as extra outputs, run
// over the images in this process (libcnnrt), and each input's minimum
// and maximum (or a percentile of it) recorded. The ranges reach
// cnnc-quantize-convs-to-int8 as the module's `cnn.calibration`.
//
//===----------------------------------------------------------------------===//
#ifndef CNNC_DRIVER_CALIBRATION_H
#define CNNC_DRIVER_CALIBRATION_H

#include "Driver/Compiler.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace cnnc {

/// A value that convolutions (conv2d and dense nodes) read as their input,
/// and the nodes that read it.
struct CalibrationPoint {
  mlir::Value value;
  std::vector<std::string> nodes;
};
/// @forward's calibration points, in program order.
std::vector<CalibrationPoint> calibrationPoints(mlir::func::FuncOp forward);

/// Appends each calibration point's value to @forward's results, the I-th
/// named "calibration:I" (cnnc --calibration-outputs, for calibrate()).
void addCalibrationOutputs(mlir::ModuleOp module);

/// Node -> [min, max] of its input over the calibration images.
using CalibrationRanges = std::map<std::string, std::pair<float, float>>;

/// Runs the float32 model over opts.calibrate's images (a safetensors file,
/// or a directory of them: [N, ...] tensors named as the model's input, or
/// each file's only tensor) and returns each calibration point's range by
/// opts.calibrationMethod ("minmax", or "percentile[:P]": the range is
/// clipped to +-the P-th percentile of |x|, default 99.99). Prints an error and
/// returns nullopt on failure.
std::optional<CalibrationRanges> calibrate(const CompileOptions &opts, mlir::ModuleOp module);

/// The ranges as `module`'s cnn.calibration attribute.
void attachCalibration(mlir::ModuleOp module, const CalibrationRanges &ranges);

} // namespace cnnc

#endif
