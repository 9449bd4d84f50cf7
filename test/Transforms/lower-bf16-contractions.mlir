// RUN: cnnc-opt %s --split-input-file --cnnc-lower-bf16-contractions | FileCheck %s
// A conv demoted to bf16 end to end: its filter's pairs are read directly.
// RUN: cnnc-opt %s --split-input-file --cnnc-demote-convs-to-bf16 --canonicalize --cnnc-attach-target=cpu=znver5 --cnnc-select-cpu-schedules --cnnc-tile-and-vectorize --cnnc-lower-bf16-contractions --canonicalize --cse | FileCheck %s --check-prefix=CONV

// Two pixels x 32 channels, K = 2: per pixel, its pair broadcast as one
// 32-bit word, and one dot product per 16-lane half of the channels, whose
// filter rows are interleaved by a shuffle each.
// CHECK-LABEL: func.func @contract_rows
// CHECK: %[[PAIR:.*]] = vector.extract %arg0[0, 0] : vector<2xbf16> from vector<1x2x2xbf16>
// CHECK: %[[WORDS:.*]] = vector.bitcast %[[PAIR]] : vector<2xbf16> to vector<1xi32>
// CHECK: %[[R0:.*]] = vector.extract %arg1[0] : vector<32xbf16> from vector<2x32xbf16>
// CHECK: %[[R1:.*]] = vector.extract %arg1[1] : vector<32xbf16> from vector<2x32xbf16>
// CHECK: %[[LO:.*]] = vector.shuffle %[[R0]], %[[R1]] [0, 32, 1, 33, 2, 34, {{.*}}, 15, 47]
// CHECK: %[[HI:.*]] = vector.shuffle %[[R0]], %[[R1]] [16, 48, 17, 49, {{.*}}, 31, 63]
// CHECK: %[[WORD:.*]] = vector.extract %[[WORDS]][0] : i32 from vector<1xi32>
// CHECK: %[[SPLAT:.*]] = vector.broadcast %[[WORD]] : i32 to vector<16xi32>
// CHECK: %[[A:.*]] = vector.bitcast %[[SPLAT]] : vector<16xi32> to vector<32xbf16>
// CHECK: x86vector.avx512.dot %{{.*}}, %[[A]], %[[LO]] : vector<32xbf16> -> vector<16xf32>
// CHECK: x86vector.avx512.dot %{{.*}}, %[[A]], %[[HI]] : vector<32xbf16> -> vector<16xf32>
// CHECK-COUNT-2: x86vector.avx512.dot
// CHECK-NOT: vector.contract
func.func @contract_rows(%lhs: vector<1x2x2xbf16>, %rhs: vector<2x32xbf16>, %acc: vector<1x2x32xf32>) -> vector<1x2x32xf32> {
  %l = arith.extf %lhs : vector<1x2x2xbf16> to vector<1x2x2xf32>
  %r = arith.extf %rhs : vector<2x32xbf16> to vector<2x32xf32>
  %y = vector.contract {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d1, d3)>, affine_map<(d0, d1, d2, d3) -> (d3, d2)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>], iterator_types = ["parallel", "parallel", "parallel", "reduction"], kind = #vector.kind<add>} %l, %r, %acc : vector<1x2x2xf32>, vector<2x32xf32> into vector<1x2x32xf32>
  return %y : vector<1x2x32xf32>
}

// -----

// 24 channels: 8-lane dot products (AVX512VL's 256-bit form).
// CHECK-LABEL: func.func @contract_24_channels
// CHECK-COUNT-3: x86vector.avx512.dot {{.*}} : vector<16xbf16> -> vector<8xf32>
// CHECK-NOT: vector.contract
func.func @contract_24_channels(%lhs: vector<1x1x2xbf16>, %rhs: vector<2x24xbf16>, %acc: vector<1x1x24xf32>) -> vector<1x1x24xf32> {
  %l = arith.extf %lhs : vector<1x1x2xbf16> to vector<1x1x2xf32>
  %r = arith.extf %rhs : vector<2x24xbf16> to vector<2x24xf32>
  %y = vector.contract {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d1, d3)>, affine_map<(d0, d1, d2, d3) -> (d3, d2)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>], iterator_types = ["parallel", "parallel", "parallel", "reduction"], kind = #vector.kind<add>} %l, %r, %acc : vector<1x1x2xf32>, vector<2x24xf32> into vector<1x1x24xf32>
  return %y : vector<1x1x24xf32>
}

