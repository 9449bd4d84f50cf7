// RUN: cnnc-opt %s --split-input-file --cnnc-attach-target=cpu=znver5 --cnnc-lower-int8-contractions=nonnegative-lhs=true | FileCheck %s
// Without the caller's word that the lhs is non-negative, nothing changes.
// RUN: cnnc-opt %s --split-input-file --cnnc-attach-target=cpu=znver5 --cnnc-lower-int8-contractions | FileCheck %s --check-prefix=SIGNED
// AVX2 without VNNI (Zen 3): vpmaddubsw, vpmaddwd by ones, an add; 8 lanes.
// RUN: cnnc-opt %s --split-input-file --cnnc-attach-target=cpu=znver3 --cnnc-lower-int8-contractions=nonnegative-lhs=true | FileCheck %s --check-prefix=AVX2
// A conv quantized to int8 end to end: its filter's quads are read directly.
// RUN: cnnc-opt %s --split-input-file --cnnc-quantize-convs-to-int8 --canonicalize --cnnc-attach-target=cpu=znver5 --cnnc-select-cpu-schedules --cnnc-tile-and-vectorize --cnnc-lower-int8-contractions=nonnegative-lhs=true --canonicalize --cse | FileCheck %s --check-prefix=CONV

// Two pixels x 32 channels, K = 4: per pixel, its quad broadcast as one
// 32-bit word, and one vpdpbusd per 16-lane half of the channels, whose
// filter rows are interleaved into quads by two rounds of shuffles.
// CHECK-LABEL: func.func @contract_rows
// CHECK: %[[QUAD:.*]] = vector.extract %arg0[0, 0] : vector<4xi8> from vector<1x2x4xi8>
// CHECK: %[[WORDS:.*]] = vector.bitcast %[[QUAD]] : vector<4xi8> to vector<1xi32>
// CHECK: %[[R0:.*]] = vector.extract %arg1[0] : vector<32xi8> from vector<4x32xi8>
// CHECK: %[[R1:.*]] = vector.extract %arg1[1] : vector<32xi8> from vector<4x32xi8>
// CHECK: %[[R2:.*]] = vector.extract %arg1[2] : vector<32xi8> from vector<4x32xi8>
// CHECK: %[[R3:.*]] = vector.extract %arg1[3] : vector<32xi8> from vector<4x32xi8>
// CHECK: %[[P01:.*]] = vector.shuffle %[[R0]], %[[R1]] [0, 32, 1, 33, {{.*}}, 15, 47]
// CHECK: %[[P23:.*]] = vector.shuffle %[[R2]], %[[R3]] [0, 32, 1, 33, {{.*}}, 15, 47]
// CHECK: %[[LO:.*]] = vector.shuffle %[[P01]], %[[P23]] [0, 1, 32, 33, 2, 3, 34, 35, {{.*}}, 30, 31, 62, 63]
// CHECK: %[[WORD:.*]] = vector.extract %[[WORDS]][0] : i32 from vector<1xi32>
// CHECK: %[[SPLAT:.*]] = vector.broadcast %[[WORD]] : i32 to vector<16xi32>
// CHECK: %[[A:.*]] = vector.bitcast %[[SPLAT]] : vector<16xi32> to vector<64xi8>
// CHECK: llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"(%{{.*}}, %[[A]], %[[LO]]) : (vector<16xi32>, vector<64xi8>, vector<64xi8>) -> vector<16xi32>
// CHECK-COUNT-3: llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"
// CHECK-NOT: vector.contract
// AVX2-LABEL: func.func @contract_rows
// AVX2: %[[ONES:.*]] = arith.constant dense<1> : vector<16xi16>
// AVX2: %[[PAIRS:.*]] = llvm.call_intrinsic "llvm.x86.avx2.pmadd.ub.sw"(%{{.*}}, %{{.*}}) : (vector<32xi8>, vector<32xi8>) -> vector<16xi16>
// AVX2: %[[QUADS:.*]] = llvm.call_intrinsic "llvm.x86.avx2.pmadd.wd"(%[[PAIRS]], %[[ONES]]) : (vector<16xi16>, vector<16xi16>) -> vector<8xi32>
// AVX2: arith.addi %{{.*}}, %[[QUADS]] : vector<8xi32>
// AVX2-COUNT-7: llvm.call_intrinsic "llvm.x86.avx2.pmadd.ub.sw"
// AVX2-NOT: vector.contract
// SIGNED-LABEL: func.func @contract_rows
// SIGNED: vector.contract
// SIGNED-NOT: llvm.call_intrinsic
func.func @contract_rows(%lhs: vector<1x2x4xi8>, %rhs: vector<4x32xi8>, %acc: vector<1x2x32xi32>) -> vector<1x2x32xi32> {
  %l = arith.extsi %lhs : vector<1x2x4xi8> to vector<1x2x4xi32>
  %r = arith.extsi %rhs : vector<4x32xi8> to vector<4x32xi32>
  %y = vector.contract {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d1, d3)>, affine_map<(d0, d1, d2, d3) -> (d3, d2)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>], iterator_types = ["parallel", "parallel", "parallel", "reduction"], kind = #vector.kind<add>} %l, %r, %acc : vector<1x2x4xi32>, vector<4x32xi32> into vector<1x2x32xi32>
  return %y : vector<1x2x32xi32>
}

