// RUN: cnnc-opt %s --split-input-file --cnnc-fuse-conv-epilogues | FileCheck %s

// conv -> ReLU: the conv is marked; the profiling marks bracket the ReLU
// with the conv's layer (0) and the mark in effect there (2), so the fused
// tile's time is the conv's.
// CHECK-LABEL: func.func @conv_relu
// CHECK: call @cnnc_profile_mark(%[[L0:.*]])
// CHECK: linalg.conv_2d_nhwc_hwcf {cnn.fused_epilogue
// CHECK: call @cnnc_profile_mark(%[[L1:.*]])
// CHECK: call @cnnc_profile_mark(%[[L2:.*]])
// CHECK: call @cnnc_profile_mark(%[[L0]])
// CHECK-NEXT: linalg.generic
// CHECK: call @cnnc_profile_mark(%[[L2]])
// CHECK-NEXT: call @cnnc_profile_mark(
// CHECK-NEXT: return
#id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
func.func private @cnnc_profile_mark(i64)
func.func @conv_relu(%x: tensor<1x10x10x16xf32>, %w: tensor<3x3x16x32xf32>, %b: tensor<1x8x8x32xf32>) -> tensor<1x8x8x32xf32> {
  %c0 = arith.constant 0 : i64
  %c1 = arith.constant 1 : i64
  %c2 = arith.constant 2 : i64
  %c3 = arith.constant 3 : i64
  %zero = arith.constant 0.0 : f32
  call @cnnc_profile_mark(%c0) : (i64) -> ()
  %y = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
     ins(%x, %w : tensor<1x10x10x16xf32>, tensor<3x3x16x32xf32>) outs(%b : tensor<1x8x8x32xf32>) -> tensor<1x8x8x32xf32>
  call @cnnc_profile_mark(%c1) : (i64) -> ()
  call @cnnc_profile_mark(%c2) : (i64) -> ()
  %e = tensor.empty() : tensor<1x8x8x32xf32>
  %r = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
     ins(%y : tensor<1x8x8x32xf32>) outs(%e : tensor<1x8x8x32xf32>) {
  ^bb0(%in: f32, %out: f32):
    %m = arith.maximumf %in, %zero : f32
    linalg.yield %m : f32
  } -> tensor<1x8x8x32xf32>
  call @cnnc_profile_mark(%c3) : (i64) -> ()
  return %r : tensor<1x8x8x32xf32>
}

// -----

// A residual add of two convs (ResNet's downsampling block): the consumer
// absorbs the conv computed last; the other stays a plain conv.
// CHECK-LABEL: func.func @two_convs_add
// CHECK: %[[MAIN:.*]] = linalg.conv_2d_nhwc_hwcf {dilations
// CHECK: %[[SKIP:.*]] = linalg.conv_2d_nhwc_hwcf {cnn.fused_epilogue
// CHECK: linalg.generic {{.*}} ins(%[[MAIN]], %[[SKIP]] :
#id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
func.func @two_convs_add(%x: tensor<1x10x10x16xf32>, %w: tensor<3x3x16x32xf32>, %x2: tensor<1x8x8x16xf32>, %w2: tensor<1x1x16x32xf32>, %b: tensor<1x8x8x32xf32>) -> tensor<1x8x8x32xf32> {
  %y = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
     ins(%x, %w : tensor<1x10x10x16xf32>, tensor<3x3x16x32xf32>) outs(%b : tensor<1x8x8x32xf32>) -> tensor<1x8x8x32xf32>
  %s = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
     ins(%x2, %w2 : tensor<1x8x8x16xf32>, tensor<1x1x16x32xf32>) outs(%b : tensor<1x8x8x32xf32>) -> tensor<1x8x8x32xf32>
  %e = tensor.empty() : tensor<1x8x8x32xf32>
  %r = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
     ins(%y, %s : tensor<1x8x8x32xf32>, tensor<1x8x8x32xf32>) outs(%e : tensor<1x8x8x32xf32>) {
  ^bb0(%a: f32, %c: f32, %out: f32):
    %sum = arith.addf %a, %c : f32
    linalg.yield %sum : f32
  } -> tensor<1x8x8x32xf32>
  return %r : tensor<1x8x8x32xf32>
}

