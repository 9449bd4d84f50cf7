// The application of CPU schedules: the schedules come from
// cnnc-select-cpu-schedules for an AVX-512 target (znver5); what each target
// gets is checked in select-cpu-schedules.mlir.
// RUN: cnnc-opt %s --split-input-file --cnnc-attach-target=cpu=znver5 --cnnc-select-cpu-schedules=filter-outer=true --cnnc-tile-and-vectorize | FileCheck %s
// RUN: cnnc-opt %s --split-input-file --cnnc-attach-target=cpu=znver5 --cnnc-select-cpu-schedules --cnnc-tile-and-vectorize | FileCheck %s --check-prefix=ROWS
// An AVX2 target's schedules apply too: 16 registers, 8-lane vectors.
// RUN: cnnc-opt %s --split-input-file --cnnc-attach-target=cpu=x86-64-v3 --cnnc-select-cpu-schedules --cnnc-tile-and-vectorize | FileCheck %s --check-prefix=AVX2
// A ResNet layer (56x56x64, 3x3): 14 x 32 register blocks (28 zmm
// accumulators) over an scf.forall, the reduction walks kh, kw and one input
// channel at a time (a step of 8, unrolled, left LLVM no free register and
// it spilled an accumulator), and the inner step is one vector contraction
// with the accumulator carried in registers.
// CHECK-LABEL: func.func @conv
// CHECK: scf.forall (%{{.*}}, %{{.*}}, %{{.*}}) = (0, 0, 0) to (56, 56, 64) step (1, 14, 32)
// CHECK: vector.transfer_read {{.*}} vector<1x14x32xf32>
// CHECK: scf.for
// CHECK: scf.for
// CHECK: scf.for %{{.*}} = %c0 to %c64 step %c1 {{.*}} -> (vector<1x14x32xf32>)
// CHECK: vector.contract {{.*}} vector<1x14x1xf32>, vector<1x32xf32> into vector<1x14x32xf32>
// CHECK-NOT: linalg.conv_2d_nhwc_hwcf
// On AVX2, 14 x 8 blocks (14 ymm accumulators + 1 filter vector + 1
// broadcast: the 16 registers), one input channel a step.
// AVX2-LABEL: func.func @conv
// AVX2: scf.forall (%{{.*}}, %{{.*}}, %{{.*}}) = (0, 0, 0) to (56, 56, 64) step (1, 14, 8)
// AVX2: vector.contract {{.*}} vector<1x14x1xf32>, vector<1x8xf32> into vector<1x14x8xf32>
// AVX2-NOT: linalg.conv_2d_nhwc_hwcf
func.func @conv(%x: tensor<1x58x58x64xf32>, %w: tensor<3x3x64x64xf32>, %b: tensor<1x56x56x64xf32>) -> tensor<1x56x56x64xf32> {
  %y = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
     ins(%x, %w : tensor<1x58x58x64xf32>, tensor<3x3x64x64xf32>) outs(%b : tensor<1x56x56x64xf32>) -> tensor<1x56x56x64xf32>
  return %y : tensor<1x56x56x64xf32>
}

// -----

// ResNet's layer4 (7x7x512, 3x3; a 9.4 MB filter). Rows of 7 take register
// blocks of 7 x 32 (znver5). With filter-outer=true the forall runs over the
// 16 filter blocks of 32 channels, and each walks the 7 output rows in a
// sequential loop, reusing its filter slice from cache; the accumulator
// still lives in registers through the reduction loops (8 input channels a
// step).
// CHECK-LABEL: func.func @conv_large_filter
// CHECK: scf.forall (%{{.*}}) in (16)
// CHECK: scf.for %{{.*}} = %c0 to %c7 step %c1 iter_args(%{{.*}}) -> (tensor<1x7x7x32xf32>)
// CHECK: vector.transfer_read {{.*}} vector<1x7x32xf32>
// CHECK: scf.for {{.*}} -> ({{.*}}vector<1x7x32xf32>)
// CHECK: vector.contract {{.*}} vector<1x7x8xf32>, vector<8x32xf32> into vector<1x7x32xf32>
// By default (filter-outer=false) the rows are parallel (7 rows x 16 blocks).
// ROWS-LABEL: func.func @conv_large_filter
// ROWS: scf.forall (%{{.*}}, %{{.*}}) = (0, 0) to (7, 512) step (1, 32)
func.func @conv_large_filter(%x: tensor<1x9x9x512xf32>, %w: tensor<3x3x512x512xf32>, %b: tensor<1x7x7x512xf32>) -> tensor<1x7x7x512xf32> {
  %y = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
     ins(%x, %w : tensor<1x9x9x512xf32>, tensor<3x3x512x512xf32>) outs(%b : tensor<1x7x7x512xf32>) -> tensor<1x7x7x512xf32>
  return %y : tensor<1x7x7x512xf32>
}

