// RUN: cnnc-opt %s -split-input-file -verify-diagnostics

// Every verifier and shape-inference error of the cnn dialect. A shape rule
// that fails reports its reason and then "failed to infer returned types".

//===----------------------------------------------------------------------===//
// conv2d
//===----------------------------------------------------------------------===//

func.func @conv2d_channel_mismatch(%x: tensor<1x3x8x8xf32>, %w: tensor<8x4x3x3xf32>) -> tensor<1x8x6x6xf32> {
  // expected-error @+2 {{weight [8, 4, 3, 3] expects 4 input channels, but the input [1, 3, 8, 8] has 3}}
  // expected-error @+1 {{'cnn.conv2d' op failed to infer returned types}}
  %y = cnn.conv2d %x, %w {stride = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>,
         dilation = array<i64: 1, 1>, groups = 1 : i64}
       : (tensor<1x3x8x8xf32>, tensor<8x4x3x3xf32>) -> tensor<1x8x6x6xf32>
  return %y : tensor<1x8x6x6xf32>
}

// -----

func.func @conv2d_grouped_channel_mismatch(%x: tensor<1x8x8x8xf32>, %w: tensor<8x8x3x3xf32>) -> tensor<1x8x6x6xf32> {
  // expected-error @+2 {{weight [8, 8, 3, 3] expects 16 input channels, but the input [1, 8, 8, 8] has 8}}
  // expected-error @+1 {{failed to infer returned types}}
  %y = cnn.conv2d %x, %w {stride = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>,
         dilation = array<i64: 1, 1>, groups = 2 : i64}
       : (tensor<1x8x8x8xf32>, tensor<8x8x3x3xf32>) -> tensor<1x8x6x6xf32>
  return %y : tensor<1x8x6x6xf32>
}

// -----

func.func @conv2d_groups_input_channels(%x: tensor<1x6x8x8xf32>, %w: tensor<8x1x3x3xf32>) -> tensor<1x8x6x6xf32> {
  // expected-error @+2 {{input channels (6) are not divisible by groups (4)}}
  // expected-error @+1 {{failed to infer returned types}}
  %y = cnn.conv2d %x, %w {stride = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>,
         dilation = array<i64: 1, 1>, groups = 4 : i64}
       : (tensor<1x6x8x8xf32>, tensor<8x1x3x3xf32>) -> tensor<1x8x6x6xf32>
  return %y : tensor<1x8x6x6xf32>
}

// -----

func.func @conv2d_groups_output_channels(%x: tensor<1x8x8x8xf32>, %w: tensor<6x2x3x3xf32>) -> tensor<1x6x6x6xf32> {
  // expected-error @+2 {{output channels (6) are not divisible by groups (4)}}
  // expected-error @+1 {{failed to infer returned types}}
  %y = cnn.conv2d %x, %w {stride = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>,
         dilation = array<i64: 1, 1>, groups = 4 : i64}
       : (tensor<1x8x8x8xf32>, tensor<6x2x3x3xf32>) -> tensor<1x6x6x6xf32>
  return %y : tensor<1x6x6x6xf32>
}

// -----

func.func @conv2d_bias_shape(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>, %b: tensor<8xf32>) -> tensor<1x4x6x6xf32> {
  // expected-error @+2 {{bias must be [4], got [8]}}
  // expected-error @+1 {{failed to infer returned types}}
  %y = cnn.conv2d %x, %w, %b {stride = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>,
         dilation = array<i64: 1, 1>, groups = 1 : i64}
       : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>, tensor<8xf32>) -> tensor<1x4x6x6xf32>
  return %y : tensor<1x4x6x6xf32>
}

// -----

func.func @conv2d_bias_rank(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>, %b: tensor<1x4xf32>) -> tensor<1x4x6x6xf32> {
  // expected-error @+1 {{'cnn.conv2d' op operand #2 must be 1D tensor of 32-bit float values, but got 'tensor<1x4xf32>'}}
  %y = cnn.conv2d %x, %w, %b {stride = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>,
         dilation = array<i64: 1, 1>, groups = 1 : i64}
       : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>, tensor<1x4xf32>) -> tensor<1x4x6x6xf32>
  return %y : tensor<1x4x6x6xf32>
}

// -----

func.func @conv2d_kernel_too_large(%x: tensor<1x3x4x4xf32>, %w: tensor<4x3x5x5xf32>) -> tensor<1x4x1x1xf32> {
  // expected-error @+2 {{kernel [5, 5] (dilated extent 5) is larger than the padded input [4, 4]}}
  // expected-error @+1 {{failed to infer returned types}}
  %y = cnn.conv2d %x, %w {stride = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>,
         dilation = array<i64: 1, 1>, groups = 1 : i64}
       : (tensor<1x3x4x4xf32>, tensor<4x3x5x5xf32>) -> tensor<1x4x1x1xf32>
  return %y : tensor<1x4x1x1xf32>
}

// -----

