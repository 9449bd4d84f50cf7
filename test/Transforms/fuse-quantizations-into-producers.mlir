// RUN: cnnc-opt %s --split-input-file --cnnc-fuse-quantizations-into-producers | FileCheck %s
// As in cnnc's schedule pipeline: after the conv epilogues are chosen, before
// the residual is accumulated in place and the fused tiles are built.
// RUN: cnnc-opt %s --split-input-file --cnnc-attach-target=cpu=znver5 --cnnc-fuse-conv-epilogues --cnnc-fuse-quantizations-into-producers --cnnc-select-cpu-schedules --cnnc-accumulate-into-residual --cnnc-tile-and-vectorize | FileCheck %s --check-prefix=TILED

// A residual sum read as the next residual (f32) and quantized for the next
// conv (i8): one generic yields both, where the sum was computed; the
// quantization's payload follows the sum's in its body.
// CHECK-LABEL: func.func @sum_and_quantization
// CHECK: %[[F:.*]]:2 = linalg.generic
// CHECK-SAME: outs(%{{.*}}, %{{.*}} : tensor<1x4x4x16xf32>, tensor<1x4x4x16xi8>)
// CHECK: arith.addf
// CHECK: arith.maximumf
// CHECK: arith.mulf
// CHECK: arith.fptosi
// CHECK: linalg.yield %{{.*}}, %{{.*}} : f32, i8
// CHECK-NOT: linalg.generic
// CHECK: return %[[F]]#0, %[[F]]#1
#id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
func.func @sum_and_quantization(%a: tensor<1x4x4x16xf32>, %b: tensor<1x4x4x16xf32>) -> (tensor<1x4x4x16xf32>, tensor<1x4x4x16xi8>) {
  %zero = arith.constant 0.0 : f32
  %inv = arith.constant 8.0 : f32
  %e = tensor.empty() : tensor<1x4x4x16xf32>
  %sum = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%a, %b : tensor<1x4x4x16xf32>, tensor<1x4x4x16xf32>) outs(%e : tensor<1x4x4x16xf32>) {
  ^bb0(%x: f32, %y: f32, %o: f32):
    %s = arith.addf %x, %y : f32
    %r = arith.maximumf %s, %zero : f32
    linalg.yield %r : f32
  } -> tensor<1x4x4x16xf32>
  %e8 = tensor.empty() : tensor<1x4x4x16xi8>
  %q = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%sum : tensor<1x4x4x16xf32>) outs(%e8 : tensor<1x4x4x16xi8>) {
  ^bb0(%x: f32, %o: i8):
    %m = arith.mulf %x, %inv : f32
    %i = arith.fptosi %m : f32 to i8
    linalg.yield %i : i8
  } -> tensor<1x4x4x16xi8>
  return %sum, %q : tensor<1x4x4x16xf32>, tensor<1x4x4x16xi8>
}

// -----