// -----

// One 64-channel filter block of ResNet's layer4 3x3 conv at batch 1
// (cnnc-block-conv-filters' output; 1.18 MB, more than L2 can keep from one
// row to the next): ORDER 2. The forall runs over the two 32-channel
// halves, the reduction over chunks of 128 input channels, and inside each
// chunk a loop walks the 7 output rows with 7 x 32 blocks.
// ROWS-LABEL: func.func @conv_rows_of_7_filter_block
// ROWS: scf.forall (%{{.*}}) in (2)
// ROWS: scf.for %{{.*}} = %c0 to %c512 step %c128
// ROWS: scf.for %{{.*}} = %c0 to %c7 step %c1
// ROWS: vector.contract {{.*}} vector<1x7x8xf32>, vector<8x32xf32> into vector<1x7x32xf32>
// ROWS-NOT: linalg.conv_2d_nhwc_hwcf
func.func @conv_rows_of_7_filter_block(%x: tensor<1x9x9x512xf32>, %w: tensor<3x3x512x64xf32>, %b: tensor<1x7x7x64xf32>) -> tensor<1x7x7x64xf32> {
  %y = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
     ins(%x, %w : tensor<1x9x9x512xf32>, tensor<3x3x512x64xf32>) outs(%b : tensor<1x7x7x64xf32>) -> tensor<1x7x7x64xf32>
  return %y : tensor<1x7x7x64xf32>
}

// -----

// A weight gradient whose filter (the output gradient, 12.8 MB a 32-channel
// block) is re-read by every register block: chunked_filter_rows (znver5:
// one filter row a chunk). The forall runs over the two 32-channel blocks,
// a loop over the 56 filter rows outside the register blocks (64 input
// channels in pairs x 3 rows of 3), the accumulators in the output between
// chunks.
// ROWS-LABEL: func.func @weight_gradient_rows
// ROWS: scf.forall (%{{.*}}) in (2)
// ROWS: scf.for %{{.*}} = %c0 to %c56 step %c1
// ROWS: scf.for %{{.*}} = %c0 to %c64 step %c2
// ROWS: scf.for %{{.*}} = %c0 to %c3 step %c1
// ROWS: vector.contract
// ROWS-NOT: linalg.conv_2d_nhwc_hwcf
func.func @weight_gradient_rows(%x: tensor<64x58x58x32xf32>, %gy: tensor<56x56x32x64xf32>, %b: tensor<64x3x3x64xf32>) -> tensor<64x3x3x64xf32> {
  %y = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
     ins(%x, %gy : tensor<64x58x58x32xf32>, tensor<56x56x32x64xf32>) outs(%b : tensor<64x3x3x64xf32>) -> tensor<64x3x3x64xf32>
  return %y : tensor<64x3x3x64xf32>
}

// -----

// MobileNetV2's stride-2 depthwise layer (112x112x96 -> 56x56x96, 3x3):
// 8 outputs x 32 channels per block over an scf.forall, the kernel rows in
// a loop, and each row unrolled over the kernel width as vector FMAs with
// the channels in lanes.
// CHECK-LABEL: func.func @depthwise
// CHECK: scf.forall (%{{.*}}, %{{.*}}, %{{.*}}) = (0, 0, 0) to (56, 56, 96) step (1, 8, 32)
// CHECK: scf.for {{.*}} -> (vector<1x8x32xf32>)
// CHECK: vector.transfer_read {{.*}} vector<1x17x32xf32>
// CHECK: vector.fma
// CHECK-NOT: linalg.depthwise_conv_2d_nhwc_hwc
func.func @depthwise(%x: tensor<1x113x113x96xf32>, %w: tensor<3x3x96xf32>, %b: tensor<1x56x56x96xf32>) -> tensor<1x56x56x96xf32> {
  %y = linalg.depthwise_conv_2d_nhwc_hwc {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>}
     ins(%x, %w : tensor<1x113x113x96xf32>, tensor<3x3x96xf32>) outs(%b : tensor<1x56x56x96xf32>) -> tensor<1x56x56x96xf32>
  return %y : tensor<1x56x56x96xf32>
}

