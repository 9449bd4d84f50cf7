// RUN: cnnc-opt %s --split-input-file --cnnc-attach-target=cpu=znver5 --cnnc-lower-winograd-convs | FileCheck %s
// RUN: not cnnc-opt %s --split-input-file --cnnc-lower-winograd-convs 2>&1 | FileCheck %s --check-prefix=NOTARGET

// A 14x14 output in 4x4 tiles (the last tile row and column partial) with
// a bias broadcast and a residual add + ReLU consumer: one forall over
// images and tile rows, writing a dynamic slice of rows (2 in the last);
// per block of 2 tiles the patches' transforms go to a [2, 36, 16] stack
// buffer, the products of a 32-channel tile to [2, 36, 32]; the bias is
// read as a vector, the consumer's body applied to vectors, and rows past
// the output's edge guarded.
// CHECK-LABEL: func.func @forward
// CHECK: %[[E:.*]] = tensor.empty() : tensor<1x14x14x32xf32>
// CHECK: scf.forall (%[[N:.*]], %[[TH:.*]]) in (1, 4) shared_outs(%[[OUT:.*]] = %[[E]])
// CHECK: %[[ROWS:.*]] = arith.minsi
// CHECK: %[[SLICE:.*]] = tensor.extract_slice %[[OUT]][%[[N]], %{{.*}}, 0, 0] [1, %[[ROWS]], 14, 32] [1, 1, 1, 1] : tensor<1x14x14x32xf32> to tensor<1x?x14x32xf32>
// CHECK: memref.alloca() : memref<2x36x16xf32>
// CHECK: memref.alloca() : memref<2x36x32xf32>
// CHECK: vector.transfer_read %arg0
// CHECK: vector.store {{.*}} : memref<2x36x16xf32>, vector<16xf32>
// CHECK: memref.load {{.*}} : memref<2x36x16xf32>
// CHECK: vector.broadcast {{.*}} : f32 to vector<16xf32>
// CHECK: vector.fma
// CHECK: vector.load {{.*}} : memref<2x36x32xf32>, vector<16xf32>
// CHECK: vector.transfer_read %arg2[{{.*}}]{{.*}} : tensor<32xf32>, vector<16xf32>
// CHECK: vector.transfer_read %arg3
// CHECK: arith.maximumf {{.*}} : vector<16xf32>
// CHECK: vector.transfer_write {{.*}} : vector<16xf32>, tensor<1x?x14x32xf32>
// CHECK: scf.if
// CHECK: tensor.parallel_insert_slice %{{.*}} into %[[OUT]][%[[N]], %{{.*}}, 0, 0] [1, %[[ROWS]], 14, 32]
// CHECK-NOT: codegen.winograd_conv2d
// CHECK-NOT: linalg.generic
// NOTARGET: needs a #codegen.winograd_schedule and the module's codegen.target
#bias = affine_map<(n, h, w, f) -> (f)>
#id = affine_map<(n, h, w, f) -> (n, h, w, f)>
func.func @forward(%x: tensor<1x18x18x16xf32>, %u: tensor<6x6x16x32xf32>, %b: tensor<32xf32>,
                   %r: tensor<1x14x14x32xf32>) -> tensor<1x14x14x32xf32> {
  %e = tensor.empty() : tensor<1x14x14x32xf32>
  %init = linalg.generic {indexing_maps = [#bias, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%b : tensor<32xf32>) outs(%e : tensor<1x14x14x32xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  } -> tensor<1x14x14x32xf32>
  %y = codegen.winograd_conv2d ins(%x, %u : tensor<1x18x18x16xf32>, tensor<6x6x16x32xf32>) outs(%init : tensor<1x14x14x32xf32>)
      {output_tile = 4 : i64, codegen.schedule = #codegen.winograd_schedule<tile_block = 2, channel_tile = 32>} -> tensor<1x14x14x32xf32>
  %zero = arith.constant 0.0 : f32
  %z = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%y, %r : tensor<1x14x14x32xf32>, tensor<1x14x14x32xf32>) outs(%e : tensor<1x14x14x32xf32>) {
  ^bb0(%a: f32, %c: f32, %out: f32):
    %s = arith.addf %a, %c : f32
    %m = arith.maximumf %s, %zero : f32
    linalg.yield %m : f32
  } -> tensor<1x14x14x32xf32>
  return %z : tensor<1x14x14x32xf32>
}

// -----

// The 3x3 filter itself (ResNet's 14x14x256 layer at batch 1, 13x13 here):
// a first forall writes every tile's transformed patches, [16, 36, 256];
// a second runs over the 8 channel tiles (one group of images), each transforming its filter
// slice 32 input channels at a time ([32, 36, 32] stack buffer, a
// channel's 36 vectors contiguous), accumulating every tile's products in
// [16, 36, 32] (the first chunk from zero), then writing all tiles of its
// channels (rows and columns past 13 guarded).
// CHECK-LABEL: func.func @filter_in_loops
// CHECK: %[[V0:.*]] = tensor.empty() : tensor<16x36x256xf32>
// CHECK: %[[V:.*]] = scf.forall (%{{.*}}, %{{.*}}) in (1, 4) shared_outs(%[[VO:.*]] = %[[V0]])
// CHECK: tensor.extract_slice %[[VO]][%{{.*}}, 0, 0] [4, 36, 256]
// CHECK: vector.transfer_write {{.*}} : vector<16xf32>, tensor<4x36x256xf32>
// CHECK: tensor.parallel_insert_slice
// CHECK: scf.forall (%{{.*}}, %[[FT:.*]]) in (1, 8) shared_outs(%[[OUT:.*]] = %arg2)
// CHECK: tensor.extract_slice %[[OUT]][%{{.*}}, 0, 0, %{{.*}}] [1, 13, 13, 32]
// CHECK: memref.alloca() : memref<32x36x32xf32>
// CHECK: memref.alloca() : memref<16x36x32xf32>
// CHECK: vector.transfer_read %arg1[%c0{{.*}}, %c0{{.*}}, %{{.*}}, %{{.*}}]
// CHECK: vector.store {{.*}} : memref<32x36x32xf32>, vector<16xf32>
// CHECK: scf.if
// CHECK: tensor.extract %[[V]]
// CHECK: vector.fma
// CHECK: arith.minsi
// CHECK: scf.if
// CHECK: vector.transfer_write {{.*}} : vector<16xf32>, tensor<1x13x13x32xf32>
// CHECK: tensor.parallel_insert_slice %{{.*}} into %[[OUT]][%{{.*}}, 0, 0, %{{.*}}] [1, 13, 13, 32]
func.func @filter_in_loops(%x: tensor<1x18x18x256xf32>, %g: tensor<3x3x256x256xf32>, %init: tensor<1x13x13x256xf32>) -> tensor<1x13x13x256xf32> {
  %y = codegen.winograd_conv2d ins(%x, %g : tensor<1x18x18x256xf32>, tensor<3x3x256x256xf32>) outs(%init : tensor<1x13x13x256xf32>)
      {output_tile = 4 : i64, codegen.schedule = #codegen.winograd_schedule<tile_block = 8, channel_tile = 32, filter_chunk = 32>} -> tensor<1x13x13x256xf32>
  return %y : tensor<1x13x13x256xf32>
}

// -----

// Groups of 2 of the 4 images: the second forall runs over 2 groups x 8
// channel tiles, each writing its images' slice of its channels.
// CHECK-LABEL: func.func @filter_in_loops_groups
// CHECK: scf.forall (%{{.*}}, %{{.*}}) in (4, 4)
// CHECK: scf.forall (%[[G:.*]], %[[FT:.*]]) in (2, 8) shared_outs(%[[OUT:.*]] = %arg2)
// CHECK: tensor.extract_slice %[[OUT]][%{{.*}}, 0, 0, %{{.*}}] [2, 13, 13, 32]
// CHECK: memref.alloca() : memref<32x36x32xf32>
// CHECK: tensor.parallel_insert_slice %{{.*}} into %[[OUT]][%{{.*}}, 0, 0, %{{.*}}] [2, 13, 13, 32]
func.func @filter_in_loops_groups(%x: tensor<4x18x18x256xf32>, %g: tensor<3x3x256x256xf32>, %init: tensor<4x13x13x256xf32>) -> tensor<4x13x13x256xf32> {
  %y = codegen.winograd_conv2d ins(%x, %g : tensor<4x18x18x256xf32>, tensor<3x3x256x256xf32>) outs(%init : tensor<4x13x13x256xf32>)
      {output_tile = 4 : i64, codegen.schedule = #codegen.winograd_schedule<tile_block = 11, channel_tile = 32, filter_chunk = 32, group_images = 2>} -> tensor<4x13x13x256xf32>
  return %y : tensor<4x13x13x256xf32>
}
