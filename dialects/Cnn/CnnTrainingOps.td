//===- CnnTrainingOps.td - cnn ops of the training step -----*- tablegen -*-===//
//
// Ops that only the training step uses: vector-Jacobian products of the
// forward ops, the loss and the optimizer update. cnnc-build-train-step
// creates them; the model format never names them.
//
//===----------------------------------------------------------------------===//

#ifndef CNNC_DIALECT_CNN_TRAINING_OPS
#define CNNC_DIALECT_CNN_TRAINING_OPS

def Cnn_Conv2dGradInputOp : Cnn_Op<"conv2d_grad_input", [Pure]> {
  let summary = "gradient of conv2d with respect to its input";
  let description = [{
    dL/dx of `cnn.conv2d` with the same attributes, given dL/dy and the
    weight; the result type is the input's.

    ```mlir
    %gx = cnn.conv2d_grad_input %gy, %w {stride = array<i64: 1, 1>, padding = array<i64: 2, 2, 2, 2>,
            dilation = array<i64: 1, 1>, groups = 1 : i64}
          : (tensor<8x6x28x28xf32>, tensor<6x1x5x5xf32>) -> tensor<8x1x28x28xf32>
    ```
  }];
  let arguments = (ins Cnn_F32Tensor4D:$grad, Cnn_F32Tensor4D:$weight, Cnn_Pair:$stride,
                       Cnn_Padding:$padding, Cnn_Pair:$dilation,
                       ConfinedAttr<I64Attr, [IntPositive]>:$groups);
  let results = (outs Cnn_F32Tensor4D:$output);
  let assemblyFormat = "$grad `,` $weight attr-dict `:` functional-type(operands, results)";
}

def Cnn_Conv2dGradWeightOp : Cnn_Op<"conv2d_grad_weight", [Pure]> {
  let summary = "gradient of conv2d with respect to its weight";
  let description = [{
    dL/dW of `cnn.conv2d`, given dL/dy and the conv's input; the result type
    is the weight's.

    ```mlir
    %gw = cnn.conv2d_grad_weight %gy, %x {stride = array<i64: 1, 1>, padding = array<i64: 2, 2, 2, 2>,
            dilation = array<i64: 1, 1>, groups = 1 : i64}
          : (tensor<8x6x28x28xf32>, tensor<8x1x28x28xf32>) -> tensor<6x1x5x5xf32>
    ```
  }];
  let arguments = (ins Cnn_F32Tensor4D:$grad, Cnn_F32Tensor4D:$input, Cnn_Pair:$stride,
                       Cnn_Padding:$padding, Cnn_Pair:$dilation,
                       ConfinedAttr<I64Attr, [IntPositive]>:$groups);
  let results = (outs Cnn_F32Tensor4D:$output);
  let assemblyFormat = "$grad `,` $input attr-dict `:` functional-type(operands, results)";
}

def Cnn_MaxPool2dGradOp : Cnn_Op<"maxpool2d_grad", [Pure]> {
  let summary = "gradient of maxpool2d: dL/dy routed to each window's first maximum";
  let description = [{
    As PyTorch: each output's gradient goes to the first (row-major) maximal
    element of its window; the result has the input's type.

    ```mlir
    %gx = cnn.maxpool2d_grad %gy, %x {kernel = array<i64: 2, 2>, stride = array<i64: 2, 2>,
            padding = array<i64: 0, 0, 0, 0>, ceil_mode = false}
          : (tensor<8x6x14x14xf32>, tensor<8x6x28x28xf32>) -> tensor<8x6x28x28xf32>
    ```
  }];
  let arguments = (ins Cnn_F32Tensor4D:$grad, Cnn_F32Tensor4D:$input, Cnn_Pair:$kernel,
                       Cnn_Pair:$stride, Cnn_Padding:$padding, BoolAttr:$ceil_mode);
  let results = (outs Cnn_F32Tensor4D:$output);
  let assemblyFormat = "$grad `,` $input attr-dict `:` functional-type(operands, results)";
}

