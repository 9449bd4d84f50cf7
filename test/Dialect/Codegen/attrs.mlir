// The codegen dialect's attributes parse, print and verify.
// RUN: cnnc-opt %s --split-input-file --verify-diagnostics | FileCheck %s

// CHECK: module attributes {codegen.target = #codegen.cpu_target<cpu = "znver3", vector_bits = 256, vector_registers = 16
// CHECK-LABEL: func.func @scheduled
// CHECK: codegen.schedule = #codegen.conv_schedule<batch_tile = 1, width_tile = 4, channel_tile = 16, reduction_step = 8, order = rows, fuse_init = true>
// CHECK: codegen.schedule = #codegen.matmul_schedule<m_tile = 1, n_tile = 64, reduction_tiles = 8>
module attributes {codegen.target = #codegen.cpu_target<cpu = "znver3", vector_bits = 256, vector_registers = 16, isa = "avx,avx2,fma", fma_per_cycle = 2, fma_latency = 4, l1d_bytes = 32768, l1d_ways = 8, cache_line_bytes = 64, l2_bytes = 524288, l3_bytes = 33554432, l3_bytes_per_cycle = 32, cache_source = "table", cores = 0>} {
func.func @scheduled(%x: tensor<1x58x58x64xf32>, %w: tensor<3x3x64x64xf32>, %b: tensor<1x56x56x64xf32>,
                     %a: tensor<1x512xf32>, %m: tensor<512x1024xf32>, %c: tensor<1x1024xf32>)
    -> (tensor<1x56x56x64xf32>, tensor<1x1024xf32>) {
  %y = linalg.conv_2d_nhwc_hwcf {codegen.schedule = #codegen.conv_schedule<batch_tile = 1, width_tile = 4, channel_tile = 16, reduction_step = 8, order = rows, fuse_init = true>, dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
     ins(%x, %w : tensor<1x58x58x64xf32>, tensor<3x3x64x64xf32>) outs(%b : tensor<1x56x56x64xf32>) -> tensor<1x56x56x64xf32>
  %z = linalg.matmul {codegen.schedule = #codegen.matmul_schedule<m_tile = 1, n_tile = 64, reduction_tiles = 8>}
     ins(%a, %m : tensor<1x512xf32>, tensor<512x1024xf32>) outs(%c : tensor<1x1024xf32>) -> tensor<1x1024xf32>
  return %y, %z : tensor<1x56x56x64xf32>, tensor<1x1024xf32>
}
}

// -----

func.func @tile_does_not_divide(%x: tensor<1x58x58x64xf32>, %w: tensor<3x3x64x64xf32>, %b: tensor<1x56x56x64xf32>) -> tensor<1x56x56x64xf32> {
  // expected-error @+1 {{conv schedule #codegen.conv_schedule<batch_tile = 1, width_tile = 5, channel_tile = 16, reduction_step = 8, order = rows> does not divide its output 'tensor<1x56x56x64xf32>'}}
  %y = linalg.conv_2d_nhwc_hwcf {codegen.schedule = #codegen.conv_schedule<batch_tile = 1, width_tile = 5, channel_tile = 16, reduction_step = 8, order = rows>, dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
     ins(%x, %w : tensor<1x58x58x64xf32>, tensor<3x3x64x64xf32>) outs(%b : tensor<1x56x56x64xf32>) -> tensor<1x56x56x64xf32>
  return %y : tensor<1x56x56x64xf32>
}

// -----

// expected-error @+1 {{reduction_chunk is set exactly for the chunked_filter_blocks and chunked_filter_rows orders}}
func.func @chunk_without_chunked_order() attributes {x = #codegen.conv_schedule<batch_tile = 1, width_tile = 7, channel_tile = 32, reduction_step = 8, order = rows, reduction_chunk = 128>} {
  return
}

// -----

// expected-error @+1 {{reduction_chunk is set exactly for the chunked_filter_blocks and chunked_filter_rows orders}}
func.func @row_chunks_need_a_chunk() attributes {x = #codegen.conv_schedule<batch_tile = 2, width_tile = 3, channel_tile = 32, reduction_step = 8, order = chunked_filter_rows>} {
  return
}

// -----

// Chunks of filter rows need not hold whole reduction steps (they cut KH,
// the steps C).
// CHECK-LABEL: func.func @row_chunks
// CHECK-SAME: order = chunked_filter_rows, reduction_chunk = 2
func.func @row_chunks() attributes {x = #codegen.conv_schedule<batch_tile = 2, width_tile = 3, channel_tile = 32, reduction_step = 8, order = chunked_filter_rows, reduction_chunk = 2>} {
  return
}

// -----

// expected-error @+1 {{only the rows order fuses an epilogue or initializer}}
func.func @fusion_needs_rows() attributes {x = #codegen.conv_schedule<batch_tile = 1, width_tile = 7, channel_tile = 32, reduction_step = 1, order = filter_blocks, fuse_epilogue = true>} {
  return
}

// -----

// expected-error @+1 {{'codegen.target' must be a #codegen.cpu_target on a module}}
func.func @target_on_a_function() attributes {codegen.target = 1 : i64} {
  return
}

// -----

// expected-error @+1 {{vector_registers must be at least 8, got 4}}
module attributes {codegen.target = #codegen.cpu_target<cpu = "tiny", vector_bits = 256, vector_registers = 4, isa = "", fma_per_cycle = 1, fma_latency = 4, l1d_bytes = 1, l1d_ways = 1, cache_line_bytes = 64, l2_bytes = 1, l3_bytes = 0, l3_bytes_per_cycle = 1, cache_source = "default", cores = 0>} {}

// -----

// Window schedules: channel blocks outermost.
// CHECK-LABEL: func.func @window_channels_outer
// CHECK-SAME: #codegen.window_schedule<width_tile = 5, channel_tile = 32, channels_outer = true>
func.func @window_channels_outer() attributes {x = #codegen.window_schedule<width_tile = 5, channel_tile = 32, channels_outer = true>} {
  return
}
