// RUN: cnnc-opt %s --split-input-file --cnnc-interleave-channels | FileCheck %s

// An RGB image's NCHW -> NHWC copy (into a padded buffer's interior), in
// the order cnnc-parallelize-elementwise leaves it (width innermost): per
// image, row and 16 pixels, one row of each channel is loaded, the three
// rows are interleaved by shuffles (the first two concatenated, then
// element i of channel c picked for position 3 i + c) and 48 floats are
// stored into the rows of the result with (W, C) collapsed.
// CHECK-LABEL: func.func @rgb_to_channels_last
// CHECK-NOT: linalg.generic
// CHECK: %[[ROWS:.*]] = memref.collapse_shape %{{.*}} {{\[}}[0], [1], [2, 3]] : memref<2x4x32x3xf32, strided<[{{.*}}, 102, 3, 1], offset: 105>> into memref<2x4x96xf32, strided<[{{.*}}, 102, 1], offset: 105>>
// CHECK: scf.for %[[N:.*]] =
// CHECK: scf.for %[[H:.*]] =
// CHECK: scf.for %[[W:.*]] = %{{.*}} to %{{.*}} step %[[C16:.*]] {
// CHECK: %[[R0:.*]] = vector.load %{{.*}}[%[[N]], %{{.*}}, %[[H]], %[[W]]] : memref<2x3x4x32xf32{{.*}}>, vector<16xf32>
// CHECK: %[[R1:.*]] = vector.load
// CHECK: %[[R2:.*]] = vector.load
// CHECK: %[[R01:.*]] = vector.shuffle %[[R0]], %[[R1]] [0, 1, 2, {{.*}}, 31] : vector<16xf32>, vector<16xf32>
// CHECK: %[[I:.*]] = vector.shuffle %[[R01]], %[[R2]] [0, 16, 32, 1, 17, 33, 2, 18, 34, {{.*}}, 15, 31, 47] : vector<32xf32>, vector<16xf32>
// CHECK: %[[OFF:.*]] = arith.muli %[[W]], %{{.*}} : index
// CHECK: vector.store %[[I]], %[[ROWS]][%[[N]], %[[H]], %[[OFF]]] : memref<2x4x96xf32, {{.*}}>, vector<48xf32>
#nchw = affine_map<(n, h, c, w) -> (n, c, h, w)>
#nhwc = affine_map<(n, h, c, w) -> (n, h, w, c)>
module attributes {codegen.target = #codegen.cpu_target<cpu = "znver5", vector_bits = 512, vector_registers = 32, isa = "avx,avx2,fma,avx512f", fma_per_cycle = 2, fma_latency = 4, l1d_bytes = 49152, l1d_ways = 12, cache_line_bytes = 64, l2_bytes = 1048576, l3_bytes = 33554432, l3_bytes_per_cycle = 32, cache_source = "table", cores = 0>} {
  func.func @rgb_to_channels_last(%x: memref<2x3x4x32xf32>, %padded: memref<2x6x34x3xf32>) {
    %y = memref.subview %padded[0, 1, 1, 0] [2, 4, 32, 3] [1, 1, 1, 1] : memref<2x6x34x3xf32> to memref<2x4x32x3xf32, strided<[612, 102, 3, 1], offset: 105>>
    linalg.generic {indexing_maps = [#nchw, #nhwc], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
        ins(%x : memref<2x3x4x32xf32>) outs(%y : memref<2x4x32x3xf32, strided<[612, 102, 3, 1], offset: 105>>) {
    ^bb0(%in: f32, %out: f32):
      linalg.yield %in : f32
    }
    return
  }

  // Not interleaved: a width that is no multiple of a vector, more channels
  // than a few, and a copy that computes.
  // CHECK-LABEL: func.func @left_alone
  // CHECK-COUNT-3: linalg.generic
  // CHECK-NOT: vector.shuffle
  func.func @left_alone(%a: memref<1x3x4x30xf32>, %b: memref<1x4x30x3xf32>,
                        %c: memref<1x8x4x32xf32>, %d: memref<1x4x32x8xf32>,
                        %e: memref<1x3x4x32xf32>, %f: memref<1x4x32x3xf32>) {
    linalg.generic {indexing_maps = [#nchw, #nhwc], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
        ins(%a : memref<1x3x4x30xf32>) outs(%b : memref<1x4x30x3xf32>) {
    ^bb0(%in: f32, %out: f32):
      linalg.yield %in : f32
    }
    linalg.generic {indexing_maps = [#nchw, #nhwc], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
        ins(%c : memref<1x8x4x32xf32>) outs(%d : memref<1x4x32x8xf32>) {
    ^bb0(%in: f32, %out: f32):
      linalg.yield %in : f32
    }
    linalg.generic {indexing_maps = [#nchw, #nhwc], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
        ins(%e : memref<1x3x4x32xf32>) outs(%f : memref<1x4x32x3xf32>) {
    ^bb0(%in: f32, %out: f32):
      %m = arith.negf %in : f32
      linalg.yield %m : f32
    }
    return
  }
}

// -----

// ShuffleNetV2's channel shuffle of 2 groups over 58 channels in NHWC:
// channel c of a pixel comes from channel (c mod 2) * 29 + c floordiv 2. Per
// pixel and 16 channels of each group, the groups' rows are loaded (the
// last step of 29 masked to 13), interleaved by one shuffle (element i of
// group g to 2 i + g) and stored as 32 contiguous channels (masked to 26).
// CHECK-LABEL: func.func @channel_shuffle
// CHECK-NOT: linalg.generic
// CHECK: scf.for %[[N:.*]] =
// CHECK: scf.for %[[H:.*]] =
// CHECK: scf.for %[[W:.*]] =
// CHECK: scf.for %[[K:.*]] = %{{.*}} to %[[C29:.*]] step %[[C16:.*]] {
// CHECK: %[[LEFT:.*]] = arith.subi %{{.*}}, %[[K]]
// CHECK: %[[COUNT:.*]] = arith.minsi %{{.*}}, %[[LEFT]]
// CHECK: %[[MASK:.*]] = vector.create_mask %[[COUNT]] : vector<16xi1>
// CHECK: %[[G0:.*]] = vector.maskedload %{{.*}}[%[[N]], %[[H]], %[[W]], %[[K]]], %[[MASK]]
// CHECK: %[[K1:.*]] = arith.addi %[[K]], %{{.*}}
// CHECK: %[[G1:.*]] = vector.maskedload %{{.*}}[%[[N]], %[[H]], %[[W]], %[[K1]]], %[[MASK]]
// CHECK: %[[I:.*]] = vector.shuffle %[[G0]], %[[G1]] [0, 16, 1, 17, 2, 18, {{.*}}, 15, 31] : vector<16xf32>, vector<16xf32>
// CHECK: %[[STORED:.*]] = arith.muli %[[COUNT]], %{{.*}}
// CHECK: %[[SMASK:.*]] = vector.create_mask %[[STORED]] : vector<32xi1>
// CHECK: %[[OFF:.*]] = arith.muli %[[K]], %{{.*}}
// CHECK: vector.maskedstore %{{.*}}[%[[N]], %[[H]], %[[W]], %[[OFF]]], %[[SMASK]], %[[I]]
// A gather that is no shuffle stays.
// CHECK-LABEL: func.func @not_a_shuffle
// CHECK: linalg.generic
#shuffle = affine_map<(n, h, w, c) -> (n, h, w, (c mod 2) * 29 + c floordiv 2)>
#reverse = affine_map<(n, h, w, c) -> (n, h, w, 57 - c)>
#id = affine_map<(n, h, w, c) -> (n, h, w, c)>
module attributes {codegen.target = #codegen.cpu_target<cpu = "znver5", vector_bits = 512, vector_registers = 32, isa = "avx,avx2,fma,avx512f", fma_per_cycle = 2, fma_latency = 4, l1d_bytes = 49152, l1d_ways = 12, cache_line_bytes = 64, l2_bytes = 1048576, l3_bytes = 33554432, l3_bytes_per_cycle = 32, cache_source = "table", cores = 0>} {
  func.func @channel_shuffle(%x: memref<2x4x4x58xf32>, %y: memref<2x4x4x58xf32>) {
    linalg.generic {indexing_maps = [#shuffle, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
        ins(%x : memref<2x4x4x58xf32>) outs(%y : memref<2x4x4x58xf32>) {
    ^bb0(%in: f32, %out: f32):
      linalg.yield %in : f32
    }
    return
  }
  func.func @not_a_shuffle(%x: memref<2x4x4x58xf32>, %y: memref<2x4x4x58xf32>) {
    linalg.generic {indexing_maps = [#reverse, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
        ins(%x : memref<2x4x4x58xf32>) outs(%y : memref<2x4x4x58xf32>) {
    ^bb0(%in: f32, %out: f32):
      linalg.yield %in : f32
    }
    return
  }
}
