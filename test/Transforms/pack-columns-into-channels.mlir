// RUN: cnnc-opt %s --split-input-file --cnnc-attach-target=cpu=znver5 --cnnc-pack-columns-into-channels | FileCheck %s
// RUN: cnnc-opt %s --split-input-file --cnnc-attach-target=cpu=x86-64-v3 --cnnc-pack-columns-into-channels | FileCheck %s --check-prefix=AVX2

// LeNet's data gradient into its 6-channel layer (a 5x5 conv over the padded
// output gradient, accumulating from zeros). On 16 lanes two columns pack
// into 12 channels: input [N, 18, 9, 32], filter [5, 3, 32, 12] whose block
// (j' = 1, j = 0) holds the taps kw = 1, 3 and block (0, 1) the taps
// kw = 1, 3 shifted right by one column, output [N, 14, 7, 12] viewed back
// as [N, 14, 14, 6]. On AVX2's 8 lanes 12 channels do not fit: unchanged.
// CHECK-LABEL: func.func @data_gradient_six_channels
// CHECK-SAME: (%[[X:.*]]: tensor<2x18x18x16xf32>, %[[W:.*]]: tensor<5x5x16x6xf32>)
// CHECK: %[[XE:.*]] = tensor.expand_shape %[[X]] {{\[\[}}0], [1], [2, 3], [4]] output_shape [2, 18, 9, 2, 16]
// CHECK: %[[XP:.*]] = tensor.collapse_shape %[[XE]] {{\[\[}}0], [1], [2], [3, 4]] : tensor<2x18x9x2x16xf32> into tensor<2x18x9x32xf32>
// CHECK: %[[W00:.*]] = tensor.extract_slice %[[W]][0, 0, 0, 0] [5, 3, 16, 6] [1, 2, 1, 1]
// CHECK: %[[P00:.*]] = tensor.insert_slice %[[W00]] into %{{.*}}[0, 0, 0, 0] [5, 3, 16, 6] [1, 1, 1, 1]
// CHECK: %[[W01:.*]] = tensor.extract_slice %[[W]][0, 1, 0, 0] [5, 2, 16, 6] [1, 2, 1, 1]
// CHECK: %[[P01:.*]] = tensor.insert_slice %[[W01]] into %[[P00]][0, 1, 0, 6] [5, 2, 16, 6] [1, 1, 1, 1]
// CHECK: %[[W10:.*]] = tensor.extract_slice %[[W]][0, 1, 0, 0] [5, 2, 16, 6] [1, 2, 1, 1]
// CHECK: %[[P10:.*]] = tensor.insert_slice %[[W10]] into %[[P01]][0, 0, 16, 0] [5, 2, 16, 6] [1, 1, 1, 1]
// CHECK: %[[W11:.*]] = tensor.extract_slice %[[W]][0, 0, 0, 0] [5, 3, 16, 6] [1, 2, 1, 1]
// CHECK: %[[P11:.*]] = tensor.insert_slice %[[W11]] into %[[P10]][0, 0, 16, 6] [5, 3, 16, 6] [1, 1, 1, 1]
// CHECK: %[[Y:.*]] = linalg.conv_2d_nhwc_hwcf {{.*}} ins(%[[XP]], %[[P11]] : tensor<2x18x9x32xf32>, tensor<5x3x32x12xf32>) outs(%{{.*}} : tensor<2x14x7x12xf32>)
// CHECK: %[[YE:.*]] = tensor.expand_shape %[[Y]] {{\[\[}}0], [1], [2], [3, 4]] output_shape [2, 14, 7, 2, 6]
// CHECK: %[[YU:.*]] = tensor.collapse_shape %[[YE]] {{\[\[}}0], [1], [2, 3], [4]] : tensor<2x14x7x2x6xf32> into tensor<2x14x14x6xf32>
// CHECK: return %[[YU]]
// AVX2-LABEL: func.func @data_gradient_six_channels
// AVX2-NOT: tensor.expand_shape
// AVX2: linalg.conv_2d_nhwc_hwcf {{.*}} ins(%arg0, %arg1 : tensor<2x18x18x16xf32>, tensor<5x5x16x6xf32>)
func.func @data_gradient_six_channels(%x: tensor<2x18x18x16xf32>, %w: tensor<5x5x16x6xf32>) -> tensor<2x14x14x6xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<2x14x14x6xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%e : tensor<2x14x14x6xf32>) -> tensor<2x14x14x6xf32>
  %y = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
     ins(%x, %w : tensor<2x18x18x16xf32>, tensor<5x5x16x6xf32>) outs(%acc : tensor<2x14x14x6xf32>) -> tensor<2x14x14x6xf32>
  return %y : tensor<2x14x14x6xf32>
}

// -----