// -----

// Not fused: the conv result has a second use (recomputing it per use would
// double the work), and a consumer that reads the conv transposed.
// CHECK-LABEL: func.func @not_fused
// CHECK-NOT: cnn.fused_epilogue
// CHECK: return
#id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#t = affine_map<(d0, d1, d2, d3) -> (d0, d2, d1, d3)>
func.func @not_fused(%x: tensor<1x10x10x16xf32>, %w: tensor<3x3x16x32xf32>, %b: tensor<1x8x8x32xf32>) -> (tensor<1x8x8x32xf32>, tensor<1x8x8x32xf32>, tensor<1x8x8x32xf32>) {
  %zero = arith.constant 0.0 : f32
  %y = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
     ins(%x, %w : tensor<1x10x10x16xf32>, tensor<3x3x16x32xf32>) outs(%b : tensor<1x8x8x32xf32>) -> tensor<1x8x8x32xf32>
  %e = tensor.empty() : tensor<1x8x8x32xf32>
  %r = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
     ins(%y : tensor<1x8x8x32xf32>) outs(%e : tensor<1x8x8x32xf32>) {
  ^bb0(%in: f32, %out: f32):
    %m = arith.maximumf %in, %zero : f32
    linalg.yield %m : f32
  } -> tensor<1x8x8x32xf32>
  %y2 = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
     ins(%x, %w : tensor<1x10x10x16xf32>, tensor<3x3x16x32xf32>) outs(%b : tensor<1x8x8x32xf32>) -> tensor<1x8x8x32xf32>
  %t = linalg.generic {indexing_maps = [#t, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
     ins(%y2 : tensor<1x8x8x32xf32>) outs(%e : tensor<1x8x8x32xf32>) {
  ^bb0(%in: f32, %out: f32):
    %m = arith.maximumf %in, %zero : f32
    linalg.yield %m : f32
  } -> tensor<1x8x8x32xf32>
  return %r, %y, %t : tensor<1x8x8x32xf32>, tensor<1x8x8x32xf32>, tensor<1x8x8x32xf32>
}

// -----

// A conv split by cnnc-block-conv-filters (two 64-channel blocks inserted
// into one tensor) feeding a ReLU: the ReLU is split the same way, each
// block conv is marked and feeds its own ReLU, which writes its slice of
// the result; each block's accumulator is its own slice of the bias
// broadcast, written into that same slice.
// CHECK-LABEL: func.func @block_chain_relu
// CHECK: %[[OUT0:.*]] = tensor.extract_slice %[[RESULT:.*]][0, 0, 0, 0] [1, 7, 7, 64]
// CHECK: %[[BIAS0:.*]] = linalg.generic {{.*}} outs(%[[OUT0]] : tensor<1x7x7x64xf32>)
// CHECK: %[[CONV0:.*]] = linalg.conv_2d_nhwc_hwcf {cnn.fused_epilogue{{.*}} outs(%[[BIAS0]] :
// CHECK: %[[RELU0:.*]] = linalg.generic {{.*}} ins(%[[CONV0]] : {{.*}} outs(%[[OUT0]] :
// CHECK: %[[R0:.*]] = tensor.insert_slice %[[RELU0]] into %[[RESULT]][0, 0, 0, 0]
// CHECK: %[[OUT1:.*]] = tensor.extract_slice %[[R0]][0, 0, 0, 64] [1, 7, 7, 64]
// CHECK: linalg.conv_2d_nhwc_hwcf {cnn.fused_epilogue
// CHECK: tensor.insert_slice %{{.*}} into %[[R0]][0, 0, 0, 64]
// CHECK-NOT: linalg.conv_2d_nhwc_hwcf
// CHECK: return
#id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#ch = affine_map<(d0, d1, d2, d3) -> (d3)>
func.func @block_chain_relu(%x: tensor<1x9x9x32xf32>, %w0: tensor<3x3x32x64xf32>, %w1: tensor<3x3x32x64xf32>, %bias: tensor<128xf32>) -> tensor<1x7x7x128xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x7x7x128xf32>
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
  %r = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
     ins(%r1 : tensor<1x7x7x128xf32>) outs(%e : tensor<1x7x7x128xf32>) {
  ^bb0(%in: f32, %out: f32):
    %m = arith.maximumf %in, %zero : f32
    linalg.yield %m : f32
  } -> tensor<1x7x7x128xf32>
  return %r : tensor<1x7x7x128xf32>
}

// -----

// The same chain with no epilogue (ResNet's downsample conv, read by the
// next conv's residual add): each block still starts from its own slice of
// the bias broadcast, written into its slice of the chain, and the whole
// broadcast goes; the convs stay unmarked.
// CHECK-LABEL: func.func @block_chain_no_epilogue
// CHECK: tensor.empty() : tensor<1x7x7x128xf32>
// CHECK-NEXT: %[[EMPTY:.*]] = tensor.empty() : tensor<1x7x7x128xf32>
// CHECK-NOT: linalg.generic {{.*}} -> tensor<1x7x7x128xf32>
// CHECK: %[[A0:.*]] = tensor.extract_slice %[[EMPTY]][0, 0, 0, 0] [1, 7, 7, 64]
// CHECK: %[[BIAS0:.*]] = linalg.generic {{.*}} ins(%{{.*}} : tensor<64xf32>) outs(%[[A0]] : tensor<1x7x7x64xf32>)
// CHECK: %[[CONV0:.*]] = linalg.conv_2d_nhwc_hwcf {dilations{{.*}} outs(%[[BIAS0]] :
// CHECK: %[[R0:.*]] = tensor.insert_slice %[[CONV0]] into %[[EMPTY]][0, 0, 0, 0]
// CHECK: %[[A1:.*]] = tensor.extract_slice %[[R0]][0, 0, 0, 64] [1, 7, 7, 64]
// CHECK: %[[BIAS1:.*]] = linalg.generic {{.*}} outs(%[[A1]] : tensor<1x7x7x64xf32>)
// CHECK: linalg.conv_2d_nhwc_hwcf {dilations{{.*}} outs(%[[BIAS1]] :
// CHECK: tensor.insert_slice %{{.*}} into %[[R0]][0, 0, 0, 64]
#id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#ch = affine_map<(d0, d1, d2, d3) -> (d3)>
func.func @block_chain_no_epilogue(%x: tensor<1x9x9x32xf32>, %w0: tensor<3x3x32x64xf32>, %w1: tensor<3x3x32x64xf32>, %bias: tensor<128xf32>) -> tensor<1x7x7x128xf32> {
  %e = tensor.empty() : tensor<1x7x7x128xf32>
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
  return %r1 : tensor<1x7x7x128xf32>
}

// -----

// The same chain where each block is a sequence of convs accumulating one
// into the next (the phases of cnnc-split-strided-convs): the sequence moves
// as a whole, its first conv accumulating into the bias slice, its last
// marked and feeding the block's ReLU.
// CHECK-LABEL: func.func @block_chain_of_phases
// CHECK: %[[OUT0:.*]] = tensor.extract_slice %[[RESULT:.*]][0, 0, 0, 0] [1, 7, 7, 64]
// CHECK: %[[BIAS0:.*]] = linalg.generic {{.*}} outs(%[[OUT0]] : tensor<1x7x7x64xf32>)
// CHECK: %[[PHASE0:.*]] = linalg.conv_2d_nhwc_hwcf {dilations{{.*}} outs(%[[BIAS0]] :
// CHECK: %[[CONV0:.*]] = linalg.conv_2d_nhwc_hwcf {cnn.fused_epilogue{{.*}} outs(%[[PHASE0]] :
// CHECK: %[[RELU0:.*]] = linalg.generic {{.*}} ins(%[[CONV0]] : {{.*}} outs(%[[OUT0]] :
// CHECK: %[[R0:.*]] = tensor.insert_slice %[[RELU0]] into %[[RESULT]][0, 0, 0, 0]
// CHECK: %[[OUT1:.*]] = tensor.extract_slice %[[R0]][0, 0, 0, 64] [1, 7, 7, 64]
// CHECK: linalg.conv_2d_nhwc_hwcf {dilations
// CHECK: linalg.conv_2d_nhwc_hwcf {cnn.fused_epilogue
// CHECK: tensor.insert_slice %{{.*}} into %[[R0]][0, 0, 0, 64]
// CHECK-NOT: linalg.conv_2d_nhwc_hwcf
// CHECK: return
#id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#ch = affine_map<(d0, d1, d2, d3) -> (d3)>
func.func @block_chain_of_phases(%x: tensor<1x9x9x32xf32>, %w0: tensor<3x3x32x64xf32>, %w1: tensor<3x3x32x64xf32>, %bias: tensor<128xf32>) -> tensor<1x7x7x128xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x7x7x128xf32>
  %acc = linalg.generic {indexing_maps = [#ch, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
     ins(%bias : tensor<128xf32>) outs(%e : tensor<1x7x7x128xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  } -> tensor<1x7x7x128xf32>
  %a0 = tensor.extract_slice %acc[0, 0, 0, 0] [1, 7, 7, 64] [1, 1, 1, 1] : tensor<1x7x7x128xf32> to tensor<1x7x7x64xf32>
  %y0 = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
     ins(%x, %w0 : tensor<1x9x9x32xf32>, tensor<3x3x32x64xf32>) outs(%a0 : tensor<1x7x7x64xf32>) -> tensor<1x7x7x64xf32>
  %y0b = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
     ins(%x, %w1 : tensor<1x9x9x32xf32>, tensor<3x3x32x64xf32>) outs(%y0 : tensor<1x7x7x64xf32>) -> tensor<1x7x7x64xf32>
  %r0 = tensor.insert_slice %y0b into %acc[0, 0, 0, 0] [1, 7, 7, 64] [1, 1, 1, 1] : tensor<1x7x7x64xf32> into tensor<1x7x7x128xf32>
  %a1 = tensor.extract_slice %r0[0, 0, 0, 64] [1, 7, 7, 64] [1, 1, 1, 1] : tensor<1x7x7x128xf32> to tensor<1x7x7x64xf32>
  %y1 = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
     ins(%x, %w1 : tensor<1x9x9x32xf32>, tensor<3x3x32x64xf32>) outs(%a1 : tensor<1x7x7x64xf32>) -> tensor<1x7x7x64xf32>
  %y1b = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
     ins(%x, %w0 : tensor<1x9x9x32xf32>, tensor<3x3x32x64xf32>) outs(%y1 : tensor<1x7x7x64xf32>) -> tensor<1x7x7x64xf32>
  %r1 = tensor.insert_slice %y1b into %r0[0, 0, 0, 64] [1, 7, 7, 64] [1, 1, 1, 1] : tensor<1x7x7x64xf32> into tensor<1x7x7x128xf32>
  %r = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
     ins(%r1 : tensor<1x7x7x128xf32>) outs(%e : tensor<1x7x7x128xf32>) {
  ^bb0(%in: f32, %out: f32):
    %m = arith.maximumf %in, %zero : f32
    linalg.yield %m : f32
  } -> tensor<1x7x7x128xf32>
  return %r : tensor<1x7x7x128xf32>
}

// -----

// A chain with a tail block first (cnnc-block-conv-filters: 16 channels past
// the whole 64-channel blocks), the equal blocks after it marked as a chain
// of their own (cnn.chain_start): the split epilogue's inserts keep the
// mark, so that the equal blocks still group into one parallel loop.
// CHECK-LABEL: func.func @tail_then_chain_relu
// CHECK: tensor.insert_slice %{{.*}} into %{{.*}}[0, 0, 0, 128] [1, 7, 7, 16]
// CHECK-NOT: cnn.chain_start
// CHECK-SAME: tensor<1x7x7x16xf32> into
// CHECK: tensor.insert_slice %{{.*}} into %{{.*}}[0, 0, 0, 0] [1, 7, 7, 64] [1, 1, 1, 1] {cnn.chain_start}
// CHECK: tensor.insert_slice %{{.*}} into %{{.*}}[0, 0, 0, 64] [1, 7, 7, 64] [1, 1, 1, 1] :
// CHECK: return
#id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#ch = affine_map<(d0, d1, d2, d3) -> (d3)>
func.func @tail_then_chain_relu(%x: tensor<1x7x7x32xf32>, %wt: tensor<1x1x32x16xf32>, %w0: tensor<1x1x32x64xf32>, %w1: tensor<1x1x32x64xf32>, %bias: tensor<144xf32>) -> tensor<1x7x7x144xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x7x7x144xf32>
  %acc = linalg.generic {indexing_maps = [#ch, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
     ins(%bias : tensor<144xf32>) outs(%e : tensor<1x7x7x144xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  } -> tensor<1x7x7x144xf32>
  %at = tensor.extract_slice %acc[0, 0, 0, 128] [1, 7, 7, 16] [1, 1, 1, 1] : tensor<1x7x7x144xf32> to tensor<1x7x7x16xf32>
  %yt = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
     ins(%x, %wt : tensor<1x7x7x32xf32>, tensor<1x1x32x16xf32>) outs(%at : tensor<1x7x7x16xf32>) -> tensor<1x7x7x16xf32>
  %rt = tensor.insert_slice %yt into %acc[0, 0, 0, 128] [1, 7, 7, 16] [1, 1, 1, 1] : tensor<1x7x7x16xf32> into tensor<1x7x7x144xf32>
  %a0 = tensor.extract_slice %rt[0, 0, 0, 0] [1, 7, 7, 64] [1, 1, 1, 1] : tensor<1x7x7x144xf32> to tensor<1x7x7x64xf32>
  %y0 = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
     ins(%x, %w0 : tensor<1x7x7x32xf32>, tensor<1x1x32x64xf32>) outs(%a0 : tensor<1x7x7x64xf32>) -> tensor<1x7x7x64xf32>
  %r0 = tensor.insert_slice %y0 into %rt[0, 0, 0, 0] [1, 7, 7, 64] [1, 1, 1, 1] {cnn.chain_start} : tensor<1x7x7x64xf32> into tensor<1x7x7x144xf32>
  %a1 = tensor.extract_slice %r0[0, 0, 0, 64] [1, 7, 7, 64] [1, 1, 1, 1] : tensor<1x7x7x144xf32> to tensor<1x7x7x64xf32>
  %y1 = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
     ins(%x, %w1 : tensor<1x7x7x32xf32>, tensor<1x1x32x64xf32>) outs(%a1 : tensor<1x7x7x64xf32>) -> tensor<1x7x7x64xf32>
  %r1 = tensor.insert_slice %y1 into %r0[0, 0, 0, 64] [1, 7, 7, 64] [1, 1, 1, 1] : tensor<1x7x7x64xf32> into tensor<1x7x7x144xf32>
  %r = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
     ins(%r1 : tensor<1x7x7x144xf32>) outs(%e : tensor<1x7x7x144xf32>) {
  ^bb0(%in: f32, %out: f32):
    %m = arith.maximumf %in, %zero : f32
    linalg.yield %m : f32
  } -> tensor<1x7x7x144xf32>
  return %r : tensor<1x7x7x144xf32>
}
