// CPU schedules selected from the target (IREE's select_x86_64_lowering_strategy.mlir
// in spirit): each case under an AVX-512 target (znver5: 16 lanes, 32
// registers, 1 MiB L2) and an AVX2 one (x86-64-v3: 8 lanes, 16 registers).
// RUN: cnnc-opt %s --split-input-file --cnnc-attach-target=cpu=znver5 --cnnc-select-cpu-schedules | FileCheck %s --check-prefix=AVX512
// RUN: cnnc-opt %s --split-input-file --cnnc-attach-target=cpu=x86-64-v3 --cnnc-select-cpu-schedules | FileCheck %s --check-prefix=AVX2
// RUN: cnnc-opt %s --split-input-file --cnnc-attach-target=cpu=znver5 --cnnc-select-cpu-schedules=wide-blocks=false | FileCheck %s --check-prefix=NARROW
// RUN: cnnc-opt %s --split-input-file --cnnc-attach-target=cpu=znver5 --cnnc-select-cpu-schedules=chunked-rows=false | FileCheck %s --check-prefix=NOCHUNK
// RUN: cnnc-opt %s --split-input-file --cnnc-attach-target=cpu=znver5 --cnnc-select-cpu-schedules=filter-outer=true | FileCheck %s --check-prefix=FOUTER
// RUN: cnnc-opt %s --split-input-file --cnnc-attach-target=cpu=znver4 --cnnc-select-cpu-schedules=l1-chunked-pointwise=false | FileCheck %s --check-prefix=NOL1CHUNK
// RUN: cnnc-opt %s --split-input-file --cnnc-attach-target=cpu=sapphirerapids --cnnc-select-cpu-schedules=chunked-filter-rows=false | FileCheck %s --check-prefix=NOROWCHUNK
// RUN: cnnc-opt %s --split-input-file --cnnc-attach-target=cpu=znver4 --cnnc-select-cpu-schedules | FileCheck %s --check-prefix=ZEN4
// RUN: cnnc-opt %s --split-input-file --cnnc-attach-target=cpu=znver5 --cnnc-select-cpu-schedules=rows-outside-groups=false | FileCheck %s --check-prefix=NOROWS
// Intel (sapphirerapids: 512-bit vectors, LLVM's 256-bit preference dropped;
// two FMAs a cycle, 2 MiB L2, 16 bytes a cycle from L3).
// RUN: cnnc-opt %s --split-input-file --cnnc-attach-target=cpu=sapphirerapids --cnnc-select-cpu-schedules | FileCheck %s --check-prefix=SPR
// RUN: cnnc-opt %s --split-input-file --cnnc-attach-target=cpu=znver5 --cnnc-select-cpu-schedules=channel-rest=false | FileCheck %s --check-prefix=NOREST

// -----

// A ResNet layer (56x56x64, 3x3). AVX-512 (32 zmm): 14 x 32 blocks, 28
// accumulators + 2 filter vectors + 1 broadcast = 31 registers, one input
// channel a step (4 registers are not free). AVX2 (16 ymm): 14 x 8, 14 + 1 +
// 1 = 16 registers (with two vectors a row only 6 outputs fit: 4 x 16, 8
// accumulators), one channel a step; one vector a row takes at most twice the
// FMAs in flight (2 x 2 x 4 = 16). Narrow blocks: half the file.
// AVX512-LABEL: func.func @conv
// AVX512: codegen.schedule = #codegen.conv_schedule<batch_tile = 1, width_tile = 14, channel_tile = 32, reduction_step = 1, order = rows>
// AVX2-LABEL: func.func @conv
// AVX2: codegen.schedule = #codegen.conv_schedule<batch_tile = 1, width_tile = 14, channel_tile = 8, reduction_step = 1, order = rows>
// SPR-LABEL: func.func @conv
// SPR-NEXT: codegen.schedule = #codegen.conv_schedule<batch_tile = 1, width_tile = 14, channel_tile = 32, reduction_step = 1, order = rows>
// NARROW-LABEL: func.func @conv
// NARROW: codegen.schedule = #codegen.conv_schedule<batch_tile = 1, width_tile = 8, channel_tile = 32, reduction_step = 8, order = rows>
func.func @conv(%x: tensor<1x58x58x64xf32>, %w: tensor<3x3x64x64xf32>, %b: tensor<1x56x56x64xf32>) -> tensor<1x56x56x64xf32> {
  %y = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
     ins(%x, %w : tensor<1x58x58x64xf32>, tensor<3x3x64x64xf32>) outs(%b : tensor<1x56x56x64xf32>) -> tensor<1x56x56x64xf32>
  return %y : tensor<1x56x56x64xf32>
}

// -----

// Rows of 7 at batch 1 (7x7x512, 3x3): with one 512-bit FMA a cycle (Zen 4)
// a row too short to fill the file doubles its channel tile at one register
// over it, 7 x 64 (28 + 4 + 1 = 33 of 32; the FMA can take the broadcast from
// memory); with two (znver5) it stays 7 x 32. AVX2 has no embedded
// broadcast: 7 x 8.
// AVX512-LABEL: func.func @conv_large_filter
// AVX512: #codegen.conv_schedule<batch_tile = 1, width_tile = 7, channel_tile = 32, reduction_step = 8, order = rows
// ZEN4-LABEL: func.func @conv_large_filter
// ZEN4: #codegen.conv_schedule<batch_tile = 1, width_tile = 7, channel_tile = 64, reduction_step = 1, order = rows
// AVX2-LABEL: func.func @conv_large_filter
// AVX2: #codegen.conv_schedule<batch_tile = 1, width_tile = 7, channel_tile = 8, reduction_step = 8, order = rows
// NARROW-LABEL: func.func @conv_large_filter
// NARROW: #codegen.conv_schedule<batch_tile = 1, width_tile = 7, channel_tile = 32, reduction_step = 8, order = rows
// FOUTER-LABEL: func.func @conv_large_filter
// FOUTER: #codegen.conv_schedule<batch_tile = 1, width_tile = 7, channel_tile = 32, reduction_step = 8, order = filter_blocks>
func.func @conv_large_filter(%x: tensor<1x9x9x512xf32>, %w: tensor<3x3x512x512xf32>, %b: tensor<1x7x7x512xf32>) -> tensor<1x7x7x512xf32> {
  %y = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
     ins(%x, %w : tensor<1x9x9x512xf32>, tensor<3x3x512x512xf32>) outs(%b : tensor<1x7x7x512xf32>) -> tensor<1x7x7x512xf32>
  return %y : tensor<1x7x7x512xf32>
}

