// RUN: cnnc-opt %s --split-input-file --cnnc-attach-target=cpu=znver5 --cnnc-select-cpu-schedules --cnnc-tile-and-vectorize | FileCheck %s
// RUN: cnnc-opt %s --split-input-file --cnnc-attach-target=cpu=znver5 --cnnc-select-cpu-schedules=group-block-chains=false --cnnc-tile-and-vectorize | FileCheck %s --check-prefix=NOGROUP
// RUN: cnnc-opt %s --split-input-file --cnnc-attach-target=cpu=znver5 --cnnc-block-conv-filters=min-filter-bytes=0 --cnnc-select-cpu-schedules --cnnc-tile-and-vectorize | FileCheck %s --check-prefix=TAIL
// RUN: cnnc-opt %s --split-input-file --cnnc-attach-target=cpu=znver5 --cnnc-select-cpu-schedules=rows-outside-blocks=false --cnnc-tile-and-vectorize | FileCheck %s --check-prefix=APART

// A conv split into two 64-channel filter blocks (cnnc-block-conv-filters),
// each with its bias initializer and ReLU epilogue (cnnc-fuse-conv-epilogues),
// on rows of 7: one forall over the two blocks, the filter selected by the
// block index, the output range at 64 * block, each block's rows in a
// sequential loop, its two 7 x 32 register blocks a row reading the bias at
// 64 * block + 32 * tile.

// CHECK-LABEL: func.func @block_chain_rows_of_7
// CHECK-SAME: (%[[X:.*]]: tensor<1x7x7x64xf32>, %[[W0:.*]]: tensor<1x1x64x64xf32>, %[[W1:.*]]: tensor<1x1x64x64xf32>, %[[BIAS:.*]]: tensor<128xf32>)
// CHECK: %[[EMPTY:.*]] = tensor.empty() : tensor<1x7x7x128xf32>
// CHECK: %[[R:.*]] = scf.forall (%[[B:.*]]) in (2) shared_outs(%[[OUT:.*]] = %[[EMPTY]])
// CHECK: %[[W:.*]] = scf.index_switch %[[B]] -> tensor<1x1x64x64xf32>
// CHECK-NEXT: case 1 {
// CHECK-NEXT: scf.yield %[[W1]]
// CHECK: default {
// CHECK-NEXT: scf.yield %[[W0]]
// CHECK: %[[F0:.*]] = affine.apply #{{.*}}(%[[B]])
// CHECK: %[[ACC:.*]] = tensor.extract_slice %[[OUT]][0, 0, 0, %[[F0]]] [1, 7, 7, 64]
// CHECK: scf.for %{{.*}} = %c0 to %c7 step %c1 iter_args(%{{.*}} = %[[ACC]])
// CHECK: scf.for %[[T:.*]] = %c0 to %c64 step %c32
// CHECK: %[[F:.*]] = affine.apply #{{.*}}(%[[B]])[%[[T]]]
// CHECK: vector.transfer_read %[[BIAS]][%[[F]]]
// CHECK: vector.transfer_read %[[W]]
// CHECK: vector.contract
// CHECK: arith.maximumf
// CHECK-NOT: scf.forall
// CHECK: scf.forall.in_parallel
// CHECK-NEXT: tensor.parallel_insert_slice %{{.*}} into %[[OUT]][0, 0, 0, %[[F0]]] [1, 7, 7, 64]
// CHECK: return %[[R]]

// NOGROUP-LABEL: func.func @block_chain_rows_of_7
// NOGROUP-NOT: scf.index_switch
// NOGROUP: scf.forall (%{{.*}}, %{{.*}}) = (0, 0) to (7, 64) step (1, 32)
// NOGROUP: tensor.insert_slice
// NOGROUP: scf.forall (%{{.*}}, %{{.*}}) = (0, 0) to (7, 64) step (1, 32)
// NOGROUP: tensor.insert_slice
#bias = affine_map<(d0, d1, d2, d3) -> (d3)>
#id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>

