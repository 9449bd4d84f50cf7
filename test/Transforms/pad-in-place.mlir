// RUN: cnnc-opt %s --cnnc-pad-in-place | FileCheck %s
// RUN: cnnc-opt %s --cnnc-pad-in-place --eliminate-empty-tensors --canonicalize | FileCheck %s --check-prefix=INPLACE
// RUN: cnnc-opt %s --cnnc-pad-in-place=border-only=false | FileCheck %s --check-prefix=WHOLE
// RUN: cnnc-opt %s --cnnc-pad-in-place --eliminate-empty-tensors --one-shot-bufferize=bufferize-function-boundaries --cse --canonicalize --cse | FileCheck %s --check-prefix=BUF

// A relu feeding a 3x3 conv's zero padding. The pad becomes an empty
// padded tensor whose border only is filled, one slab per side (top and
// bottom rows in full, then the left and right columns of the interior
// rows), and an insert_slice of the relu into its interior. The border is
// built before the relu, so that the relu can be handed the interior.
// CHECK-LABEL: func.func @relu_then_pad
// CHECK-NOT: tensor.pad
// CHECK: %[[E:.*]] = tensor.empty() : tensor<1x6x6x8xf32>
// CHECK: %[[TOP:.*]] = tensor.extract_slice %[[E]][0, 0, 0, 0] [1, 1, 6, 8]
// CHECK: %[[FTOP:.*]] = linalg.fill {{.*}} outs(%[[TOP]] : tensor<1x1x6x8xf32>)
// CHECK: %[[P1:.*]] = tensor.insert_slice %[[FTOP]] into %[[E]][0, 0, 0, 0] [1, 1, 6, 8]
// CHECK: tensor.extract_slice %[[P1]][0, 5, 0, 0] [1, 1, 6, 8]
// CHECK: %[[P2:.*]] = tensor.insert_slice %{{.*}} into %[[P1]][0, 5, 0, 0] [1, 1, 6, 8]
// CHECK: tensor.extract_slice %[[P2]][0, 1, 0, 0] [1, 4, 1, 8]
// CHECK: %[[P3:.*]] = tensor.insert_slice %{{.*}} into %[[P2]][0, 1, 0, 0] [1, 4, 1, 8]
// CHECK: tensor.extract_slice %[[P3]][0, 1, 5, 0] [1, 4, 1, 8]
// CHECK: %[[P4:.*]] = tensor.insert_slice %{{.*}} into %[[P3]][0, 1, 5, 0] [1, 4, 1, 8]
// CHECK: %[[RELU:.*]] = linalg.generic
// CHECK: tensor.insert_slice %[[RELU]] into %[[P4]][0, 1, 1, 0] [1, 4, 4, 8] [1, 1, 1, 1]
// CHECK-NOT: linalg.fill
// With eliminate-empty-tensors, the relu writes into the interior of the
// padded tensor (its init is a slice of it), so bufferization needs no
// copy; after bufferization only the border is filled.
// INPLACE-LABEL: func.func @relu_then_pad
// INPLACE: %[[P4:.*]] = tensor.insert_slice %{{.*}}[0, 1, 5, 0] [1, 4, 1, 8]
// INPLACE: %[[INTERIOR:.*]] = tensor.extract_slice %[[P4]][0, 1, 1, 0] [1, 4, 4, 8] [1, 1, 1, 1]
// INPLACE: %[[RELU:.*]] = linalg.generic {{.*}} outs(%[[INTERIOR]] : tensor<1x4x4x8xf32>)
// INPLACE: tensor.insert_slice %[[RELU]] into %[[P4]][0, 1, 1, 0]
// BUF-LABEL: func.func @relu_then_pad
// BUF: %[[ALLOC:.*]] = memref.alloc() {{.*}} : memref<1x6x6x8xf32>
// BUF-COUNT-4: linalg.fill ins(%{{.*}} : f32) outs(%{{.*}} : memref<1x{{1x6|4x1}}x8xf32
// BUF-NOT: memref.copy
// BUF-NOT: linalg.fill
// BUF: return %[[ALLOC]]
// With border-only=false (the GPU pipeline's choice: one fill kernel per
// pad) the whole padded tensor is filled, then the source inserted.
// WHOLE-LABEL: func.func @relu_then_pad
// WHOLE: %[[FILL:.*]] = linalg.fill {{.*}} -> tensor<1x6x6x8xf32>
// WHOLE: tensor.insert_slice %{{.*}} into %[[FILL]][0, 1, 1, 0] [1, 4, 4, 8] [1, 1, 1, 1]
func.func @relu_then_pad(%x: tensor<1x4x4x8xf32>) -> tensor<1x6x6x8xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x4x4x8xf32>
  %r = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%x : tensor<1x4x4x8xf32>) outs(%e : tensor<1x4x4x8xf32>) {
  ^bb0(%in: f32, %out: f32):
    %m = arith.maximumf %in, %zero : f32
    linalg.yield %m : f32
  } -> tensor<1x4x4x8xf32>
  %p = tensor.pad %r low[0, 1, 1, 0] high[0, 1, 1, 0] {
  ^bb0(%a: index, %b: index, %c: index, %d: index):
    tensor.yield %zero : f32
  } : tensor<1x4x4x8xf32> to tensor<1x6x6x8xf32>
  return %p : tensor<1x6x6x8xf32>
}