// -----

// Left alone: an f32 contraction, and an odd reduction.
// CHECK-LABEL: func.func @not_bf16_pairs
// CHECK-COUNT-2: vector.contract
// CHECK-NOT: x86vector
func.func @not_bf16_pairs(%l32: vector<1x1x2xf32>, %r32: vector<2x16xf32>, %lhs: vector<1x1x1xbf16>, %rhs: vector<1x16xbf16>, %acc: vector<1x1x16xf32>) -> (vector<1x1x16xf32>, vector<1x1x16xf32>) {
  %a = vector.contract {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d1, d3)>, affine_map<(d0, d1, d2, d3) -> (d3, d2)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>], iterator_types = ["parallel", "parallel", "parallel", "reduction"], kind = #vector.kind<add>} %l32, %r32, %acc : vector<1x1x2xf32>, vector<2x16xf32> into vector<1x1x16xf32>
  %l = arith.extf %lhs : vector<1x1x1xbf16> to vector<1x1x1xf32>
  %r = arith.extf %rhs : vector<1x16xbf16> to vector<1x16xf32>
  %b = vector.contract {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d1, d3)>, affine_map<(d0, d1, d2, d3) -> (d3, d2)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>], iterator_types = ["parallel", "parallel", "parallel", "reduction"], kind = #vector.kind<add>} %l, %r, %acc : vector<1x1x1xf32>, vector<1x16xf32> into vector<1x1x16xf32>
  return %a, %b : vector<1x1x16xf32>, vector<1x1x16xf32>
}

// -----

// A ResNet-like 3x3 conv (14 x 32 blocks, two input channels a step): each
// step reads its pair of filter rows, already interleaved, from the pairs
// [F/64, KH, KW, C/2, 64 x 2] as one 64-element vector per filter block
// slice; no shuffle, 28 dot products, the layout view gone.
// CONV-LABEL: func.func @conv_pairs
// CONV: %[[PAIRS:.*]] = linalg.generic {{.*}} outs({{.*}} : tensor<1x3x3x32x64x2xbf16>)
// CONV: %[[ROWS:.*]] = tensor.collapse_shape %[[PAIRS]] {{\[}}[0], [1], [2], [3], [4, 5]] : tensor<1x3x3x32x64x2xbf16> into tensor<1x3x3x32x128xbf16>
// CONV: scf.forall {{.*}} step (1, 32)
// CONV: scf.for %{{.*}} = %c0 to %c64 step %c2
// CONV: vector.transfer_read {{.*}} : tensor<1x16x16x64xbf16>, vector<1x14x2xbf16>
// CONV: vector.transfer_read %[[ROWS]]{{.*}} : tensor<1x3x3x32x128xbf16>, vector<64xbf16>
// CONV-NOT: vector.shuffle
// CONV-COUNT-28: x86vector.avx512.dot
// CONV-NOT: vector.contract
// CONV-NOT: linalg.transpose
func.func @conv_pairs(%x: tensor<1x16x16x64xf32>, %w: tensor<3x3x64x64xf32>, %b: tensor<1x14x14x64xf32>) -> tensor<1x14x14x64xf32> {
  %y = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
     ins(%x, %w : tensor<1x16x16x64xf32>, tensor<3x3x64x64xf32>) outs(%b : tensor<1x14x14x64xf32>) -> tensor<1x14x14x64xf32>
  return %y : tensor<1x14x14x64xf32>
}