// -----

// 24 channels: 8-lane (256-bit) dot products.
// AVX2-LABEL: func.func @contract_24_channels
// AVX2-COUNT-3: llvm.call_intrinsic "llvm.x86.avx2.pmadd.ub.sw"
// CHECK-LABEL: func.func @contract_24_channels
// CHECK-COUNT-3: llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.256"{{.*}} : (vector<8xi32>, vector<32xi8>, vector<32xi8>) -> vector<8xi32>
// CHECK-NOT: vector.contract
func.func @contract_24_channels(%lhs: vector<1x1x4xi8>, %rhs: vector<4x24xi8>, %acc: vector<1x1x24xi32>) -> vector<1x1x24xi32> {
  %l = arith.extsi %lhs : vector<1x1x4xi8> to vector<1x1x4xi32>
  %r = arith.extsi %rhs : vector<4x24xi8> to vector<4x24xi32>
  %y = vector.contract {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d1, d3)>, affine_map<(d0, d1, d2, d3) -> (d3, d2)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>], iterator_types = ["parallel", "parallel", "parallel", "reduction"], kind = #vector.kind<add>} %l, %r, %acc : vector<1x1x4xi32>, vector<4x24xi32> into vector<1x1x24xi32>
  return %y : vector<1x1x24xi32>
}

// -----

// Left alone: an f32 contraction, a reduction of 2 (no quad).
// CHECK-LABEL: func.func @not_int8_quads
// CHECK-COUNT-2: vector.contract
// CHECK-NOT: llvm.call_intrinsic
func.func @not_int8_quads(%l32: vector<1x1x4xf32>, %r32: vector<4x16xf32>, %lhs: vector<1x1x2xi8>, %rhs: vector<2x16xi8>, %acc32: vector<1x1x16xf32>, %acc: vector<1x1x16xi32>) -> (vector<1x1x16xf32>, vector<1x1x16xi32>) {
  %a = vector.contract {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d1, d3)>, affine_map<(d0, d1, d2, d3) -> (d3, d2)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>], iterator_types = ["parallel", "parallel", "parallel", "reduction"], kind = #vector.kind<add>} %l32, %r32, %acc32 : vector<1x1x4xf32>, vector<4x16xf32> into vector<1x1x16xf32>
  %l = arith.extsi %lhs : vector<1x1x2xi8> to vector<1x1x2xi32>
  %r = arith.extsi %rhs : vector<2x16xi8> to vector<2x16xi32>
  %b = vector.contract {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d1, d3)>, affine_map<(d0, d1, d2, d3) -> (d3, d2)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>], iterator_types = ["parallel", "parallel", "parallel", "reduction"], kind = #vector.kind<add>} %l, %r, %acc : vector<1x1x2xi32>, vector<2x16xi32> into vector<1x1x16xi32>
  return %a, %b : vector<1x1x16xf32>, vector<1x1x16xi32>
}

// -----

// A ResNet-like 3x3 conv (14 x 32 blocks, four input channels a step):
// each step reads its quad of filter rows, already interleaved, from the
// quads [F/64, KH, KW, C/4, 64 x 4] as one 128-element vector per filter
// block slice; no shuffle, 28 dot products, the layout view gone.
// CONV-LABEL: func.func @conv_quads
// CONV: %[[QUADS:.*]] = linalg.generic {{.*}} outs({{.*}} : tensor<1x3x3x16x64x4xi8>)
// CONV: %[[ROWS:.*]] = tensor.collapse_shape %[[QUADS]] {{\[}}[0], [1], [2], [3], [4, 5]] : tensor<1x3x3x16x64x4xi8> into tensor<1x3x3x16x256xi8>
// CONV: scf.forall {{.*}} step (1, 32)
// CONV: scf.for %{{.*}} = %c0 to %c64 step %c4
// CONV: vector.transfer_read {{.*}} : tensor<1x16x16x64xi8>, vector<1x14x4xi8>
// CONV: vector.transfer_read %[[ROWS]]{{.*}} : tensor<1x3x3x16x256xi8>, vector<128xi8>
// CONV-NOT: vector.shuffle
// CONV-COUNT-28: llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"
// CONV-NOT: vector.contract
// CONV-NOT: linalg.transpose
module attributes {cnn.calibration = {conv = array<f32: 0.0, 4.0>}} {
func.func @conv_quads(%x: tensor<1x16x16x64xf32>, %w: tensor<3x3x64x64xf32>, %b: tensor<1x14x14x64xf32>) -> tensor<1x14x14x64xf32> {
  %y = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
     ins(%x, %w : tensor<1x16x16x64xf32>, tensor<3x3x64x64xf32>) outs(%b : tensor<1x14x14x64xf32>) -> tensor<1x14x14x64xf32> loc("conv")
  return %y : tensor<1x14x14x64xf32>
}
}
