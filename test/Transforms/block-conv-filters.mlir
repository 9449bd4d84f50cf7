// RUN: cnnc-opt %s --split-input-file --cnnc-block-conv-filters | FileCheck %s
// RUN: cnnc-opt %s --split-input-file --cnnc-block-conv-filters=min-filter-bytes=1000000 | FileCheck %s --check-prefix=SMALL

// A 3x3 conv with 128 output channels (a 576 KiB filter): one conv per
// 64-channel block, each with its own filter slice and a slice of the
// accumulator, the results inserted back into the output.
// CHECK-LABEL: func.func @two_blocks
// CHECK: %[[W0:.*]] = tensor.extract_slice %arg1[0, 0, 0, 0] [3, 3, 128, 64] [1, 1, 1, 1]
// CHECK: %[[A0:.*]] = tensor.extract_slice %arg2[0, 0, 0, 0] [1, 14, 14, 64] [1, 1, 1, 1]
// CHECK: %[[Y0:.*]] = linalg.conv_2d_nhwc_hwcf {{.*}} ins(%arg0, %[[W0]] : tensor<1x16x16x128xf32>, tensor<3x3x128x64xf32>) outs(%[[A0]] : tensor<1x14x14x64xf32>)
// CHECK: %[[R0:.*]] = tensor.insert_slice %[[Y0]] into %arg2[0, 0, 0, 0] [1, 14, 14, 64]
// CHECK: %[[W1:.*]] = tensor.extract_slice %arg1[0, 0, 0, 64] [3, 3, 128, 64]
// CHECK: %[[A1:.*]] = tensor.extract_slice %[[R0]][0, 0, 0, 64] [1, 14, 14, 64]
// CHECK: %[[Y1:.*]] = linalg.conv_2d_nhwc_hwcf {{.*}} ins(%arg0, %[[W1]] : {{.*}}) outs(%[[A1]] : tensor<1x14x14x64xf32>)
// CHECK: %[[R1:.*]] = tensor.insert_slice %[[Y1]] into %[[R0]][0, 0, 0, 64] [1, 14, 14, 64]
// CHECK: return %[[R1]]
// Below the size threshold the conv stays whole.
// SMALL-LABEL: func.func @two_blocks
// SMALL: linalg.conv_2d_nhwc_hwcf {{.*}} tensor<3x3x128x128xf32>
// SMALL-NOT: tensor.insert_slice
func.func @two_blocks(%x: tensor<1x16x16x128xf32>, %w: tensor<3x3x128x128xf32>, %b: tensor<1x14x14x128xf32>) -> tensor<1x14x14x128xf32> {
  %y = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
     ins(%x, %w : tensor<1x16x16x128xf32>, tensor<3x3x128x128xf32>) outs(%b : tensor<1x14x14x128xf32>) -> tensor<1x14x14x128xf32>
  return %y : tensor<1x14x14x128xf32>
}

// -----

// 64 output channels: a single block, nothing to split.
// CHECK-LABEL: func.func @one_block
// CHECK: linalg.conv_2d_nhwc_hwcf {{.*}} tensor<3x3x512x64xf32>
// CHECK-NOT: tensor.insert_slice
func.func @one_block(%x: tensor<1x16x16x512xf32>, %w: tensor<3x3x512x64xf32>, %b: tensor<1x14x14x64xf32>) -> tensor<1x14x14x64xf32> {
  %y = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
     ins(%x, %w : tensor<1x16x16x512xf32>, tensor<3x3x512x64xf32>) outs(%b : tensor<1x14x14x64xf32>) -> tensor<1x14x14x64xf32>
  return %y : tensor<1x14x14x64xf32>
}

// -----

