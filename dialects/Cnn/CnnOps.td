//===- CnnOps.td - cnn dialect operations ------------------*- tablegen -*-===//
//
// One op per operator of the cnnc model format (shared/spec/model-format.md).
// Shapes follow PyTorch; the shape rules live in ShapeInference.cpp so that
// the importer and the verifiers share one implementation.
//
//===----------------------------------------------------------------------===//

#ifndef CNNC_DIALECT_CNN_OPS
#define CNNC_DIALECT_CNN_OPS

include "Cnn/CnnBase.td"
include "mlir/Interfaces/InferTypeOpInterface.td"
include "mlir/Interfaces/SideEffectInterfaces.td"
include "Cnn/CnnInterfaces.td"

//===----------------------------------------------------------------------===//
// Convolution and dense
//===----------------------------------------------------------------------===//

def Cnn_Conv2dOp : Cnn_Op<"conv2d", [Pure, DeclareOpInterfaceMethods<Cnn_DifferentiableOpInterface>, InferTypeOpAdaptor]> {
  let summary = "2-D convolution (NCHW input, OIHW filter)";
  let description = [{
    PyTorch's `nn.Conv2d`: `input` is [N, C, H, W], `weight` is
    [O, C/groups, kh, kw], the optional `bias` is [O]. `padding` is
    [top, left, bottom, right] (zeros); `groups` = C gives a depthwise conv.
    Output size per dimension: floor((H + pt + pb - d*(k-1) - 1) / s) + 1.

    ```mlir
    %y = cnn.conv2d %x, %w, %b {stride = array<i64: 2, 2>, padding = array<i64: 3, 3, 3, 3>,
           dilation = array<i64: 1, 1>, groups = 1 : i64}
         : (tensor<1x3x224x224xf32>, tensor<64x3x7x7xf32>, tensor<64xf32>) -> tensor<1x64x112x112xf32>
    ```
  }];
  let arguments = (ins Cnn_F32Tensor4D:$input, Cnn_F32Tensor4D:$weight,
                       Optional<Cnn_F32Tensor1D>:$bias,
                       Cnn_Pair:$stride, Cnn_Padding:$padding, Cnn_Pair:$dilation,
                       ConfinedAttr<I64Attr, [IntPositive]>:$groups);
  let results = (outs Cnn_F32Tensor4D:$output);
  let assemblyFormat = [{
    $input `,` $weight (`,` $bias^)? attr-dict `:` functional-type(operands, results)
  }];
}

def Cnn_DenseOp : Cnn_Op<"dense", [Pure, DeclareOpInterfaceMethods<Cnn_DifferentiableOpInterface>, InferTypeOpAdaptor]> {
  let summary = "fully connected layer, y = x W^T + b";
  let description = [{
    PyTorch's `nn.Linear` over the last axis: `input` [..., F] (rank >= 2),
    `weight` [out, F], optional `bias` [out]; the result is [..., out].

    ```mlir
    %y = cnn.dense %x, %w, %b : (tensor<1x512xf32>, tensor<10x512xf32>, tensor<10xf32>) -> tensor<1x10xf32>
    ```
  }];
  let arguments = (ins Cnn_F32Tensor:$input, Cnn_F32Tensor2D:$weight,
                       Optional<Cnn_F32Tensor1D>:$bias);
  let results = (outs Cnn_F32Tensor:$output);
  let assemblyFormat = [{
    $input `,` $weight (`,` $bias^)? attr-dict `:` functional-type(operands, results)
  }];
}