def Cnn_AvgPool2dGradOp : Cnn_Op<"avgpool2d_grad", [Pure]> {
  let summary = "gradient of avgpool2d";
  let description = [{
    Spreads each output's gradient over its window, divided like the
    forward; the result type is the input's.

    ```mlir
    %gx = cnn.avgpool2d_grad %gy {kernel = array<i64: 2, 2>, stride = array<i64: 2, 2>,
            padding = array<i64: 0, 0, 0, 0>, ceil_mode = false, count_include_pad = true}
          : tensor<8x6x14x14xf32> -> tensor<8x6x28x28xf32>
    ```
  }];
  let arguments = (ins Cnn_F32Tensor4D:$grad, Cnn_Pair:$kernel, Cnn_Pair:$stride,
                       Cnn_Padding:$padding, BoolAttr:$ceil_mode, BoolAttr:$count_include_pad);
  let results = (outs Cnn_F32Tensor4D:$output);
  let assemblyFormat = "$grad attr-dict `:` type($grad) `->` type($output)";
}

def Cnn_ActivationGradOp : Cnn_Op<"activation_grad", [Pure, SameOperandsAndResultType]> {
  let summary = "gradient of an elementwise activation";
  let description = [{
    `kind` names the activation: relu, relu6, sigmoid, tanh, silu, hardswish,
    hardsigmoid, leaky_relu (slope `alpha`), gelu or gelu_tanh. `value` is
    the activation's output for sigmoid and tanh, its input for the others.
    The derivatives are PyTorch's (at the kinks too).

    ```mlir
    %gx = cnn.activation_grad %gy, %x {kind = "relu"} : tensor<8x120xf32>
    ```
  }];
  let arguments = (ins Cnn_F32Tensor:$grad, Cnn_F32Tensor:$value, StrAttr:$kind,
                       OptionalAttr<F64Attr>:$alpha);
  let results = (outs Cnn_F32Tensor:$output);
  let assemblyFormat = "$grad `,` $value attr-dict `:` type($grad)";
  let hasVerifier = 1;
}

def Cnn_ReduceToOp : Cnn_Op<"reduce_to", [Pure]> {
  let summary = "sum over the dimensions that NumPy broadcasting expanded";
  let description = [{
    The adjoint of broadcasting: the result shape must broadcast to the
    operand's; dimensions the result lacks or has as 1 are summed.

    ```mlir
    %gb = cnn.reduce_to %g : tensor<8x64x7x7xf32> -> tensor<8x64x1x1xf32>
    ```
  }];
  let arguments = (ins Cnn_F32Tensor:$input);
  let results = (outs Cnn_F32Tensor:$output);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($output)";
  let hasVerifier = 1;
}

def Cnn_BroadcastToOp : Cnn_Op<"broadcast_to", [Pure]> {
  let summary = "NumPy broadcast to the result shape, times a constant";
  let description = [{
    `scale` * broadcast(input). The adjoint of `reduce_to` (with the mean's
    1/count for global_avgpool2d).

    ```mlir
    %g = cnn.broadcast_to %gy {scale = 2.0e-02 : f64} : tensor<8x64x1x1xf32> -> tensor<8x64x7x7xf32>
    ```
  }];
  let arguments = (ins Cnn_F32Tensor:$input, F64Attr:$scale);
  let results = (outs Cnn_F32Tensor:$output);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($output)";
  let hasVerifier = 1;
}

