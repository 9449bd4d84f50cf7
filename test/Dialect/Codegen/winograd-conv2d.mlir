// codegen.winograd_conv2d parses, prints and verifies; so does its schedule.
// RUN: cnnc-opt %s --split-input-file --verify-diagnostics | FileCheck %s

// CHECK-LABEL: func.func @winograd
// CHECK: codegen.winograd_conv2d ins(%arg0, %arg1 : tensor<2x18x22x32xf32>, tensor<6x6x32x48xf32>) outs(%arg2 : tensor<2x13x17x48xf32>) {codegen.schedule = #codegen.winograd_schedule<tile_block = 5, channel_tile = 16>, output_tile = 4 : i64} -> tensor<2x13x17x48xf32>
func.func @winograd(%x: tensor<2x18x22x32xf32>, %u: tensor<6x6x32x48xf32>, %init: tensor<2x13x17x48xf32>) -> tensor<2x13x17x48xf32> {
  %y = codegen.winograd_conv2d ins(%x, %u : tensor<2x18x22x32xf32>, tensor<6x6x32x48xf32>) outs(%init : tensor<2x13x17x48xf32>)
      {output_tile = 4 : i64, codegen.schedule = #codegen.winograd_schedule<tile_block = 5, channel_tile = 16>} -> tensor<2x13x17x48xf32>
  return %y : tensor<2x13x17x48xf32>
}

// -----

func.func @output_tile_3(%x: tensor<1x17x17x16xf32>, %u: tensor<5x5x16x16xf32>, %init: tensor<1x15x15x16xf32>) -> tensor<1x15x15x16xf32> {
  // expected-error @+1 {{output_tile must be 2 or 4, got 3}}
  %y = codegen.winograd_conv2d ins(%x, %u : tensor<1x17x17x16xf32>, tensor<5x5x16x16xf32>) outs(%init : tensor<1x15x15x16xf32>) {output_tile = 3 : i64} -> tensor<1x15x15x16xf32>
  return %y : tensor<1x15x15x16xf32>
}

// -----

func.func @filter_of_another_tile(%x: tensor<1x18x18x16xf32>, %u: tensor<4x4x16x16xf32>, %init: tensor<1x16x16x16xf32>) -> tensor<1x16x16x16xf32> {
  // expected-error @+1 {{filter must be [6, 6, C, F] for output_tile 4, or the 3x3 filter [3, 3, C, F]}}
  %y = codegen.winograd_conv2d ins(%x, %u : tensor<1x18x18x16xf32>, tensor<4x4x16x16xf32>) outs(%init : tensor<1x16x16x16xf32>) {output_tile = 4 : i64} -> tensor<1x16x16x16xf32>
  return %y : tensor<1x16x16x16xf32>
}

// -----

func.func @untransformed_without_chunk(%x: tensor<1x18x18x16xf32>, %g: tensor<3x3x16x64xf32>, %init: tensor<1x16x16x64xf32>) -> tensor<1x16x16x64xf32> {
  // expected-error @+1 {{filter_chunk divides the input channels exactly where the filter is untransformed}}
  %y = codegen.winograd_conv2d ins(%x, %g : tensor<1x18x18x16xf32>, tensor<3x3x16x64xf32>) outs(%init : tensor<1x16x16x64xf32>)
      {output_tile = 4 : i64, codegen.schedule = #codegen.winograd_schedule<tile_block = 8, channel_tile = 32>} -> tensor<1x16x16x64xf32>
  return %y : tensor<1x16x16x64xf32>
}

// -----

// CHECK-LABEL: func.func @untransformed
// CHECK: #codegen.winograd_schedule<tile_block = 8, channel_tile = 32, filter_chunk = 16>
func.func @untransformed(%x: tensor<1x18x18x16xf32>, %g: tensor<3x3x16x64xf32>, %init: tensor<1x16x16x64xf32>) -> tensor<1x16x16x64xf32> {
  %y = codegen.winograd_conv2d ins(%x, %g : tensor<1x18x18x16xf32>, tensor<3x3x16x64xf32>) outs(%init : tensor<1x16x16x64xf32>)
      {output_tile = 4 : i64, codegen.schedule = #codegen.winograd_schedule<tile_block = 8, channel_tile = 32, filter_chunk = 16>} -> tensor<1x16x16x64xf32>
  return %y : tensor<1x16x16x64xf32>
}

// -----

// 13 output rows take 4 tile rows, whose patches need 18 input rows.
func.func @input_short_of_tiles(%x: tensor<1x15x18x16xf32>, %u: tensor<6x6x16x16xf32>, %init: tensor<1x13x16x16xf32>) -> tensor<1x13x16x16xf32> {
  // expected-error @+1 {{does not cover the patches of every 4x4 tile}}
  %y = codegen.winograd_conv2d ins(%x, %u : tensor<1x15x18x16xf32>, tensor<6x6x16x16xf32>) outs(%init : tensor<1x13x16x16xf32>) {output_tile = 4 : i64} -> tensor<1x13x16x16xf32>
  return %y : tensor<1x13x16x16xf32>
}

// -----

func.func @channels_disagree(%x: tensor<1x18x18x16xf32>, %u: tensor<6x6x32x16xf32>, %init: tensor<1x16x16x16xf32>) -> tensor<1x16x16x16xf32> {
  // expected-error @+1 {{input, filter and init disagree on images or channels}}
  %y = codegen.winograd_conv2d ins(%x, %u : tensor<1x18x18x16xf32>, tensor<6x6x32x16xf32>) outs(%init : tensor<1x16x16x16xf32>) {output_tile = 4 : i64} -> tensor<1x16x16x16xf32>
  return %y : tensor<1x16x16x16xf32>
}

// -----

func.func @schedule_channels(%x: tensor<1x18x18x16xf32>, %u: tensor<6x6x16x48xf32>, %init: tensor<1x16x16x48xf32>) -> tensor<1x16x16x48xf32> {
  // expected-error @+1 {{winograd schedule #codegen.winograd_schedule<tile_block = 4, channel_tile = 32> must be on a codegen.winograd_conv2d whose channels it divides}}
  %y = codegen.winograd_conv2d ins(%x, %u : tensor<1x18x18x16xf32>, tensor<6x6x16x48xf32>) outs(%init : tensor<1x16x16x48xf32>)
      {output_tile = 4 : i64, codegen.schedule = #codegen.winograd_schedule<tile_block = 4, channel_tile = 32>} -> tensor<1x16x16x48xf32>
  return %y : tensor<1x16x16x48xf32>
}

// -----

// expected-error @+1 {{tiles must be positive, filter_chunk and group_images not negative}}
func.func @schedule_zero_block() attributes {x = #codegen.winograd_schedule<tile_block = 0, channel_tile = 16>} {
  return
}

// -----

func.func @group_not_dividing(%x: tensor<3x18x18x16xf32>, %g: tensor<3x3x16x64xf32>, %init: tensor<3x16x16x64xf32>) -> tensor<3x16x16x64xf32> {
  // expected-error @+1 {{group_images divides the images, with a filter_chunk}}
  %y = codegen.winograd_conv2d ins(%x, %g : tensor<3x18x18x16xf32>, tensor<3x3x16x64xf32>) outs(%init : tensor<3x16x16x64xf32>)
      {output_tile = 4 : i64, codegen.schedule = #codegen.winograd_schedule<tile_block = 8, channel_tile = 32, filter_chunk = 16, group_images = 2>} -> tensor<3x16x16x64xf32>
  return %y : tensor<3x16x16x64xf32>
}