def Cnn_ConvTranspose2dOp : Cnn_Op<"conv_transpose2d", [Pure, DeclareOpInterfaceMethods<Cnn_DifferentiableOpInterface>, InferTypeOpAdaptor]> {
  let summary = "2-D transposed convolution (NCHW input, [C, O/groups, kh, kw] filter)";
  let description = [{
    PyTorch's `nn.ConvTranspose2d`: the gradient of a `conv2d` with these
    attributes with respect to its input. `padding` is [top, left, bottom,
    right] and removes rows and columns of the full result; `output_padding`
    (below the stride or the dilation) adds them at the bottom and right.
    Output size: (H - 1) * s - pt - pb + d * (k - 1) + output_padding + 1.

    ```mlir
    %y = cnn.conv_transpose2d %x, %w, %b {stride = array<i64: 2, 2>, padding = array<i64: 1, 1, 1, 1>,
           output_padding = array<i64: 1, 1>, dilation = array<i64: 1, 1>, groups = 1 : i64}
         : (tensor<1x16x7x7xf32>, tensor<16x8x3x3xf32>, tensor<8xf32>) -> tensor<1x8x14x14xf32>
    ```
  }];
  let arguments = (ins Cnn_F32Tensor4D:$input, Cnn_F32Tensor4D:$weight,
                       Optional<Cnn_F32Tensor1D>:$bias,
                       Cnn_Pair:$stride, Cnn_Padding:$padding, Cnn_Pair:$output_padding,
                       Cnn_Pair:$dilation, ConfinedAttr<I64Attr, [IntPositive]>:$groups);
  let results = (outs Cnn_F32Tensor4D:$output);
  let assemblyFormat = [{
    $input `,` $weight (`,` $bias^)? attr-dict `:` functional-type(operands, results)
  }];
}

//===----------------------------------------------------------------------===//
// Pooling and resampling
//===----------------------------------------------------------------------===//

def Cnn_MaxPool2dOp : Cnn_Op<"maxpool2d", [Pure, DeclareOpInterfaceMethods<Cnn_DifferentiableOpInterface>, InferTypeOpAdaptor]> {
  let summary = "2-D max pooling";
  let description = [{
    PyTorch's `nn.MaxPool2d` with padding generalized to [top, left, bottom,
    right] (padded with -inf). With `ceil_mode` the output size is rounded up,
    but a last window that would start in the bottom/right padding is dropped.
    No padding may exceed half the kernel.

    ```mlir
    %y = cnn.maxpool2d %x {kernel = array<i64: 3, 3>, stride = array<i64: 2, 2>,
           padding = array<i64: 1, 1, 1, 1>, ceil_mode = false}
         : tensor<1x64x112x112xf32> -> tensor<1x64x56x56xf32>
    ```
  }];
  let arguments = (ins Cnn_F32Tensor4D:$input, Cnn_Pair:$kernel, Cnn_Pair:$stride,
                       Cnn_Padding:$padding, BoolAttr:$ceil_mode);
  let results = (outs Cnn_F32Tensor4D:$output);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($output)";
}

def Cnn_AvgPool2dOp : Cnn_Op<"avgpool2d", [Pure, DeclareOpInterfaceMethods<Cnn_DifferentiableOpInterface>, InferTypeOpAdaptor]> {
  let summary = "2-D average pooling";
  let description = [{
    PyTorch's `nn.AvgPool2d`: zero padding, which the divisor counts when
    `count_include_pad` is set (windows are still clipped to the padded input
    in ceil mode, as in PyTorch).

    ```mlir
    %y = cnn.avgpool2d %x {kernel = array<i64: 2, 2>, stride = array<i64: 2, 2>,
           padding = array<i64: 0, 0, 0, 0>, ceil_mode = false, count_include_pad = true}
         : tensor<1x6x28x28xf32> -> tensor<1x6x14x14xf32>
    ```
  }];
  let arguments = (ins Cnn_F32Tensor4D:$input, Cnn_Pair:$kernel, Cnn_Pair:$stride,
                       Cnn_Padding:$padding, BoolAttr:$ceil_mode,
                       BoolAttr:$count_include_pad);
  let results = (outs Cnn_F32Tensor4D:$output);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($output)";
}

def Cnn_GlobalAvgPool2dOp : Cnn_Op<"global_avgpool2d", [Pure, DeclareOpInterfaceMethods<Cnn_DifferentiableOpInterface>, InferTypeOpAdaptor]> {
  let summary = "mean over H and W: [N, C, H, W] -> [N, C, 1, 1]";
  let description = [{
    ```mlir
    %y = cnn.global_avgpool2d %x : tensor<1x512x7x7xf32> -> tensor<1x512x1x1xf32>
    ```
  }];
  let arguments = (ins Cnn_F32Tensor4D:$input);
  let results = (outs Cnn_F32Tensor4D:$output);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($output)";
}