// Four output channels take four columns on 16 lanes (3x3: 2 filter columns
// instead of 3), two on AVX2's 8.
// CHECK-LABEL: func.func @four_channels
// CHECK: linalg.conv_2d_nhwc_hwcf {{.*}} ins(%{{.*}}, %{{.*}} : tensor<1x10x4x32xf32>, tensor<3x2x32x16xf32>) outs(%{{.*}} : tensor<1x8x2x16xf32>)
// AVX2-LABEL: func.func @four_channels
// AVX2: linalg.conv_2d_nhwc_hwcf {{.*}} ins(%{{.*}}, %{{.*}} : tensor<1x10x8x16xf32>, tensor<3x2x16x8xf32>) outs(%{{.*}} : tensor<1x8x4x8xf32>)
func.func @four_channels(%x: tensor<1x10x16x8xf32>, %w: tensor<3x3x8x4xf32>) -> tensor<1x8x8x4xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x8x8x4xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%e : tensor<1x8x8x4xf32>) -> tensor<1x8x8x4xf32>
  %y = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
     ins(%x, %w : tensor<1x10x16x8xf32>, tensor<3x3x8x4xf32>) outs(%acc : tensor<1x8x8x4xf32>) -> tensor<1x8x8x4xf32>
  return %y : tensor<1x8x8x4xf32>
}

// -----

// Left whole: 16 channels (a vector already), a 1x1 window (packing saves no
// filter column), a stride of 2, a bias accumulator (not a fill), and an
// output width that 2 does not divide.
// CHECK-LABEL: func.func @left_whole
// CHECK-NOT: tensor.expand_shape
// CHECK-COUNT-5: linalg.conv_2d_nhwc_hwcf
// CHECK-NOT: tensor.expand_shape
// CHECK: return
#bias = affine_map<(n, h, w, c) -> (c)>
#id = affine_map<(n, h, w, c) -> (n, h, w, c)>
func.func @left_whole(%x: tensor<1x18x18x16xf32>, %w16: tensor<5x5x16x16xf32>, %w1: tensor<1x1x16x6xf32>,
                      %w5: tensor<5x5x16x6xf32>, %b: tensor<6xf32>, %x15: tensor<1x18x17x16xf32>)
    -> (tensor<1x14x14x16xf32>, tensor<1x18x18x6xf32>, tensor<1x7x7x6xf32>, tensor<1x14x14x6xf32>, tensor<1x14x13x6xf32>) {
  %zero = arith.constant 0.0 : f32
  %e16 = tensor.empty() : tensor<1x14x14x16xf32>
  %a16 = linalg.fill ins(%zero : f32) outs(%e16 : tensor<1x14x14x16xf32>) -> tensor<1x14x14x16xf32>
  %y16 = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
     ins(%x, %w16 : tensor<1x18x18x16xf32>, tensor<5x5x16x16xf32>) outs(%a16 : tensor<1x14x14x16xf32>) -> tensor<1x14x14x16xf32>
  %e1 = tensor.empty() : tensor<1x18x18x6xf32>
  %a1 = linalg.fill ins(%zero : f32) outs(%e1 : tensor<1x18x18x6xf32>) -> tensor<1x18x18x6xf32>
  %y1 = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
     ins(%x, %w1 : tensor<1x18x18x16xf32>, tensor<1x1x16x6xf32>) outs(%a1 : tensor<1x18x18x6xf32>) -> tensor<1x18x18x6xf32>
  %e2 = tensor.empty() : tensor<1x7x7x6xf32>
  %a2 = linalg.fill ins(%zero : f32) outs(%e2 : tensor<1x7x7x6xf32>) -> tensor<1x7x7x6xf32>
  %y2 = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>}
     ins(%x, %w5 : tensor<1x18x18x16xf32>, tensor<5x5x16x6xf32>) outs(%a2 : tensor<1x7x7x6xf32>) -> tensor<1x7x7x6xf32>
  %eb = tensor.empty() : tensor<1x14x14x6xf32>
  %ab = linalg.generic {indexing_maps = [#bias, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
     ins(%b : tensor<6xf32>) outs(%eb : tensor<1x14x14x6xf32>) {
  ^bb0(%v: f32, %o: f32):
    linalg.yield %v : f32
  } -> tensor<1x14x14x6xf32>
  %yb = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
     ins(%x, %w5 : tensor<1x18x18x16xf32>, tensor<5x5x16x6xf32>) outs(%ab : tensor<1x14x14x6xf32>) -> tensor<1x14x14x6xf32>
  %eo = tensor.empty() : tensor<1x14x13x6xf32>
  %ao = linalg.fill ins(%zero : f32) outs(%eo : tensor<1x14x13x6xf32>) -> tensor<1x14x13x6xf32>
  %yo = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
     ins(%x15, %w5 : tensor<1x18x17x16xf32>, tensor<5x5x16x6xf32>) outs(%ao : tensor<1x14x13x6xf32>) -> tensor<1x14x13x6xf32>
  return %y16, %y1, %y2, %yb, %yo : tensor<1x14x14x16xf32>, tensor<1x18x18x6xf32>, tensor<1x7x7x6xf32>, tensor<1x14x14x6xf32>, tensor<1x14x13x6xf32>
}