// 400 output channels (RegNetX; a 625 KiB filter), no multiple of 64 or 32:
// six blocks of 64 channels after a tail block of the last 16, inserted
// first; the first block of 64 starts their chain.
// CHECK-LABEL: func.func @blocks_of_64_and_tail_line
// CHECK: tensor.extract_slice %arg1[0, 0, 0, 384] [1, 1, 400, 16] [1, 1, 1, 1]
// CHECK: linalg.conv_2d_nhwc_hwcf {{.*}} outs(%{{.*}} : tensor<1x7x7x16xf32>)
// CHECK: %[[RT:.*]] = tensor.insert_slice %{{.*}} into %arg2[0, 0, 0, 384] [1, 7, 7, 16] [1, 1, 1, 1] :
// CHECK: tensor.extract_slice %arg1[0, 0, 0, 0] [1, 1, 400, 64]
// CHECK: linalg.conv_2d_nhwc_hwcf {{.*}} outs(%{{.*}} : tensor<1x7x7x64xf32>)
// CHECK: tensor.insert_slice %{{.*}} into %[[RT]][0, 0, 0, 0] [1, 7, 7, 64] [1, 1, 1, 1] {cnn.chain_start}
// CHECK: tensor.extract_slice %arg1[0, 0, 0, 64] [1, 1, 400, 64]
// CHECK-COUNT-5: linalg.conv_2d_nhwc_hwcf {{.*}} outs(%{{.*}} : tensor<1x7x7x64xf32>)
// CHECK-NOT: linalg.conv_2d_nhwc_hwcf
// CHECK: return
// Under the 1 MB threshold it stays whole.
// SMALL-LABEL: func.func @blocks_of_64_and_tail_line
// SMALL: linalg.conv_2d_nhwc_hwcf {{.*}} tensor<1x1x400x400xf32>
// SMALL-NOT: tensor.insert_slice
func.func @blocks_of_64_and_tail_line(%x: tensor<1x7x7x400xf32>, %w: tensor<1x1x400x400xf32>, %b: tensor<1x7x7x400xf32>) -> tensor<1x7x7x400xf32> {
  %y = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
     ins(%x, %w : tensor<1x7x7x400xf32>, tensor<1x1x400x400xf32>) outs(%b : tensor<1x7x7x400xf32>) -> tensor<1x7x7x400xf32>
  return %y : tensor<1x7x7x400xf32>
}

// -----

// 96 output channels (a 3x3x768 filter, 2.5 MiB): a block of 64 after a
// tail block of 32.
// CHECK-LABEL: func.func @block_of_64_and_tail_of_32
// CHECK: linalg.conv_2d_nhwc_hwcf {{.*}} ins(%arg0, %{{.*}} : tensor<1x9x9x768xf32>, tensor<3x3x768x32xf32>)
// CHECK: linalg.conv_2d_nhwc_hwcf {{.*}} ins(%arg0, %{{.*}} : tensor<1x9x9x768xf32>, tensor<3x3x768x64xf32>)
// CHECK-NOT: linalg.conv_2d_nhwc_hwcf
// SMALL-LABEL: func.func @block_of_64_and_tail_of_32
func.func @block_of_64_and_tail_of_32(%x: tensor<1x9x9x768xf32>, %w: tensor<3x3x768x96xf32>, %b: tensor<1x7x7x96xf32>) -> tensor<1x7x7x96xf32> {
  %y = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
     ins(%x, %w : tensor<1x9x9x768xf32>, tensor<3x3x768x96xf32>) outs(%b : tensor<1x7x7x96xf32>) -> tensor<1x7x7x96xf32>
  return %y : tensor<1x7x7x96xf32>
}

// -----