// A quantization whose producer has a user before it (a per-channel
// scale broadcast into the sum, as a folded batchnorm's is): the fused op
// sits where the producer was, so that user still sees a defined value.
// CHECK-LABEL: func.func @quantization_after_another_user
// CHECK: %[[F:.*]]:2 = linalg.generic
// CHECK-SAME: outs(%{{.*}}, %{{.*}} : tensor<1x4x4x16xf32>, tensor<1x4x4x16xi8>)
// CHECK: arith.fptosi
// CHECK: %[[U:.*]] = linalg.generic {{.*}} ins(%[[F]]#0
// CHECK: return %[[U]], %[[F]]#1
#id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#ch = affine_map<(d0, d1, d2, d3) -> (d3)>
func.func @quantization_after_another_user(%a: tensor<1x4x4x16xf32>, %s: tensor<16xf32>) -> (tensor<1x4x4x16xf32>, tensor<1x4x4x16xi8>) {
  %e = tensor.empty() : tensor<1x4x4x16xf32>
  %scaled = linalg.generic {indexing_maps = [#id, #ch, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%a, %s : tensor<1x4x4x16xf32>, tensor<16xf32>) outs(%e : tensor<1x4x4x16xf32>) {
  ^bb0(%x: f32, %y: f32, %o: f32):
    %m = arith.mulf %x, %y : f32
    linalg.yield %m : f32
  } -> tensor<1x4x4x16xf32>
  %e2 = tensor.empty() : tensor<1x4x4x16xf32>
  %used = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%scaled : tensor<1x4x4x16xf32>) outs(%e2 : tensor<1x4x4x16xf32>) {
  ^bb0(%x: f32, %o: f32):
    %n = arith.negf %x : f32
    linalg.yield %n : f32
  } -> tensor<1x4x4x16xf32>
  %e8 = tensor.empty() : tensor<1x4x4x16xi8>
  %r = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%scaled : tensor<1x4x4x16xf32>) outs(%e8 : tensor<1x4x4x16xi8>) {
  ^bb0(%x: f32, %o: i8):
    %t = arith.fptosi %x : f32 to i8
    linalg.yield %t : i8
  } -> tensor<1x4x4x16xi8>
  return %used, %r : tensor<1x4x4x16xf32>, tensor<1x4x4x16xi8>
}

// -----

// Left alone: a single-use producer (linalg-fuse-elementwise-ops' case), a
// consumer that does not quantize (f32 -> f32) and a bf16 rounding (fused,
// it measured slower).
// CHECK-LABEL: func.func @not_quantizing_or_single_use
// CHECK-COUNT-5: linalg.generic
// CHECK-NOT: :2 = linalg.generic
#id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
func.func @not_quantizing_or_single_use(%a: tensor<1x4x4x16xf32>) -> (tensor<1x4x4x16xf32>, tensor<1x4x4x16xf32>, tensor<1x4x4x16xi8>, tensor<1x4x4x16xbf16>) {
  %e = tensor.empty() : tensor<1x4x4x16xf32>
  %p = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%a : tensor<1x4x4x16xf32>) outs(%e : tensor<1x4x4x16xf32>) {
  ^bb0(%x: f32, %o: f32):
    %n = arith.negf %x : f32
    linalg.yield %n : f32
  } -> tensor<1x4x4x16xf32>
  %e2 = tensor.empty() : tensor<1x4x4x16xf32>
  %same = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%p : tensor<1x4x4x16xf32>) outs(%e2 : tensor<1x4x4x16xf32>) {
  ^bb0(%x: f32, %o: f32):
    %n = arith.negf %x : f32
    linalg.yield %n : f32
  } -> tensor<1x4x4x16xf32>
  %single = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%a : tensor<1x4x4x16xf32>) outs(%e : tensor<1x4x4x16xf32>) {
  ^bb0(%x: f32, %o: f32):
    %n = arith.negf %x : f32
    linalg.yield %n : f32
  } -> tensor<1x4x4x16xf32>
  %e8 = tensor.empty() : tensor<1x4x4x16xi8>
  %q = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%single : tensor<1x4x4x16xf32>) outs(%e8 : tensor<1x4x4x16xi8>) {
  ^bb0(%x: f32, %o: i8):
    %i = arith.fptosi %x : f32 to i8
    linalg.yield %i : i8
  } -> tensor<1x4x4x16xi8>
  %eb = tensor.empty() : tensor<1x4x4x16xbf16>
  %round = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%p : tensor<1x4x4x16xf32>) outs(%eb : tensor<1x4x4x16xbf16>) {
  ^bb0(%x: f32, %o: bf16):
    %t = arith.truncf %x : f32 to bf16
    linalg.yield %t : bf16
  } -> tensor<1x4x4x16xbf16>
  return %p, %same, %q, %round : tensor<1x4x4x16xf32>, tensor<1x4x4x16xf32>, tensor<1x4x4x16xi8>, tensor<1x4x4x16xbf16>
}

