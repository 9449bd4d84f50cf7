// RUN: cnnc-opt %s --split-input-file --cnnc-prefetch-epilogue-reads | FileCheck %s

// A register block of 14 pixels x 32 channels whose epilogue adds the
// residual: the residual tile's 28 lines (14 rows of two 64-byte lines) are
// prefetched before the reduction loop, the second line of each row 16
// floats on.
// CHECK-LABEL: func.func @residual_epilogue
// CHECK: memref.prefetch %[[RES:.*]][%[[N:.*]], %[[H:.*]], %[[W:.*]], %[[C:.*]]], read, locality<3>, data
// CHECK: %[[C16:.*]] = arith.addi %[[C]], %{{.*}} : index
// CHECK: memref.prefetch %[[RES]][%[[N]], %[[H]], %[[W]], %[[C16]]], read, locality<3>, data
// CHECK-COUNT-26: memref.prefetch %[[RES]]
// CHECK-NOT: memref.prefetch
// CHECK: scf.for
// CHECK-NOT: memref.prefetch
// CHECK: return
module attributes {codegen.target = #codegen.cpu_target<cpu = "znver5", vector_bits = 512, vector_registers = 32, isa = "avx,avx2,fma,avx512f", fma_per_cycle = 2, fma_latency = 4, l1d_bytes = 49152, l1d_ways = 12, cache_line_bytes = 64, l2_bytes = 1048576, l3_bytes = 33554432, l3_bytes_per_cycle = 32, cache_source = "table", cores = 0>} {
  func.func @residual_epilogue(%in: memref<8x56x56x64xf32>, %filter: memref<64x32xf32>,
                               %res: memref<8x56x56x256xf32>, %n: index, %h: index, %w: index, %c: index) {
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %c64 = arith.constant 64 : index
    %zero = arith.constant 0.0 : f32
    %init = arith.constant dense<0.0> : vector<1x14x32xf32>
    %acc = scf.for %k = %c0 to %c64 step %c1 iter_args(%a = %init) -> (vector<1x14x32xf32>) {
      %x = vector.transfer_read %in[%n, %h, %w, %k], %zero {in_bounds = [true, true, true]} : memref<8x56x56x64xf32>, vector<1x14x1xf32>
      %f = vector.transfer_read %filter[%k, %c0], %zero {in_bounds = [true, true]} : memref<64x32xf32>, vector<1x32xf32>
      %s = vector.contract {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d1, d3)>, affine_map<(d0, d1, d2, d3) -> (d3, d2)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>], iterator_types = ["parallel", "parallel", "parallel", "reduction"], kind = #vector.kind<add>} %x, %f, %a : vector<1x14x1xf32>, vector<1x32xf32> into vector<1x14x32xf32>
      scf.yield %s : vector<1x14x32xf32>
    }
    %r = vector.transfer_read %res[%n, %h, %w, %c], %zero {in_bounds = [true, true, true]} : memref<8x56x56x256xf32>, vector<1x14x32xf32>
    %sum = arith.addf %acc, %r : vector<1x14x32xf32>
    vector.transfer_write %sum, %res[%n, %h, %w, %c] {in_bounds = [true, true, true]} : vector<1x14x32xf32>, memref<8x56x56x256xf32>
    return
  }

  // The reduction writes the memref the epilogue reads, and a read's index
  // is computed after the loop: neither is prefetched.
  // CHECK-LABEL: func.func @not_prefetched
  // CHECK-NOT: memref.prefetch
  // CHECK: return
  func.func @not_prefetched(%buf: memref<64x32xf32>, %other: memref<64x32xf32>) {
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %c64 = arith.constant 64 : index
    %zero = arith.constant 0.0 : f32
    %init = arith.constant dense<0.0> : vector<32xf32>
    %acc = scf.for %k = %c0 to %c64 step %c1 iter_args(%a = %init) -> (vector<32xf32>) {
      %v = vector.transfer_read %buf[%k, %c0], %zero {in_bounds = [true]} : memref<64x32xf32>, vector<32xf32>
      vector.transfer_write %a, %buf[%k, %c0] {in_bounds = [true]} : vector<32xf32>, memref<64x32xf32>
      %s = arith.addf %a, %v : vector<32xf32>
      scf.yield %s : vector<32xf32>
    }
    %r = vector.transfer_read %buf[%c0, %c0], %zero {in_bounds = [true]} : memref<64x32xf32>, vector<32xf32>
    %i = arith.addi %c0, %c1 : index
    %o = vector.transfer_read %other[%i, %c0], %zero {in_bounds = [true]} : memref<64x32xf32>, vector<32xf32>
    %sum = arith.addf %acc, %r : vector<32xf32>
    %sum2 = arith.addf %sum, %o : vector<32xf32>
    vector.transfer_write %sum2, %other[%c0, %c0] {in_bounds = [true]} : vector<32xf32>, memref<64x32xf32>
    return
  }
}

// -----

// Without a CPU target description (no cache line size) nothing changes.
// CHECK-LABEL: func.func @no_target
// CHECK-NOT: memref.prefetch
func.func @no_target(%res: memref<64x32xf32>) -> vector<32xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c64 = arith.constant 64 : index
  %zero = arith.constant 0.0 : f32
  %init = arith.constant dense<0.0> : vector<32xf32>
  %acc = scf.for %k = %c0 to %c64 step %c1 iter_args(%a = %init) -> (vector<32xf32>) {
    scf.yield %a : vector<32xf32>
  }
  %r = vector.transfer_read %res[%c0, %c0], %zero {in_bounds = [true]} : memref<64x32xf32>, vector<32xf32>
  %sum = arith.addf %acc, %r : vector<32xf32>
  return %sum : vector<32xf32>
}