// -----

// One 64-channel filter block (1.18 MB) of a rows-of-7 conv: larger than
// half of L2 (1 MiB on znver5), two 32-channel tiles, so the chunked order:
// 128 input channels a chunk (a 147 KB filter slice, under L2/4). On AVX2
// the block is not two channel tiles (8 lanes: tiles of 8 or 16). On Zen 4
// (one 512-bit FMA a cycle) re-reading the block row by row takes 9 of
// the 32 bytes a cycle its L3 gives a core: rows, 7 x 64.
// AVX512-LABEL: func.func @conv_rows_of_7_filter_block
// AVX512: #codegen.conv_schedule<batch_tile = 1, width_tile = 7, channel_tile = 32, reduction_step = 8, order = chunked_filter_blocks, reduction_chunk = 128, group_chain = true>
// AVX2-LABEL: func.func @conv_rows_of_7_filter_block
// AVX2: #codegen.conv_schedule<batch_tile = 1, width_tile = 7, channel_tile = 8, reduction_step = 8, order = rows, group_chain = true>
// NOCHUNK-LABEL: func.func @conv_rows_of_7_filter_block
// NOCHUNK: #codegen.conv_schedule<batch_tile = 1, width_tile = 7, channel_tile = 32, reduction_step = 8, order = rows, group_chain = true>
// ZEN4-LABEL: func.func @conv_rows_of_7_filter_block
// ZEN4-NEXT: #codegen.conv_schedule<batch_tile = 1, width_tile = 7, channel_tile = 64, reduction_step = 1, order = rows, group_chain = true>
// Intel: the chunked order too (18 bytes a cycle, over half of the 16 its L3
// gives a core), in chunks of 256 input channels (a quarter of its 2 MiB L2).
// SPR-LABEL: func.func @conv_rows_of_7_filter_block
// SPR-NEXT: #codegen.conv_schedule<batch_tile = 1, width_tile = 7, channel_tile = 32, reduction_step = 8, order = chunked_filter_blocks, reduction_chunk = 256, group_chain = true>
func.func @conv_rows_of_7_filter_block(%x: tensor<1x9x9x512xf32>, %w: tensor<3x3x512x64xf32>, %b: tensor<1x7x7x64xf32>) -> tensor<1x7x7x64xf32> {
  %y = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
     ins(%x, %w : tensor<1x9x9x512xf32>, tensor<3x3x512x64xf32>) outs(%b : tensor<1x7x7x64xf32>) -> tensor<1x7x7x64xf32>
  return %y : tensor<1x7x7x64xf32>
}

// -----

// 24 output channels: on AVX-512 one whole vector (16 floats) and a rest
// of 8, each block 14 pixels wide; one vector a row: at most twice the
// FMAs in flight. On AVX2, three whole vectors. Without channel-rest,
// half vectors throughout.
// AVX512-LABEL: func.func @conv_24_channels
// AVX512: #codegen.conv_schedule<batch_tile = 1, width_tile = 14, channel_tile = 16, reduction_step = 8, order = rows, channel_rest = 8>
// AVX2-LABEL: func.func @conv_24_channels
// AVX2: #codegen.conv_schedule<batch_tile = 1, width_tile = 14, channel_tile = 8, reduction_step = 1, order = rows>
// NOREST-LABEL: func.func @conv_24_channels
// NOREST: #codegen.conv_schedule<batch_tile = 1, width_tile = 14, channel_tile = 8, reduction_step = 8, order = rows>
func.func @conv_24_channels(%x: tensor<1x56x56x144xf32>, %w: tensor<1x1x144x24xf32>, %b: tensor<1x56x56x24xf32>) -> tensor<1x56x56x24xf32> {
  %y = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
     ins(%x, %w : tensor<1x56x56x144xf32>, tensor<1x1x144x24xf32>) outs(%b : tensor<1x56x56x24xf32>) -> tensor<1x56x56x24xf32>
  return %y : tensor<1x56x56x24xf32>
}

// -----

// 72 channels at 28 x 28: 64 of 14 x 32 blocks (28 accumulators) and a
// rest of 8 on AVX-512. 12 channels on AVX2 (8 lanes): one vector and a
// rest of 4.
// AVX512-LABEL: func.func @conv_72_channels
// AVX512: #codegen.conv_schedule<batch_tile = 1, width_tile = 14, channel_tile = 32, reduction_step = 1, order = rows, channel_rest = 8>
// AVX2-LABEL: func.func @conv_72_channels
// AVX2: #codegen.conv_schedule<batch_tile = 1, width_tile = 14, channel_tile = 8, reduction_step = 1, order = rows, channel_rest = 4>
func.func @conv_72_channels(%x: tensor<1x28x28x40xf32>, %w: tensor<1x1x40x72xf32>, %b: tensor<1x28x28x72xf32>, %x2: tensor<1x28x28x40xf32>, %w2: tensor<1x1x40x12xf32>, %b2: tensor<1x28x28x12xf32>) -> (tensor<1x28x28x72xf32>, tensor<1x28x28x12xf32>) {
  %y = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
     ins(%x, %w : tensor<1x28x28x40xf32>, tensor<1x1x40x72xf32>) outs(%b : tensor<1x28x28x72xf32>) -> tensor<1x28x28x72xf32>
  %y2 = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
     ins(%x2, %w2 : tensor<1x28x28x40xf32>, tensor<1x1x40x12xf32>) outs(%b2 : tensor<1x28x28x12xf32>) -> tensor<1x28x28x12xf32>
  return %y, %y2 : tensor<1x28x28x72xf32>, tensor<1x28x28x12xf32>
}

// -----

// A squeeze-excitation block's one-pixel conv to 24 channels: its channel
// tiles are its only parallel blocks, so it keeps half vectors.
// AVX512-LABEL: func.func @conv_24_channels_one_pixel
// AVX512: #codegen.conv_schedule<batch_tile = 1, width_tile = 1, channel_tile = 8, reduction_step = 8, order = rows, group_chain = true>
func.func @conv_24_channels_one_pixel(%x: tensor<1x1x1x96xf32>, %w: tensor<1x1x96x24xf32>, %b: tensor<1x1x1x24xf32>) -> tensor<1x1x1x24xf32> {
  %y = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
     ins(%x, %w : tensor<1x1x1x96xf32>, tensor<1x1x96x24xf32>) outs(%b : tensor<1x1x1x24xf32>) -> tensor<1x1x1x24xf32>
  return %y : tensor<1x1x1x24xf32>
}