// A classifier's 1000 output channels (8 MB of filter): 15 blocks of 64,
// then the 32 channels in whole cache lines past them and the last 8 in two
// tail blocks, inserted first, the second and the first of the equal
// blocks marked as starting a chain each (so that no chain mixes sizes).
// CHECK-LABEL: func.func @tail_block
// CHECK: %[[WL:.*]] = tensor.extract_slice %arg1[0, 0, 0, 960] [1, 1, 2048, 32] [1, 1, 1, 1]
// CHECK: %[[YL:.*]] = linalg.conv_2d_nhwc_hwcf {{.*}} ins(%arg0, %[[WL]] : {{.*}}) outs(%{{.*}} : tensor<1x1x8x32xf32>)
// CHECK: %[[RL:.*]] = tensor.insert_slice %[[YL]] into %arg2[0, 0, 0, 960] [1, 1, 8, 32] [1, 1, 1, 1] :
// CHECK: %[[WT:.*]] = tensor.extract_slice %arg1[0, 0, 0, 992] [1, 1, 2048, 8] [1, 1, 1, 1]
// CHECK: %[[AT:.*]] = tensor.extract_slice %[[RL]][0, 0, 0, 992] [1, 1, 8, 8] [1, 1, 1, 1]
// CHECK: %[[YT:.*]] = linalg.conv_2d_nhwc_hwcf {{.*}} ins(%arg0, %[[WT]] : {{.*}}) outs(%[[AT]] : tensor<1x1x8x8xf32>)
// CHECK: %[[RT:.*]] = tensor.insert_slice %[[YT]] into %[[RL]][0, 0, 0, 992] [1, 1, 8, 8] [1, 1, 1, 1] {cnn.chain_start}
// CHECK: tensor.extract_slice %arg1[0, 0, 0, 0] [1, 1, 2048, 64]
// CHECK: tensor.extract_slice %[[RT]][0, 0, 0, 0] [1, 1, 8, 64]
// CHECK: %[[Y0:.*]] = linalg.conv_2d_nhwc_hwcf
// CHECK: tensor.insert_slice %[[Y0]] into %[[RT]][0, 0, 0, 0] [1, 1, 8, 64] [1, 1, 1, 1] {cnn.chain_start}
// CHECK-COUNT-14: linalg.conv_2d_nhwc_hwcf {{.*}} outs(%{{.*}} : tensor<1x1x8x64xf32>)
// CHECK-NOT: linalg.conv_2d_nhwc_hwcf
// CHECK-NOT: cnn.chain_start
// CHECK: return
func.func @tail_block(%x: tensor<1x1x8x2048xf32>, %w: tensor<1x1x2048x1000xf32>, %b: tensor<1x1x8x1000xf32>) -> tensor<1x1x8x1000xf32> {
  %y = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
     ins(%x, %w : tensor<1x1x8x2048xf32>, tensor<1x1x2048x1000xf32>) outs(%b : tensor<1x1x8x1000xf32>) -> tensor<1x1x8x1000xf32>
  return %y : tensor<1x1x8x1000xf32>
}

// -----

// In the training step the filter changes on every call, so no load-time
// copies: the whole blocks are copied into one [2, 3, 3, 128, 64] tensor
// per call, each block conv reading a contiguous slice of it (in HWCF its
// rows were 128 floats apart: ResNet-18's layer3-4 convs ran 1.3-1.8x
// slower than the inference library's).
// CHECK-LABEL: func.func @train_step
// CHECK: %[[B:.*]] = linalg.generic {{.*}} ins(%arg1 : tensor<3x3x128x128xf32>) outs(%{{.*}} : tensor<2x3x3x128x64xf32>)
// CHECK: %[[W0:.*]] = tensor.extract_slice %[[B]][0, 0, 0, 0, 0] [1, 3, 3, 128, 64] [1, 1, 1, 1, 1] : tensor<2x3x3x128x64xf32> to tensor<3x3x128x64xf32>
// CHECK: linalg.conv_2d_nhwc_hwcf {{.*}} ins(%arg0, %[[W0]] : tensor<1x16x16x128xf32>, tensor<3x3x128x64xf32>)
// CHECK: %[[W1:.*]] = tensor.extract_slice %[[B]][1, 0, 0, 0, 0] [1, 3, 3, 128, 64] [1, 1, 1, 1, 1] : tensor<2x3x3x128x64xf32> to tensor<3x3x128x64xf32>
// CHECK: linalg.conv_2d_nhwc_hwcf {{.*}} ins(%arg0, %[[W1]] : tensor<1x16x16x128xf32>, tensor<3x3x128x64xf32>)
func.func @train_step(%x: tensor<1x16x16x128xf32>, %w: tensor<3x3x128x128xf32>, %b: tensor<1x14x14x128xf32>) -> tensor<1x14x14x128xf32> {
  %y = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
     ins(%x, %w : tensor<1x16x16x128xf32>, tensor<3x3x128x128xf32>) outs(%b : tensor<1x14x14x128xf32>) -> tensor<1x14x14x128xf32>
  return %y : tensor<1x14x14x128xf32>
}

// -----

