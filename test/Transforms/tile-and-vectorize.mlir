// RUN: cnnc-opt %s --cnnc-tile-and-vectorize | FileCheck %s
// RUN: cnnc-opt %s --cnnc-tile-and-vectorize=enable=false | FileCheck %s --check-prefix=ANNOTATE

// A ResNet layer (56x56x64, 3x3): 8 x 32 register blocks over an scf.forall,
// the reduction walks kh, kw and 8 input channels at a time, and the inner
// step is one vector contraction with the accumulator carried in registers.
// CHECK-LABEL: func.func @conv
// CHECK: scf.forall (%{{.*}}, %{{.*}}, %{{.*}}) in (56, 7, 2)
// CHECK: vector.transfer_read {{.*}} vector<1x8x32xf32>
// CHECK: scf.for
// CHECK: scf.for
// CHECK: scf.for {{.*}} -> (tensor<1x1x8x32xf32>, vector<1x8x32xf32>)
// CHECK: vector.contract {{.*}} vector<1x8x8xf32>, vector<8x32xf32> into vector<1x8x32xf32>
// CHECK-NOT: linalg.conv_2d_nhwc_hwcf
// ANNOTATE: linalg.conv_2d_nhwc_hwcf {cnn.tile = array<i64: 8, 32, 8>
func.func @conv(%x: tensor<1x58x58x64xf32>, %w: tensor<3x3x64x64xf32>, %b: tensor<1x56x56x64xf32>) -> tensor<1x56x56x64xf32> {
  %y = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
     ins(%x, %w : tensor<1x58x58x64xf32>, tensor<3x3x64x64xf32>) outs(%b : tensor<1x56x56x64xf32>) -> tensor<1x56x56x64xf32>
  return %y : tensor<1x56x56x64xf32>
}