def Cnn_MatmulOp : Cnn_Op<"matmul", [Pure]> {
  let summary = "matrix product op(a) x op(b), op = optional transpose";
  let description = [{
    Dense's gradients: dL/dx = dL/dy W, dL/dW = dL/dy^T x.

    ```mlir
    %gw = cnn.matmul %gy, %x {transpose_a = true, transpose_b = false}
          : (tensor<8x10xf32>, tensor<8x84xf32>) -> tensor<10x84xf32>
    ```
  }];
  let arguments = (ins Cnn_F32Tensor2D:$a, Cnn_F32Tensor2D:$b, BoolAttr:$transpose_a,
                       BoolAttr:$transpose_b);
  let results = (outs Cnn_F32Tensor2D:$output);
  let assemblyFormat = "$a `,` $b attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def Cnn_ReshapeOp : Cnn_Op<"reshape", [Pure]> {
  let summary = "reinterpret a tensor with another shape of the same size";
  let description = [{
    Flatten's gradient.

    ```mlir
    %g = cnn.reshape %gf : tensor<8x400xf32> -> tensor<8x16x5x5xf32>
    ```
  }];
  let arguments = (ins Cnn_F32Tensor:$input);
  let results = (outs Cnn_F32Tensor:$output);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($output)";
  let hasVerifier = 1;
}

def Cnn_SoftmaxCrossEntropyOp : Cnn_Op<"softmax_cross_entropy", [Pure]> {
  let summary = "mean softmax cross-entropy of logits [N, K] and labels [N], and its gradient";
  let description = [{
    loss = mean_n(logsumexp(x_n) - x_n[label_n]) as `tensor<1xf32>`, and
    dL/dx = (softmax(x) - onehot(labels)) / N. Labels are i64. A negative
    label marks a padding row (a batch B run by a library compiled for N >
    B): it is left out, and the mean is over the other rows, whose count
    replaces N; its gradient row is zero. A label >= K is clamped here (the
    runtime refuses it beforehand). With `cross_replica` (data-parallel
    training), the mean's count is the real rows of every replica's batch
    (`cnn.cross_replica_sum`), so each replica's loss and gradient are its
    share of the combined batch's: their sum over replicas is the combined
    batch's.

    ```mlir
    %loss, %g = cnn.softmax_cross_entropy %logits, %labels
                : (tensor<8x10xf32>, tensor<8xi64>) -> (tensor<1xf32>, tensor<8x10xf32>)
    ```
  }];
  let arguments = (ins Cnn_F32Tensor2D:$logits, 1DTensorOf<[I64]>:$labels,
                       UnitAttr:$cross_replica);
  let results = (outs Cnn_F32Tensor1D:$loss, Cnn_F32Tensor2D:$grad);
  let assemblyFormat = "$logits `,` $labels attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def Cnn_SgdUpdateOp : Cnn_Op<"sgd_update", [Pure]> {
  let summary = "one torch.optim.SGD step for one parameter";
  let description = [{
    g' = grad + weight_decay * p; buf' = momentum * buf + g' (buf' = g' when
    momentum is 0); step = nesterov ? g' + momentum * buf' : buf';
    p' = p - lr * step. `lr` is a `tensor<1xf32>` so that it can change
    between steps.

    ```mlir
    %p2, %b2 = cnn.sgd_update %p, %g, %b, %lr {momentum = 9.0e-01 : f64,
                 weight_decay = 5.0e-04 : f64, nesterov = false}
               : (tensor<10xf32>, tensor<10xf32>, tensor<10xf32>, tensor<1xf32>)
               -> (tensor<10xf32>, tensor<10xf32>)
    ```
  }];
  let arguments = (ins Cnn_F32Tensor:$param, Cnn_F32Tensor:$grad, Cnn_F32Tensor:$buffer,
                       Cnn_F32Tensor1D:$lr, F64Attr:$momentum, F64Attr:$weight_decay,
                       BoolAttr:$nesterov);
  let results = (outs Cnn_F32Tensor:$new_param, Cnn_F32Tensor:$new_buffer);
  let assemblyFormat = [{
    $param `,` $grad `,` $buffer `,` $lr attr-dict `:` functional-type(operands, results)
  }];
}