// With a target of 16 lanes, a small 1x1 conv over 58 output channels (not a
// multiple of 8: its channel tiles would be 29 wide) becomes a conv over
// the 48 channels of whole vectors and a tail conv over the other 10,
// inserted first, whatever the filter's size.
// CHECK-LABEL: func.func @odd_channels
// CHECK: %[[WT:.*]] = tensor.extract_slice %arg1[0, 0, 0, 48] [1, 1, 58, 10] [1, 1, 1, 1]
// CHECK: %[[AT:.*]] = tensor.extract_slice %arg2[0, 0, 0, 48] [1, 28, 28, 10]
// CHECK: %[[YT:.*]] = linalg.conv_2d_nhwc_hwcf {{.*}} ins(%arg0, %[[WT]] : {{.*}}) outs(%[[AT]] : tensor<1x28x28x10xf32>)
// CHECK: %[[RT:.*]] = tensor.insert_slice %[[YT]] into %arg2[0, 0, 0, 48] [1, 28, 28, 10]
// CHECK: %[[WM:.*]] = tensor.extract_slice %arg1[0, 0, 0, 0] [1, 1, 58, 48] [1, 1, 1, 1]
// CHECK: %[[AM:.*]] = tensor.extract_slice %[[RT]][0, 0, 0, 0] [1, 28, 28, 48]
// CHECK: %[[YM:.*]] = linalg.conv_2d_nhwc_hwcf {{.*}} ins(%arg0, %[[WM]] : {{.*}}) outs(%[[AM]] : tensor<1x28x28x48xf32>)
// CHECK: tensor.insert_slice %[[YM]] into %[[RT]][0, 0, 0, 0] [1, 28, 28, 48]
// The filter's size does not matter (the SMALL run's threshold).
// SMALL-LABEL: func.func @odd_channels
// SMALL: linalg.conv_2d_nhwc_hwcf {{.*}} outs({{.*}} : tensor<1x28x28x10xf32>)
// SMALL: linalg.conv_2d_nhwc_hwcf {{.*}} outs({{.*}} : tensor<1x28x28x48xf32>)
module attributes {codegen.target = #codegen.cpu_target<cpu = "znver5", vector_bits = 512, vector_registers = 32, isa = "avx,avx2,fma,avx512f", fma_per_cycle = 2, fma_latency = 4, l1d_bytes = 49152, l1d_ways = 12, cache_line_bytes = 64, l2_bytes = 1048576, l3_bytes = 33554432, l3_bytes_per_cycle = 32, cache_source = "table", cores = 0>} {
  func.func @odd_channels(%x: tensor<1x28x28x58xf32>, %w: tensor<1x1x58x58xf32>, %b: tensor<1x28x28x58xf32>) -> tensor<1x28x28x58xf32> {
    %y = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
       ins(%x, %w : tensor<1x28x28x58xf32>, tensor<1x1x58x58xf32>) outs(%b : tensor<1x28x28x58xf32>) -> tensor<1x28x28x58xf32>
    return %y : tensor<1x28x28x58xf32>
  }
}

// -----

// Without a target (cnnc-opt alone) the lanes are unknown: nothing split.
// CHECK-LABEL: func.func @odd_channels_without_target
// CHECK-NOT: tensor.insert_slice
func.func @odd_channels_without_target(%x: tensor<1x28x28x58xf32>, %w: tensor<1x1x58x58xf32>, %b: tensor<1x28x28x58xf32>) -> tensor<1x28x28x58xf32> {
  %y = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
     ins(%x, %w : tensor<1x28x28x58xf32>, tensor<1x1x58x58xf32>) outs(%b : tensor<1x28x28x58xf32>) -> tensor<1x28x28x58xf32>
  return %y : tensor<1x28x28x58xf32>
}

// -----