// -----

// Rows of 7 at batch 8: the same row of two images, 2 x 7 x 32 (28
// accumulators) on AVX-512, 2 x 7 x 8 (14) on AVX2.
// AVX512-LABEL: func.func @conv_rows_of_7_batch
// AVX512: #codegen.conv_schedule<batch_tile = 2, width_tile = 7, channel_tile = 32, reduction_step = 1, order = rows>
// AVX2-LABEL: func.func @conv_rows_of_7_batch
// AVX2: #codegen.conv_schedule<batch_tile = 2, width_tile = 7, channel_tile = 8, reduction_step = 1, order = rows>
func.func @conv_rows_of_7_batch(%x: tensor<8x9x9x512xf32>, %w: tensor<3x3x512x512xf32>, %b: tensor<8x7x7x512xf32>) -> tensor<8x7x7x512xf32> {
  %y = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
     ins(%x, %w : tensor<8x9x9x512xf32>, tensor<3x3x512x512xf32>) outs(%b : tensor<8x7x7x512xf32>) -> tensor<8x7x7x512xf32>
  return %y : tensor<8x7x7x512xf32>
}

// -----

// The fusion flags follow cnnc-fuse-conv-epilogues' mark and the
// accumulator's initializer.
// AVX512-LABEL: func.func @conv_bias_add_relu
// AVX512: #codegen.conv_schedule<batch_tile = 1, width_tile = 14, channel_tile = 32, reduction_step = 1, order = rows, fuse_epilogue = true, fuse_init = true>
// AVX2-LABEL: func.func @conv_bias_add_relu
// AVX2: #codegen.conv_schedule<batch_tile = 1, width_tile = 14, channel_tile = 8, reduction_step = 1, order = rows, fuse_epilogue = true, fuse_init = true>
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

// Depthwise: two vectors of channels, a quarter of the file in outputs.
// AVX512-LABEL: func.func @depthwise
// AVX512: #codegen.window_schedule<width_tile = 8, channel_tile = 32>
// AVX2-LABEL: func.func @depthwise
// AVX2: #codegen.window_schedule<width_tile = 4, channel_tile = 16>
func.func @depthwise(%x: tensor<1x113x113x96xf32>, %w: tensor<3x3x96xf32>, %b: tensor<1x56x56x96xf32>) -> tensor<1x56x56x96xf32> {
  %y = linalg.depthwise_conv_2d_nhwc_hwc {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>}
     ins(%x, %w : tensor<1x113x113x96xf32>, tensor<3x3x96xf32>) outs(%b : tensor<1x56x56x96xf32>) -> tensor<1x56x56x96xf32>
  return %y : tensor<1x56x56x96xf32>
}

// -----