// A max pool's padding: the fill takes the pad's value (-inf), and a side
// without padding gets no slab (here only the low sides are padded).
// CHECK-LABEL: func.func @neg_inf_low_only
// CHECK: %[[NEGINF:.*]] = arith.constant 0xFF800000 : f32
// CHECK: tensor.empty() : tensor<1x5x5x8xf32>
// CHECK: linalg.fill ins(%[[NEGINF]] : f32) outs(%{{.*}} : tensor<1x1x5x8xf32>)
// CHECK: linalg.fill ins(%[[NEGINF]] : f32) outs(%{{.*}} : tensor<1x4x1x8xf32>)
// CHECK-NOT: linalg.fill
// CHECK: tensor.insert_slice %{{.*}}[0, 1, 1, 0] [1, 4, 4, 8] [1, 1, 1, 1]
func.func @neg_inf_low_only(%x: tensor<1x4x4x8xf32>) -> tensor<1x5x5x8xf32> {
  %ninf = arith.constant 0xFF800000 : f32
  %p = tensor.pad %x low[0, 1, 1, 0] high[0, 0, 0, 0] {
  ^bb0(%a: index, %b: index, %c: index, %d: index):
    tensor.yield %ninf : f32
  } : tensor<1x4x4x8xf32> to tensor<1x5x5x8xf32>
  return %p : tensor<1x5x5x8xf32>
}

// A border of three quarters of the tensor or more (a 1x1 filter's gradient
// padded back to its 3x3 taps): one fill of the whole tensor, whose slabs
// would be runs of 3 floats every 9, then the source inserted.
// CHECK-LABEL: func.func @taps_around_center
// CHECK: %[[E:.*]] = tensor.empty() : tensor<8x4x3x3xf32>
// CHECK: %[[FILL:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%[[E]] : tensor<8x4x3x3xf32>)
// CHECK-NOT: linalg.fill
// CHECK: tensor.insert_slice %{{.*}} into %[[FILL]][0, 0, 1, 1] [8, 4, 1, 1] [1, 1, 1, 1]
func.func @taps_around_center(%g: tensor<8x4x1x1xf32>) -> tensor<8x4x3x3xf32> {
  %zero = arith.constant 0.0 : f32
  %p = tensor.pad %g low[0, 0, 1, 1] high[0, 0, 1, 1] {
  ^bb0(%a: index, %b: index, %c: index, %d: index):
    tensor.yield %zero : f32
  } : tensor<8x4x1x1xf32> to tensor<8x4x3x3xf32>
  return %p : tensor<8x4x3x3xf32>
}