// 40 output channels, whole half vectors of 16 lanes: one conv on 8-channel
// tiles (split, the extra parallel loop cost more than full vectors gained
// where another process held a core); and a single-pixel output (a
// squeeze-excitation block's) stays whole at any channel count.
// CHECK-LABEL: func.func @half_vector_channels
// CHECK-NOT: tensor.insert_slice
// CHECK-LABEL: func.func @one_pixel_odd_channels
// CHECK-NOT: tensor.insert_slice
module attributes {codegen.target = #codegen.cpu_target<cpu = "znver5", vector_bits = 512, vector_registers = 32, isa = "avx,avx2,fma,avx512f", fma_per_cycle = 2, fma_latency = 4, l1d_bytes = 49152, l1d_ways = 12, cache_line_bytes = 64, l2_bytes = 1048576, l3_bytes = 33554432, l3_bytes_per_cycle = 32, cache_source = "table", cores = 0>} {
  func.func @half_vector_channels(%x: tensor<1x28x28x120xf32>, %w: tensor<1x1x120x40xf32>, %b: tensor<1x28x28x40xf32>) -> tensor<1x28x28x40xf32> {
    %y = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
       ins(%x, %w : tensor<1x28x28x120xf32>, tensor<1x1x120x40xf32>) outs(%b : tensor<1x28x28x40xf32>) -> tensor<1x28x28x40xf32>
    return %y : tensor<1x28x28x40xf32>
  }
  func.func @one_pixel_odd_channels(%x: tensor<1x1x1x240xf32>, %w: tensor<1x1x240x20xf32>, %b: tensor<1x1x1x20xf32>) -> tensor<1x1x1x20xf32> {
    %y = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
       ins(%x, %w : tensor<1x1x1x240xf32>, tensor<1x1x240x20xf32>) outs(%b : tensor<1x1x1x20xf32>) -> tensor<1x1x1x20xf32>
    return %y : tensor<1x1x1x20xf32>
  }
}

// -----

// An output width with no divisor of a useful register block (17, prime; the
// target's blocks span up to 16 columns) becomes a conv over columns 0-15
// and one over column 16, each reading its input columns (a 3-wide kernel:
// 18 and 3 of them), the results inserted into the output.
// CHECK-LABEL: func.func @prime_width
// CHECK: %[[XA:.*]] = tensor.extract_slice %arg0[0, 0, 0, 0] [1, 5, 18, 4] [1, 1, 1, 1]
// CHECK: %[[AA:.*]] = tensor.extract_slice %arg2[0, 0, 0, 0] [1, 3, 16, 8] [1, 1, 1, 1]
// CHECK: %[[YA:.*]] = linalg.conv_2d_nhwc_hwcf {{.*}} ins(%[[XA]], %arg1 : tensor<1x5x18x4xf32>, tensor<3x3x4x8xf32>) outs(%[[AA]] : tensor<1x3x16x8xf32>)
// CHECK: %[[RA:.*]] = tensor.insert_slice %[[YA]] into %arg2[0, 0, 0, 0] [1, 3, 16, 8]
// CHECK: %[[XB:.*]] = tensor.extract_slice %arg0[0, 0, 16, 0] [1, 5, 3, 4] [1, 1, 1, 1]
// CHECK: %[[AB:.*]] = tensor.extract_slice %[[RA]][0, 0, 16, 0] [1, 3, 1, 8] [1, 1, 1, 1]
// CHECK: %[[YB:.*]] = linalg.conv_2d_nhwc_hwcf {{.*}} ins(%[[XB]], %arg1 : tensor<1x5x3x4xf32>, tensor<3x3x4x8xf32>) outs(%[[AB]] : tensor<1x3x1x8xf32>)
// CHECK: %[[RB:.*]] = tensor.insert_slice %[[YB]] into %[[RA]][0, 0, 16, 0] [1, 3, 1, 8]
// CHECK: return %[[RB]]
// SMALL-LABEL: func.func @prime_width
// SMALL: tensor<1x3x16x8xf32>
// SMALL: tensor<1x3x1x8xf32>
module attributes {codegen.target = #codegen.cpu_target<cpu = "znver5", vector_bits = 512, vector_registers = 32, isa = "avx,avx2,fma,avx512f", fma_per_cycle = 2, fma_latency = 4, l1d_bytes = 49152, l1d_ways = 12, cache_line_bytes = 64, l2_bytes = 1048576, l3_bytes = 33554432, l3_bytes_per_cycle = 32, cache_source = "table", cores = 0>} {
  func.func @prime_width(%x: tensor<1x5x19x4xf32>, %w: tensor<3x3x4x8xf32>, %b: tensor<1x3x17x8xf32>) -> tensor<1x3x17x8xf32> {
    %y = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
       ins(%x, %w : tensor<1x5x19x4xf32>, tensor<3x3x4x8xf32>) outs(%b : tensor<1x3x17x8xf32>) -> tensor<1x3x17x8xf32>
    return %y : tensor<1x3x17x8xf32>
  }
}