func.func @block_chain_rows_of_7(%x: tensor<1x7x7x64xf32>, %w0: tensor<1x1x64x64xf32>, %w1: tensor<1x1x64x64xf32>, %bias: tensor<128xf32>) -> tensor<1x7x7x128xf32> {
  %cst = arith.constant 0.000000e+00 : f32
  %empty = tensor.empty() : tensor<1x7x7x128xf32>
  %s0 = tensor.extract_slice %empty[0, 0, 0, 0] [1, 7, 7, 64] [1, 1, 1, 1] : tensor<1x7x7x128xf32> to tensor<1x7x7x64xf32>
  %b0 = tensor.extract_slice %bias[0] [64] [1] : tensor<128xf32> to tensor<64xf32>
  %i0 = linalg.generic {indexing_maps = [#bias, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%b0 : tensor<64xf32>) outs(%s0 : tensor<1x7x7x64xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  } -> tensor<1x7x7x64xf32>
  %c0 = linalg.conv_2d_nhwc_hwcf {cnn.fused_epilogue, dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%x, %w0 : tensor<1x7x7x64xf32>, tensor<1x1x64x64xf32>) outs(%i0 : tensor<1x7x7x64xf32>) -> tensor<1x7x7x64xf32>
  %e0 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%c0 : tensor<1x7x7x64xf32>) outs(%s0 : tensor<1x7x7x64xf32>) {
  ^bb0(%in: f32, %out: f32):
    %m = arith.maximumf %in, %cst : f32
    linalg.yield %m : f32
  } -> tensor<1x7x7x64xf32>
  %r0 = tensor.insert_slice %e0 into %empty[0, 0, 0, 0] [1, 7, 7, 64] [1, 1, 1, 1] : tensor<1x7x7x64xf32> into tensor<1x7x7x128xf32>
  %s1 = tensor.extract_slice %r0[0, 0, 0, 64] [1, 7, 7, 64] [1, 1, 1, 1] : tensor<1x7x7x128xf32> to tensor<1x7x7x64xf32>
  %b1 = tensor.extract_slice %bias[64] [64] [1] : tensor<128xf32> to tensor<64xf32>
  %i1 = linalg.generic {indexing_maps = [#bias, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%b1 : tensor<64xf32>) outs(%s1 : tensor<1x7x7x64xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  } -> tensor<1x7x7x64xf32>
  %c1 = linalg.conv_2d_nhwc_hwcf {cnn.fused_epilogue, dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%x, %w1 : tensor<1x7x7x64xf32>, tensor<1x1x64x64xf32>) outs(%i1 : tensor<1x7x7x64xf32>) -> tensor<1x7x7x64xf32>
  %e1 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%c1 : tensor<1x7x7x64xf32>) outs(%s1 : tensor<1x7x7x64xf32>) {
  ^bb0(%in: f32, %out: f32):
    %m = arith.maximumf %in, %cst : f32
    linalg.yield %m : f32
  } -> tensor<1x7x7x64xf32>
  %r1 = tensor.insert_slice %e1 into %r0[0, 0, 0, 64] [1, 7, 7, 64] [1, 1, 1, 1] : tensor<1x7x7x64xf32> into tensor<1x7x7x128xf32>
  return %r1 : tensor<1x7x7x128xf32>
}

// -----

// The chain at batch 2: each block's register blocks in a nest of two
// sequential loops (rows, then 32-filter halves of the block). The slices
// fusion left behind in the nest are erased once each (listing them per
// loop of the nest erased the inner ones twice: heap corruption).

// CHECK-LABEL: func.func @block_chain_batch_2
// CHECK: scf.forall (%{{.*}}) in (2)
// CHECK: scf.index_switch
// CHECK: scf.for %{{.*}} = %c0 to %c7 step %c1
// CHECK-NEXT: scf.for %{{.*}} = %c0 to %c64 step %c32
// CHECK: vector.contract
// CHECK: arith.maximumf
// CHECK: scf.forall.in_parallel
// CHECK-NEXT: tensor.parallel_insert_slice %{{.*}} into %{{.*}}[0, 0, 0, %{{.*}}] [2, 7, 7, 64]

// NOGROUP-LABEL: func.func @block_chain_batch_2
// NOGROUP-NOT: scf.index_switch
#bias = affine_map<(d0, d1, d2, d3) -> (d3)>
#id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>

func.func @block_chain_batch_2(%x: tensor<2x7x7x64xf32>, %w0: tensor<1x1x64x64xf32>, %w1: tensor<1x1x64x64xf32>, %bias: tensor<128xf32>) -> tensor<2x7x7x128xf32> {
  %cst = arith.constant 0.000000e+00 : f32
  %empty = tensor.empty() : tensor<2x7x7x128xf32>
  %s0 = tensor.extract_slice %empty[0, 0, 0, 0] [2, 7, 7, 64] [1, 1, 1, 1] : tensor<2x7x7x128xf32> to tensor<2x7x7x64xf32>
  %b0 = tensor.extract_slice %bias[0] [64] [1] : tensor<128xf32> to tensor<64xf32>
  %i0 = linalg.generic {indexing_maps = [#bias, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%b0 : tensor<64xf32>) outs(%s0 : tensor<2x7x7x64xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  } -> tensor<2x7x7x64xf32>
  %c0 = linalg.conv_2d_nhwc_hwcf {cnn.fused_epilogue, dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%x, %w0 : tensor<2x7x7x64xf32>, tensor<1x1x64x64xf32>) outs(%i0 : tensor<2x7x7x64xf32>) -> tensor<2x7x7x64xf32>
  %e0 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%c0 : tensor<2x7x7x64xf32>) outs(%s0 : tensor<2x7x7x64xf32>) {
  ^bb0(%in: f32, %out: f32):
    %m = arith.maximumf %in, %cst : f32
    linalg.yield %m : f32
  } -> tensor<2x7x7x64xf32>
  %r0 = tensor.insert_slice %e0 into %empty[0, 0, 0, 0] [2, 7, 7, 64] [1, 1, 1, 1] : tensor<2x7x7x64xf32> into tensor<2x7x7x128xf32>
  %s1 = tensor.extract_slice %r0[0, 0, 0, 64] [2, 7, 7, 64] [1, 1, 1, 1] : tensor<2x7x7x128xf32> to tensor<2x7x7x64xf32>
  %b1 = tensor.extract_slice %bias[64] [64] [1] : tensor<128xf32> to tensor<64xf32>
  %i1 = linalg.generic {indexing_maps = [#bias, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%b1 : tensor<64xf32>) outs(%s1 : tensor<2x7x7x64xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  } -> tensor<2x7x7x64xf32>
  %c1 = linalg.conv_2d_nhwc_hwcf {cnn.fused_epilogue, dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%x, %w1 : tensor<2x7x7x64xf32>, tensor<1x1x64x64xf32>) outs(%i1 : tensor<2x7x7x64xf32>) -> tensor<2x7x7x64xf32>
  %e1 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%c1 : tensor<2x7x7x64xf32>) outs(%s1 : tensor<2x7x7x64xf32>) {
  ^bb0(%in: f32, %out: f32):
    %m = arith.maximumf %in, %cst : f32
    linalg.yield %m : f32
  } -> tensor<2x7x7x64xf32>
  %r1 = tensor.insert_slice %e1 into %r0[0, 0, 0, 64] [2, 7, 7, 64] [1, 1, 1, 1] : tensor<2x7x7x64xf32> into tensor<2x7x7x128xf32>
  return %r1 : tensor<2x7x7x128xf32>
}

// -----

// The same chain on rows of 56: 448 register blocks per filter block, more
// than are grouped for the blocks' sake. Over an input larger than half of
// L2 (784 KB) with the whole filter in L2, it is one forall marked for its
// rows to be walked outside the blocks (cnnc-walk-rows-outside-blocks).
// Without that (rows-outside-blocks=false), each block keeps its own forall
// over its register blocks, which both threads share.

// CHECK-LABEL: func.func @block_chain_rows_of_56
// CHECK: scf.forall (%{{.*}}) in (2)
// CHECK: scf.index_switch
// CHECK: } {cnn.rows_outside_blocks}
// APART-LABEL: func.func @block_chain_rows_of_56
// APART-NOT: scf.index_switch
// APART: scf.forall (%{{.*}}, %{{.*}}, %{{.*}}) = (0, 0, 0) to (56, 56, 64) step (1, 14, 32)
// APART: tensor.insert_slice %{{.*}}[0, 0, 0, 0] [1, 56, 56, 64]
// APART: scf.forall (%{{.*}}, %{{.*}}, %{{.*}}) = (0, 0, 0) to (56, 56, 64) step (1, 14, 32)
// APART: tensor.insert_slice %{{.*}}[0, 0, 0, 64] [1, 56, 56, 64]
#bias = affine_map<(d0, d1, d2, d3) -> (d3)>
#id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>

func.func @block_chain_rows_of_56(%x: tensor<1x56x56x64xf32>, %w0: tensor<1x1x64x64xf32>, %w1: tensor<1x1x64x64xf32>, %bias: tensor<128xf32>) -> tensor<1x56x56x128xf32> {
  %cst = arith.constant 0.000000e+00 : f32
  %empty = tensor.empty() : tensor<1x56x56x128xf32>
  %s0 = tensor.extract_slice %empty[0, 0, 0, 0] [1, 56, 56, 64] [1, 1, 1, 1] : tensor<1x56x56x128xf32> to tensor<1x56x56x64xf32>
  %b0 = tensor.extract_slice %bias[0] [64] [1] : tensor<128xf32> to tensor<64xf32>
  %i0 = linalg.generic {indexing_maps = [#bias, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%b0 : tensor<64xf32>) outs(%s0 : tensor<1x56x56x64xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  } -> tensor<1x56x56x64xf32>
  %c0 = linalg.conv_2d_nhwc_hwcf {cnn.fused_epilogue, dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%x, %w0 : tensor<1x56x56x64xf32>, tensor<1x1x64x64xf32>) outs(%i0 : tensor<1x56x56x64xf32>) -> tensor<1x56x56x64xf32>
  %e0 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%c0 : tensor<1x56x56x64xf32>) outs(%s0 : tensor<1x56x56x64xf32>) {
  ^bb0(%in: f32, %out: f32):
    %m = arith.maximumf %in, %cst : f32
    linalg.yield %m : f32
  } -> tensor<1x56x56x64xf32>
  %r0 = tensor.insert_slice %e0 into %empty[0, 0, 0, 0] [1, 56, 56, 64] [1, 1, 1, 1] : tensor<1x56x56x64xf32> into tensor<1x56x56x128xf32>
  %s1 = tensor.extract_slice %r0[0, 0, 0, 64] [1, 56, 56, 64] [1, 1, 1, 1] : tensor<1x56x56x128xf32> to tensor<1x56x56x64xf32>
  %b1 = tensor.extract_slice %bias[64] [64] [1] : tensor<128xf32> to tensor<64xf32>
  %i1 = linalg.generic {indexing_maps = [#bias, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%b1 : tensor<64xf32>) outs(%s1 : tensor<1x56x56x64xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  } -> tensor<1x56x56x64xf32>
  %c1 = linalg.conv_2d_nhwc_hwcf {cnn.fused_epilogue, dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%x, %w1 : tensor<1x56x56x64xf32>, tensor<1x1x64x64xf32>) outs(%i1 : tensor<1x56x56x64xf32>) -> tensor<1x56x56x64xf32>
  %e1 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%c1 : tensor<1x56x56x64xf32>) outs(%s1 : tensor<1x56x56x64xf32>) {
  ^bb0(%in: f32, %out: f32):
    %m = arith.maximumf %in, %cst : f32
    linalg.yield %m : f32
  } -> tensor<1x56x56x64xf32>
  %r1 = tensor.insert_slice %e1 into %r0[0, 0, 0, 64] [1, 56, 56, 64] [1, 1, 1, 1] : tensor<1x56x56x64xf32> into tensor<1x56x56x128xf32>
  return %r1 : tensor<1x56x56x128xf32>
}

// -----

// A chain of filter-outer (ORDER 2) block convs: 3x3x512 filter blocks on
// rows of 7 at batch 1. In the forall over the filter blocks, each block's
// two 32-channel halves run in a loop (ORDER 3), the reduction in chunks of
// 128 channels outside the loop over rows.

// The output's zero fill, read only by the chain, is done block by block
// inside the forall, not as a pass over the whole output: a row of 64
// channels at a time (one write of the whole block's vector was unrolled
// into a store per row).

// CHECK-LABEL: func.func @block_chain_filter_outer
// CHECK: %[[EMPTY:.*]] = tensor.empty() : tensor<1x7x7x128xf32>
// CHECK-NOT: linalg.fill
// CHECK: scf.forall (%[[B:.*]]) in (2) shared_outs(%[[OUT:.*]] = %[[EMPTY]])
// CHECK: scf.index_switch %[[B]] -> tensor<3x3x512x64xf32>
// CHECK: %[[BLOCK:.*]] = tensor.extract_slice %[[OUT]]
// CHECK: scf.for %{{.*}} = %c0 to %c7 step %c1 iter_args(%{{.*}} = %[[BLOCK]])
// CHECK: scf.for %{{.*}} = %c0 to %c7 step %c1
// CHECK: vector.transfer_write %{{.*}} : vector<1x1x1x64xf32>
// CHECK: scf.for %{{.*}} = %c0 to %c64 step %c32
// CHECK-NEXT: tensor.extract_slice
// CHECK-NEXT: scf.for %{{.*}} = %c0 to %c512 step %c128
// CHECK-NEXT: scf.for %{{.*}} = %c0 to %c7 step %c1
// CHECK-NOT: scf.forall
// CHECK: scf.forall.in_parallel

// NOGROUP-LABEL: func.func @block_chain_filter_outer
// NOGROUP-NOT: scf.index_switch
// NOGROUP: scf.forall (%{{.*}}) in (2)
// NOGROUP: scf.forall (%{{.*}}) in (2)
func.func @block_chain_filter_outer(%x: tensor<1x9x9x512xf32>, %w0: tensor<3x3x512x64xf32>, %w1: tensor<3x3x512x64xf32>) -> tensor<1x7x7x128xf32> {
  %cst = arith.constant 0.000000e+00 : f32
  %empty = tensor.empty() : tensor<1x7x7x128xf32>
  %zero = linalg.fill ins(%cst : f32) outs(%empty : tensor<1x7x7x128xf32>) -> tensor<1x7x7x128xf32>
  %s0 = tensor.extract_slice %zero[0, 0, 0, 0] [1, 7, 7, 64] [1, 1, 1, 1] : tensor<1x7x7x128xf32> to tensor<1x7x7x64xf32>
  %c0 = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%x, %w0 : tensor<1x9x9x512xf32>, tensor<3x3x512x64xf32>) outs(%s0 : tensor<1x7x7x64xf32>) -> tensor<1x7x7x64xf32>
  %r0 = tensor.insert_slice %c0 into %zero[0, 0, 0, 0] [1, 7, 7, 64] [1, 1, 1, 1] : tensor<1x7x7x64xf32> into tensor<1x7x7x128xf32>
  %s1 = tensor.extract_slice %r0[0, 0, 0, 64] [1, 7, 7, 64] [1, 1, 1, 1] : tensor<1x7x7x128xf32> to tensor<1x7x7x64xf32>
  %c1 = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%x, %w1 : tensor<1x9x9x512xf32>, tensor<3x3x512x64xf32>) outs(%s1 : tensor<1x7x7x64xf32>) -> tensor<1x7x7x64xf32>
  %r1 = tensor.insert_slice %c1 into %r0[0, 0, 0, 64] [1, 7, 7, 64] [1, 1, 1, 1] : tensor<1x7x7x64xf32> into tensor<1x7x7x128xf32>
  return %r1 : tensor<1x7x7x128xf32>
}

// -----

// The filter blocks are slices of one filter 64 output channels apart (a
// training step's filter, which changes every step and so is not split in
// @prepare): one slice of it at 64 * block (folded into the filter's
// reads, at 64 * block + 32 * tile for its 7 x 32 register blocks) instead
// of an index_switch,
// whose buffer would have a fully dynamic layout and turn the filter's
// vector loads into scalar gathers.

// CHECK-LABEL: func.func @block_chain_sliced_filter
// CHECK-SAME: (%[[X:.*]]: tensor<1x7x7x64xf32>, %[[WALL:.*]]: tensor<1x1x64x128xf32>
// CHECK: scf.forall (%[[B:.*]]) in (2)
// CHECK-NOT: scf.index_switch
// CHECK: scf.for %[[T:.*]] = %c0 to %c64 step %c32
// CHECK: %[[F:.*]] = affine.apply #{{.*}}(%[[B]])[%[[T]]]
// CHECK: vector.transfer_read %[[WALL]][%c0, %c0, %{{.*}}, %[[F]]]
// CHECK: vector.contract
// CHECK: scf.forall.in_parallel

// NOGROUP-LABEL: func.func @block_chain_sliced_filter
// NOGROUP-NOT: scf.forall (%{{.*}}) in (2)
#bias3 = affine_map<(n, h, w, c) -> (c)>
#id3 = affine_map<(n, h, w, c) -> (n, h, w, c)>
func.func @block_chain_sliced_filter(%x: tensor<1x7x7x64xf32>, %w: tensor<1x1x64x128xf32>, %bias: tensor<128xf32>) -> tensor<1x7x7x128xf32> {
  %cst = arith.constant 0.0 : f32
  %empty = tensor.empty() : tensor<1x7x7x128xf32>
  %w0 = tensor.extract_slice %w[0, 0, 0, 0] [1, 1, 64, 64] [1, 1, 1, 1] : tensor<1x1x64x128xf32> to tensor<1x1x64x64xf32>
  %w1 = tensor.extract_slice %w[0, 0, 0, 64] [1, 1, 64, 64] [1, 1, 1, 1] : tensor<1x1x64x128xf32> to tensor<1x1x64x64xf32>
  %s0 = tensor.extract_slice %empty[0, 0, 0, 0] [1, 7, 7, 64] [1, 1, 1, 1] : tensor<1x7x7x128xf32> to tensor<1x7x7x64xf32>
  %b0 = tensor.extract_slice %bias[0] [64] [1] : tensor<128xf32> to tensor<64xf32>
  %i0 = linalg.generic {indexing_maps = [#bias3, #id3], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%b0 : tensor<64xf32>) outs(%s0 : tensor<1x7x7x64xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  } -> tensor<1x7x7x64xf32>
  %c0 = linalg.conv_2d_nhwc_hwcf {cnn.fused_epilogue, dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%x, %w0 : tensor<1x7x7x64xf32>, tensor<1x1x64x64xf32>) outs(%i0 : tensor<1x7x7x64xf32>) -> tensor<1x7x7x64xf32>
  %e0 = linalg.generic {indexing_maps = [#id3, #id3], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%c0 : tensor<1x7x7x64xf32>) outs(%s0 : tensor<1x7x7x64xf32>) {
  ^bb0(%in: f32, %out: f32):
    %m = arith.maximumf %in, %cst : f32
    linalg.yield %m : f32
  } -> tensor<1x7x7x64xf32>
  %r0 = tensor.insert_slice %e0 into %empty[0, 0, 0, 0] [1, 7, 7, 64] [1, 1, 1, 1] : tensor<1x7x7x64xf32> into tensor<1x7x7x128xf32>
  %s1 = tensor.extract_slice %r0[0, 0, 0, 64] [1, 7, 7, 64] [1, 1, 1, 1] : tensor<1x7x7x128xf32> to tensor<1x7x7x64xf32>
  %b1 = tensor.extract_slice %bias[64] [64] [1] : tensor<128xf32> to tensor<64xf32>
  %i1 = linalg.generic {indexing_maps = [#bias3, #id3], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%b1 : tensor<64xf32>) outs(%s1 : tensor<1x7x7x64xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  } -> tensor<1x7x7x64xf32>
  %c1 = linalg.conv_2d_nhwc_hwcf {cnn.fused_epilogue, dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%x, %w1 : tensor<1x7x7x64xf32>, tensor<1x1x64x64xf32>) outs(%i1 : tensor<1x7x7x64xf32>) -> tensor<1x7x7x64xf32>
  %e1 = linalg.generic {indexing_maps = [#id3, #id3], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%c1 : tensor<1x7x7x64xf32>) outs(%s1 : tensor<1x7x7x64xf32>) {
  ^bb0(%in: f32, %out: f32):
    %m = arith.maximumf %in, %cst : f32
    linalg.yield %m : f32
  } -> tensor<1x7x7x64xf32>
  %r1 = tensor.insert_slice %e1 into %r0[0, 0, 0, 64] [1, 7, 7, 64] [1, 1, 1, 1] : tensor<1x7x7x64xf32> into tensor<1x7x7x128xf32>
  return %r1 : tensor<1x7x7x128xf32>
}

// -----

// The filter blocks are rank-reducing slices of one blocked filter
// [blocks, KH, KW, C, 64] (a training step's, laid out per step): one slice
// at the block's index (folded into the filter's reads) instead of an
// index_switch (whose fully dynamic layout made ResNet-18 32x32's data
// gradients 50x slower).

// CHECK-LABEL: func.func @block_chain_blocked_filter
// CHECK-SAME: (%[[X:.*]]: tensor<1x7x7x64xf32>, %[[WALL:.*]]: tensor<2x1x1x64x64xf32>
// CHECK: scf.forall (%[[B:.*]]) in (2)
// CHECK-NOT: scf.index_switch
// CHECK: vector.transfer_read %[[WALL]][%[[B]], %c0, %c0, %{{.*}}, %{{.*}}]
// CHECK: vector.contract
// CHECK: scf.forall.in_parallel

// NOGROUP-LABEL: func.func @block_chain_blocked_filter
// NOGROUP-NOT: scf.forall (%{{.*}}) in (2)
#bias4 = affine_map<(n, h, w, c) -> (c)>
#id4 = affine_map<(n, h, w, c) -> (n, h, w, c)>
func.func @block_chain_blocked_filter(%x: tensor<1x7x7x64xf32>, %w: tensor<2x1x1x64x64xf32>, %bias: tensor<128xf32>) -> tensor<1x7x7x128xf32> {
  %cst = arith.constant 0.0 : f32
  %empty = tensor.empty() : tensor<1x7x7x128xf32>
  %w0 = tensor.extract_slice %w[0, 0, 0, 0, 0] [1, 1, 1, 64, 64] [1, 1, 1, 1, 1] : tensor<2x1x1x64x64xf32> to tensor<1x1x64x64xf32>
  %w1 = tensor.extract_slice %w[1, 0, 0, 0, 0] [1, 1, 1, 64, 64] [1, 1, 1, 1, 1] : tensor<2x1x1x64x64xf32> to tensor<1x1x64x64xf32>
  %s0 = tensor.extract_slice %empty[0, 0, 0, 0] [1, 7, 7, 64] [1, 1, 1, 1] : tensor<1x7x7x128xf32> to tensor<1x7x7x64xf32>
  %b0 = tensor.extract_slice %bias[0] [64] [1] : tensor<128xf32> to tensor<64xf32>
  %i0 = linalg.generic {indexing_maps = [#bias4, #id4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%b0 : tensor<64xf32>) outs(%s0 : tensor<1x7x7x64xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  } -> tensor<1x7x7x64xf32>
  %c0 = linalg.conv_2d_nhwc_hwcf {cnn.fused_epilogue, dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%x, %w0 : tensor<1x7x7x64xf32>, tensor<1x1x64x64xf32>) outs(%i0 : tensor<1x7x7x64xf32>) -> tensor<1x7x7x64xf32>
  %e0 = linalg.generic {indexing_maps = [#id4, #id4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%c0 : tensor<1x7x7x64xf32>) outs(%s0 : tensor<1x7x7x64xf32>) {
  ^bb0(%in: f32, %out: f32):
    %m = arith.maximumf %in, %cst : f32
    linalg.yield %m : f32
  } -> tensor<1x7x7x64xf32>
  %r0 = tensor.insert_slice %e0 into %empty[0, 0, 0, 0] [1, 7, 7, 64] [1, 1, 1, 1] : tensor<1x7x7x64xf32> into tensor<1x7x7x128xf32>
  %s1 = tensor.extract_slice %r0[0, 0, 0, 64] [1, 7, 7, 64] [1, 1, 1, 1] : tensor<1x7x7x128xf32> to tensor<1x7x7x64xf32>
  %b1 = tensor.extract_slice %bias[64] [64] [1] : tensor<128xf32> to tensor<64xf32>
  %i1 = linalg.generic {indexing_maps = [#bias4, #id4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%b1 : tensor<64xf32>) outs(%s1 : tensor<1x7x7x64xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  } -> tensor<1x7x7x64xf32>
  %c1 = linalg.conv_2d_nhwc_hwcf {cnn.fused_epilogue, dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%x, %w1 : tensor<1x7x7x64xf32>, tensor<1x1x64x64xf32>) outs(%i1 : tensor<1x7x7x64xf32>) -> tensor<1x7x7x64xf32>
  %e1 = linalg.generic {indexing_maps = [#id4, #id4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%c1 : tensor<1x7x7x64xf32>) outs(%s1 : tensor<1x7x7x64xf32>) {
  ^bb0(%in: f32, %out: f32):
    %m = arith.maximumf %in, %cst : f32
    linalg.yield %m : f32
  } -> tensor<1x7x7x64xf32>
  %r1 = tensor.insert_slice %e1 into %r0[0, 0, 0, 64] [1, 7, 7, 64] [1, 1, 1, 1] : tensor<1x7x7x64xf32> into tensor<1x7x7x128xf32>
  return %r1 : tensor<1x7x7x128xf32>
}

// -----

// 56 output channels (cnnc-block-conv-filters): a tail block of 8 inserted
// first, then three blocks of 16 marked as their own chain: the tail is tiled
// on its own, the three blocks run as one forall over the blocks.
// TAIL-LABEL: func.func @tail_then_chain
// TAIL: scf.forall (%{{.*}}) in (7) shared_outs(%{{.*}}) -> (tensor<1x7x7x8xf32>)
// TAIL: %[[T:.*]] = tensor.insert_slice %{{.*}} into %{{.*}}[0, 0, 0, 48] [1, 7, 7, 8]
// TAIL: scf.forall (%{{.*}}) in (3) shared_outs(%{{.*}} = %[[T]]) -> (tensor<1x7x7x56xf32>)
// TAIL: tensor.parallel_insert_slice %{{.*}} into %{{.*}}[0, 0, 0, %{{.*}}] [1, 7, 7, 16]
// TAIL-NOT: scf.forall
// TAIL: return
func.func @tail_then_chain(%x: tensor<1x7x7x64xf32>, %w: tensor<1x1x64x56xf32>) -> tensor<1x7x7x56xf32> {
  %cst = arith.constant 0.000000e+00 : f32
  %empty = tensor.empty() : tensor<1x7x7x56xf32>
  %zero = linalg.fill ins(%cst : f32) outs(%empty : tensor<1x7x7x56xf32>) -> tensor<1x7x7x56xf32>
  %y = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
     ins(%x, %w : tensor<1x7x7x64xf32>, tensor<1x1x64x56xf32>) outs(%zero : tensor<1x7x7x56xf32>) -> tensor<1x7x7x56xf32>
  return %y : tensor<1x7x7x56xf32>
}

// -----

// The two groups of a grouped conv over an input larger than half of L2
// (`rows_outside`): one forall over the groups, marked for
// cnnc-walk-rows-outside-blocks to walk its rows outside them once
// bufferized. Each group reads its channels of the input through a slice
// of a slice (the padded interior, then the group's 16 channels), folded
// into one slice of the whole at 16 * group: read where the group's
// register blocks load, not selected block by block (a dynamic layout).

// CHECK-LABEL: func.func @grouped_rows_outside
// CHECK-SAME: (%[[X:.*]]: tensor<2x60x60x32xf32>
// CHECK: scf.forall (%[[G:.*]]) in (2)
// CHECK: scf.index_switch %[[G]] -> tensor<3x3x16x16xf32>
// CHECK: scf.for
// CHECK: scf.for
// CHECK: scf.for
// CHECK: %[[C:.*]] = affine.apply #{{.*}}(%[[G]])[%{{.*}}]
// CHECK: vector.transfer_read %[[X]][%{{.*}}, %{{.*}}, %{{.*}}, %[[C]]]
// CHECK: vector.contract
// CHECK: arith.maximumf
// CHECK: } {cnn.rows_outside_blocks}
// NOGROUP-LABEL: func.func @grouped_rows_outside
// NOGROUP-NOT: cnn.rows_outside_blocks
// NOGROUP: return
#bias = affine_map<(d0, d1, d2, d3) -> (d3)>
#id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>

func.func @grouped_rows_outside(%x: tensor<2x60x60x32xf32>, %w0: tensor<3x3x16x16xf32>, %w1: tensor<3x3x16x16xf32>, %bias: tensor<32xf32>) -> tensor<2x56x56x32xf32> {
  %cst = arith.constant 0.000000e+00 : f32
  %empty = tensor.empty() : tensor<2x56x56x32xf32>
  %p = tensor.extract_slice %x[0, 1, 1, 0] [2, 58, 58, 32] [1, 1, 1, 1] : tensor<2x60x60x32xf32> to tensor<2x58x58x32xf32>
  %x0 = tensor.extract_slice %p[0, 0, 0, 0] [2, 58, 58, 16] [1, 1, 1, 1] : tensor<2x58x58x32xf32> to tensor<2x58x58x16xf32>
  %x1 = tensor.extract_slice %p[0, 0, 0, 16] [2, 58, 58, 16] [1, 1, 1, 1] : tensor<2x58x58x32xf32> to tensor<2x58x58x16xf32>
  %s0 = tensor.extract_slice %empty[0, 0, 0, 0] [2, 56, 56, 16] [1, 1, 1, 1] : tensor<2x56x56x32xf32> to tensor<2x56x56x16xf32>
  %b0 = tensor.extract_slice %bias[0] [16] [1] : tensor<32xf32> to tensor<16xf32>
  %i0 = linalg.generic {indexing_maps = [#bias, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%b0 : tensor<16xf32>) outs(%s0 : tensor<2x56x56x16xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  } -> tensor<2x56x56x16xf32>
  %c0 = linalg.conv_2d_nhwc_hwcf {cnn.fused_epilogue, dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%x0, %w0 : tensor<2x58x58x16xf32>, tensor<3x3x16x16xf32>) outs(%i0 : tensor<2x56x56x16xf32>) -> tensor<2x56x56x16xf32>
  %e0 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%c0 : tensor<2x56x56x16xf32>) outs(%s0 : tensor<2x56x56x16xf32>) {
  ^bb0(%in: f32, %out: f32):
    %m = arith.maximumf %in, %cst : f32
    linalg.yield %m : f32
  } -> tensor<2x56x56x16xf32>
  %r0 = tensor.insert_slice %e0 into %empty[0, 0, 0, 0] [2, 56, 56, 16] [1, 1, 1, 1] : tensor<2x56x56x16xf32> into tensor<2x56x56x32xf32>
  %s1 = tensor.extract_slice %r0[0, 0, 0, 16] [2, 56, 56, 16] [1, 1, 1, 1] : tensor<2x56x56x32xf32> to tensor<2x56x56x16xf32>
  %b1 = tensor.extract_slice %bias[16] [16] [1] : tensor<32xf32> to tensor<16xf32>
  %i1 = linalg.generic {indexing_maps = [#bias, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%b1 : tensor<16xf32>) outs(%s1 : tensor<2x56x56x16xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  } -> tensor<2x56x56x16xf32>
  %c1 = linalg.conv_2d_nhwc_hwcf {cnn.fused_epilogue, dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%x1, %w1 : tensor<2x58x58x16xf32>, tensor<3x3x16x16xf32>) outs(%i1 : tensor<2x56x56x16xf32>) -> tensor<2x56x56x16xf32>
  %e1 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%c1 : tensor<2x56x56x16xf32>) outs(%s1 : tensor<2x56x56x16xf32>) {
  ^bb0(%in: f32, %out: f32):
    %m = arith.maximumf %in, %cst : f32
    linalg.yield %m : f32
  } -> tensor<2x56x56x16xf32>
  %r1 = tensor.insert_slice %e1 into %r0[0, 0, 0, 16] [2, 56, 56, 16] [1, 1, 1, 1] : tensor<2x56x56x16xf32> into tensor<2x56x56x32xf32>
  return %r1 : tensor<2x56x56x32xf32>
}

// -----

// A chain without bias or epilogue (a pre-activation net's 1x1 conv): the
// blocks' accumulators are slices of one zero fill. The forall fills each
// block inside its register tiles (the schedule's fuse_init): no write of a
// whole block's vector, and the rows still walked outside the blocks.

// CHECK-LABEL: func.func @block_chain_from_one_fill
// CHECK-NOT: vector<1x56x56x64xf32>
// CHECK: } {cnn.rows_outside_blocks}
// CHECK-NOT: vector<1x56x56x64xf32>
// CHECK: return
func.func @block_chain_from_one_fill(%x: tensor<1x56x56x64xf32>, %w0: tensor<1x1x64x64xf32>, %w1: tensor<1x1x64x64xf32>) -> tensor<1x56x56x128xf32> {
  %zero = arith.constant 0.000000e+00 : f32
  %empty = tensor.empty() : tensor<1x56x56x128xf32>
  %fill = linalg.fill ins(%zero : f32) outs(%empty : tensor<1x56x56x128xf32>) -> tensor<1x56x56x128xf32>
  %s0 = tensor.extract_slice %fill[0, 0, 0, 0] [1, 56, 56, 64] [1, 1, 1, 1] : tensor<1x56x56x128xf32> to tensor<1x56x56x64xf32>
  %c0 = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%x, %w0 : tensor<1x56x56x64xf32>, tensor<1x1x64x64xf32>) outs(%s0 : tensor<1x56x56x64xf32>) -> tensor<1x56x56x64xf32>
  %r0 = tensor.insert_slice %c0 into %fill[0, 0, 0, 0] [1, 56, 56, 64] [1, 1, 1, 1] : tensor<1x56x56x64xf32> into tensor<1x56x56x128xf32>
  %s1 = tensor.extract_slice %r0[0, 0, 0, 64] [1, 56, 56, 64] [1, 1, 1, 1] : tensor<1x56x56x128xf32> to tensor<1x56x56x64xf32>
  %c1 = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%x, %w1 : tensor<1x56x56x64xf32>, tensor<1x1x64x64xf32>) outs(%s1 : tensor<1x56x56x64xf32>) -> tensor<1x56x56x64xf32>
  %r1 = tensor.insert_slice %c1 into %r0[0, 0, 0, 64] [1, 56, 56, 64] [1, 1, 1, 1] : tensor<1x56x56x64xf32> into tensor<1x56x56x128xf32>
  return %r1 : tensor<1x56x56x128xf32>
}