// A residual block: the block input %r is padded for a 3x3 conv and the
// conv's sum with %r is computed over %r (its init), then padded again.
// The second pad reuses the first padded tensor: its border is already
// filled, and the sum is inserted where %r was. %r's readers after its pad
// read the padded tensor's interior (equal contents), so bufferization
// writes the relu, and then the sum over it, inside one padded buffer:
// one allocation, four border fills, no copy.
// CHECK-LABEL: func.func @residual_block_reuses_padded_input
// CHECK-COUNT-1: tensor.empty() : tensor<1x6x6x8xf32>
// CHECK: %[[P0:.*]] = tensor.insert_slice %{{.*}} into %{{.*}}[0, 1, 1, 0] [1, 4, 4, 8] [1, 1, 1, 1]
// CHECK: %[[R:.*]] = tensor.extract_slice %[[P0]][0, 1, 1, 0] [1, 4, 4, 8] [1, 1, 1, 1]
// CHECK: %[[CONV:.*]] = linalg.conv_2d_nhwc_hwcf {{.*}} ins(%[[P0]], %{{.*}} :
// CHECK: %[[SUM:.*]] = linalg.generic {{.*}} ins(%[[CONV]] : tensor<1x4x4x8xf32>) outs(%[[R]] : tensor<1x4x4x8xf32>)
// CHECK-NOT: tensor.empty
// CHECK: %[[P1:.*]] = tensor.insert_slice %[[SUM]] into %[[P0]][0, 1, 1, 0] [1, 4, 4, 8] [1, 1, 1, 1]
// CHECK: return %[[P1]]
// BUF-LABEL: func.func @residual_block_reuses_padded_input
// BUF-COUNT-1: memref.alloc() {{.*}} : memref<1x6x6x8xf32>
// BUF-NOT: memref.alloc() {{.*}} : memref<1x6x6x8xf32>
// BUF-NOT: memref.copy
// BUF: return
func.func @residual_block_reuses_padded_input(%x: tensor<1x4x4x8xf32>, %w: tensor<3x3x8x8xf32>) -> tensor<1x6x6x8xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x4x4x8xf32>
  %r = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%x : tensor<1x4x4x8xf32>) outs(%e : tensor<1x4x4x8xf32>) {
  ^bb0(%in: f32, %out: f32):
    %m = arith.maximumf %in, %zero : f32
    linalg.yield %m : f32
  } -> tensor<1x4x4x8xf32>
  %p0 = tensor.pad %r low[0, 1, 1, 0] high[0, 1, 1, 0] {
  ^bb0(%a: index, %b: index, %c: index, %d: index):
    tensor.yield %zero : f32
  } : tensor<1x4x4x8xf32> to tensor<1x6x6x8xf32>
  %acc = tensor.empty() : tensor<1x4x4x8xf32>
  %accz = linalg.fill ins(%zero : f32) outs(%acc : tensor<1x4x4x8xf32>) -> tensor<1x4x4x8xf32>
  %conv = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%p0, %w : tensor<1x6x6x8xf32>, tensor<3x3x8x8xf32>) outs(%accz : tensor<1x4x4x8xf32>) -> tensor<1x4x4x8xf32>
  %sum = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%conv : tensor<1x4x4x8xf32>) outs(%r : tensor<1x4x4x8xf32>) {
  ^bb0(%in: f32, %out: f32):
    %s = arith.addf %in, %out : f32
    linalg.yield %s : f32
  } -> tensor<1x4x4x8xf32>
  %p1 = tensor.pad %sum low[0, 1, 1, 0] high[0, 1, 1, 0] {
  ^bb0(%a: index, %b: index, %c: index, %d: index):
    tensor.yield %zero : f32
  } : tensor<1x4x4x8xf32> to tensor<1x6x6x8xf32>
  return %p1 : tensor<1x6x6x8xf32>
}

// The first padded tensor is still read after the second pad (returned):
// the second pad gets a padded tensor of its own.
// CHECK-LABEL: func.func @padded_input_read_later
// CHECK-COUNT-2: tensor.empty() : tensor<1x6x6x8xf32>
func.func @padded_input_read_later(%x: tensor<1x4x4x8xf32>) -> (tensor<1x6x6x8xf32>, tensor<1x6x6x8xf32>) {
  %zero = arith.constant 0.0 : f32
  %p0 = tensor.pad %x low[0, 1, 1, 0] high[0, 1, 1, 0] {
  ^bb0(%a: index, %b: index, %c: index, %d: index):
    tensor.yield %zero : f32
  } : tensor<1x4x4x8xf32> to tensor<1x6x6x8xf32>
  %sum = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      outs(%x : tensor<1x4x4x8xf32>) {
  ^bb0(%out: f32):
    %s = arith.addf %out, %out : f32
    linalg.yield %s : f32
  } -> tensor<1x4x4x8xf32>
  %p1 = tensor.pad %sum low[0, 1, 1, 0] high[0, 1, 1, 0] {
  ^bb0(%a: index, %b: index, %c: index, %d: index):
    tensor.yield %zero : f32
  } : tensor<1x4x4x8xf32> to tensor<1x6x6x8xf32>
  return %p0, %p1 : tensor<1x6x6x8xf32>, tensor<1x6x6x8xf32>
}
