// The schedules are selected first (a chain needs its blocks' initializers
// fused into the register blocks), as in cnnc's pipeline.
// RUN: cnnc-opt %s --split-input-file --cnnc-attach-target=cpu=znver5 --cnnc-fuse-conv-epilogues --cnnc-select-cpu-schedules --cnnc-accumulate-into-residual | FileCheck %s
// RUN: cnnc-opt %s --split-input-file --cnnc-attach-target=cpu=znver5 --cnnc-fuse-conv-epilogues --cnnc-select-cpu-schedules --cnnc-accumulate-into-residual --cnnc-tile-and-vectorize | FileCheck %s --check-prefix=TILED
// RUN: cnnc-opt %s --split-input-file --cnnc-attach-target=cpu=znver5 --cnnc-fuse-conv-epilogues --cnnc-select-cpu-schedules=max-grouped-register-blocks=1 --cnnc-accumulate-into-residual | FileCheck %s --check-prefix=UNGROUPED

// ResNet's identity block: the residual %r is read by the first conv and
// for the last time by the add, so the add accumulates in place on it (%r
// becomes its destination, read through the output argument); the conv it
// absorbs is marked as before. A second block whose residual is read again
// afterwards (%r2 by the final add) keeps a fresh destination.
// CHECK-LABEL: func.func @residual_in_place
// CHECK: %[[R:.*]] = linalg.generic
// CHECK: %[[C:.*]] = linalg.conv_2d_nhwc_hwcf {cnn.fused_epilogue
// CHECK: %[[SUM:.*]] = linalg.generic {{.*}} ins(%[[C]] : tensor<1x8x8x32xf32>) outs(%[[R]] : tensor<1x8x8x32xf32>)
// CHECK-NEXT: ^bb0(%[[IN:[a-z0-9_]+]]: f32, %[[RES:[a-z0-9_]+]]: f32):
// CHECK-NEXT: arith.addf %[[IN]], %[[RES]]
// CHECK: %[[C2:.*]] = linalg.conv_2d_nhwc_hwcf {cnn.fused_epilogue
// CHECK: linalg.generic {{.*}} ins(%[[C2]], %[[SUM]] : tensor<1x8x8x32xf32>, tensor<1x8x8x32xf32>) outs(%{{.*}} : tensor<1x8x8x32xf32>)
#id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
func.func @residual_in_place(%x: tensor<1x8x8x32xf32>, %w: tensor<1x1x32x32xf32>, %b: tensor<1x8x8x32xf32>) -> tensor<1x8x8x32xf32> {
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
  %r2 = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
     ins(%y, %r : tensor<1x8x8x32xf32>, tensor<1x8x8x32xf32>) outs(%e : tensor<1x8x8x32xf32>) {
  ^bb0(%a: f32, %c: f32, %out: f32):
    %sum = arith.addf %a, %c : f32
    linalg.yield %sum : f32
  } -> tensor<1x8x8x32xf32>
  %y2 = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
     ins(%r2, %w : tensor<1x8x8x32xf32>, tensor<1x1x32x32xf32>) outs(%b : tensor<1x8x8x32xf32>) -> tensor<1x8x8x32xf32>
  %r3 = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
     ins(%y2, %r2 : tensor<1x8x8x32xf32>, tensor<1x8x8x32xf32>) outs(%e : tensor<1x8x8x32xf32>) {
  ^bb0(%a: f32, %c: f32, %out: f32):
    %sum = arith.addf %a, %c : f32
    linalg.yield %sum : f32
  } -> tensor<1x8x8x32xf32>
  %final = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
     ins(%r3, %r2 : tensor<1x8x8x32xf32>, tensor<1x8x8x32xf32>) outs(%e : tensor<1x8x8x32xf32>) {
  ^bb0(%a: f32, %c: f32, %out: f32):
    %sum = arith.addf %a, %c : f32
    linalg.yield %sum : f32
  } -> tensor<1x8x8x32xf32>
  return %final : tensor<1x8x8x32xf32>
}

// -----

