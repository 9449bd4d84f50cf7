// A bf16 conv on a CPU with AMX (sapphirerapids), end to end through the
// schedule: 28 x 32 register blocks as 2 x 2 tiles of 14 pixels x 16
// channels, 32 input channels a step.
// RUN: cnnc-opt %s --split-input-file --cnnc-demote-convs-to-bf16 --canonicalize --cnnc-attach-target=cpu=sapphirerapids --cnnc-select-cpu-schedules --cnnc-tile-and-vectorize --cnnc-lower-contractions-to-amx --canonicalize --cse | FileCheck %s
// A marked contraction the pass cannot take (its rhs is no filter prepared
// as pairs) loses its mark and stays a contraction.
// RUN: cnnc-opt %s --split-input-file --cnnc-lower-contractions-to-amx | FileCheck %s --check-prefix=LEFT

// The accumulator (the bias broadcast) enters the four tiles through a
// stack buffer, the tiles are carried through the kh, kw and channel loops,
// each step loads two input tiles (rows of 14 pixels, the input's pitch)
// and two filter tiles (16 channel pairs x 16 channels, rows 128 elements
// apart in the pairs [F/64, KH, KW, C/2, 64, 2]) and multiplies four
// times; the tiles leave through the buffer, whose stack is restored.
// CHECK-LABEL: func.func @conv_tiles
// CHECK: scf.forall {{.*}} step (1, 28, 32)
// CHECK: %[[STACK:.*]] = llvm.intr.stacksave : !llvm.ptr
// CHECK: %[[BUF:.*]] = memref.alloca() {alignment = 64 : i64} : memref<28x32xf32>
// CHECK: vector.transfer_write %{{.*}}, %[[BUF]]
// CHECK-COUNT-4: amx.tile_load %[[BUF]]{{.*}} into !amx.tile<14x16xf32>
// CHECK: scf.for {{.*}} -> (!amx.tile<14x16xf32>, !amx.tile<14x16xf32>, !amx.tile<14x16xf32>, !amx.tile<14x16xf32>)
// CHECK: scf.for {{.*}} -> (!amx.tile<14x16xf32>, !amx.tile<14x16xf32>, !amx.tile<14x16xf32>, !amx.tile<14x16xf32>)
// CHECK: scf.for {{.*}} step %c32 {{.*}} -> (!amx.tile<14x16xf32>, !amx.tile<14x16xf32>, !amx.tile<14x16xf32>, !amx.tile<14x16xf32>)
// CHECK: %[[IN:.*]] = bufferization.to_buffer %{{.*}} read_only : tensor<1x58x58x64xbf16> to memref<1x58x58x64xbf16, strided<[?, ?, ?, 1], offset: ?>>
// CHECK: %[[W:.*]] = bufferization.to_buffer %{{.*}} read_only : tensor<1x3x3x32x64x2xbf16> to memref<1x3x3x32x64x2xbf16, strided<[?, ?, ?, ?, ?, 1], offset: ?>>
// CHECK-COUNT-2: amx.tile_load %[[IN]]{{.*}} into !amx.tile<14x32xbf16>
// CHECK: amx.tile_load %[[W]]{{.*}}, %c128 : {{.*}} into !amx.tile<16x32xbf16>
// CHECK-COUNT-2: amx.tile_mulf
// CHECK: amx.tile_load %[[W]]{{.*}}, %c128 : {{.*}} into !amx.tile<16x32xbf16>
// CHECK-COUNT-2: amx.tile_mulf
// CHECK-COUNT-4: amx.tile_store %[[BUF]]
// CHECK: vector.transfer_read %[[BUF]]
// CHECK: llvm.intr.stackrestore %[[STACK]]
// CHECK-NOT: vector.contract
func.func @conv_tiles(%x: tensor<1x58x58x64xf32>, %w: tensor<3x3x64x64xf32>, %bias: tensor<64xf32>) -> tensor<1x56x56x64xf32> {
  %e = tensor.empty() : tensor<1x56x56x64xf32>
  %b = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d3)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%bias : tensor<64xf32>) outs(%e : tensor<1x56x56x64xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  } -> tensor<1x56x56x64xf32>
  %y = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
     ins(%x, %w : tensor<1x58x58x64xf32>, tensor<3x3x64x64xf32>) outs(%b : tensor<1x56x56x64xf32>) -> tensor<1x56x56x64xf32>
  return %y : tensor<1x56x56x64xf32>
}

// -----

// A 1x1 conv over 32 input channels: its kh, kw and channel loops have one
// iteration each (folded away), and its block still runs on tiles: 1 row tile
// of 14 pixels x 2 channel tiles.
// CHECK-LABEL: func.func @pointwise_one_step
// CHECK: scf.forall
// CHECK-NOT: scf.for
// CHECK-COUNT-2: amx.tile_mulf {{.*}} : !amx.tile<14x32xbf16>, !amx.tile<16x32xbf16>, !amx.tile<14x16xf32>
// CHECK-NOT: vector.contract
func.func @pointwise_one_step(%x: tensor<1x14x14x32xf32>, %w: tensor<1x1x32x32xf32>, %b: tensor<1x14x14x32xf32>) -> tensor<1x14x14x32xf32> {
  %y = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
     ins(%x, %w : tensor<1x14x14x32xf32>, tensor<1x1x32x32xf32>) outs(%b : tensor<1x14x14x32xf32>) -> tensor<1x14x14x32xf32>
  return %y : tensor<1x14x14x32xf32>
}

// -----

// CHECK-LABEL: func.func @not_a_paired_filter
// LEFT-LABEL: func.func @not_a_paired_filter
// LEFT: vector.contract
// LEFT-NOT: codegen.matrix_tiles
// LEFT-NOT: amx.
func.func @not_a_paired_filter(%lhs: vector<1x14x32xbf16>, %rhs: vector<32x16xbf16>, %acc: vector<1x14x16xf32>) -> vector<1x14x16xf32> {
  %l = arith.extf %lhs : vector<1x14x32xbf16> to vector<1x14x32xf32>
  %r = arith.extf %rhs : vector<32x16xbf16> to vector<32x16xf32>
  %y = vector.contract {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d1, d3)>, affine_map<(d0, d1, d2, d3) -> (d3, d2)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>], iterator_types = ["parallel", "parallel", "parallel", "reduction"], kind = #vector.kind<add>} %l, %r, %acc {codegen.matrix_tiles = #codegen.conv_schedule<batch_tile = 1, width_tile = 14, channel_tile = 16, reduction_step = 32, order = rows, tile_rows = 14>} : vector<1x14x32xf32>, vector<32x16xf32> into vector<1x14x16xf32>
  return %y : vector<1x14x16xf32>
}