def Cnn_AdaptiveAvgPool2dOp : Cnn_Op<"adaptive_avgpool2d", [Pure, DeclareOpInterfaceMethods<Cnn_DifferentiableOpInterface>, InferTypeOpAdaptor]> {
  let summary = "2-D adaptive average pooling to a given output size";
  let description = [{
    PyTorch's `nn.AdaptiveAvgPool2d(output_size)`: output (i, j) averages
    rows [floor(i * H / oh), ceil((i + 1) * H / oh)) and the columns alike,
    windows of unequal sizes (and overlapping, or repeating rows when the
    output is larger than the input).

    ```mlir
    %y = cnn.adaptive_avgpool2d %x {output_size = array<i64: 5, 3>}
         : tensor<1x8x13x17xf32> -> tensor<1x8x5x3xf32>
    ```
  }];
  let arguments = (ins Cnn_F32Tensor4D:$input, Cnn_Pair:$output_size);
  let results = (outs Cnn_F32Tensor4D:$output);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($output)";
}

def Cnn_UpsampleOp : Cnn_Op<"upsample", [Pure, DeclareOpInterfaceMethods<Cnn_DifferentiableOpInterface>, InferTypeOpAdaptor]> {
  let summary = "nearest or bilinear resampling of H and W";
  let description = [{
    PyTorch's `F.interpolate` / `nn.Upsample` to `size` [oh, ow]. The
    source-coordinate step per output pixel, `scale`, is (in float, as
    PyTorch computes it) 1 / scale_factor when `scale_factor` is given,
    else in / out. "nearest":
    src = min(floor(dst * scale), in - 1). "bilinear": src = (dst + 0.5) *
    scale - 0.5 clamped at 0, or with `align_corners` dst * (in - 1) /
    (out - 1); the neighbours floor(src) and min(floor(src) + 1, in - 1)
    weighted by the fraction.

    ```mlir
    %y = cnn.upsample %x {mode = "bilinear", align_corners = false, size = array<i64: 56, 56>,
           scale_factor = array<f64: 2.0, 2.0>} : tensor<1x21x28x28xf32> -> tensor<1x21x56x56xf32>
    ```
  }];
  let arguments = (ins Cnn_F32Tensor4D:$input, StrAttr:$mode, BoolAttr:$align_corners,
                       Cnn_Pair:$size,
                       OptionalAttr<ConfinedAttr<DenseF64ArrayAttr, [DenseArrayCount<2>]>>:$scale_factor);
  let results = (outs Cnn_F32Tensor4D:$output);
  let hasVerifier = 1;
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($output)";
}

//===----------------------------------------------------------------------===//
// Normalization
//===----------------------------------------------------------------------===//

def Cnn_BatchNormOp : Cnn_Op<"batchnorm", [Pure, DeclareOpInterfaceMethods<Cnn_DifferentiableOpInterface>, InferTypeOpAdaptor]> {
  let summary = "batch normalization over the channel dimension (inference form)";
  let description = [{
    PyTorch's `nn.BatchNorm2d` (or `BatchNorm1d` on [N, F]) in eval mode:
    y = (x - running_mean) / sqrt(running_var + epsilon) * weight + bias, per
    channel (dimension 1). `momentum` is kept for the training step.

    ```mlir
    %y = cnn.batchnorm %x, %g, %b, %m, %v {epsilon = 1.0e-05 : f64, momentum = 1.0e-01 : f64}
         : (tensor<1x64x56x56xf32>, tensor<64xf32>, tensor<64xf32>, tensor<64xf32>, tensor<64xf32>)
         -> tensor<1x64x56x56xf32>
    ```
  }];
  let arguments = (ins Cnn_F32Tensor:$input, Cnn_F32Tensor1D:$weight,
                       Cnn_F32Tensor1D:$bias, Cnn_F32Tensor1D:$running_mean,
                       Cnn_F32Tensor1D:$running_var,
                       F64Attr:$epsilon, F64Attr:$momentum);
  let results = (outs Cnn_F32Tensor:$output);
  let hasVerifier = 1;
  let assemblyFormat = [{
    $input `,` $weight `,` $bias `,` $running_mean `,` $running_var attr-dict
    `:` functional-type(operands, results)
  }];
}