// A weight gradient over batch lanes (LeNet's first conv at batch 256): its
// channel blocks' 28 x 28 filter slices outgrow L1, so channel blocks go
// outermost.
// AVX512-LABEL: func.func @weight_grad_depthwise
// AVX512: #codegen.window_schedule<width_tile = 5, channel_tile = 32, channels_outer = true>
// AVX2-LABEL: func.func @weight_grad_depthwise
// AVX2: #codegen.window_schedule<width_tile = 1, channel_tile = 16, channels_outer = true>
func.func @weight_grad_depthwise(%x: tensor<1x32x32x256xf32>, %dy: tensor<28x28x256xf32>, %b: tensor<1x5x5x256xf32>) -> tensor<1x5x5x256xf32> {
  %y = linalg.depthwise_conv_2d_nhwc_hwc {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
     ins(%x, %dy : tensor<1x32x32x256xf32>, tensor<28x28x256xf32>) outs(%b : tensor<1x5x5x256xf32>) -> tensor<1x5x5x256xf32>
  return %y : tensor<1x5x5x256xf32>
}

// -----

// Pools take the depthwise blocks (rows of 56 and of 7).
// AVX512-LABEL: func.func @pools
// AVX512: #codegen.window_schedule<width_tile = 8, channel_tile = 32, fuse_init = true>
// AVX512: #codegen.window_schedule<width_tile = 7, channel_tile = 32, fuse_init = true>
// AVX2-LABEL: func.func @pools
// AVX2: #codegen.window_schedule<width_tile = 4, channel_tile = 16, fuse_init = true>
// AVX2: #codegen.window_schedule<width_tile = 4, channel_tile = 16, fuse_init = true>
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

// -----

// A batch-1 dense layer: one row of (FMA rate x latency =) 8 vectors, K one
// vector a step.
// AVX512-LABEL: func.func @dense
// AVX512: codegen.schedule = #codegen.matmul_schedule<m_tile = 1, n_tile = 128, reduction_tiles = 16>
// AVX2-LABEL: func.func @dense
// AVX2: codegen.schedule = #codegen.matmul_schedule<m_tile = 1, n_tile = 64, reduction_tiles = 8>
func.func @dense(%x: tensor<1x4096xf32>, %w: tensor<4096x4096xf32>, %b: tensor<1x4096xf32>) -> tensor<1x4096xf32> {
  %y = linalg.matmul ins(%x, %w : tensor<1x4096xf32>, tensor<4096x4096xf32>) outs(%b : tensor<1x4096xf32>) -> tensor<1x4096xf32>
  return %y : tensor<1x4096xf32>
}

// -----

// Batch 8: M x N within half the file (120 columns: no 16- or 32-wide
// divisor, so 24 = 1.5 vectors on AVX-512).
// AVX512-LABEL: func.func @dense_batch8
// AVX512: #codegen.matmul_schedule<m_tile = 8, n_tile = 24, reduction_tiles = 16>
// AVX2-LABEL: func.func @dense_batch8
// AVX2: #codegen.matmul_schedule<m_tile = 4, n_tile = 8, reduction_tiles = 8>
func.func @dense_batch8(%x: tensor<8x400xf32>, %w: tensor<400x120xf32>, %b: tensor<8x120xf32>) -> tensor<8x120xf32> {
  %y = linalg.matmul ins(%x, %w : tensor<8x400xf32>, tensor<400x120xf32>) outs(%b : tensor<8x120xf32>) -> tensor<8x120xf32>
  return %y : tensor<8x120xf32>
}

// -----

// Not matmul-like: no schedule.
// AVX512-LABEL: func.func @elementwise
// AVX512-NOT: codegen.schedule
#x = affine_map<(m, n, c, h, w) -> (m, c, h, w)>
#w = affine_map<(m, n, c, h, w) -> (c, h, w, n)>
#y = affine_map<(m, n, c, h, w) -> (m, n)>
func.func @flattened(%x: tensor<1x64x3x3xf32>, %w: tensor<64x3x3x256xf32>, %b: tensor<1x256xf32>) -> tensor<1x256xf32> {
  %y = linalg.generic {indexing_maps = [#x, #w, #y], iterator_types = ["parallel", "parallel", "reduction", "reduction", "reduction"]}
      ins(%x, %w : tensor<1x64x3x3xf32>, tensor<64x3x3x256xf32>) outs(%b : tensor<1x256xf32>) {
  ^bb0(%a: f32, %bb: f32, %acc: f32):
    %p = arith.mulf %a, %bb : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<1x256xf32>
  return %y : tensor<1x256xf32>
}

// -----

// Not matmul-like (an elementwise generic): left alone.
// CHECK-LABEL: func.func @elementwise
// CHECK-NOT: scf.forall
// CHECK: linalg.generic
#id = affine_map<(d0, d1) -> (d0, d1)>
func.func @elementwise(%x: tensor<4x8xf32>, %y: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %r = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<4x8xf32>) outs(%y : tensor<4x8xf32>) {
  ^bb0(%a: f32, %o: f32):
    %s = arith.addf %a, %o : f32
    linalg.yield %s : f32
  } -> tensor<4x8xf32>
  return %r : tensor<4x8xf32>
}

// -----

// A depthwise conv over a channel count that is no multiple of a vector
// (MobileNetV3's 72): never a 24-lane vector. On AVX-512 the 64 channels
// of whole vectors in blocks of two (8 x 32, as for 64 channels) and the
// rest of 8; without channel-rest the widest power-of-two part of a vector
// dividing 72 throughout (8 lanes); on AVX2 whole vectors.
// AVX512-LABEL: func.func @depthwise_72_channels
// AVX512: #codegen.window_schedule<width_tile = 8, channel_tile = 32, channel_rest = 8>
// NOREST-LABEL: func.func @depthwise_72_channels
// NOREST: #codegen.window_schedule<width_tile = 14, channel_tile = 8>
// AVX2-LABEL: func.func @depthwise_72_channels
// AVX2: #codegen.window_schedule<width_tile = 4, channel_tile = 8>
func.func @depthwise_72_channels(%x: tensor<1x58x58x72xf32>, %w: tensor<3x3x72xf32>, %b: tensor<1x56x56x72xf32>) -> tensor<1x56x56x72xf32> {
  %y = linalg.depthwise_conv_2d_nhwc_hwc {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
     ins(%x, %w : tensor<1x58x58x72xf32>, tensor<3x3x72xf32>) outs(%b : tensor<1x56x56x72xf32>) -> tensor<1x56x56x72xf32>
  return %y : tensor<1x56x56x72xf32>
}

// -----

// ShuffleNetV2's depthwise conv over 58 channels: 48 in 16-channel blocks
// and a rest of 10 (its parts of 8 and 2 split in cnnc-tile-and-vectorize);
// without channel-rest, 29-wide tiles (the largest divisor of 58 up to two
// vectors).
// AVX512-LABEL: func.func @depthwise_58_channels
// AVX512: #codegen.window_schedule<width_tile = 14, channel_tile = 16, channel_rest = 10>
// NOREST-LABEL: func.func @depthwise_58_channels
// NOREST: #codegen.window_schedule<width_tile = 14, channel_tile = 29>
func.func @depthwise_58_channels(%x: tensor<1x30x30x58xf32>, %w: tensor<3x3x58xf32>, %b: tensor<1x28x28x58xf32>) -> tensor<1x28x28x58xf32> {
  %y = linalg.depthwise_conv_2d_nhwc_hwc {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
     ins(%x, %w : tensor<1x30x30x58xf32>, tensor<3x3x58xf32>) outs(%b : tensor<1x28x28x58xf32>) -> tensor<1x28x28x58xf32>
  return %y : tensor<1x28x28x58xf32>
}

// -----

// ResNet-50's 1x1 conv 1024 -> 64 at 14x14, batch 8: its input pixels are
// 4 KiB apart, so a row block's pixels all fall into one L1 set. On AVX2
// (one vector a row: each broadcast feeds one FMA) the block takes only as
// many pixels as the set has ways, less one for the filter stream: 7 of the
// 8 ways of the table's default L1, 7 x 8 (and with 9 registers free, 8
// channels a step). A pointwise conv's block does so whatever its vectors a
// row, and keeps its accumulators with a wider channel tile: on AVX-512
// (11 ways of znver5's 12) 7 x 64 instead of 14 x 32.
// AVX512-LABEL: func.func @pixels_in_one_set
// AVX512-NEXT: codegen.schedule = #codegen.conv_schedule<batch_tile = 1, width_tile = 7, channel_tile = 64, reduction_step = 1, order = rows>
// AVX2-LABEL: func.func @pixels_in_one_set
// AVX2: codegen.schedule = #codegen.conv_schedule<batch_tile = 1, width_tile = 7, channel_tile = 8, reduction_step = 8, order = rows>
func.func @pixels_in_one_set(%x: tensor<8x14x14x1024xf32>, %w: tensor<1x1x1024x64xf32>, %b: tensor<8x14x14x64xf32>) -> tensor<8x14x14x64xf32> {
  %y = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
     ins(%x, %w : tensor<8x14x14x1024xf32>, tensor<1x1x1024x64xf32>) outs(%b : tensor<8x14x14x64xf32>) -> tensor<8x14x14x64xf32>
  return %y : tensor<8x14x14x64xf32>
}

// -----

// The same conv over 256 input channels (1 KiB apart, four sets): 14 x 8,
// and 14 x 32 on AVX-512.
// AVX512-LABEL: func.func @pixels_over_four_sets
// AVX512-NEXT: codegen.schedule = #codegen.conv_schedule<batch_tile = 1, width_tile = 14, channel_tile = 32, reduction_step = 1, order = rows>
// AVX2-LABEL: func.func @pixels_over_four_sets
// AVX2: codegen.schedule = #codegen.conv_schedule<batch_tile = 1, width_tile = 14, channel_tile = 8, reduction_step = 1, order = rows>
func.func @pixels_over_four_sets(%x: tensor<8x14x14x256xf32>, %w: tensor<1x1x256x64xf32>, %b: tensor<8x14x14x64xf32>) -> tensor<8x14x14x64xf32> {
  %y = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
     ins(%x, %w : tensor<8x14x14x256xf32>, tensor<1x1x256x64xf32>) outs(%b : tensor<8x14x14x64xf32>) -> tensor<8x14x14x64xf32>
  return %y : tensor<8x14x14x64xf32>
}

// -----

// bf16 convs on a CPU with AMX-BF16 (sapphirerapids) take matrix tiles:
// rows of 56 in tiles of 14 pixels, two row tiles x two 16-channel tiles
// (four accumulators, two input and two filter tiles: all eight tile
// registers), 32 input channels a step. Rows of 7: one row tile, four
// channel tiles. A strided conv and one over 16 input channels stay on
// vectors, as every bf16 conv does without AMX (znver4) or with
// matrix-tiles=false.
// RUN: cnnc-opt %s --split-input-file --cnnc-attach-target=cpu=sapphirerapids --cnnc-select-cpu-schedules | FileCheck %s --check-prefix=AMX
// RUN: cnnc-opt %s --split-input-file --cnnc-attach-target=cpu=sapphirerapids --cnnc-select-cpu-schedules=matrix-tiles=false | FileCheck %s --check-prefix=NOAMX
// RUN: cnnc-opt %s --split-input-file --cnnc-attach-target=cpu=znver4 --cnnc-select-cpu-schedules | FileCheck %s --check-prefix=NOAMX
// AMX-LABEL: func.func @bf16_convs
// AMX: codegen.schedule = #codegen.conv_schedule<batch_tile = 1, width_tile = 28, channel_tile = 32, reduction_step = 32, order = rows, tile_rows = 14>
// AMX: codegen.schedule = #codegen.conv_schedule<batch_tile = 1, width_tile = 7, channel_tile = 64, reduction_step = 32, order = rows, {{.*}}tile_rows = 7>
// AMX-NOT: tile_rows
// AMX: return
// NOAMX-LABEL: func.func @bf16_convs
// NOAMX-NOT: tile_rows
// NOAMX: return
func.func @bf16_convs(%x: tensor<1x58x58x64xbf16>, %w: tensor<3x3x64x64xbf16>, %b: tensor<1x56x56x64xf32>,
                      %x7: tensor<1x9x9x512xbf16>, %w7: tensor<3x3x512x512xbf16>, %b7: tensor<1x7x7x512xf32>,
                      %xs: tensor<1x57x57x64xbf16>, %bs: tensor<1x28x28x64xf32>,
                      %x16: tensor<1x58x58x16xbf16>, %w16: tensor<3x3x16x64xbf16>)
    -> (tensor<1x56x56x64xf32>, tensor<1x7x7x512xf32>, tensor<1x28x28x64xf32>, tensor<1x56x56x64xf32>) {
  %y = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
     ins(%x, %w : tensor<1x58x58x64xbf16>, tensor<3x3x64x64xbf16>) outs(%b : tensor<1x56x56x64xf32>) -> tensor<1x56x56x64xf32>
  %y7 = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
     ins(%x7, %w7 : tensor<1x9x9x512xbf16>, tensor<3x3x512x512xbf16>) outs(%b7 : tensor<1x7x7x512xf32>) -> tensor<1x7x7x512xf32>
  %ys = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>}
     ins(%xs, %w : tensor<1x57x57x64xbf16>, tensor<3x3x64x64xbf16>) outs(%bs : tensor<1x28x28x64xf32>) -> tensor<1x28x28x64xf32>
  %y16 = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
     ins(%x16, %w16 : tensor<1x58x58x16xbf16>, tensor<3x3x16x64xbf16>) outs(%b : tensor<1x56x56x64xf32>) -> tensor<1x56x56x64xf32>
  return %y, %y7, %ys, %y16 : tensor<1x56x56x64xf32>, tensor<1x7x7x512xf32>, tensor<1x28x28x64xf32>, tensor<1x56x56x64xf32>
}

// -----

// int8 convs on AMX-INT8: the same tiles, 64 input channels a step (64 bytes a
// tile row); 32 input channels are too few and stay on vpdpbusd.
// AMX-LABEL: func.func @int8_convs
// AMX: codegen.schedule = #codegen.conv_schedule<batch_tile = 1, width_tile = 28, channel_tile = 32, reduction_step = 64, order = rows, tile_rows = 14>
// AMX-NOT: tile_rows
// AMX: return
// NOAMX-LABEL: func.func @int8_convs
// NOAMX-NOT: tile_rows
// NOAMX: return
func.func @int8_convs(%x: tensor<1x58x58x64xi8>, %w: tensor<3x3x64x64xi8>, %b: tensor<1x56x56x64xi32>,
                      %x32: tensor<1x58x58x32xi8>, %w32: tensor<3x3x32x64xi8>)
    -> (tensor<1x56x56x64xi32>, tensor<1x56x56x64xi32>) {
  %y = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
     ins(%x, %w : tensor<1x58x58x64xi8>, tensor<3x3x64x64xi8>) outs(%b : tensor<1x56x56x64xi32>) -> tensor<1x56x56x64xi32>
  %y32 = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
     ins(%x32, %w32 : tensor<1x58x58x32xi8>, tensor<3x3x32x64xi8>) outs(%b : tensor<1x56x56x64xi32>) -> tensor<1x56x56x64xi32>
  return %y, %y32 : tensor<1x56x56x64xi32>, tensor<1x56x56x64xi32>
}

// -----

// A pointwise conv's filter block (ResNet-50's 2048 -> 512 convs, blocked by
// 64 channels: 512 KB) at rows of 7. Zen 4's widened 7 x 64 row: its
// reduction in chunks whose filter slice fits 3/4 of L1 (32 KiB: 64
// channels of 256 bytes), outside the row loop. Two FMAs a cycle (znver5,
// sapphirerapids) and AVX2 (no widened row): rows, 7 x 32 and 7 x 8. Option
// off: rows, 7 x 64.
// AVX512-LABEL: func.func @pointwise_rows_of_7_filter_block
// AVX512: #codegen.conv_schedule<batch_tile = 1, width_tile = 7, channel_tile = 32, reduction_step = 8, order = rows, group_chain = true>
// SPR-LABEL: func.func @pointwise_rows_of_7_filter_block
// SPR-NEXT: #codegen.conv_schedule<batch_tile = 1, width_tile = 7, channel_tile = 32, reduction_step = 8, order = rows, group_chain = true>
// ZEN4-LABEL: func.func @pointwise_rows_of_7_filter_block
// ZEN4: #codegen.conv_schedule<batch_tile = 1, width_tile = 7, channel_tile = 64, reduction_step = 1, order = chunked_filter_blocks, reduction_chunk = 64, group_chain = true>
// AVX2-LABEL: func.func @pointwise_rows_of_7_filter_block
// AVX2: #codegen.conv_schedule<batch_tile = 1, width_tile = 7, channel_tile = 8, reduction_step = 8, order = rows, group_chain = true>
// NOL1CHUNK-LABEL: func.func @pointwise_rows_of_7_filter_block
// NOL1CHUNK: #codegen.conv_schedule<batch_tile = 1, width_tile = 7, channel_tile = 64, reduction_step = 1, order = rows, group_chain = true>
func.func @pointwise_rows_of_7_filter_block(%x: tensor<1x7x7x2048xf32>, %w: tensor<1x1x2048x64xf32>, %b: tensor<1x7x7x64xf32>) -> tensor<1x7x7x64xf32> {
  %y = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
     ins(%x, %w : tensor<1x7x7x2048xf32>, tensor<1x1x2048x64xf32>) outs(%b : tensor<1x7x7x64xf32>) -> tensor<1x7x7x64xf32>
  return %y : tensor<1x7x7x64xf32>
}

// -----

// A weight gradient as cnnc lowers it (ResNet-18's 56x56 layers at batch
// 32): the output gradient [OH, OW, N, F] is the filter, a 32-channel block
// of it 12.8 MB, re-read by every register block. Where that re-reading
// would take more than half of L3's bytes a cycle (two FMAs a cycle:
// sapphirerapids, znver5, and AVX2 code), the reduction goes in chunks of
// filter rows that fit a quarter of L2 (2 MiB: 2 rows of 229 KB; 1 MiB: 1
// row); Zen 4's one FMA a cycle reads slowly enough to stay in rows.
// SPR-LABEL: func.func @weight_gradient
// SPR: order = chunked_filter_rows, reduction_chunk = 2
// AVX512-LABEL: func.func @weight_gradient
// AVX512: order = chunked_filter_rows, reduction_chunk = 1
// AVX2-LABEL: func.func @weight_gradient
// AVX2: order = chunked_filter_rows, reduction_chunk = 1
// ZEN4-LABEL: func.func @weight_gradient
// ZEN4: #codegen.conv_schedule<batch_tile = 2, width_tile = 3, channel_tile = 32, reduction_step = 8, order = rows>
// NOROWCHUNK-LABEL: func.func @weight_gradient
// NOROWCHUNK: #codegen.conv_schedule<batch_tile = 2, width_tile = 3, channel_tile = 32, reduction_step = 8, order = rows>
func.func @weight_gradient(%x: tensor<64x58x58x32xf32>, %gy: tensor<56x56x32x64xf32>, %b: tensor<64x3x3x64xf32>) -> tensor<64x3x3x64xf32> {
  %y = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
     ins(%x, %gy : tensor<64x58x58x32xf32>, tensor<56x56x32x64xf32>) outs(%b : tensor<64x3x3x64xf32>) -> tensor<64x3x3x64xf32>
  return %y : tensor<64x3x3x64xf32>
}

// -----

// The stem's weight gradient (ResNet's 7x7 stride-2 conv over 3 channels at
// 224x224, batch 32): a 64-channel block of the output gradient is 51 MB,
// a row of it 917 KB (a 32-channel tile's: 458 KB). Over a quarter of L2
// but within half of it, in a block of at least 8 L2s, a row goes alone
// (sapphirerapids, znver5: 7 x 32 blocks); Zen 4's widened 7 x 64 block
// (a row of 917 KB, over half its 1 MiB L2) stays in rows.
// SPR-LABEL: func.func @stem_weight_gradient
// SPR: order = chunked_filter_rows, reduction_chunk = 1
// AVX512-LABEL: func.func @stem_weight_gradient
// AVX512: #codegen.conv_schedule<batch_tile = 1, width_tile = 7, channel_tile = 32, reduction_step = 8, order = chunked_filter_rows, reduction_chunk = 1
// ZEN4-LABEL: func.func @stem_weight_gradient
// ZEN4: #codegen.conv_schedule<batch_tile = 1, width_tile = 7, channel_tile = 64, reduction_step = 1, order = rows
func.func @stem_weight_gradient(%x: tensor<3x230x230x32xf32>, %gy: tensor<112x112x32x64xf32>, %b: tensor<3x7x7x64xf32>) -> tensor<3x7x7x64xf32> {
  %y = linalg.conv_2d_nhwc_hwcf {dilations = dense<2> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
     ins(%x, %gy : tensor<3x230x230x32xf32>, tensor<112x112x32x64xf32>) outs(%b : tensor<3x7x7x64xf32>) -> tensor<3x7x7x64xf32>
  return %y : tensor<3x7x7x64xf32>
}

// -----

// The two groups of a grouped conv (RegNetX's groups of 16 channels), each
// a conv over a channel slice of one input. Over an input larger than half
// of L2 (3.4 MB at batch 8) their chain walks the rows with both groups in
// each (rows_outside), whatever its register blocks; over a small one
// (20 KB, rows of 7) the groups stay the chain's parallel loop. Option
// off: the large one's 224 register blocks a group make no chain.
// AVX512-LABEL: func.func @grouped_conv_groups
// AVX512-COUNT-2: #codegen.conv_schedule<batch_tile = 1, width_tile = 14, channel_tile = 16, reduction_step = 8, order = rows, group_chain = true, rows_outside = true>
// AVX512-COUNT-2: #codegen.conv_schedule<batch_tile = 1, width_tile = 7, channel_tile = 16, reduction_step = 8, order = rows, group_chain = true>
// AVX2-LABEL: func.func @grouped_conv_groups
// AVX2-COUNT-2: rows_outside = true>
// NOROWS-LABEL: func.func @grouped_conv_groups
// NOROWS-COUNT-2: #codegen.conv_schedule<batch_tile = 1, width_tile = 14, channel_tile = 16, reduction_step = 8, order = rows>
// NOROWS-COUNT-2: #codegen.conv_schedule<batch_tile = 1, width_tile = 7, channel_tile = 16, reduction_step = 8, order = rows, group_chain = true>
func.func @grouped_conv_groups(%x: tensor<8x58x58x32xf32>, %w0: tensor<3x3x16x16xf32>, %w1: tensor<3x3x16x16xf32>, %b: tensor<8x56x56x16xf32>,
                               %s: tensor<1x9x9x32xf32>, %c: tensor<1x7x7x16xf32>) -> (tensor<8x56x56x16xf32>, tensor<8x56x56x16xf32>, tensor<1x7x7x16xf32>, tensor<1x7x7x16xf32>) {
  %x0 = tensor.extract_slice %x[0, 0, 0, 0] [8, 58, 58, 16] [1, 1, 1, 1] : tensor<8x58x58x32xf32> to tensor<8x58x58x16xf32>
  %x1 = tensor.extract_slice %x[0, 0, 0, 16] [8, 58, 58, 16] [1, 1, 1, 1] : tensor<8x58x58x32xf32> to tensor<8x58x58x16xf32>
  %y0 = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
     ins(%x0, %w0 : tensor<8x58x58x16xf32>, tensor<3x3x16x16xf32>) outs(%b : tensor<8x56x56x16xf32>) -> tensor<8x56x56x16xf32>
  %y1 = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
     ins(%x1, %w1 : tensor<8x58x58x16xf32>, tensor<3x3x16x16xf32>) outs(%b : tensor<8x56x56x16xf32>) -> tensor<8x56x56x16xf32>
  %s0 = tensor.extract_slice %s[0, 0, 0, 0] [1, 9, 9, 16] [1, 1, 1, 1] : tensor<1x9x9x32xf32> to tensor<1x9x9x16xf32>
  %s1 = tensor.extract_slice %s[0, 0, 0, 16] [1, 9, 9, 16] [1, 1, 1, 1] : tensor<1x9x9x32xf32> to tensor<1x9x9x16xf32>
  %z0 = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
     ins(%s0, %w0 : tensor<1x9x9x16xf32>, tensor<3x3x16x16xf32>) outs(%c : tensor<1x7x7x16xf32>) -> tensor<1x7x7x16xf32>
  %z1 = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
     ins(%s1, %w1 : tensor<1x9x9x16xf32>, tensor<3x3x16x16xf32>) outs(%c : tensor<1x7x7x16xf32>) -> tensor<1x7x7x16xf32>
  return %y0, %y1, %z0, %z1 : tensor<8x56x56x16xf32>, tensor<8x56x56x16xf32>, tensor<1x7x7x16xf32>, tensor<1x7x7x16xf32>
}

// -----

// Two filter blocks of one conv (cnnc-block-conv-filters: their accumulators
// are slices of one 128-channel output) over a 6.4 MB input at batch 8. With
// the whole filter in L2 (2 x 64 KB), their chain walks the rows with both
// blocks in each. Blocks of a 256-channel conv over 2048 channels (4 x 512
// KB, over znver5's 1 MiB L2) would re-read it from memory every row: they
// keep their blocks apart.
// AVX512-LABEL: func.func @filter_block_chain
// AVX512-COUNT-2: group_chain = true, rows_outside = true>
// AVX512-NOT: rows_outside
// AVX512: return
// NOROWS-LABEL: func.func @filter_block_chain
// NOROWS-NOT: rows_outside
// NOROWS: return
func.func @filter_block_chain(%x: tensor<8x28x28x256xf32>, %w0: tensor<1x1x256x64xf32>, %w1: tensor<1x1x256x64xf32>,
                              %y: tensor<8x28x28x128xf32>, %big: tensor<8x28x28x2048xf32>, %z: tensor<8x28x28x256xf32>,
                              %v0: tensor<1x1x2048x64xf32>, %v1: tensor<1x1x2048x64xf32>)
    -> (tensor<8x28x28x64xf32>, tensor<8x28x28x64xf32>, tensor<8x28x28x64xf32>, tensor<8x28x28x64xf32>) {
  %a0 = tensor.extract_slice %y[0, 0, 0, 0] [8, 28, 28, 64] [1, 1, 1, 1] : tensor<8x28x28x128xf32> to tensor<8x28x28x64xf32>
  %a1 = tensor.extract_slice %y[0, 0, 0, 64] [8, 28, 28, 64] [1, 1, 1, 1] : tensor<8x28x28x128xf32> to tensor<8x28x28x64xf32>
  %c0 = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
     ins(%x, %w0 : tensor<8x28x28x256xf32>, tensor<1x1x256x64xf32>) outs(%a0 : tensor<8x28x28x64xf32>) -> tensor<8x28x28x64xf32>
  %c1 = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
     ins(%x, %w1 : tensor<8x28x28x256xf32>, tensor<1x1x256x64xf32>) outs(%a1 : tensor<8x28x28x64xf32>) -> tensor<8x28x28x64xf32>
  %z0 = tensor.extract_slice %z[0, 0, 0, 0] [8, 28, 28, 64] [1, 1, 1, 1] : tensor<8x28x28x256xf32> to tensor<8x28x28x64xf32>
  %z1 = tensor.extract_slice %z[0, 0, 0, 64] [8, 28, 28, 64] [1, 1, 1, 1] : tensor<8x28x28x256xf32> to tensor<8x28x28x64xf32>
  %d0 = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
     ins(%big, %v0 : tensor<8x28x28x2048xf32>, tensor<1x1x2048x64xf32>) outs(%z0 : tensor<8x28x28x64xf32>) -> tensor<8x28x28x64xf32>
  %d1 = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
     ins(%big, %v1 : tensor<8x28x28x2048xf32>, tensor<1x1x2048x64xf32>) outs(%z1 : tensor<8x28x28x64xf32>) -> tensor<8x28x28x64xf32>
  return %c0, %c1, %d0, %d1 : tensor<8x28x28x64xf32>, tensor<8x28x28x64xf32>, tensor<8x28x28x64xf32>, tensor<8x28x28x64xf32>
}

// -----

// The filter blocks of a conv without bias or epilogue, as
// cnnc-block-conv-filters leaves them: each accumulator a slice of one zero
// fill, the second's through the first block's insert. The chain's forall
// fills them block by block, so the fill joins each block's register tiles
// (fuse_init), as it does a whole conv's; a conv whose accumulator is a
// function argument has no initializer to fuse.
// AVX512-LABEL: func.func @filter_blocks_from_one_fill
// AVX512-COUNT-2: fuse_init = true, group_chain = true, rows_outside = true>
// AVX512-NOT: fuse_init
// AVX512: return
// AVX2-LABEL: func.func @filter_blocks_from_one_fill
// AVX2-COUNT-2: fuse_init = true, group_chain = true
// AVX2-NOT: fuse_init
// AVX2: return
func.func @filter_blocks_from_one_fill(%x: tensor<8x28x28x256xf32>, %w0: tensor<1x1x256x64xf32>, %w1: tensor<1x1x256x64xf32>,
                                       %arg: tensor<8x28x28x64xf32>) -> (tensor<8x28x28x128xf32>, tensor<8x28x28x64xf32>) {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<8x28x28x128xf32>
  %fill = linalg.fill ins(%zero : f32) outs(%e : tensor<8x28x28x128xf32>) -> tensor<8x28x28x128xf32>
  %a0 = tensor.extract_slice %fill[0, 0, 0, 0] [8, 28, 28, 64] [1, 1, 1, 1] : tensor<8x28x28x128xf32> to tensor<8x28x28x64xf32>
  %c0 = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
     ins(%x, %w0 : tensor<8x28x28x256xf32>, tensor<1x1x256x64xf32>) outs(%a0 : tensor<8x28x28x64xf32>) -> tensor<8x28x28x64xf32>
  %i0 = tensor.insert_slice %c0 into %fill[0, 0, 0, 0] [8, 28, 28, 64] [1, 1, 1, 1] : tensor<8x28x28x64xf32> into tensor<8x28x28x128xf32>
  %a1 = tensor.extract_slice %i0[0, 0, 0, 64] [8, 28, 28, 64] [1, 1, 1, 1] : tensor<8x28x28x128xf32> to tensor<8x28x28x64xf32>
  %c1 = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
     ins(%x, %w1 : tensor<8x28x28x256xf32>, tensor<1x1x256x64xf32>) outs(%a1 : tensor<8x28x28x64xf32>) -> tensor<8x28x28x64xf32>
  %i1 = tensor.insert_slice %c1 into %i0[0, 0, 0, 64] [8, 28, 28, 64] [1, 1, 1, 1] : tensor<8x28x28x64xf32> into tensor<8x28x28x128xf32>
  %c2 = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
     ins(%x, %w1 : tensor<8x28x28x256xf32>, tensor<1x1x256x64xf32>) outs(%arg : tensor<8x28x28x64xf32>) -> tensor<8x28x28x64xf32>
  return %i1, %c2 : tensor<8x28x28x128xf32>, tensor<8x28x28x64xf32>
}

// -----

// A Winograd conv (cnnc-winograd-convs) over 14 x 14 tiles of 64 channels:
// channel tiles of two vectors; on 32 registers 14 tiles per block (28
// accumulators, two filter vectors, a broadcast), on AVX2's 16 registers 6,
// the row's 14 tiles then in three blocks of 5.
// AVX512-LABEL: func.func @winograd
// AVX512: codegen.winograd_conv2d {{.*}} {codegen.schedule = #codegen.winograd_schedule<tile_block = 14, channel_tile = 32>, output_tile = 4 : i64}
// AVX2-LABEL: func.func @winograd
// AVX2: codegen.winograd_conv2d {{.*}} {codegen.schedule = #codegen.winograd_schedule<tile_block = 5, channel_tile = 16>, output_tile = 4 : i64}
func.func @winograd(%x: tensor<1x58x58x64xf32>, %u: tensor<6x6x64x64xf32>, %init: tensor<1x56x56x64xf32>) -> tensor<1x56x56x64xf32> {
  %y = codegen.winograd_conv2d ins(%x, %u : tensor<1x58x58x64xf32>, tensor<6x6x64x64xf32>) outs(%init : tensor<1x56x56x64xf32>) {output_tile = 4 : i64} -> tensor<1x56x56x64xf32>
  return %y : tensor<1x56x56x64xf32>
}

// -----

// A Winograd conv whose 3x3 filter is transformed in the loops: blocks over
// all 16 tiles (two of 8 on 32 registers, three of 6 on 16, the last
// with 4), and filter chunks of input channels whose transform ((m + 2)^2
// x chunk x channel tile floats) fits a quarter of L2: 32 (of 56 allowed
// on znver5's 1 MiB, 32 divides 256) with 32 channel tiles, 32 on AVX2's
// 16.
// AVX512-LABEL: func.func @winograd_filter_in_loops
// AVX512: #codegen.winograd_schedule<tile_block = 8, channel_tile = 32, filter_chunk = 32>
// AVX2-LABEL: func.func @winograd_filter_in_loops
// AVX2: #codegen.winograd_schedule<tile_block = 6, channel_tile = 16, filter_chunk = 32>
func.func @winograd_filter_in_loops(%x: tensor<1x18x18x256xf32>, %g: tensor<3x3x256x256xf32>, %init: tensor<1x14x14x256xf32>) -> tensor<1x14x14x256xf32> {
  %y = codegen.winograd_conv2d ins(%x, %g : tensor<1x18x18x256xf32>, tensor<3x3x256x256xf32>) outs(%init : tensor<1x14x14x256xf32>) {output_tile = 4 : i64} -> tensor<1x14x14x256xf32>
  return %y : tensor<1x14x14x256xf32>
}

// -----

// The same layer at batch 8: one image's products (16 tiles x 36 x
// channel tile floats) fit a quarter of L2 three times (72 KiB of 256 on
// znver5; 36 KiB of 128 on AVX2 with 16-channel tiles): groups of the most
// images that divide 8, two (32 tiles: blocks of 11 on 32 registers, of 6
// on 16).
// AVX512-LABEL: func.func @winograd_filter_in_loops_b8
// AVX512: #codegen.winograd_schedule<tile_block = 11, channel_tile = 32, filter_chunk = 32, group_images = 2>
// AVX2-LABEL: func.func @winograd_filter_in_loops_b8
// AVX2: #codegen.winograd_schedule<tile_block = 6, channel_tile = 16, filter_chunk = 32, group_images = 2>
func.func @winograd_filter_in_loops_b8(%x: tensor<8x18x18x256xf32>, %g: tensor<3x3x256x256xf32>, %init: tensor<8x14x14x256xf32>) -> tensor<8x14x14x256xf32> {
  %y = codegen.winograd_conv2d ins(%x, %g : tensor<8x18x18x256xf32>, tensor<3x3x256x256xf32>) outs(%init : tensor<8x14x14x256xf32>) {output_tile = 4 : i64} -> tensor<8x14x14x256xf32>
  return %y : tensor<8x14x14x256xf32>
}