// The 3x3 kernel dilated by 3 along W spans 7 columns; the padded width is 6.
func.func @conv2d_dilated_kernel_too_large(%x: tensor<1x3x8x4xf32>, %w: tensor<4x3x3x3xf32>) -> tensor<1x4x8x1xf32> {
  // expected-error @+2 {{kernel [3, 3] (dilated extent 7) is larger than the padded input [10, 6]}}
  // expected-error @+1 {{failed to infer returned types}}
  %y = cnn.conv2d %x, %w {stride = array<i64: 1, 1>, padding = array<i64: 1, 1, 1, 1>,
         dilation = array<i64: 1, 3>, groups = 1 : i64}
       : (tensor<1x3x8x4xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x8x1xf32>
  return %y : tensor<1x4x8x1xf32>
}

// -----

func.func @conv2d_zero_stride(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>) -> tensor<1x4x6x6xf32> {
  // expected-error @+2 {{stride must be positive (and below 2^40), got [1, 0]}}
  // expected-error @+1 {{failed to infer returned types}}
  %y = cnn.conv2d %x, %w {stride = array<i64: 1, 0>, padding = array<i64: 0, 0, 0, 0>,
         dilation = array<i64: 1, 1>, groups = 1 : i64}
       : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x6x6xf32>
  return %y : tensor<1x4x6x6xf32>
}

// -----

func.func @conv2d_negative_stride(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>) -> tensor<1x4x6x6xf32> {
  // expected-error @+2 {{stride must be positive (and below 2^40), got [-1, 1]}}
  // expected-error @+1 {{failed to infer returned types}}
  %y = cnn.conv2d %x, %w {stride = array<i64: -1, 1>, padding = array<i64: 0, 0, 0, 0>,
         dilation = array<i64: 1, 1>, groups = 1 : i64}
       : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x6x6xf32>
  return %y : tensor<1x4x6x6xf32>
}

// -----

func.func @conv2d_zero_dilation(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>) -> tensor<1x4x6x6xf32> {
  // expected-error @+2 {{dilation must be positive (and below 2^40), got [0, 1]}}
  // expected-error @+1 {{failed to infer returned types}}
  %y = cnn.conv2d %x, %w {stride = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>,
         dilation = array<i64: 0, 1>, groups = 1 : i64}
       : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x6x6xf32>
  return %y : tensor<1x4x6x6xf32>
}

// -----

func.func @conv2d_negative_padding(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>) -> tensor<1x4x6x6xf32> {
  // expected-error @+2 {{padding must be non-negative (and below 2^40), got [0, -1, 0, 0]}}
  // expected-error @+1 {{failed to infer returned types}}
  %y = cnn.conv2d %x, %w {stride = array<i64: 1, 1>, padding = array<i64: 0, -1, 0, 0>,
         dilation = array<i64: 1, 1>, groups = 1 : i64}
       : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x6x6xf32>
  return %y : tensor<1x4x6x6xf32>
}

// -----

func.func @conv2d_zero_sized_input(%x: tensor<1x3x0x8xf32>, %w: tensor<4x3x1x1xf32>) -> tensor<1x4x0x8xf32> {
  // expected-error @+2 {{input dimensions must be static and positive, got [1, 3, 0, 8]}}
  // expected-error @+1 {{failed to infer returned types}}
  %y = cnn.conv2d %x, %w {stride = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>,
         dilation = array<i64: 1, 1>, groups = 1 : i64}
       : (tensor<1x3x0x8xf32>, tensor<4x3x1x1xf32>) -> tensor<1x4x0x8xf32>
  return %y : tensor<1x4x0x8xf32>
}

// -----

// Dynamic dimensions are not supported by the shape rules.
func.func @conv2d_dynamic_input(%x: tensor<?x3x8x8xf32>, %w: tensor<4x3x3x3xf32>) -> tensor<?x4x6x6xf32> {
  // expected-error @+2 {{input dimensions must be static and positive}}
  // expected-error @+1 {{failed to infer returned types}}
  %y = cnn.conv2d %x, %w {stride = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>,
         dilation = array<i64: 1, 1>, groups = 1 : i64}
       : (tensor<?x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<?x4x6x6xf32>
  return %y : tensor<?x4x6x6xf32>
}

// -----

func.func @conv2d_zero_sized_weight(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x0x3xf32>) -> tensor<1x4x9x6xf32> {
  // expected-error @+2 {{weight dimensions must be static and positive, got [4, 3, 0, 3]}}
  // expected-error @+1 {{failed to infer returned types}}
  %y = cnn.conv2d %x, %w {stride = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>,
         dilation = array<i64: 1, 1>, groups = 1 : i64}
       : (tensor<1x3x8x8xf32>, tensor<4x3x0x3xf32>) -> tensor<1x4x9x6xf32>
  return %y : tensor<1x4x9x6xf32>
}

// -----

func.func @conv2d_zero_groups(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>) -> tensor<1x4x6x6xf32> {
  // expected-error @+1 {{'cnn.conv2d' op attribute 'groups' failed to satisfy constraint: 64-bit signless integer attribute whose value is positive}}
  %y = cnn.conv2d %x, %w {stride = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>,
         dilation = array<i64: 1, 1>, groups = 0 : i64}
       : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x6x6xf32>
  return %y : tensor<1x4x6x6xf32>
}

// -----

func.func @conv2d_padding_count(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>) -> tensor<1x4x8x8xf32> {
  // expected-error @+1 {{'cnn.conv2d' op attribute 'padding' failed to satisfy constraint}}
  %y = cnn.conv2d %x, %w {stride = array<i64: 1, 1>, padding = array<i64: 1, 1>,
         dilation = array<i64: 1, 1>, groups = 1 : i64}
       : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x8x8xf32>
  return %y : tensor<1x4x8x8xf32>
}

// -----

func.func @conv2d_input_rank(%x: tensor<3x8x8xf32>, %w: tensor<4x3x3x3xf32>) -> tensor<1x4x6x6xf32> {
  // expected-error @+1 {{'cnn.conv2d' op operand #0 must be 4D tensor of 32-bit float values, but got 'tensor<3x8x8xf32>'}}
  %y = cnn.conv2d %x, %w {stride = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>,
         dilation = array<i64: 1, 1>, groups = 1 : i64}
       : (tensor<3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x6x6xf32>
  return %y : tensor<1x4x6x6xf32>
}

// -----

func.func @conv2d_wrong_result(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>) -> tensor<1x4x8x8xf32> {
  // expected-error @+2 {{'cnn.conv2d' op inferred type(s) 'tensor<1x4x6x6xf32>' are incompatible with return type(s) of operation 'tensor<1x4x8x8xf32>'}}
  // expected-error @+1 {{failed to infer returned types}}
  %y = cnn.conv2d %x, %w {stride = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>,
         dilation = array<i64: 1, 1>, groups = 1 : i64}
       : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x8x8xf32>
  return %y : tensor<1x4x8x8xf32>
}

// -----

//===----------------------------------------------------------------------===//
// dense
//===----------------------------------------------------------------------===//

func.func @dense_feature_mismatch(%x: tensor<1x512xf32>, %w: tensor<10x256xf32>) -> tensor<1x10xf32> {
  // expected-error @+2 {{weight [10, 256] expects 256 input features, but the input [1, 512] has 512}}
  // expected-error @+1 {{'cnn.dense' op failed to infer returned types}}
  %y = cnn.dense %x, %w : (tensor<1x512xf32>, tensor<10x256xf32>) -> tensor<1x10xf32>
  return %y : tensor<1x10xf32>
}

// -----

func.func @dense_bias_shape(%x: tensor<1x512xf32>, %w: tensor<10x512xf32>, %b: tensor<5xf32>) -> tensor<1x10xf32> {
  // expected-error @+2 {{bias must be [10], got [5]}}
  // expected-error @+1 {{failed to infer returned types}}
  %y = cnn.dense %x, %w, %b : (tensor<1x512xf32>, tensor<10x512xf32>, tensor<5xf32>) -> tensor<1x10xf32>
  return %y : tensor<1x10xf32>
}

// -----

func.func @dense_zero_sized(%x: tensor<0x8xf32>, %w: tensor<4x8xf32>) -> tensor<0x4xf32> {
  // expected-error @+2 {{input dimensions must be static and positive, got [0, 8]}}
  // expected-error @+1 {{failed to infer returned types}}
  %y = cnn.dense %x, %w : (tensor<0x8xf32>, tensor<4x8xf32>) -> tensor<0x4xf32>
  return %y : tensor<0x4xf32>
}

// -----

// Dense applies to the last axis (nn.Linear): a [N, C, 1, 1] input needs a flatten first.
func.func @dense_input_rank(%x: tensor<1x512x1x1xf32>, %w: tensor<10x512xf32>) -> tensor<1x10xf32> {
  // expected-error @+2 {{weight [10, 512] expects 512 input features, but the input [1, 512, 1, 1] has 1}}
  // expected-error @+1 {{'cnn.dense' op failed to infer returned types}}
  %y = cnn.dense %x, %w : (tensor<1x512x1x1xf32>, tensor<10x512xf32>) -> tensor<1x10xf32>
  return %y : tensor<1x10xf32>
}

// -----

func.func @dense_wrong_result(%x: tensor<2x512xf32>, %w: tensor<10x512xf32>) -> tensor<1x10xf32> {
  // expected-error @+2 {{'cnn.dense' op inferred type(s) 'tensor<2x10xf32>' are incompatible with return type(s) of operation 'tensor<1x10xf32>'}}
  // expected-error @+1 {{failed to infer returned types}}
  %y = cnn.dense %x, %w : (tensor<2x512xf32>, tensor<10x512xf32>) -> tensor<1x10xf32>
  return %y : tensor<1x10xf32>
}

// -----

//===----------------------------------------------------------------------===//
// maxpool2d, avgpool2d, global_avgpool2d
//===----------------------------------------------------------------------===//

func.func @maxpool2d_padding_exceeds_half_kernel(%x: tensor<1x3x8x8xf32>) -> tensor<1x3x5x5xf32> {
  // expected-error @+2 {{padding [2, 2, 2, 2] exceeds half the kernel [3, 3]}}
  // expected-error @+1 {{'cnn.maxpool2d' op failed to infer returned types}}
  %y = cnn.maxpool2d %x {kernel = array<i64: 3, 3>, stride = array<i64: 2, 2>,
         padding = array<i64: 2, 2, 2, 2>, ceil_mode = false}
       : tensor<1x3x8x8xf32> -> tensor<1x3x5x5xf32>
  return %y : tensor<1x3x5x5xf32>
}

// -----

// Only the right padding (3) exceeds half the kernel width (4 / 2).
func.func @maxpool2d_right_padding_exceeds_half_kernel(%x: tensor<1x3x8x8xf32>) -> tensor<1x3x7x3xf32> {
  // expected-error @+2 {{padding [0, 2, 0, 3] exceeds half the kernel [2, 4]}}
  // expected-error @+1 {{failed to infer returned types}}
  %y = cnn.maxpool2d %x {kernel = array<i64: 2, 4>, stride = array<i64: 1, 4>,
         padding = array<i64: 0, 2, 0, 3>, ceil_mode = false}
       : tensor<1x3x8x8xf32> -> tensor<1x3x7x3xf32>
  return %y : tensor<1x3x7x3xf32>
}

// -----

func.func @maxpool2d_kernel_too_large(%x: tensor<1x3x2x2xf32>) -> tensor<1x3x1x1xf32> {
  // expected-error @+2 {{kernel [3, 3] is larger than the padded input [2, 2]}}
  // expected-error @+1 {{failed to infer returned types}}
  %y = cnn.maxpool2d %x {kernel = array<i64: 3, 3>, stride = array<i64: 1, 1>,
         padding = array<i64: 0, 0, 0, 0>, ceil_mode = false}
       : tensor<1x3x2x2xf32> -> tensor<1x3x1x1xf32>
  return %y : tensor<1x3x1x1xf32>
}

// -----

func.func @maxpool2d_zero_kernel(%x: tensor<1x3x8x8xf32>) -> tensor<1x3x4x4xf32> {
  // expected-error @+2 {{kernel must be positive (and below 2^40), got [0, 2]}}
  // expected-error @+1 {{failed to infer returned types}}
  %y = cnn.maxpool2d %x {kernel = array<i64: 0, 2>, stride = array<i64: 2, 2>,
         padding = array<i64: 0, 0, 0, 0>, ceil_mode = false}
       : tensor<1x3x8x8xf32> -> tensor<1x3x4x4xf32>
  return %y : tensor<1x3x4x4xf32>
}

// -----

func.func @maxpool2d_zero_stride(%x: tensor<1x3x8x8xf32>) -> tensor<1x3x4x4xf32> {
  // expected-error @+2 {{stride must be positive (and below 2^40), got [2, 0]}}
  // expected-error @+1 {{failed to infer returned types}}
  %y = cnn.maxpool2d %x {kernel = array<i64: 2, 2>, stride = array<i64: 2, 0>,
         padding = array<i64: 0, 0, 0, 0>, ceil_mode = false}
       : tensor<1x3x8x8xf32> -> tensor<1x3x4x4xf32>
  return %y : tensor<1x3x4x4xf32>
}

// -----

func.func @maxpool2d_negative_padding(%x: tensor<1x3x8x8xf32>) -> tensor<1x3x4x4xf32> {
  // expected-error @+2 {{padding must be non-negative (and below 2^40), got [0, 0, -1, 0]}}
  // expected-error @+1 {{failed to infer returned types}}
  %y = cnn.maxpool2d %x {kernel = array<i64: 2, 2>, stride = array<i64: 2, 2>,
         padding = array<i64: 0, 0, -1, 0>, ceil_mode = false}
       : tensor<1x3x8x8xf32> -> tensor<1x3x4x4xf32>
  return %y : tensor<1x3x4x4xf32>
}

// -----

func.func @maxpool2d_zero_sized_input(%x: tensor<1x0x8x8xf32>) -> tensor<1x0x4x4xf32> {
  // expected-error @+2 {{input dimensions must be static and positive, got [1, 0, 8, 8]}}
  // expected-error @+1 {{failed to infer returned types}}
  %y = cnn.maxpool2d %x {kernel = array<i64: 2, 2>, stride = array<i64: 2, 2>,
         padding = array<i64: 0, 0, 0, 0>, ceil_mode = false}
       : tensor<1x0x8x8xf32> -> tensor<1x0x4x4xf32>
  return %y : tensor<1x0x4x4xf32>
}

// -----

func.func @maxpool2d_kernel_count(%x: tensor<1x3x8x8xf32>) -> tensor<1x3x4x4xf32> {
  // expected-error @+1 {{'cnn.maxpool2d' op attribute 'kernel' failed to satisfy constraint}}
  %y = cnn.maxpool2d %x {kernel = array<i64: 2, 2, 2>, stride = array<i64: 2, 2>,
         padding = array<i64: 0, 0, 0, 0>, ceil_mode = false}
       : tensor<1x3x8x8xf32> -> tensor<1x3x4x4xf32>
  return %y : tensor<1x3x4x4xf32>
}

// -----

// ceil_mode gives 56 (floor mode would give 55).
func.func @maxpool2d_wrong_result(%x: tensor<1x64x112x112xf32>) -> tensor<1x64x55x55xf32> {
  // expected-error @+2 {{'cnn.maxpool2d' op inferred type(s) 'tensor<1x64x56x56xf32>' are incompatible with return type(s) of operation 'tensor<1x64x55x55xf32>'}}
  // expected-error @+1 {{failed to infer returned types}}
  %y = cnn.maxpool2d %x {kernel = array<i64: 3, 3>, stride = array<i64: 2, 2>,
         padding = array<i64: 0, 0, 0, 0>, ceil_mode = true}
       : tensor<1x64x112x112xf32> -> tensor<1x64x55x55xf32>
  return %y : tensor<1x64x55x55xf32>
}

// -----

func.func @avgpool2d_padding_exceeds_half_kernel(%x: tensor<1x6x28x28xf32>) -> tensor<1x6x15x15xf32> {
  // expected-error @+2 {{padding [0, 0, 2, 2] exceeds half the kernel [2, 2]}}
  // expected-error @+1 {{'cnn.avgpool2d' op failed to infer returned types}}
  %y = cnn.avgpool2d %x {kernel = array<i64: 2, 2>, stride = array<i64: 2, 2>,
         padding = array<i64: 0, 0, 2, 2>, ceil_mode = false, count_include_pad = true}
       : tensor<1x6x28x28xf32> -> tensor<1x6x15x15xf32>
  return %y : tensor<1x6x15x15xf32>
}

// -----

func.func @avgpool2d_kernel_too_large(%x: tensor<1x6x4x4xf32>) -> tensor<1x6x1x1xf32> {
  // expected-error @+2 {{kernel [7, 3] is larger than the padded input [6, 6]}}
  // expected-error @+1 {{failed to infer returned types}}
  %y = cnn.avgpool2d %x {kernel = array<i64: 7, 3>, stride = array<i64: 1, 1>,
         padding = array<i64: 1, 1, 1, 1>, ceil_mode = false, count_include_pad = false}
       : tensor<1x6x4x4xf32> -> tensor<1x6x1x1xf32>
  return %y : tensor<1x6x1x1xf32>
}

// -----

func.func @avgpool2d_negative_stride(%x: tensor<1x6x4x4xf32>) -> tensor<1x6x2x2xf32> {
  // expected-error @+2 {{stride must be positive (and below 2^40), got [-2, 2]}}
  // expected-error @+1 {{failed to infer returned types}}
  %y = cnn.avgpool2d %x {kernel = array<i64: 2, 2>, stride = array<i64: -2, 2>,
         padding = array<i64: 0, 0, 0, 0>, ceil_mode = false, count_include_pad = false}
       : tensor<1x6x4x4xf32> -> tensor<1x6x2x2xf32>
  return %y : tensor<1x6x2x2xf32>
}

// -----

// ceil_mode gives 5 rows and columns (floor mode would give 4).
func.func @avgpool2d_wrong_result(%x: tensor<1x8x8x8xf32>) -> tensor<1x8x4x4xf32> {
  // expected-error @+2 {{'cnn.avgpool2d' op inferred type(s) 'tensor<1x8x5x5xf32>' are incompatible with return type(s) of operation 'tensor<1x8x4x4xf32>'}}
  // expected-error @+1 {{failed to infer returned types}}
  %y = cnn.avgpool2d %x {kernel = array<i64: 3, 3>, stride = array<i64: 2, 2>,
         padding = array<i64: 1, 1, 1, 1>, ceil_mode = true, count_include_pad = false}
       : tensor<1x8x8x8xf32> -> tensor<1x8x4x4xf32>
  return %y : tensor<1x8x4x4xf32>
}

// -----

func.func @avgpool2d_missing_attribute(%x: tensor<1x8x8x8xf32>) -> tensor<1x8x4x4xf32> {
  // expected-error @+1 {{'cnn.avgpool2d' op requires attribute 'count_include_pad'}}
  %y = cnn.avgpool2d %x {kernel = array<i64: 2, 2>, stride = array<i64: 2, 2>,
         padding = array<i64: 0, 0, 0, 0>, ceil_mode = false}
       : tensor<1x8x8x8xf32> -> tensor<1x8x4x4xf32>
  return %y : tensor<1x8x4x4xf32>
}

// -----

func.func @global_avgpool2d_wrong_result(%x: tensor<1x512x7x7xf32>) -> tensor<1x512xf32> {
  // expected-error @+1 {{'cnn.global_avgpool2d' op result #0 must be 4D tensor of 32-bit float values, but got 'tensor<1x512xf32>'}}
  %y = cnn.global_avgpool2d %x : tensor<1x512x7x7xf32> -> tensor<1x512xf32>
  return %y : tensor<1x512xf32>
}

// -----

func.func @global_avgpool2d_wrong_result_shape(%x: tensor<1x512x7x7xf32>) -> tensor<1x512x7x7xf32> {
  // expected-error @+2 {{'cnn.global_avgpool2d' op inferred type(s) 'tensor<1x512x1x1xf32>' are incompatible with return type(s) of operation 'tensor<1x512x7x7xf32>'}}
  // expected-error @+1 {{failed to infer returned types}}
  %y = cnn.global_avgpool2d %x : tensor<1x512x7x7xf32> -> tensor<1x512x7x7xf32>
  return %y : tensor<1x512x7x7xf32>
}

// -----

//===----------------------------------------------------------------------===//
// batchnorm
//===----------------------------------------------------------------------===//

func.func @batchnorm_weight_shape(%x: tensor<1x64x8x8xf32>, %g: tensor<32xf32>, %p: tensor<64xf32>) -> tensor<1x64x8x8xf32> {
  // expected-error @+2 {{weight must be [64], got [32]}}
  // expected-error @+1 {{'cnn.batchnorm' op failed to infer returned types}}
  %y = cnn.batchnorm %x, %g, %p, %p, %p {epsilon = 1.0e-05 : f64, momentum = 1.0e-01 : f64}
       : (tensor<1x64x8x8xf32>, tensor<32xf32>, tensor<64xf32>, tensor<64xf32>, tensor<64xf32>)
       -> tensor<1x64x8x8xf32>
  return %y : tensor<1x64x8x8xf32>
}

// -----

func.func @batchnorm_bias_shape(%x: tensor<1x64x8x8xf32>, %b: tensor<65xf32>, %p: tensor<64xf32>) -> tensor<1x64x8x8xf32> {
  // expected-error @+2 {{bias must be [64], got [65]}}
  // expected-error @+1 {{failed to infer returned types}}
  %y = cnn.batchnorm %x, %p, %b, %p, %p {epsilon = 1.0e-05 : f64, momentum = 1.0e-01 : f64}
       : (tensor<1x64x8x8xf32>, tensor<64xf32>, tensor<65xf32>, tensor<64xf32>, tensor<64xf32>)
       -> tensor<1x64x8x8xf32>
  return %y : tensor<1x64x8x8xf32>
}

// -----

func.func @batchnorm_running_mean_shape(%x: tensor<4x10xf32>, %m: tensor<4xf32>, %p: tensor<10xf32>) -> tensor<4x10xf32> {
  // expected-error @+2 {{running_mean must be [10], got [4]}}
  // expected-error @+1 {{failed to infer returned types}}
  %y = cnn.batchnorm %x, %p, %p, %m, %p {epsilon = 1.0e-05 : f64, momentum = 1.0e-01 : f64}
       : (tensor<4x10xf32>, tensor<10xf32>, tensor<10xf32>, tensor<4xf32>, tensor<10xf32>)
       -> tensor<4x10xf32>
  return %y : tensor<4x10xf32>
}

// -----

func.func @batchnorm_running_var_shape(%x: tensor<1x64x8x8xf32>, %v: tensor<8xf32>, %p: tensor<64xf32>) -> tensor<1x64x8x8xf32> {
  // expected-error @+2 {{running_var must be [64], got [8]}}
  // expected-error @+1 {{failed to infer returned types}}
  %y = cnn.batchnorm %x, %p, %p, %p, %v {epsilon = 1.0e-05 : f64, momentum = 1.0e-01 : f64}
       : (tensor<1x64x8x8xf32>, tensor<64xf32>, tensor<64xf32>, tensor<64xf32>, tensor<8xf32>)
       -> tensor<1x64x8x8xf32>
  return %y : tensor<1x64x8x8xf32>
}

// -----

func.func @batchnorm_parameter_rank(%x: tensor<1x64x8x8xf32>, %v: tensor<1x64xf32>, %p: tensor<64xf32>) -> tensor<1x64x8x8xf32> {
  // expected-error @+1 {{'cnn.batchnorm' op operand #4 must be 1D tensor of 32-bit float values, but got 'tensor<1x64xf32>'}}
  %y = cnn.batchnorm %x, %p, %p, %p, %v {epsilon = 1.0e-05 : f64, momentum = 1.0e-01 : f64}
       : (tensor<1x64x8x8xf32>, tensor<64xf32>, tensor<64xf32>, tensor<64xf32>, tensor<1x64xf32>)
       -> tensor<1x64x8x8xf32>
  return %y : tensor<1x64x8x8xf32>
}

// -----

func.func @batchnorm_input_rank(%x: tensor<2x4x5xf32>, %p: tensor<4xf32>) -> tensor<2x4x5xf32> {
  // expected-error @+2 {{input must be [N, C, H, W] or [N, C], got [2, 4, 5]}}
  // expected-error @+1 {{failed to infer returned types}}
  %y = cnn.batchnorm %x, %p, %p, %p, %p {epsilon = 1.0e-05 : f64, momentum = 1.0e-01 : f64}
       : (tensor<2x4x5xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>)
       -> tensor<2x4x5xf32>
  return %y : tensor<2x4x5xf32>
}

// -----

func.func @batchnorm_negative_epsilon(%x: tensor<1x64x8x8xf32>, %p: tensor<64xf32>) -> tensor<1x64x8x8xf32> {
  // expected-error @+1 {{'cnn.batchnorm' op epsilon must be non-negative}}
  %y = cnn.batchnorm %x, %p, %p, %p, %p {epsilon = -1.0e-05 : f64, momentum = 1.0e-01 : f64}
       : (tensor<1x64x8x8xf32>, tensor<64xf32>, tensor<64xf32>, tensor<64xf32>, tensor<64xf32>)
       -> tensor<1x64x8x8xf32>
  return %y : tensor<1x64x8x8xf32>
}

// -----

func.func @batchnorm_wrong_result(%x: tensor<1x64x8x8xf32>, %p: tensor<64xf32>) -> tensor<1x64x4x4xf32> {
  // expected-error @+2 {{'cnn.batchnorm' op inferred type(s) 'tensor<1x64x8x8xf32>' are incompatible with return type(s) of operation 'tensor<1x64x4x4xf32>'}}
  // expected-error @+1 {{failed to infer returned types}}
  %y = cnn.batchnorm %x, %p, %p, %p, %p {epsilon = 1.0e-05 : f64, momentum = 1.0e-01 : f64}
       : (tensor<1x64x8x8xf32>, tensor<64xf32>, tensor<64xf32>, tensor<64xf32>, tensor<64xf32>)
       -> tensor<1x64x4x4xf32>
  return %y : tensor<1x64x4x4xf32>
}

// -----

//===----------------------------------------------------------------------===//
// Elementwise: relu, relu6, sigmoid, tanh, add, mul, dropout
//===----------------------------------------------------------------------===//

func.func @relu_wrong_result(%x: tensor<2x4xf32>) -> tensor<4x2xf32> {
  // expected-error @+1 {{'cnn.relu' op requires the same type for all operands and results}}
  %y = "cnn.relu"(%x) : (tensor<2x4xf32>) -> tensor<4x2xf32>
  return %y : tensor<4x2xf32>
}

// -----

func.func @relu6_element_type(%x: tensor<2x4xf16>) -> tensor<2x4xf16> {
  // expected-error @+1 {{'cnn.relu6' op operand #0 must be ranked tensor of 32-bit float values, but got 'tensor<2x4xf16>'}}
  %y = cnn.relu6 %x : tensor<2x4xf16>
  return %y : tensor<2x4xf16>
}

// -----

func.func @sigmoid_unranked(%x: tensor<*xf32>) -> tensor<*xf32> {
  // expected-error @+1 {{'cnn.sigmoid' op operand #0 must be ranked tensor of 32-bit float values, but got 'tensor<*xf32>'}}
  %y = "cnn.sigmoid"(%x) : (tensor<*xf32>) -> tensor<*xf32>
  return %y : tensor<*xf32>
}

// -----

func.func @tanh_wrong_result(%x: tensor<2x4xf32>) -> tensor<2x4x1xf32> {
  // expected-error @+1 {{'cnn.tanh' op requires the same type for all operands and results}}
  %y = "cnn.tanh"(%x) : (tensor<2x4xf32>) -> tensor<2x4x1xf32>
  return %y : tensor<2x4x1xf32>
}

// -----

func.func @add_no_broadcast(%a: tensor<1x64x7x7xf32>, %b: tensor<1x32x1x1xf32>) -> tensor<1x64x7x7xf32> {
  // expected-error @+2 {{shapes [1, 64, 7, 7] and [1, 32, 1, 1] do not broadcast}}
  // expected-error @+1 {{'cnn.add' op failed to infer returned types}}
  %y = cnn.add %a, %b : (tensor<1x64x7x7xf32>, tensor<1x32x1x1xf32>) -> tensor<1x64x7x7xf32>
  return %y : tensor<1x64x7x7xf32>
}

// -----

// Broadcasting aligns trailing dimensions: [4] is matched against 10.
func.func @mul_no_broadcast_rank(%a: tensor<4x10xf32>, %b: tensor<4xf32>) -> tensor<4x10xf32> {
  // expected-error @+2 {{shapes [4, 10] and [4] do not broadcast}}
  // expected-error @+1 {{'cnn.mul' op failed to infer returned types}}
  %y = cnn.mul %a, %b : (tensor<4x10xf32>, tensor<4xf32>) -> tensor<4x10xf32>
  return %y : tensor<4x10xf32>
}

// -----

func.func @add_wrong_result(%a: tensor<1x64x7x7xf32>, %b: tensor<1x64x1x1xf32>) -> tensor<1x64x1x1xf32> {
  // expected-error @+2 {{'cnn.add' op inferred type(s) 'tensor<1x64x7x7xf32>' are incompatible with return type(s) of operation 'tensor<1x64x1x1xf32>'}}
  // expected-error @+1 {{failed to infer returned types}}
  %y = cnn.add %a, %b : (tensor<1x64x7x7xf32>, tensor<1x64x1x1xf32>) -> tensor<1x64x1x1xf32>
  return %y : tensor<1x64x1x1xf32>
}

// -----

func.func @mul_wrong_result(%a: tensor<2x1x5xf32>, %b: tensor<3x1xf32>) -> tensor<2x1x5xf32> {
  // expected-error @+2 {{'cnn.mul' op inferred type(s) 'tensor<2x3x5xf32>' are incompatible with return type(s) of operation 'tensor<2x1x5xf32>'}}
  // expected-error @+1 {{failed to infer returned types}}
  %y = cnn.mul %a, %b : (tensor<2x1x5xf32>, tensor<3x1xf32>) -> tensor<2x1x5xf32>
  return %y : tensor<2x1x5xf32>
}

// -----

func.func @dropout_p_one(%x: tensor<1x4096xf32>) -> tensor<1x4096xf32> {
  // expected-error @+1 {{'cnn.dropout' op p must be in [0, 1), got 1.000000e+00}}
  %y = cnn.dropout %x {p = 1.0 : f64} : tensor<1x4096xf32>
  return %y : tensor<1x4096xf32>
}

// -----

func.func @dropout_p_negative(%x: tensor<1x4096xf32>) -> tensor<1x4096xf32> {
  // expected-error @+1 {{'cnn.dropout' op p must be in [0, 1), got -2.500000e-01}}
  %y = cnn.dropout %x {p = -2.5e-01 : f64} : tensor<1x4096xf32>
  return %y : tensor<1x4096xf32>
}

// -----

func.func @dropout_p_nan(%x: tensor<1x4096xf32>) -> tensor<1x4096xf32> {
  // expected-error @+1 {{'cnn.dropout' op p must be in [0, 1), got nan}}
  %y = cnn.dropout %x {p = 0x7FF8000000000000 : f64} : tensor<1x4096xf32>
  return %y : tensor<1x4096xf32>
}

// -----

func.func @dropout_wrong_result(%x: tensor<1x4096xf32>) -> tensor<4096xf32> {
  // expected-error @+1 {{'cnn.dropout' op requires the same type for all operands and results}}
  %y = "cnn.dropout"(%x) {p = 5.0e-01 : f64} : (tensor<1x4096xf32>) -> tensor<4096xf32>
  return %y : tensor<4096xf32>
}

// -----

//===----------------------------------------------------------------------===//
// concat, flatten, softmax, channel_shuffle, slice
//===----------------------------------------------------------------------===//

func.func @concat_rank_mismatch(%a: tensor<1x4x2x2xf32>, %b: tensor<1x4x2xf32>) -> tensor<1x8x2x2xf32> {
  // expected-error @+2 {{inputs [1, 4, 2, 2] and [1, 4, 2] differ in rank}}
  // expected-error @+1 {{'cnn.concat' op failed to infer returned types}}
  %y = cnn.concat %a, %b {axis = 1 : i64} : (tensor<1x4x2x2xf32>, tensor<1x4x2xf32>) -> tensor<1x8x2x2xf32>
  return %y : tensor<1x8x2x2xf32>
}

// -----

func.func @concat_dim_mismatch(%a: tensor<1x4x2x2xf32>, %b: tensor<1x4x2x2xf32>, %c: tensor<1x4x3x2xf32>) -> tensor<1x12x2x2xf32> {
  // expected-error @+2 {{inputs [1, 4, 2, 2] and [1, 4, 3, 2] differ outside axis 1}}
  // expected-error @+1 {{failed to infer returned types}}
  %y = cnn.concat %a, %b, %c {axis = 1 : i64}
       : (tensor<1x4x2x2xf32>, tensor<1x4x2x2xf32>, tensor<1x4x3x2xf32>) -> tensor<1x12x2x2xf32>
  return %y : tensor<1x12x2x2xf32>
}

// -----

func.func @concat_axis_out_of_range(%a: tensor<1x4x2x2xf32>, %b: tensor<1x4x2x2xf32>) -> tensor<1x4x2x4xf32> {
  // expected-error @+2 {{axis 4 is out of range for [1, 4, 2, 2]}}
  // expected-error @+1 {{failed to infer returned types}}
  %y = cnn.concat %a, %b {axis = 4 : i64} : (tensor<1x4x2x2xf32>, tensor<1x4x2x2xf32>) -> tensor<1x4x2x4xf32>
  return %y : tensor<1x4x2x4xf32>
}

// -----

func.func @concat_negative_axis(%a: tensor<1x4x2x2xf32>, %b: tensor<1x4x2x2xf32>) -> tensor<1x4x2x4xf32> {
  // expected-error @+1 {{'cnn.concat' op attribute 'axis' failed to satisfy constraint: 64-bit signless integer attribute whose value is non-negative}}
  %y = cnn.concat %a, %b {axis = -1 : i64} : (tensor<1x4x2x2xf32>, tensor<1x4x2x2xf32>) -> tensor<1x4x2x4xf32>
  return %y : tensor<1x4x2x4xf32>
}

// -----

func.func @concat_no_inputs() -> tensor<4xf32> {
  // expected-error @+1 {{'cnn.concat' op needs at least one input}}
  %y = cnn.concat {axis = 0 : i64} : () -> tensor<4xf32>
  return %y : tensor<4xf32>
}

// -----

func.func @concat_wrong_result(%a: tensor<1x64x28x28xf32>, %b: tensor<1x32x28x28xf32>) -> tensor<1x64x28x28xf32> {
  // expected-error @+2 {{'cnn.concat' op inferred type(s) 'tensor<1x96x28x28xf32>' are incompatible with return type(s) of operation 'tensor<1x64x28x28xf32>'}}
  // expected-error @+1 {{failed to infer returned types}}
  %y = cnn.concat %a, %b {axis = 1 : i64}
       : (tensor<1x64x28x28xf32>, tensor<1x32x28x28xf32>) -> tensor<1x64x28x28xf32>
  return %y : tensor<1x64x28x28xf32>
}

// -----

func.func @flatten_scalar(%x: tensor<f32>) -> tensor<1x1xf32> {
  // expected-error @+2 {{input must have a batch and at least one more dimension, got []}}
  // expected-error @+1 {{'cnn.flatten' op failed to infer returned types}}
  %y = cnn.flatten %x : tensor<f32> -> tensor<1x1xf32>
  return %y : tensor<1x1xf32>
}

// -----

func.func @flatten_overflow(%x: tensor<1x4294967296x4294967296xf32>) -> tensor<1x1xf32> {
  // expected-error @+2 {{flattened size of [1, 4294967296, 4294967296] overflows}}
  // expected-error @+1 {{failed to infer returned types}}
  %y = cnn.flatten %x : tensor<1x4294967296x4294967296xf32> -> tensor<1x1xf32>
  return %y : tensor<1x1xf32>
}

// -----

func.func @flatten_result_rank(%x: tensor<1x512x7x7xf32>) -> tensor<25088xf32> {
  // expected-error @+1 {{'cnn.flatten' op result #0 must be 2D tensor of 32-bit float values, but got 'tensor<25088xf32>'}}
  %y = cnn.flatten %x : tensor<1x512x7x7xf32> -> tensor<25088xf32>
  return %y : tensor<25088xf32>
}

// -----

func.func @flatten_wrong_result(%x: tensor<1x512x7x7xf32>) -> tensor<1x512xf32> {
  // expected-error @+2 {{'cnn.flatten' op inferred type(s) 'tensor<1x25088xf32>' are incompatible with return type(s) of operation 'tensor<1x512xf32>'}}
  // expected-error @+1 {{failed to infer returned types}}
  %y = cnn.flatten %x : tensor<1x512x7x7xf32> -> tensor<1x512xf32>
  return %y : tensor<1x512xf32>
}

// -----

func.func @softmax_axis_out_of_range(%x: tensor<1x10xf32>) -> tensor<1x10xf32> {
  // expected-error @+1 {{'cnn.softmax' op axis 2 is out of range for [1, 10]}}
  %y = cnn.softmax %x {axis = 2 : i64} : tensor<1x10xf32>
  return %y : tensor<1x10xf32>
}

// -----

func.func @softmax_negative_axis(%x: tensor<1x10xf32>) -> tensor<1x10xf32> {
  // expected-error @+1 {{'cnn.softmax' op attribute 'axis' failed to satisfy constraint: 64-bit signless integer attribute whose value is non-negative}}
  %y = cnn.softmax %x {axis = -1 : i64} : tensor<1x10xf32>
  return %y : tensor<1x10xf32>
}

// -----

func.func @softmax_wrong_result(%x: tensor<1x10xf32>) -> tensor<10xf32> {
  // expected-error @+1 {{'cnn.softmax' op requires the same type for all operands and results}}
  %y = "cnn.softmax"(%x) {axis = 1 : i64} : (tensor<1x10xf32>) -> tensor<10xf32>
  return %y : tensor<10xf32>
}

// -----

func.func @channel_shuffle_groups_not_dividing(%x: tensor<1x116x28x28xf32>) -> tensor<1x116x28x28xf32> {
  // expected-error @+1 {{'cnn.channel_shuffle' op channels (116) are not divisible by groups (3)}}
  %y = cnn.channel_shuffle %x {groups = 3 : i64} : tensor<1x116x28x28xf32>
  return %y : tensor<1x116x28x28xf32>
}

// -----

func.func @channel_shuffle_zero_groups(%x: tensor<1x116x28x28xf32>) -> tensor<1x116x28x28xf32> {
  // expected-error @+1 {{'cnn.channel_shuffle' op attribute 'groups' failed to satisfy constraint: 64-bit signless integer attribute whose value is positive}}
  %y = cnn.channel_shuffle %x {groups = 0 : i64} : tensor<1x116x28x28xf32>
  return %y : tensor<1x116x28x28xf32>
}

// -----

func.func @channel_shuffle_rank(%x: tensor<1x116xf32>) -> tensor<1x116xf32> {
  // expected-error @+1 {{'cnn.channel_shuffle' op operand #0 must be 4D tensor of 32-bit float values, but got 'tensor<1x116xf32>'}}
  %y = cnn.channel_shuffle %x {groups = 2 : i64} : tensor<1x116xf32>
  return %y : tensor<1x116xf32>
}

// -----

func.func @slice_axis_out_of_range(%x: tensor<1x116x28x28xf32>) -> tensor<1x116x28x28xf32> {
  // expected-error @+2 {{axis 4 is out of range for [1, 116, 28, 28]}}
  // expected-error @+1 {{'cnn.slice' op failed to infer returned types}}
  %y = cnn.slice %x {axis = 4 : i64, start = 0 : i64, end = 1 : i64}
       : tensor<1x116x28x28xf32> -> tensor<1x116x28x28xf32>
  return %y : tensor<1x116x28x28xf32>
}

// -----

func.func @slice_end_out_of_range(%x: tensor<1x116x28x28xf32>) -> tensor<1x59x28x28xf32> {
  // expected-error @+2 {{slice [58, 117) of axis 1 of [1, 116, 28, 28] is empty or out of range}}
  // expected-error @+1 {{failed to infer returned types}}
  %y = cnn.slice %x {axis = 1 : i64, start = 58 : i64, end = 117 : i64}
       : tensor<1x116x28x28xf32> -> tensor<1x59x28x28xf32>
  return %y : tensor<1x59x28x28xf32>
}

// -----

func.func @slice_negative_start(%x: tensor<1x116x28x28xf32>) -> tensor<1x58x28x28xf32> {
  // expected-error @+2 {{slice [-1, 57) of axis 1 of [1, 116, 28, 28] is empty or out of range}}
  // expected-error @+1 {{failed to infer returned types}}
  %y = cnn.slice %x {axis = 1 : i64, start = -1 : i64, end = 57 : i64}
       : tensor<1x116x28x28xf32> -> tensor<1x58x28x28xf32>
  return %y : tensor<1x58x28x28xf32>
}

// -----

func.func @slice_empty(%x: tensor<1x116x28x28xf32>) -> tensor<1x0x28x28xf32> {
  // expected-error @+2 {{slice [58, 58) of axis 1 of [1, 116, 28, 28] is empty or out of range}}
  // expected-error @+1 {{failed to infer returned types}}
  %y = cnn.slice %x {axis = 1 : i64, start = 58 : i64, end = 58 : i64}
       : tensor<1x116x28x28xf32> -> tensor<1x0x28x28xf32>
  return %y : tensor<1x0x28x28xf32>
}

// -----

func.func @slice_negative_axis(%x: tensor<1x116x28x28xf32>) -> tensor<1x116x28x1xf32> {
  // expected-error @+1 {{'cnn.slice' op attribute 'axis' failed to satisfy constraint: 64-bit signless integer attribute whose value is non-negative}}
  %y = cnn.slice %x {axis = -1 : i64, start = 0 : i64, end = 1 : i64}
       : tensor<1x116x28x28xf32> -> tensor<1x116x28x1xf32>
  return %y : tensor<1x116x28x1xf32>
}

// -----

func.func @slice_wrong_result(%x: tensor<1x116x28x28xf32>) -> tensor<1x116x28x28xf32> {
  // expected-error @+2 {{'cnn.slice' op inferred type(s) 'tensor<1x58x28x28xf32>' are incompatible with return type(s) of operation 'tensor<1x116x28x28xf32>'}}
  // expected-error @+1 {{failed to infer returned types}}
  %y = cnn.slice %x {axis = 1 : i64, start = 58 : i64, end = 116 : i64}
       : tensor<1x116x28x28xf32> -> tensor<1x116x28x28xf32>
  return %y : tensor<1x116x28x28xf32>
}

// -----

func.func @flatten_rank1(%x: tensor<5xf32>) -> tensor<5x1xf32> {
  // expected-error @+2 {{input must have a batch and at least one more dimension, got [5]}}
  // expected-error @+1 {{'cnn.flatten' op failed to infer returned types}}
  %y = cnn.flatten %x : tensor<5xf32> -> tensor<5x1xf32>
  return %y : tensor<5x1xf32>
}

// -----

func.func @concat_dynamic(%a: tensor<?x4xf32>, %b: tensor<?x4xf32>) -> tensor<0x4xf32> {
  // expected-error @+2 {{input dimensions must be static and positive}}
  // expected-error @+1 {{'cnn.concat' op failed to infer returned types}}
  %y = cnn.concat %a, %b {axis = 0 : i64} : (tensor<?x4xf32>, tensor<?x4xf32>) -> tensor<0x4xf32>
  return %y : tensor<0x4xf32>
}

// -----

func.func @conv_padding_overflow(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>) -> tensor<1x4x4x6xf32> {
  // expected-error @+2 {{padding must be non-negative (and below 2^40)}}
  // expected-error @+1 {{'cnn.conv2d' op failed to infer returned types}}
  %y = cnn.conv2d %x, %w {dilation = array<i64: 1, 1>, groups = 1 : i64, padding = array<i64: 9223372036854775807, 0, 9223372036854775807, 0>, stride = array<i64: 1, 1>} : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x4x6xf32>
  return %y : tensor<1x4x4x6xf32>
}

// -----

func.func @batchnorm_nan_epsilon(%x: tensor<1x4xf32>, %p: tensor<4xf32>) -> tensor<1x4xf32> {
  // expected-error @+1 {{epsilon must be non-negative}}
  %y = cnn.batchnorm %x, %p, %p, %p, %p {epsilon = 0x7FF8000000000000 : f64, momentum = 1.000000e-01 : f64} : (tensor<1x4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<1x4xf32>
  return %y : tensor<1x4xf32>
}

// -----

func.func @gelu_bad_approximation(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{approximate must be "none" or "tanh", got 'erf'}}
  %y = cnn.gelu %x {approximate = "erf"} : tensor<4xf32>
  return %y : tensor<4xf32>
}