def Cnn_LayerNormOp : Cnn_Op<"layer_norm", [Pure, DeclareOpInterfaceMethods<Cnn_DifferentiableOpInterface>]> {
  let summary = "layer normalization over some dimensions of each sample";
  let description = [{
    y = (x - mean) / sqrt(var + epsilon) * weight + bias, the mean and the
    (biased) variance taken over the dimensions `axes` (sorted, none of them
    0) for each index of the others. `affine` is empty or [weight, bias],
    each shaped as the input's `axes` dimensions. PyTorch's `nn.LayerNorm`
    normalizes the last dimensions; torchvision's `LayerNorm2d` (ConvNeXt)
    the channels, dimension 1, of an NCHW tensor.

    ```mlir
    %y = cnn.layer_norm %x, %w, %b {axes = array<i64: 3>, epsilon = 1.0e-06 : f64}
         : (tensor<1x56x56x96xf32>, tensor<96xf32>, tensor<96xf32>) -> tensor<1x56x56x96xf32>
    ```
  }];
  let arguments = (ins Cnn_F32Tensor:$input, Variadic<Cnn_F32Tensor>:$affine,
                       DenseI64ArrayAttr:$axes, F64Attr:$epsilon);
  let results = (outs Cnn_F32Tensor:$output);
  let hasVerifier = 1;
  let assemblyFormat = [{
    $input (`,` $affine^)? attr-dict `:` functional-type(operands, results)
  }];
}

//===----------------------------------------------------------------------===//
// Elementwise
//===----------------------------------------------------------------------===//

class Cnn_UnaryOp<string mnemonic, string formula>
    : Cnn_Op<mnemonic, [Pure, DeclareOpInterfaceMethods<Cnn_DifferentiableOpInterface>, SameOperandsAndResultType]> {
  let summary = "elementwise " # formula;
  let description = "Elementwise `" # formula # "` on any ranked f32 tensor.\n\n"
    "```mlir\n%y = cnn." # mnemonic # " %x : tensor<1x64x56x56xf32>\n```";
  let arguments = (ins Cnn_F32Tensor:$input);
  let results = (outs Cnn_F32Tensor:$output);
  let assemblyFormat = "$input attr-dict `:` type($input)";
}

def Cnn_ReluOp : Cnn_UnaryOp<"relu", "max(x, 0)">;
def Cnn_Relu6Op : Cnn_UnaryOp<"relu6", "min(max(x, 0), 6)">;
def Cnn_SigmoidOp : Cnn_UnaryOp<"sigmoid", "1 / (1 + exp(-x))">;
def Cnn_TanhOp : Cnn_UnaryOp<"tanh", "tanh(x)">;
def Cnn_SiluOp : Cnn_UnaryOp<"silu", "x * sigmoid(x)">;
def Cnn_HardswishOp : Cnn_UnaryOp<"hardswish", "x * min(max(x + 3, 0), 6) / 6">;
def Cnn_HardsigmoidOp : Cnn_UnaryOp<"hardsigmoid", "min(max(x + 3, 0), 6) / 6">;

def Cnn_LeakyReluOp : Cnn_Op<"leaky_relu", [Pure,
    DeclareOpInterfaceMethods<Cnn_DifferentiableOpInterface>, SameOperandsAndResultType]> {
  let summary = "elementwise x > 0 ? x : negative_slope * x";
  let description = [{
    PyTorch's `nn.LeakyReLU(negative_slope)`.

    ```mlir
    %y = cnn.leaky_relu %x {negative_slope = 1.000000e-02 : f64} : tensor<1x64x56x56xf32>
    ```
  }];
  let arguments = (ins Cnn_F32Tensor:$input, F64Attr:$negative_slope);
  let results = (outs Cnn_F32Tensor:$output);
  let assemblyFormat = "$input attr-dict `:` type($input)";
}

def Cnn_GeluOp : Cnn_Op<"gelu", [Pure,
    DeclareOpInterfaceMethods<Cnn_DifferentiableOpInterface>, SameOperandsAndResultType]> {
  let summary = "elementwise Gaussian error linear unit";
  let description = [{
    PyTorch's `nn.GELU(approximate)`: with `approximate = "none"`,
    x * (1 + erf(x / sqrt(2))) / 2; with `"tanh"`,
    x * (1 + tanh(sqrt(2 / pi) * (x + 0.044715 x^3))) / 2.

    ```mlir
    %y = cnn.gelu %x {approximate = "none"} : tensor<1x56x56x384xf32>
    ```
  }];
  let arguments = (ins Cnn_F32Tensor:$input, StrAttr:$approximate);
  let results = (outs Cnn_F32Tensor:$output);
  let hasVerifier = 1;
  let assemblyFormat = "$input attr-dict `:` type($input)";
}