// -----

// A conv's fused residual-add epilogue whose sum is also quantized: the
// two-result epilogue accumulates in place on the residual (the int8 copy
// keeps its own destination) and is tiled by the conv's register
// block, both results written from the tile.
// CHECK-LABEL: func.func @conv_epilogue_with_narrow_copy
// CHECK: linalg.conv_2d_nhwc_hwcf
// CHECK: linalg.generic {{.*}}outs(%{{.*}}, %{{.*}} : tensor<1x8x8x32xf32>, tensor<1x8x8x32xi8>)
// TILED-LABEL: func.func @conv_epilogue_with_narrow_copy
// TILED: %[[R:.*]] = linalg.generic
// TILED: scf.forall {{.*}} shared_outs(%{{.*}} = %[[R]], %{{.*}} = %{{.*}}) -> (tensor<1x8x8x32xf32>, tensor<1x8x8x32xi8>)
// TILED: vector.contract
// TILED: arith.fptosi {{.*}} : vector<{{.*}}xf32> to vector<{{.*}}xi8>
// TILED-COUNT-2: tensor.parallel_insert_slice
#id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
func.func @conv_epilogue_with_narrow_copy(%x: tensor<1x8x8x32xf32>, %w: tensor<1x1x32x32xf32>, %b: tensor<1x8x8x32xf32>) -> (tensor<1x8x8x32xf32>, tensor<1x8x8x32xf32>) {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x8x8x32xf32>
  %r = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
     ins(%x : tensor<1x8x8x32xf32>) outs(%e : tensor<1x8x8x32xf32>) {
  ^bb0(%in: f32, %out: f32):
    %m = arith.maximumf %in, %zero : f32
    linalg.yield %m : f32
  } -> tensor<1x8x8x32xf32>
  %y = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
     ins(%r, %w : tensor<1x8x8x32xf32>, tensor<1x1x32x32xf32>) outs(%b : tensor<1x8x8x32xf32>) -> tensor<1x8x8x32xf32>
  %e2 = tensor.empty() : tensor<1x8x8x32xf32>
  %sum = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
     ins(%y, %r : tensor<1x8x8x32xf32>, tensor<1x8x8x32xf32>) outs(%e2 : tensor<1x8x8x32xf32>) {
  ^bb0(%a: f32, %c: f32, %out: f32):
    %s = arith.addf %a, %c : f32
    %m = arith.maximumf %s, %zero : f32
    linalg.yield %m : f32
  } -> tensor<1x8x8x32xf32>
  %e8 = tensor.empty() : tensor<1x8x8x32xi8>
  %round = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
     ins(%sum : tensor<1x8x8x32xf32>) outs(%e8 : tensor<1x8x8x32xi8>) {
  ^bb0(%in: f32, %out: i8):
    %t = arith.fptosi %in : f32 to i8
    linalg.yield %t : i8
  } -> tensor<1x8x8x32xi8>
  %e3 = tensor.empty() : tensor<1x8x8x32xf32>
  %next = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
     ins(%sum : tensor<1x8x8x32xf32>) outs(%e3 : tensor<1x8x8x32xf32>) {
  ^bb0(%in: f32, %out: f32):
    %n = arith.negf %in : f32
    linalg.yield %n : f32
  } -> tensor<1x8x8x32xf32>
  %e4 = tensor.empty() : tensor<1x8x8x32xf32>
  %widened = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
     ins(%round : tensor<1x8x8x32xi8>) outs(%e4 : tensor<1x8x8x32xf32>) {
  ^bb0(%in: i8, %out: f32):
    %w2 = arith.sitofp %in : i8 to f32
    linalg.yield %w2 : f32
  } -> tensor<1x8x8x32xf32>
  return %next, %widened : tensor<1x8x8x32xf32>, tensor<1x8x8x32xf32>
}