// Left alone: a residual that is the function's input (the caller's
// buffer), and an epilogue whose result is returned (written to the
// caller's buffer anyway: in place on the residual it would be copied).
// CHECK-LABEL: func.func @not_in_place
// CHECK: %[[C:.*]] = linalg.conv_2d_nhwc_hwcf {cnn.fused_epilogue
// CHECK: %[[E:.*]] = linalg.generic {{.*}} ins(%[[C]], %arg0 : tensor<1x8x8x32xf32>, tensor<1x8x8x32xf32>) outs(%{{.*}} : tensor<1x8x8x32xf32>)
// CHECK: %[[C2:.*]] = linalg.conv_2d_nhwc_hwcf {cnn.fused_epilogue
// CHECK: linalg.generic {{.*}} ins(%[[C2]], %[[E]] : tensor<1x8x8x32xf32>, tensor<1x8x8x32xf32>) outs(%{{.*}} : tensor<1x8x8x32xf32>)
#id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
func.func @not_in_place(%x: tensor<1x8x8x32xf32>, %w: tensor<1x1x32x32xf32>, %b: tensor<1x8x8x32xf32>) -> tensor<1x8x8x32xf32> {
  %e = tensor.empty() : tensor<1x8x8x32xf32>
  %y = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
     ins(%x, %w : tensor<1x8x8x32xf32>, tensor<1x1x32x32xf32>) outs(%b : tensor<1x8x8x32xf32>) -> tensor<1x8x8x32xf32>
  %r = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
     ins(%y, %x : tensor<1x8x8x32xf32>, tensor<1x8x8x32xf32>) outs(%e : tensor<1x8x8x32xf32>) {
  ^bb0(%a: f32, %c: f32, %out: f32):
    %sum = arith.addf %a, %c : f32
    linalg.yield %sum : f32
  } -> tensor<1x8x8x32xf32>
  %y2 = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
     ins(%r, %w : tensor<1x8x8x32xf32>, tensor<1x1x32x32xf32>) outs(%b : tensor<1x8x8x32xf32>) -> tensor<1x8x8x32xf32>
  %r2 = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
     ins(%y2, %r : tensor<1x8x8x32xf32>, tensor<1x8x8x32xf32>) outs(%e : tensor<1x8x8x32xf32>) {
  ^bb0(%a: f32, %c: f32, %out: f32):
    %sum = arith.addf %a, %c : f32
    linalg.yield %sum : f32
  } -> tensor<1x8x8x32xf32>
  return %r2 : tensor<1x8x8x32xf32>
}

// -----