class Cnn_BroadcastBinaryOp<string mnemonic, string formula>
    : Cnn_Op<mnemonic, [Pure, DeclareOpInterfaceMethods<Cnn_DifferentiableOpInterface>, Commutative, InferTypeOpAdaptor]> {
  let summary = "elementwise " # formula # " with NumPy broadcasting";
  let description = "Elementwise `" # formula # "`; shapes broadcast as in NumPy "
    "(e.g. [N, C, H, W] and [N, C, 1, 1], as in squeeze-excite).\n\n"
    "```mlir\n%y = cnn." # mnemonic # " %a, %b : (tensor<1x64x7x7xf32>, tensor<1x64x1x1xf32>)"
    " -> tensor<1x64x7x7xf32>\n```";
  let arguments = (ins Cnn_F32Tensor:$lhs, Cnn_F32Tensor:$rhs);
  let results = (outs Cnn_F32Tensor:$output);
  let assemblyFormat = "$lhs `,` $rhs attr-dict `:` functional-type(operands, results)";
}

def Cnn_AddOp : Cnn_BroadcastBinaryOp<"add", "a + b">;
def Cnn_MulOp : Cnn_BroadcastBinaryOp<"mul", "a * b">;

def Cnn_DropoutOp : Cnn_Op<"dropout", [Pure, DeclareOpInterfaceMethods<Cnn_DifferentiableOpInterface>, SameOperandsAndResultType]> {
  let summary = "dropout: the identity at inference";
  let description = [{
    PyTorch's `nn.Dropout(p)`. The identity in the forward (inference) graph;
    a training step draws a mask and scales by 1/(1-p).

    ```mlir
    %y = cnn.dropout %x {p = 5.0e-01 : f64} : tensor<1x4096xf32>
    ```
  }];
  let arguments = (ins Cnn_F32Tensor:$input,
                       F64Attr:$p);
  let results = (outs Cnn_F32Tensor:$output);
  let hasVerifier = 1;
  let assemblyFormat = "$input attr-dict `:` type($input)";
}


def Cnn_StochasticDepthOp : Cnn_Op<"stochastic_depth", [Pure, DeclareOpInterfaceMethods<Cnn_DifferentiableOpInterface>, SameOperandsAndResultType]> {
  let summary = "stochastic depth (drop path): the identity at inference";
  let description = [{
    torchvision's `StochasticDepth(p, mode)`. The identity in the forward
    (inference) graph; a training step keeps each sample (`mode` "row") or
    the whole batch ("batch") with probability 1 - p, scaled by 1 / (1 - p).

    ```mlir
    %y = cnn.stochastic_depth %x {p = 1.0e-01 : f64, mode = "row"} : tensor<8x96x56x56xf32>
    ```
  }];
  let arguments = (ins Cnn_F32Tensor:$input, F64Attr:$p, StrAttr:$mode);
  let results = (outs Cnn_F32Tensor:$output);
  let hasVerifier = 1;
  let assemblyFormat = "$input attr-dict `:` type($input)";
}

//===----------------------------------------------------------------------===//
// Shape and data movement
//===----------------------------------------------------------------------===//

def Cnn_ConcatOp : Cnn_Op<"concat", [Pure, DeclareOpInterfaceMethods<Cnn_DifferentiableOpInterface>, InferTypeOpAdaptor]> {
  let summary = "concatenation along one axis";
  let description = [{
    `torch.cat(inputs, axis)`: all inputs have the same rank and agree on
    every dimension except `axis` (a non-negative dimension index).

    ```mlir
    %y = cnn.concat %a, %b {axis = 1 : i64}
         : (tensor<1x64x28x28xf32>, tensor<1x32x28x28xf32>) -> tensor<1x96x28x28xf32>
    ```
  }];
  let arguments = (ins Variadic<Cnn_F32Tensor>:$inputs,
                       ConfinedAttr<I64Attr, [IntNonNegative]>:$axis);
  let results = (outs Cnn_F32Tensor:$output);
  let assemblyFormat = "$inputs attr-dict `:` functional-type($inputs, results)";
  let hasVerifier = 1;
}

