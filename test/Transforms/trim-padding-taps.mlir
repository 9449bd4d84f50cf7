// RUN: cnnc-opt %s -cnnc-trim-padding-taps | FileCheck %s

// 3x3, padding 1, over a 1x1 map: only the center tap reads the input.
// CHECK-LABEL: func @center_tap(
// CHECK: %[[R:.*]] = cnn.slice %arg1 {axis = 2 : i64, end = 2 : i64, start = 1 : i64} : tensor<8x4x3x3xf32> -> tensor<8x4x1x3xf32>
// CHECK: %[[C:.*]] = cnn.slice %[[R]] {axis = 3 : i64, end = 2 : i64, start = 1 : i64} : tensor<8x4x1x3xf32> -> tensor<8x4x1x1xf32>
// CHECK: cnn.conv2d %arg0, %[[C]], %arg2 {{{.*}}padding = array<i64: 0, 0, 0, 0>{{.*}}} : (tensor<2x4x1x1xf32>, tensor<8x4x1x1xf32>, tensor<8xf32>) -> tensor<2x8x1x1xf32>
func.func @center_tap(%x: tensor<2x4x1x1xf32>, %w: tensor<8x4x3x3xf32>, %b: tensor<8xf32>) -> tensor<2x8x1x1xf32> {
  %y = cnn.conv2d %x, %w, %b {dilation = array<i64: 1, 1>, groups = 1 : i64, padding = array<i64: 1, 1, 1, 1>, stride = array<i64: 1, 1>} : (tensor<2x4x1x1xf32>, tensor<8x4x3x3xf32>, tensor<8xf32>) -> tensor<2x8x1x1xf32>
  return %y : tensor<2x8x1x1xf32>
}

// Stride 2 over 2x3: the first row of taps reads only the top padding, and
// the bottom padding no window reaches is dropped; every column of taps
// reads the input for one output or the other, so the columns stay.
// CHECK-LABEL: func @stride2(
// CHECK: %[[R:.*]] = cnn.slice %arg1 {axis = 2 : i64, end = 3 : i64, start = 1 : i64}
// CHECK-NOT: cnn.slice
// CHECK: cnn.conv2d %arg0, %[[R]] {{.*}}padding = array<i64: 0, 1, 0, 1>{{.*}} : (tensor<1x2x2x3xf32>, tensor<3x2x2x3xf32>) -> tensor<1x3x1x2xf32>
func.func @stride2(%x: tensor<1x2x2x3xf32>, %w: tensor<3x2x3x3xf32>) -> tensor<1x3x1x2xf32> {
  %y = cnn.conv2d %x, %w {dilation = array<i64: 1, 1>, groups = 1 : i64, padding = array<i64: 1, 1, 1, 1>, stride = array<i64: 2, 2>} : (tensor<1x2x2x3xf32>, tensor<3x2x3x3xf32>) -> tensor<1x3x1x2xf32>
  return %y : tensor<1x3x1x2xf32>
}

// Every tap reads the input somewhere: unchanged.
// CHECK-LABEL: func @all_live(
// CHECK-NOT: cnn.slice
// CHECK: cnn.conv2d {{.*}}padding = array<i64: 1, 1, 1, 1>
func.func @all_live(%x: tensor<1x2x2x2xf32>, %w: tensor<3x2x3x3xf32>) -> tensor<1x3x2x2xf32> {
  %y = cnn.conv2d %x, %w {dilation = array<i64: 1, 1>, groups = 1 : i64, padding = array<i64: 1, 1, 1, 1>, stride = array<i64: 1, 1>} : (tensor<1x2x2x2xf32>, tensor<3x2x3x3xf32>) -> tensor<1x3x2x2xf32>
  return %y : tensor<1x3x2x2xf32>
}

// Dilation 2, padding 1 over one row: the rows' taps read rows -1, 1, 3 of
// a 1-row map, none of them real; a conv of padding alone stays as it is.
// CHECK-LABEL: func @no_live_tap(
// CHECK-NOT: cnn.slice
// CHECK: cnn.conv2d
func.func @no_live_tap(%x: tensor<1x1x1x5xf32>, %w: tensor<1x1x3x1xf32>) -> tensor<1x1x1x5xf32> {
  %y = cnn.conv2d %x, %w {dilation = array<i64: 2, 1>, groups = 1 : i64, padding = array<i64: 1, 0, 3, 0>, stride = array<i64: 1, 1>} : (tensor<1x1x1x5xf32>, tensor<1x1x3x1xf32>) -> tensor<1x1x1x5xf32>
  return %y : tensor<1x1x1x5xf32>
}

// Depthwise (groups = channels): the filter's taps trim the same way.
// CHECK-LABEL: func @depthwise(
// CHECK: cnn.slice %arg1 {axis = 2 : i64, end = 2 : i64, start = 1 : i64}
// CHECK: cnn.conv2d {{.*}}groups = 4 : i64, padding = array<i64: 0, 1, 0, 1>
func.func @depthwise(%x: tensor<1x4x1x6xf32>, %w: tensor<4x1x3x3xf32>) -> tensor<1x4x1x6xf32> {
  %y = cnn.conv2d %x, %w {dilation = array<i64: 1, 1>, groups = 4 : i64, padding = array<i64: 1, 1, 1, 1>, stride = array<i64: 1, 1>} : (tensor<1x4x1x6xf32>, tensor<4x1x3x3xf32>) -> tensor<1x4x1x6xf32>
  return %y : tensor<1x4x1x6xf32>
}