// A conv split into two 64-channel filter blocks (cnnc-block-conv-filters)
// whose consumer adds a residual %res read there for the last time:
// cnnc-fuse-conv-epilogues splits the consumer per block, and each block
// then writes its slice of %res, reading it through the destination. The
// chain starts from %res (its first insert marked cnn.chain_start), and
// each block's bias broadcast goes to a tile of its own rather than into
// the residual's slice.
// A chain whose rows are too many for one forall over its blocks
// (max-grouped-register-blocks=1) is grouped all the same once it
// accumulates into the residual: as a block per forall, the in-place stage
// makes One-Shot Bufferize's analysis cubic.
// UNGROUPED-LABEL: func.func @block_chain_residual
// UNGROUPED-COUNT-2: linalg.conv_2d_nhwc_hwcf {cnn.fused_epilogue{{.*}}order = rows, fuse_epilogue = true, fuse_init = true, group_chain = true>
// UNGROUPED-LABEL: func.func @chain_on_chain
// CHECK-LABEL: func.func @block_chain_residual
// CHECK: %[[RES:.*]] = linalg.generic
// CHECK: %[[OUT0:.*]] = tensor.extract_slice %[[RES]][0, 0, 0, 0] [1, 7, 7, 64]
// CHECK: %[[TILE0:.*]] = tensor.empty() : tensor<1x7x7x64xf32>
// CHECK: %[[BIAS0:.*]] = linalg.generic {{.*}} outs(%[[TILE0]] : tensor<1x7x7x64xf32>)
// CHECK: %[[CONV0:.*]] = linalg.conv_2d_nhwc_hwcf {cnn.fused_epilogue{{.*}} outs(%[[BIAS0]] :
// CHECK: %[[SUM0:.*]] = linalg.generic {{.*}} ins(%[[CONV0]] : tensor<1x7x7x64xf32>) outs(%[[OUT0]] : tensor<1x7x7x64xf32>)
// CHECK: arith.addf
// CHECK: %[[R0:.*]] = tensor.insert_slice %[[SUM0]] into %[[RES]][0, 0, 0, 0] [1, 7, 7, 64] [1, 1, 1, 1] {cnn.chain_start}
// CHECK: %[[OUT1:.*]] = tensor.extract_slice %[[R0]][0, 0, 0, 64] [1, 7, 7, 64]
// CHECK: %[[TILE1:.*]] = tensor.empty() : tensor<1x7x7x64xf32>
// CHECK: linalg.generic {{.*}} outs(%[[TILE1]] : tensor<1x7x7x64xf32>)
// CHECK: %[[CONV1:.*]] = linalg.conv_2d_nhwc_hwcf {cnn.fused_epilogue
// CHECK: %[[SUM1:.*]] = linalg.generic {{.*}} ins(%[[CONV1]] : tensor<1x7x7x64xf32>) outs(%[[OUT1]] : tensor<1x7x7x64xf32>)
// CHECK: %[[R1:.*]] = tensor.insert_slice %[[SUM1]] into %[[R0]][0, 0, 0, 64] [1, 7, 7, 64] [1, 1, 1, 1] :
// CHECK: linalg.generic {{.*}} ins(%[[R1]] :
#id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#ch = affine_map<(d0, d1, d2, d3) -> (d3)>
func.func @block_chain_residual(%x: tensor<1x9x9x32xf32>, %w0: tensor<3x3x32x64xf32>, %w1: tensor<3x3x32x64xf32>, %bias: tensor<128xf32>, %skip: tensor<1x7x7x128xf32>) -> tensor<1x7x7x128xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x7x7x128xf32>
  %res = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
     ins(%skip : tensor<1x7x7x128xf32>) outs(%e : tensor<1x7x7x128xf32>) {
  ^bb0(%in: f32, %out: f32):
    %m = arith.maximumf %in, %zero : f32
    linalg.yield %m : f32
  } -> tensor<1x7x7x128xf32>
  %acc = linalg.generic {indexing_maps = [#ch, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
     ins(%bias : tensor<128xf32>) outs(%e : tensor<1x7x7x128xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  } -> tensor<1x7x7x128xf32>
  %a0 = tensor.extract_slice %acc[0, 0, 0, 0] [1, 7, 7, 64] [1, 1, 1, 1] : tensor<1x7x7x128xf32> to tensor<1x7x7x64xf32>
  %y0 = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
     ins(%x, %w0 : tensor<1x9x9x32xf32>, tensor<3x3x32x64xf32>) outs(%a0 : tensor<1x7x7x64xf32>) -> tensor<1x7x7x64xf32>
  %r0 = tensor.insert_slice %y0 into %acc[0, 0, 0, 0] [1, 7, 7, 64] [1, 1, 1, 1] : tensor<1x7x7x64xf32> into tensor<1x7x7x128xf32>
  %a1 = tensor.extract_slice %r0[0, 0, 0, 64] [1, 7, 7, 64] [1, 1, 1, 1] : tensor<1x7x7x128xf32> to tensor<1x7x7x64xf32>
  %y1 = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
     ins(%x, %w1 : tensor<1x9x9x32xf32>, tensor<3x3x32x64xf32>) outs(%a1 : tensor<1x7x7x64xf32>) -> tensor<1x7x7x64xf32>
  %r1 = tensor.insert_slice %y1 into %r0[0, 0, 0, 64] [1, 7, 7, 64] [1, 1, 1, 1] : tensor<1x7x7x64xf32> into tensor<1x7x7x128xf32>
  %sum = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
     ins(%r1, %res : tensor<1x7x7x128xf32>, tensor<1x7x7x128xf32>) outs(%e : tensor<1x7x7x128xf32>) {
  ^bb0(%a: f32, %c: f32, %out: f32):
    %s = arith.addf %a, %c : f32
    linalg.yield %s : f32
  } -> tensor<1x7x7x128xf32>
  %final = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
     ins(%sum : tensor<1x7x7x128xf32>) outs(%e : tensor<1x7x7x128xf32>) {
  ^bb0(%in: f32, %out: f32):
    %m = arith.maximumf %in, %zero : f32
    linalg.yield %m : f32
  } -> tensor<1x7x7x128xf32>
  return %final : tensor<1x7x7x128xf32>
}

// -----

// The residual is itself a filter-block chain's result (ResNet's
// downsampling conv, split into blocks): the second chain starts on it,
// marked, and each becomes its own parallel loop over its two blocks; the
// second reads the residual from the tile it writes.
// CHECK-LABEL: func.func @chain_on_chain
// CHECK: tensor.insert_slice {{.*}} {cnn.chain_start}
// TILED-LABEL: func.func @chain_on_chain
// TILED: %[[SKIP:.*]] = scf.forall (%{{.*}}) in (2) shared_outs(
// TILED: scf.forall (%{{.*}}) in (2) shared_outs(%{{.*}} = %[[SKIP]])
// TILED-NOT: scf.forall (%{{.*}}) in (2)
// TILED: return
#id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#ch = affine_map<(d0, d1, d2, d3) -> (d3)>
func.func @chain_on_chain(%x: tensor<1x7x7x64xf32>, %w0: tensor<1x1x64x64xf32>, %w1: tensor<1x1x64x64xf32>, %bias: tensor<128xf32>) -> tensor<1x7x7x128xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x7x7x128xf32>
  %acc = linalg.generic {indexing_maps = [#ch, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
     ins(%bias : tensor<128xf32>) outs(%e : tensor<1x7x7x128xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  } -> tensor<1x7x7x128xf32>
  %s0 = tensor.extract_slice %acc[0, 0, 0, 0] [1, 7, 7, 64] [1, 1, 1, 1] : tensor<1x7x7x128xf32> to tensor<1x7x7x64xf32>
  %z0 = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
     ins(%x, %w1 : tensor<1x7x7x64xf32>, tensor<1x1x64x64xf32>) outs(%s0 : tensor<1x7x7x64xf32>) -> tensor<1x7x7x64xf32>
  %q0 = tensor.insert_slice %z0 into %acc[0, 0, 0, 0] [1, 7, 7, 64] [1, 1, 1, 1] : tensor<1x7x7x64xf32> into tensor<1x7x7x128xf32>
  %s1 = tensor.extract_slice %q0[0, 0, 0, 64] [1, 7, 7, 64] [1, 1, 1, 1] : tensor<1x7x7x128xf32> to tensor<1x7x7x64xf32>
  %z1 = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
     ins(%x, %w0 : tensor<1x7x7x64xf32>, tensor<1x1x64x64xf32>) outs(%s1 : tensor<1x7x7x64xf32>) -> tensor<1x7x7x64xf32>
  %skip = tensor.insert_slice %z1 into %q0[0, 0, 0, 64] [1, 7, 7, 64] [1, 1, 1, 1] : tensor<1x7x7x64xf32> into tensor<1x7x7x128xf32>
  %acc2 = linalg.generic {indexing_maps = [#ch, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
     ins(%bias : tensor<128xf32>) outs(%e : tensor<1x7x7x128xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  } -> tensor<1x7x7x128xf32>
  %a0 = tensor.extract_slice %acc2[0, 0, 0, 0] [1, 7, 7, 64] [1, 1, 1, 1] : tensor<1x7x7x128xf32> to tensor<1x7x7x64xf32>
  %y0 = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
     ins(%x, %w0 : tensor<1x7x7x64xf32>, tensor<1x1x64x64xf32>) outs(%a0 : tensor<1x7x7x64xf32>) -> tensor<1x7x7x64xf32>
  %r0 = tensor.insert_slice %y0 into %acc2[0, 0, 0, 0] [1, 7, 7, 64] [1, 1, 1, 1] : tensor<1x7x7x64xf32> into tensor<1x7x7x128xf32>
  %a1 = tensor.extract_slice %r0[0, 0, 0, 64] [1, 7, 7, 64] [1, 1, 1, 1] : tensor<1x7x7x128xf32> to tensor<1x7x7x64xf32>
  %y1 = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
     ins(%x, %w1 : tensor<1x7x7x64xf32>, tensor<1x1x64x64xf32>) outs(%a1 : tensor<1x7x7x64xf32>) -> tensor<1x7x7x64xf32>
  %r1 = tensor.insert_slice %y1 into %r0[0, 0, 0, 64] [1, 7, 7, 64] [1, 1, 1, 1] : tensor<1x7x7x64xf32> into tensor<1x7x7x128xf32>
  %sum = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
     ins(%r1, %skip : tensor<1x7x7x128xf32>, tensor<1x7x7x128xf32>) outs(%e : tensor<1x7x7x128xf32>) {
  ^bb0(%a: f32, %c: f32, %out: f32):
    %s = arith.addf %a, %c : f32
    %m = arith.maximumf %s, %zero : f32
    linalg.yield %m : f32
  } -> tensor<1x7x7x128xf32>
  %final = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
     ins(%sum : tensor<1x7x7x128xf32>) outs(%e : tensor<1x7x7x128xf32>) {
  ^bb0(%in: f32, %out: f32):
    %n = arith.negf %in : f32
    linalg.yield %n : f32
  } -> tensor<1x7x7x128xf32>
  return %final : tensor<1x7x7x128xf32>
}

// -----

// Not a chain written in place: the blocks of a 3x3 conv over 512 channels
// at rows of 7 take the chunked filter-block order, whose schedule leaves
// the bias broadcast a whole-block op (it would need a buffer per block
// inside the chain's loop); the epilogues keep their fresh tensor.
// CHECK-LABEL: func.func @chain_initializer_not_fused
// CHECK-NOT: cnn.chain_start
// CHECK: return
#id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#ch = affine_map<(d0, d1, d2, d3) -> (d3)>
func.func @chain_initializer_not_fused(%x: tensor<1x9x9x512xf32>, %w0: tensor<3x3x512x64xf32>, %w1: tensor<3x3x512x64xf32>, %bias: tensor<128xf32>, %skip: tensor<1x7x7x128xf32>) -> tensor<1x7x7x128xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x7x7x128xf32>
  %res = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
     ins(%skip : tensor<1x7x7x128xf32>) outs(%e : tensor<1x7x7x128xf32>) {
  ^bb0(%in: f32, %out: f32):
    %m = arith.maximumf %in, %zero : f32
    linalg.yield %m : f32
  } -> tensor<1x7x7x128xf32>
  %acc = linalg.generic {indexing_maps = [#ch, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
     ins(%bias : tensor<128xf32>) outs(%e : tensor<1x7x7x128xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  } -> tensor<1x7x7x128xf32>
  %a0 = tensor.extract_slice %acc[0, 0, 0, 0] [1, 7, 7, 64] [1, 1, 1, 1] : tensor<1x7x7x128xf32> to tensor<1x7x7x64xf32>
  %y0 = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
     ins(%x, %w0 : tensor<1x9x9x512xf32>, tensor<3x3x512x64xf32>) outs(%a0 : tensor<1x7x7x64xf32>) -> tensor<1x7x7x64xf32>
  %r0 = tensor.insert_slice %y0 into %acc[0, 0, 0, 0] [1, 7, 7, 64] [1, 1, 1, 1] : tensor<1x7x7x64xf32> into tensor<1x7x7x128xf32>
  %a1 = tensor.extract_slice %r0[0, 0, 0, 64] [1, 7, 7, 64] [1, 1, 1, 1] : tensor<1x7x7x128xf32> to tensor<1x7x7x64xf32>
  %y1 = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
     ins(%x, %w1 : tensor<1x9x9x512xf32>, tensor<3x3x512x64xf32>) outs(%a1 : tensor<1x7x7x64xf32>) -> tensor<1x7x7x64xf32>
  %r1 = tensor.insert_slice %y1 into %r0[0, 0, 0, 64] [1, 7, 7, 64] [1, 1, 1, 1] : tensor<1x7x7x64xf32> into tensor<1x7x7x128xf32>
  %sum = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
     ins(%r1, %res : tensor<1x7x7x128xf32>, tensor<1x7x7x128xf32>) outs(%e : tensor<1x7x7x128xf32>) {
  ^bb0(%a: f32, %c: f32, %out: f32):
    %s = arith.addf %a, %c : f32
    linalg.yield %s : f32
  } -> tensor<1x7x7x128xf32>
  %final = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
     ins(%sum : tensor<1x7x7x128xf32>) outs(%e : tensor<1x7x7x128xf32>) {
  ^bb0(%in: f32, %out: f32):
    %m = arith.maximumf %in, %zero : f32
    linalg.yield %m : f32
  } -> tensor<1x7x7x128xf32>
  return %final : tensor<1x7x7x128xf32>
}