def Cnn_ClipGradNormOp : Cnn_Op<"clip_grad_norm", [Pure]> {
  let summary = "torch.nn.utils.clip_grad_norm_ over a set of gradients";
  let description = [{
    With total = sqrt(sum over every gradient of g^2) (the global L2 norm),
    each gradient is scaled by min(max_norm / (total + 1e-6), 1), as
    PyTorch's clip_grad_norm_ (norm_type 2).

    ```mlir
    %a2, %b2 = cnn.clip_grad_norm %a, %b {max_norm = 1.0 : f64}
        : (tensor<4x3xf32>, tensor<4xf32>) -> (tensor<4x3xf32>, tensor<4xf32>)
    ```
  }];
  let arguments = (ins Variadic<Cnn_F32Tensor>:$grads, F64Attr:$max_norm);
  let results = (outs Variadic<Cnn_F32Tensor>:$clipped);
  let assemblyFormat = "$grads attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def Cnn_AdamUpdateOp : Cnn_Op<"adam_update", [Pure]> {
  let summary = "one torch.optim.Adam (or AdamW) step for one parameter";
  let description = [{
    With t = step + 1 (`step`: the steps taken before this one, i64[1]) and
    g' = grad + weight_decay * p (Adam; AdamW with `decoupled` instead
    decays p first: p *= 1 - lr * weight_decay, g' = grad):
    m' = beta1 * m + (1 - beta1) * g'; v' = beta2 * v + (1 - beta2) * g'^2;
    p' = p - lr / (1 - beta1^t) * m' / (sqrt(v') / sqrt(1 - beta2^t) + epsilon),
    PyTorch's formulas (bias correction included, amsgrad false).

    ```mlir
    %p2, %m2, %v2 = cnn.adam_update %p, %g, %m, %v, %lr, %step {beta1 = 9.0e-01 : f64,
        beta2 = 9.99e-01 : f64, epsilon = 1.0e-08 : f64, weight_decay = 0.0 : f64,
        decoupled = false}
      : (tensor<10xf32>, tensor<10xf32>, tensor<10xf32>, tensor<10xf32>, tensor<1xf32>,
         tensor<1xi64>) -> (tensor<10xf32>, tensor<10xf32>, tensor<10xf32>)
    ```
  }];
  let arguments = (ins Cnn_F32Tensor:$param, Cnn_F32Tensor:$grad, Cnn_F32Tensor:$exp_avg,
                       Cnn_F32Tensor:$exp_avg_sq, Cnn_F32Tensor1D:$lr,
                       1DTensorOf<[I64]>:$step, F64Attr:$beta1, F64Attr:$beta2,
                       F64Attr:$epsilon, F64Attr:$weight_decay, BoolAttr:$decoupled);
  let results = (outs Cnn_F32Tensor:$new_param, Cnn_F32Tensor:$new_exp_avg,
                      Cnn_F32Tensor:$new_exp_avg_sq);
  let assemblyFormat = [{
    $param `,` $grad `,` $exp_avg `,` $exp_avg_sq `,` $lr `,` $step attr-dict `:`
    functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def Cnn_BatchNormTrainOp : Cnn_Op<"batchnorm_train", [Pure]> {
  let summary = "batchnorm with batch statistics, and the running-statistics update";
  let description = [{
    y = (x - mean_B) * invstd * weight + bias over the batch (and spatial)
    dimensions; new running mean/var = (1 - momentum) * old + momentum *
    batch value, with the unbiased variance for the running estimate, as
    PyTorch. `mean` and `invstd` feed the gradient. With `rows`, a [N]
    mask of 1.0 (a row of the batch) and 0.0 (a padding row, see
    `cnn.label_mask`), the statistics are those of the masked-in rows.
    With `cross_replica` (data-parallel training), sums and counts run over
    every replica's batch (`cnn.cross_replica_sum`): synchronized
    batchnorm, the statistics of the combined batch.

    ```mlir
    %y, %mean, %invstd, %rm2, %rv2 = cnn.batchnorm_train %x, %w, %b, %rm, %rv
        {epsilon = 1.0e-05 : f64, momentum = 1.0e-01 : f64}
        : (tensor<8x6x28x28xf32>, tensor<6xf32>, tensor<6xf32>, tensor<6xf32>, tensor<6xf32>)
        -> (tensor<8x6x28x28xf32>, tensor<6xf32>, tensor<6xf32>, tensor<6xf32>, tensor<6xf32>)
    ```
  }];
  let arguments = (ins Cnn_F32Tensor:$input, Cnn_F32Tensor1D:$weight, Cnn_F32Tensor1D:$bias,
                       Cnn_F32Tensor1D:$running_mean, Cnn_F32Tensor1D:$running_var,
                       Optional<Cnn_F32Tensor1D>:$rows,
                       F64Attr:$epsilon, F64Attr:$momentum, UnitAttr:$cross_replica);
  let results = (outs Cnn_F32Tensor:$output, Cnn_F32Tensor1D:$mean, Cnn_F32Tensor1D:$invstd,
                      Cnn_F32Tensor1D:$new_running_mean, Cnn_F32Tensor1D:$new_running_var);
  let assemblyFormat = [{
    $input `,` $weight `,` $bias `,` $running_mean `,` $running_var (`rows` $rows^)? attr-dict
    `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def Cnn_BatchNormGradOp : Cnn_Op<"batchnorm_grad", [Pure]> {
  let summary = "gradients of batchnorm_train";
  let description = [{
    With xhat = (x - mean) * invstd and M elements per channel:
    dbias = sum(gy), dweight = sum(gy * xhat),
    dx = weight * invstd / M * (M * gy - dbias - xhat * dweight).
    With `rows` (as `cnn.batchnorm_train`), sums and M run over the
    masked-in rows, and padding rows get dx = 0. With `cross_replica`, the
    sums and M in dx run over every replica's batch, as
    `cnn.batchnorm_train`'s statistics; dweight and dbias stay this
    replica's share (data-parallel training sums the shares).

    ```mlir
    %gx, %gw, %gb = cnn.batchnorm_grad %gy, %x, %mean, %invstd, %w
        : (tensor<8x6x28x28xf32>, tensor<8x6x28x28xf32>, tensor<6xf32>, tensor<6xf32>, tensor<6xf32>)
        -> (tensor<8x6x28x28xf32>, tensor<6xf32>, tensor<6xf32>)
    ```
  }];
  let arguments = (ins Cnn_F32Tensor:$grad, Cnn_F32Tensor:$input, Cnn_F32Tensor1D:$mean,
                       Cnn_F32Tensor1D:$invstd, Cnn_F32Tensor1D:$weight,
                       Optional<Cnn_F32Tensor1D>:$rows, UnitAttr:$cross_replica);
  let results = (outs Cnn_F32Tensor:$grad_input, Cnn_F32Tensor1D:$grad_weight,
                      Cnn_F32Tensor1D:$grad_bias);
  let assemblyFormat = [{
    $grad `,` $input `,` $mean `,` $invstd `,` $weight (`rows` $rows^)? attr-dict
    `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def Cnn_CrossReplicaSumOp : Cnn_Op<"cross_replica_sum",
    [DeclareOpInterfaceMethods<InferTypeOpInterface>]> {
  let summary = "the sums of tensors over the replicas of data-parallel training";
  let description = [{
    Each replica (process) of data-parallel training passes its values; each
    gets the elementwise sums over all of them (an all-reduce), one result
    per operand, in one collective call for all the operands. A library
    run by one process, with no communicator, gets its own values back.
    Every replica must reach the same cross_replica_sum ops in the same
    order, which one compiled step guarantees. Not pure: it communicates.

    ```mlir
    %global = cnn.cross_replica_sum %local : tensor<6xf32>
    %gw, %gb = cnn.cross_replica_sum %w, %b : tensor<6x3x3x3xf32>, tensor<6xf32>
    ```
  }];
  let arguments = (ins Variadic<Cnn_F32Tensor>:$inputs);
  let results = (outs Variadic<Cnn_F32Tensor>:$outputs);
  let assemblyFormat = "$inputs attr-dict `:` type($inputs)";
  let hasVerifier = 1;
}

def Cnn_LabelMaskOp : Cnn_Op<"label_mask", [Pure]> {
  let summary = "which rows of a training batch are real: 1.0 for a class label, 0.0 for padding";
  let description = [{
    A library compiled for batch N runs a batch B < N with labels -1 in the
    N - B padding rows (docs/abi.md). This mask ([N] f32) lets the ops that
    mix rows (batchnorm's statistics) count only the real ones.

    ```mlir
    %rows = cnn.label_mask %labels : tensor<8xi64> -> tensor<8xf32>
    ```
  }];
  let arguments = (ins 1DTensorOf<[I64]>:$labels);
  let results = (outs Cnn_F32Tensor1D:$rows);
  let assemblyFormat = "$labels attr-dict `:` type($labels) `->` type($rows)";
  let hasVerifier = 1;
}

def Cnn_SliceGradOp : Cnn_Op<"slice_grad", [Pure]> {
  let summary = "gradient of slice: dL/dy placed back into zeros of the input's shape";
  let description = [{
    The adjoint of `cnn.slice` with the same `axis` and (normalized) `start`:
    the result has the sliced tensor's type, holds `grad` at
    [start, start + size) along `axis` and zeros elsewhere.

    ```mlir
    %gx = cnn.slice_grad %gy {axis = 1 : i64, start = 58 : i64}
          : tensor<1x58x28x28xf32> -> tensor<1x116x28x28xf32>
    ```
  }];
  let arguments = (ins Cnn_F32Tensor:$grad,
                       ConfinedAttr<I64Attr, [IntNonNegative]>:$axis,
                       ConfinedAttr<I64Attr, [IntNonNegative]>:$start);
  let results = (outs Cnn_F32Tensor:$output);
  let assemblyFormat = "$grad attr-dict `:` type($grad) `->` type($output)";
  let hasVerifier = 1;
}

def Cnn_SoftmaxGradOp : Cnn_Op<"softmax_grad", [Pure, SameOperandsAndResultType]> {
  let summary = "gradient of softmax along one axis";
  let description = [{
    With y = softmax(x) along `axis` (the forward's output, `value`):
    dL/dx = y * (dL/dy - sum_axis(dL/dy * y)).

    ```mlir
    %gx = cnn.softmax_grad %gy, %y {axis = 1 : i64} : tensor<8x10xf32>
    ```
  }];
  let arguments = (ins Cnn_F32Tensor:$grad, Cnn_F32Tensor:$value,
                       ConfinedAttr<I64Attr, [IntNonNegative]>:$axis);
  let results = (outs Cnn_F32Tensor:$output);
  let assemblyFormat = "$grad `,` $value attr-dict `:` type($grad)";
  let hasVerifier = 1;
}

def Cnn_DropoutTrainOp : Cnn_Op<"dropout_train", [Pure, DeclareOpInterfaceMethods<Cnn_DifferentiableOpInterface>]> {
  let summary = "dropout in a training step: a counter-based mask, kept elements scaled by 1/(1-p)";
  let description = [{
    `rng` is `{seed, step}` (i64). Each element's mask bit is a pure function
    of (seed, step, `salt`, the element's row-major linear index), so the
    mask needs no state and no storage, is the same on every target and in
    any loop order, and the backward pass rebuilds it: dL/dx is this op
    applied to dL/dy with the same `rng`, `p` and `salt`. With
    fmix32 = MurmurHash3's 32-bit finalizer and lo/hi the 32-bit halves:

      h = fmix32(lo(seed) ^ 0x9E3779B9); h = fmix32(h ^ hi(seed));
      h = fmix32(h ^ lo(step)); h = fmix32(h ^ hi(step));
      h = fmix32(h ^ salt); h = fmix32(h ^ lo(index));
      y = h >= round(p * 2^32) (unsigned) ? x / (1 - p) : 0

    cnnc-build-train-step sets `salt` to the 32-bit FNV-1a hash of the node's
    name. With `mask_dims` = k the mask depends on the first k dimensions
    only (the index hashed is the row-major index over them: k = 1 drops
    whole samples, stochastic depth's "row"; k = 0 the whole batch).

    ```mlir
    %y = cnn.dropout_train %x, %rng {p = 5.0e-01 : f64, salt = 2166136261 : i64}
         : (tensor<8x120xf32>, tensor<2xi64>) -> tensor<8x120xf32>
    ```
  }];
  let arguments = (ins Cnn_F32Tensor:$input, 1DTensorOf<[I64]>:$rng, F64Attr:$p,
                       ConfinedAttr<I64Attr, [IntNonNegative]>:$salt,
                       OptionalAttr<ConfinedAttr<I64Attr, [IntNonNegative]>>:$mask_dims);
  let results = (outs Cnn_F32Tensor:$output);
  let assemblyFormat = "$input `,` $rng attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def Cnn_LayerNormGradOp : Cnn_Op<"layer_norm_grad", [Pure]> {
  let summary = "gradients of layer_norm";
  let description = [{
    Given dL/dy, the input and the layer_norm's `affine` operands and
    attributes: dL/dx, and when affine, dL/dweight and dL/dbias (each
    summed over the non-normalized dimensions). The statistics are
    recomputed from the input.

    ```mlir
    %gx, %gw, %gb = cnn.layer_norm_grad %gy, %x, %w {axes = array<i64: 3>, epsilon = 1.0e-06 : f64}
         : (tensor<8x7x7x96xf32>, tensor<8x7x7x96xf32>, tensor<96xf32>)
         -> (tensor<8x7x7x96xf32>, tensor<96xf32>, tensor<96xf32>)
    ```
  }];
  let arguments = (ins Cnn_F32Tensor:$grad, Cnn_F32Tensor:$input,
                       Optional<Cnn_F32Tensor>:$weight, DenseI64ArrayAttr:$axes,
                       F64Attr:$epsilon);
  let results = (outs Variadic<Cnn_F32Tensor>:$grads);
  let hasVerifier = 1;
  let assemblyFormat = [{
    $grad `,` $input (`,` $weight^)? attr-dict `:` functional-type(operands, results)
  }];
}

def Cnn_AdaptiveAvgPool2dGradOp : Cnn_Op<"adaptive_avgpool2d_grad", [Pure]> {
  let summary = "gradient of adaptive_avgpool2d";
  let description = [{
    dL/dx: each input pixel gathers dL/dy / (window size) of every output
    window containing it; the result type is the input's.

    ```mlir
    %gx = cnn.adaptive_avgpool2d_grad %gy : tensor<8x8x5x3xf32> -> tensor<8x8x13x17xf32>
    ```
  }];
  let arguments = (ins Cnn_F32Tensor4D:$grad);
  let results = (outs Cnn_F32Tensor4D:$output);
  let assemblyFormat = "$grad attr-dict `:` type($grad) `->` type($output)";
}

def Cnn_UpsampleGradOp : Cnn_Op<"upsample_grad", [Pure]> {
  let summary = "gradient of upsample";
  let description = [{
    dL/dx of `cnn.upsample` with the same attributes (the transposed
    interpolation, separable in H and W); the result type is the input's.

    ```mlir
    %gx = cnn.upsample_grad %gy {mode = "bilinear", align_corners = false, size = array<i64: 56, 56>,
            scale_factor = array<f64: 2.0, 2.0>} : tensor<8x21x56x56xf32> -> tensor<8x21x28x28xf32>
    ```
  }];
  let arguments = (ins Cnn_F32Tensor4D:$grad, StrAttr:$mode, BoolAttr:$align_corners,
                       Cnn_Pair:$size,
                       OptionalAttr<ConfinedAttr<DenseF64ArrayAttr, [DenseArrayCount<2>]>>:$scale_factor);
  let results = (outs Cnn_F32Tensor4D:$output);
  let assemblyFormat = "$grad attr-dict `:` type($grad) `->` type($output)";
}

#endif // CNNC_DIALECT_CNN_TRAINING_OPS