// -----

// MobileNetV2's 144 -> 24 projection (1x1, 56x56): 24 channels are not
// one 24-wide vector, which LLVM splits into a zmm and a ymm with hundreds
// of lane inserts, but a block of 16 (a zmm a pixel) and the rest of 8 (a
// ymm), both in each iteration of the parallel loop over 14-pixel rows.
// CHECK-LABEL: func.func @conv_24_channels
// CHECK: scf.forall (%{{.*}}, %{{.*}}) = (0, 0) to (56, 56) step (1, 14)
// CHECK: vector.contract {{.*}} vector<1x14x8xf32>, vector<8x16xf32> into vector<1x14x16xf32>
// CHECK: vector.transfer_write {{.*}} : vector<1x14x16xf32>
// CHECK: vector.contract {{.*}} vector<1x14x8xf32>, vector<8x8xf32> into vector<1x14x8xf32>
// CHECK: vector.transfer_write {{.*}} : vector<1x14x8xf32>
// CHECK: scf.forall.in_parallel
// CHECK-NOT: linalg.conv_2d_nhwc_hwcf
func.func @conv_24_channels(%x: tensor<1x56x56x144xf32>, %w: tensor<1x1x144x24xf32>, %b: tensor<1x56x56x24xf32>) -> tensor<1x56x56x24xf32> {
  %y = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
     ins(%x, %w : tensor<1x56x56x144xf32>, tensor<1x1x144x24xf32>) outs(%b : tensor<1x56x56x24xf32>) -> tensor<1x56x56x24xf32>
  return %y : tensor<1x56x56x24xf32>
}

// -----