def Cnn_FlattenOp : Cnn_Op<"flatten", [Pure, DeclareOpInterfaceMethods<Cnn_DifferentiableOpInterface>, InferTypeOpAdaptor]> {
  let summary = "flatten all dimensions after the batch: [N, ...] -> [N, F]";
  let description = [{
    `torch.flatten(x, 1)`.

    ```mlir
    %y = cnn.flatten %x : tensor<1x512x1x1xf32> -> tensor<1x512xf32>
    ```
  }];
  let arguments = (ins Cnn_F32Tensor:$input);
  let results = (outs Cnn_F32Tensor2D:$output);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($output)";
}

def Cnn_SoftmaxOp : Cnn_Op<"softmax", [Pure, DeclareOpInterfaceMethods<Cnn_DifferentiableOpInterface>, SameOperandsAndResultType]> {
  let summary = "softmax along one axis";
  let description = [{
    `torch.softmax(x, axis)`, computed stably (max subtracted).

    ```mlir
    %y = cnn.softmax %x {axis = 1 : i64} : tensor<1x10xf32>
    ```
  }];
  let arguments = (ins Cnn_F32Tensor:$input,
                       ConfinedAttr<I64Attr, [IntNonNegative]>:$axis);
  let results = (outs Cnn_F32Tensor:$output);
  let assemblyFormat = "$input attr-dict `:` type($input)";
  let hasVerifier = 1;
}

def Cnn_ChannelShuffleOp : Cnn_Op<"channel_shuffle", [Pure, DeclareOpInterfaceMethods<Cnn_DifferentiableOpInterface>, SameOperandsAndResultType]> {
  let summary = "ShuffleNet channel shuffle";
  let description = [{
    `nn.ChannelShuffle(groups)`: view [N, C, H, W] as [N, g, C/g, H, W],
    swap the two channel factors, view back. C must be divisible by `groups`.

    ```mlir
    %y = cnn.channel_shuffle %x {groups = 2 : i64} : tensor<1x116x28x28xf32>
    ```
  }];
  let arguments = (ins Cnn_F32Tensor4D:$input,
                       ConfinedAttr<I64Attr, [IntPositive]>:$groups);
  let results = (outs Cnn_F32Tensor4D:$output);
  let assemblyFormat = "$input attr-dict `:` type($input)";
  let hasVerifier = 1;
}

def Cnn_SliceOp : Cnn_Op<"slice", [Pure, DeclareOpInterfaceMethods<Cnn_DifferentiableOpInterface>, InferTypeOpAdaptor]> {
  let summary = "contiguous slice [start, end) along one axis";
  let description = [{
    `x.narrow(axis, start, end - start)`. The bounds are normalized (the
    importer resolves Python-style negative and out-of-range bounds):
    0 <= start < end <= dim(axis).

    ```mlir
    %y = cnn.slice %x {axis = 1 : i64, start = 0 : i64, end = 58 : i64}
         : tensor<1x116x28x28xf32> -> tensor<1x58x28x28xf32>
    ```
  }];
  let arguments = (ins Cnn_F32Tensor:$input,
                       ConfinedAttr<I64Attr, [IntNonNegative]>:$axis,
                       I64Attr:$start, I64Attr:$end);
  let results = (outs Cnn_F32Tensor:$output);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($output)";
}


def Cnn_PermuteOp : Cnn_Op<"permute", [Pure, DeclareOpInterfaceMethods<Cnn_DifferentiableOpInterface>, InferTypeOpAdaptor]> {
  let summary = "permutation of the dimensions";
  let description = [{
    `x.permute(dims)`: result dimension i is input dimension dims[i].

    ```mlir
    %y = cnn.permute %x {dims = array<i64: 0, 2, 3, 1>} : tensor<1x96x56x56xf32> -> tensor<1x56x56x96xf32>
    ```
  }];
  let arguments = (ins Cnn_F32Tensor:$input, DenseI64ArrayAttr:$dims);
  let results = (outs Cnn_F32Tensor:$output);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($output)";
}

include "Cnn/CnnTrainingOps.td"

#endif // CNNC_DIALECT_CNN_OPS