// MobileNetV3's 40 -> 72 expansion (1x1, 28x28) with its bias and ReLU:
// in each iteration of the parallel loop over 14-pixel rows, a loop over
// the two 14 x 32 blocks of the first 64 channels, then the 14 x 8 block
// of the rest; each block starts from its slice of the bias and applies
// the ReLU to its own accumulators, which never leave the registers
// between the three.
// CHECK-LABEL: func.func @conv_72_channels_bias_relu
// CHECK: scf.forall (%{{.*}}, %{{.*}}) = (0, 0) to (28, 28) step (1, 14)
// CHECK: scf.for %[[F:.*]] = %c0 to %c64 step %c32
// CHECK: vector.transfer_read %{{.*}}[%[[F]]], {{.*}} : tensor<72xf32>, vector<1x1x14x32xf32>
// CHECK: vector.contract {{.*}} into vector<1x14x32xf32>
// CHECK: arith.maximumf {{.*}} : vector<1x1x14x32xf32>
// CHECK: vector.transfer_write {{.*}} : vector<1x1x14x32xf32>
// CHECK: vector.transfer_read %{{.*}}[%c64], {{.*}} : tensor<72xf32>, vector<1x1x14x8xf32>
// CHECK: vector.contract {{.*}} into vector<1x14x8xf32>
// CHECK: arith.maximumf {{.*}} : vector<1x1x14x8xf32>
// CHECK: vector.transfer_write {{.*}} : vector<1x1x14x8xf32>
// CHECK: scf.forall.in_parallel
// CHECK-NOT: linalg.
#id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#bias = affine_map<(d0, d1, d2, d3) -> (d3)>
func.func @conv_72_channels_bias_relu(%x: tensor<1x28x28x40xf32>, %w: tensor<1x1x40x72xf32>, %bias: tensor<72xf32>) -> tensor<1x28x28x72xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x28x28x72xf32>
  %b = linalg.generic {indexing_maps = [#bias, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
     ins(%bias : tensor<72xf32>) outs(%e : tensor<1x28x28x72xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  } -> tensor<1x28x28x72xf32>
  %y = linalg.conv_2d_nhwc_hwcf {cnn.fused_epilogue, dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
     ins(%x, %w : tensor<1x28x28x40xf32>, tensor<1x1x40x72xf32>) outs(%b : tensor<1x28x28x72xf32>) -> tensor<1x28x28x72xf32>
  %r = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
     ins(%y : tensor<1x28x28x72xf32>) outs(%e : tensor<1x28x28x72xf32>) {
  ^bb0(%in: f32, %out: f32):
    %m = arith.maximumf %in, %zero : f32
    linalg.yield %m : f32
  } -> tensor<1x28x28x72xf32>
  return %r : tensor<1x28x28x72xf32>
}

// -----

// The depthwise conv over 72 channels (MobileNetV3, 56x56): each iteration
// of the parallel loop over 8-pixel rows walks the two 32-channel blocks of
// the first 64 channels, then the 8 left, kernel rows one at a time.
// ROWS-LABEL: func.func @depthwise_72_channels
// ROWS: scf.forall (%{{.*}}, %{{.*}}) = (0, 0) to (56, 56) step (1, 8)
// ROWS: scf.for %{{.*}} = %c0 to %c64 step %c32
// ROWS: vector.fma {{.*}} : vector<1x8x32xf32>
// ROWS: vector.fma {{.*}} : vector<1x8x8xf32>
// ROWS: scf.forall.in_parallel
func.func @depthwise_72_channels(%x: tensor<1x58x58x72xf32>, %w: tensor<3x3x72xf32>, %b: tensor<1x56x56x72xf32>) -> tensor<1x56x56x72xf32> {
  %y = linalg.depthwise_conv_2d_nhwc_hwc {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
     ins(%x, %w : tensor<1x58x58x72xf32>, tensor<3x3x72xf32>) outs(%b : tensor<1x56x56x72xf32>) -> tensor<1x56x56x72xf32>
  return %y : tensor<1x56x56x72xf32>
}

// -----

// Over 58 channels the rest of 10 is split into parts of 8 and 2, each a
// block of its own after the 16-channel tiles.
// ROWS-LABEL: func.func @depthwise_58_channels
// ROWS: scf.forall (%{{.*}}, %{{.*}}) = (0, 0) to (28, 28) step (1, 14)
// ROWS: scf.for %{{.*}} = %c0 to %c48 step %c16
// ROWS: vector.fma {{.*}} : vector<1x14x16xf32>
// ROWS: vector.fma {{.*}} : vector<1x14x8xf32>
// ROWS: vector.fma {{.*}} : vector<1x14x2xf32>
// ROWS: scf.forall.in_parallel
func.func @depthwise_58_channels(%x: tensor<1x30x30x58xf32>, %w: tensor<3x3x58xf32>, %b: tensor<1x28x28x58xf32>) -> tensor<1x28x28x58xf32> {
  %y = linalg.depthwise_conv_2d_nhwc_hwc {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
     ins(%x, %w : tensor<1x30x30x58xf32>, tensor<3x3x58xf32>) outs(%b : tensor<1x28x28x58xf32>) -> tensor<1x28x28x58xf32>
  return %y : tensor<1x28x28x58xf32>
}

// -----

// ResNet's last stage at batch 8 (7x7x512, 3x3): rows of 7 take the same
// row of two images, 2 x 7 x 32 (28 accumulators, no spill).
// CHECK-LABEL: func.func @conv_rows_of_7_batch
// CHECK: vector.contract {{.*}} vector<2x7x1xf32>, vector<1x32xf32> into vector<2x7x32xf32>
// ROWS-LABEL: func.func @conv_rows_of_7_batch
// ROWS: scf.forall (%{{.*}}, %{{.*}}, %{{.*}}) = (0, 0, 0) to (8, 7, 512) step (2, 1, 32)
// ROWS: vector.contract {{.*}} vector<2x7x1xf32>, vector<1x32xf32> into vector<2x7x32xf32>
func.func @conv_rows_of_7_batch(%x: tensor<8x9x9x512xf32>, %w: tensor<3x3x512x512xf32>, %b: tensor<8x7x7x512xf32>) -> tensor<8x7x7x512xf32> {
  %y = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
     ins(%x, %w : tensor<8x9x9x512xf32>, tensor<3x3x512x512xf32>) outs(%b : tensor<8x7x7x512xf32>) -> tensor<8x7x7x512xf32>
  return %y : tensor<8x7x7x512xf32>
}

// -----

// A conv marked by cnnc-fuse-conv-epilogues: the forall tiles its residual
// add + ReLU, the conv and its bias broadcast are fused into each tile, and
// all three are vectorized together: the bias is read as a broadcast
// vector, the accumulator stays in registers, and the block leaves them
// once, after the ReLU, into the output tile (no buffer per tile).
// CHECK-LABEL: func.func @conv_bias_add_relu
// CHECK: scf.forall ({{.*}}) = (0, 0, 0) to (56, 56, 64) step (1, 14, 32) shared_outs(%[[OUT:.*]] = %{{.*}})
// CHECK: %[[TILE:.*]] = tensor.extract_slice %[[OUT]]
// CHECK: %[[BIAS:.*]] = vector.transfer_read %{{.*}} : tensor<64xf32>, vector<1x1x14x32xf32>
// CHECK-NEXT: %[[ACC:.*]] = vector.shape_cast %[[BIAS]] : vector<1x1x14x32xf32> to vector<1x14x32xf32>
// CHECK: scf.for {{.*}} iter_args({{.*}} = %[[ACC]]) -> ({{.*}}vector<1x14x32xf32>)
// CHECK: vector.contract
// CHECK: arith.addf {{.*}} : vector<1x1x14x32xf32>
// CHECK: arith.maximumf {{.*}} : vector<1x1x14x32xf32>
// CHECK: vector.transfer_write {{.*}}, %[[TILE]]
// CHECK: tensor.parallel_insert_slice
// CHECK-NOT: linalg.conv_2d_nhwc_hwcf
// CHECK-NOT: linalg.generic
#bias = affine_map<(d0, d1, d2, d3) -> (d3)>
#id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
func.func @conv_bias_add_relu(%x: tensor<1x58x58x64xf32>, %w: tensor<3x3x64x64xf32>, %bias: tensor<64xf32>, %skip: tensor<1x56x56x64xf32>) -> tensor<1x56x56x64xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x56x56x64xf32>
  %b = linalg.generic {indexing_maps = [#bias, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
     ins(%bias : tensor<64xf32>) outs(%e : tensor<1x56x56x64xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  } -> tensor<1x56x56x64xf32>
  %y = linalg.conv_2d_nhwc_hwcf {cnn.fused_epilogue, dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
     ins(%x, %w : tensor<1x58x58x64xf32>, tensor<3x3x64x64xf32>) outs(%b : tensor<1x56x56x64xf32>) -> tensor<1x56x56x64xf32>
  %r = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
     ins(%y, %skip : tensor<1x56x56x64xf32>, tensor<1x56x56x64xf32>) outs(%e : tensor<1x56x56x64xf32>) {
  ^bb0(%in: f32, %s: f32, %out: f32):
    %a = arith.addf %in, %s : f32
    %m = arith.maximumf %a, %zero : f32
    linalg.yield %m : f32
  } -> tensor<1x56x56x64xf32>
  return %r : tensor<1x56x56x64xf32>
}

// -----

// A conv with its bias broadcast fused into the tile and no epilogue (a
// ResNet downsample): the accumulator starts from the bias vector and the
// block is stored once; the initializer's whole-tile store, which the
// result then overwrote, is gone.
// CHECK-LABEL: func.func @conv_bias_no_epilogue
// CHECK: scf.forall
// CHECK: %[[BIAS:.*]] = vector.transfer_read %{{.*}} : tensor<256xf32>, vector<1x1x14x32xf32>
// CHECK-NOT: vector.transfer_write
// CHECK: vector.contract
// CHECK: vector.transfer_write
// CHECK-NOT: vector.transfer_write
// CHECK: tensor.parallel_insert_slice
#bias = affine_map<(d0, d1, d2, d3) -> (d3)>
#id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
func.func @conv_bias_no_epilogue(%x: tensor<1x56x56x64xf32>, %w: tensor<1x1x64x256xf32>, %bias: tensor<256xf32>) -> tensor<1x56x56x256xf32> {
  %e = tensor.empty() : tensor<1x56x56x256xf32>
  %b = linalg.generic {indexing_maps = [#bias, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
     ins(%bias : tensor<256xf32>) outs(%e : tensor<1x56x56x256xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  } -> tensor<1x56x56x256xf32>
  %y = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
     ins(%x, %w : tensor<1x56x56x64xf32>, tensor<1x1x64x256xf32>) outs(%b : tensor<1x56x56x256xf32>) -> tensor<1x56x56x256xf32>
  return %y : tensor<1x56x56x256xf32>
}

// -----

// A weight gradient over batch lanes (28 x 28 kernel, 5 x 5 outputs): the
// forall walks channel blocks first.
// ROWS-LABEL: func.func @weight_grad_depthwise
// ROWS: scf.forall (%{{.*}}, %{{.*}}) = (0, 0) to (256, 5) step (32, 1)
// ROWS: scf.for {{.*}} -> (vector<1x5x32xf32>)
// ROWS: vector.fma {{.*}} : vector<1x5x32xf32>
// ROWS-NOT: linalg.depthwise_conv_2d_nhwc_hwc
func.func @weight_grad_depthwise(%x: tensor<1x32x32x256xf32>, %dy: tensor<28x28x256xf32>) -> tensor<1x5x5x256xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x5x5x256xf32>
  %b = linalg.fill ins(%zero : f32) outs(%e : tensor<1x5x5x256xf32>) -> tensor<1x5x5x256xf32>
  %y = linalg.depthwise_conv_2d_nhwc_hwc {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
     ins(%x, %dy : tensor<1x32x32x256xf32>, tensor<28x28x256xf32>) outs(%b : tensor<1x5x5x256xf32>) -> tensor<1x5x5x256xf32>
  return %y : tensor<1x5x5x256xf32>
}

// -----

// ResNet's stem max pool (112x112x64 -> 56x56x64, 3x3, stride 2), and a
// DenseNet transition's 2x2 sum pool: scheduled like depthwise convs, the
// fill fused into each [1, 1, 8, 32] block (the loop starts from it, no
// store), the window rows in a loop, each
// row's maxima (sums) as vector ops with the channels in lanes.
// CHECK-LABEL: func.func @pools
// CHECK: scf.forall (%{{.*}}, %{{.*}}, %{{.*}}) = (0, 0, 0) to (56, 56, 64) step (1, 8, 32)
// CHECK: scf.for {{.*}} iter_args(%{{.*}} = %cst{{[_0-9]*}}) -> (vector<1x8x32xf32>)
// CHECK: vector.transfer_read {{.*}} vector<1x17x32xf32>
// CHECK: arith.maximumf {{.*}} : vector<1x1x32xf32>
// CHECK: scf.forall (%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}) = (0, 0, 0, 0) to (2, 28, 28, 128) step (1, 1, 7, 32)
// CHECK: arith.addf {{.*}} : vector<1x1x32xf32>
// CHECK-NOT: linalg.pooling
func.func @pools(%x: tensor<1x114x114x64xf32>, %t: tensor<2x56x56x128xf32>) -> (tensor<1x56x56x64xf32>, tensor<2x28x28x128xf32>) {
  %ninf = arith.constant 0xFF800000 : f32
  %zero = arith.constant 0.0 : f32
  %k3 = tensor.empty() : tensor<3x3xf32>
  %e = tensor.empty() : tensor<1x56x56x64xf32>
  %f = linalg.fill ins(%ninf : f32) outs(%e : tensor<1x56x56x64xf32>) -> tensor<1x56x56x64xf32>
  %m = linalg.pooling_nhwc_max {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>}
     ins(%x, %k3 : tensor<1x114x114x64xf32>, tensor<3x3xf32>) outs(%f : tensor<1x56x56x64xf32>) -> tensor<1x56x56x64xf32>
  %k2 = tensor.empty() : tensor<2x2xf32>
  %e2 = tensor.empty() : tensor<2x28x28x128xf32>
  %f2 = linalg.fill ins(%zero : f32) outs(%e2 : tensor<2x28x28x128xf32>) -> tensor<2x28x28x128xf32>
  %s = linalg.pooling_nhwc_sum {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>}
     ins(%t, %k2 : tensor<2x56x56x128xf32>, tensor<2x2xf32>) outs(%f2 : tensor<2x28x28x128xf32>) -> tensor<2x28x28x128xf32>
  return %m, %s : tensor<1x56x56x64xf32>, tensor<2x28x28x128xf32>
}
