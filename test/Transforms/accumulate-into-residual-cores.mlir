// cnnc-accumulate-into-residual groups a filter-block chain that its
// schedules left as a forall per block (max-grouped-register-blocks=1
// here) before writing it into the residual, but not where the host has
// more cores than the chain has blocks: a forall over two blocks would
// leave the other cores idle, so that chain keeps its blocks and a fresh
// tensor. The target (with the host's cores) is the module's own here.
// RUN: cnnc-opt %s --split-input-file --cnnc-fuse-conv-epilogues --cnnc-select-cpu-schedules=max-grouped-register-blocks=1 --cnnc-accumulate-into-residual | FileCheck %s

#id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#ch = affine_map<(d0, d1, d2, d3) -> (d3)>

// Two cores, two blocks: grouped, in place.
// CHECK-LABEL: func.func @two_cores
// CHECK: linalg.conv_2d_nhwc_hwcf {cnn.fused_epilogue{{.*}}group_chain = true>
// CHECK: tensor.insert_slice {{.*}} {cnn.chain_start}
// CHECK: linalg.conv_2d_nhwc_hwcf {cnn.fused_epilogue{{.*}}group_chain = true>
module attributes {codegen.target = #codegen.cpu_target<cpu = "znver5", vector_bits = 512, vector_registers = 32, isa = "avx,avx2,fma,avx512f,avx512bw,avx512vl,avx512dq", fma_per_cycle = 2, fma_latency = 4, l1d_bytes = 49152, l1d_ways = 12, cache_line_bytes = 64, l2_bytes = 1048576, l3_bytes = 33554432, l3_bytes_per_cycle = 32, cache_source = "host", cores = 2>} {
  func.func @two_cores(%x: tensor<1x9x9x32xf32>, %w0: tensor<3x3x32x64xf32>, %w1: tensor<3x3x32x64xf32>, %bias: tensor<128xf32>, %skip: tensor<1x7x7x128xf32>) -> tensor<1x7x7x128xf32> {
    %zero = arith.constant 0.0 : f32
    %e = tensor.empty() : tensor<1x7x7x128xf32>
    %res = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
       ins(%skip : tensor<1x7x7x128xf32>) outs(%e : tensor<1x7x7x128xf32>) {
    ^bb0(%in: f32, %out: f32):
      %m = arith.maximumf %in, %zero : f32
      linalg.yield %m : f32
    } -> tensor<1x7x7x128xf32>
    %acc = linalg.generic {indexing_maps = [#ch, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
       ins(%bias : tensor<128xf32>) outs(%e : tensor<1x7x7x128xf32>) {
    ^bb0(%in: f32, %out: f32):
      linalg.yield %in : f32
    } -> tensor<1x7x7x128xf32>
    %a0 = tensor.extract_slice %acc[0, 0, 0, 0] [1, 7, 7, 64] [1, 1, 1, 1] : tensor<1x7x7x128xf32> to tensor<1x7x7x64xf32>
    %y0 = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
       ins(%x, %w0 : tensor<1x9x9x32xf32>, tensor<3x3x32x64xf32>) outs(%a0 : tensor<1x7x7x64xf32>) -> tensor<1x7x7x64xf32>
    %r0 = tensor.insert_slice %y0 into %acc[0, 0, 0, 0] [1, 7, 7, 64] [1, 1, 1, 1] : tensor<1x7x7x64xf32> into tensor<1x7x7x128xf32>
    %a1 = tensor.extract_slice %r0[0, 0, 0, 64] [1, 7, 7, 64] [1, 1, 1, 1] : tensor<1x7x7x128xf32> to tensor<1x7x7x64xf32>
    %y1 = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
       ins(%x, %w1 : tensor<1x9x9x32xf32>, tensor<3x3x32x64xf32>) outs(%a1 : tensor<1x7x7x64xf32>) -> tensor<1x7x7x64xf32>
    %r1 = tensor.insert_slice %y1 into %r0[0, 0, 0, 64] [1, 7, 7, 64] [1, 1, 1, 1] : tensor<1x7x7x64xf32> into tensor<1x7x7x128xf32>
    %sum = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
       ins(%r1, %res : tensor<1x7x7x128xf32>, tensor<1x7x7x128xf32>) outs(%e : tensor<1x7x7x128xf32>) {
    ^bb0(%a: f32, %c: f32, %out: f32):
      %s = arith.addf %a, %c : f32
      linalg.yield %s : f32
    } -> tensor<1x7x7x128xf32>
    %final = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
       ins(%sum : tensor<1x7x7x128xf32>) outs(%e : tensor<1x7x7x128xf32>) {
    ^bb0(%in: f32, %out: f32):
      %m = arith.maximumf %in, %zero : f32
      linalg.yield %m : f32
    } -> tensor<1x7x7x128xf32>
    return %final : tensor<1x7x7x128xf32>
  }
}

// -----

#id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#ch = affine_map<(d0, d1, d2, d3) -> (d3)>

// Four cores, two blocks: as selected, and no chain start.
// CHECK-LABEL: func.func @four_cores
// CHECK-NOT: group_chain = true
// CHECK-NOT: cnn.chain_start
// CHECK: return
module attributes {codegen.target = #codegen.cpu_target<cpu = "znver5", vector_bits = 512, vector_registers = 32, isa = "avx,avx2,fma,avx512f,avx512bw,avx512vl,avx512dq", fma_per_cycle = 2, fma_latency = 4, l1d_bytes = 49152, l1d_ways = 12, cache_line_bytes = 64, l2_bytes = 1048576, l3_bytes = 33554432, l3_bytes_per_cycle = 32, cache_source = "host", cores = 4>} {
  func.func @four_cores(%x: tensor<1x9x9x32xf32>, %w0: tensor<3x3x32x64xf32>, %w1: tensor<3x3x32x64xf32>, %bias: tensor<128xf32>, %skip: tensor<1x7x7x128xf32>) -> tensor<1x7x7x128xf32> {
    %zero = arith.constant 0.0 : f32
    %e = tensor.empty() : tensor<1x7x7x128xf32>
    %res = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
       ins(%skip : tensor<1x7x7x128xf32>) outs(%e : tensor<1x7x7x128xf32>) {
    ^bb0(%in: f32, %out: f32):
      %m = arith.maximumf %in, %zero : f32
      linalg.yield %m : f32
    } -> tensor<1x7x7x128xf32>
    %acc = linalg.generic {indexing_maps = [#ch, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
       ins(%bias : tensor<128xf32>) outs(%e : tensor<1x7x7x128xf32>) {
    ^bb0(%in: f32, %out: f32):
      linalg.yield %in : f32
    } -> tensor<1x7x7x128xf32>
    %a0 = tensor.extract_slice %acc[0, 0, 0, 0] [1, 7, 7, 64] [1, 1, 1, 1] : tensor<1x7x7x128xf32> to tensor<1x7x7x64xf32>
    %y0 = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
       ins(%x, %w0 : tensor<1x9x9x32xf32>, tensor<3x3x32x64xf32>) outs(%a0 : tensor<1x7x7x64xf32>) -> tensor<1x7x7x64xf32>
    %r0 = tensor.insert_slice %y0 into %acc[0, 0, 0, 0] [1, 7, 7, 64] [1, 1, 1, 1] : tensor<1x7x7x64xf32> into tensor<1x7x7x128xf32>
    %a1 = tensor.extract_slice %r0[0, 0, 0, 64] [1, 7, 7, 64] [1, 1, 1, 1] : tensor<1x7x7x128xf32> to tensor<1x7x7x64xf32>
    %y1 = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
       ins(%x, %w1 : tensor<1x9x9x32xf32>, tensor<3x3x32x64xf32>) outs(%a1 : tensor<1x7x7x64xf32>) -> tensor<1x7x7x64xf32>
    %r1 = tensor.insert_slice %y1 into %r0[0, 0, 0, 64] [1, 7, 7, 64] [1, 1, 1, 1] : tensor<1x7x7x64xf32> into tensor<1x7x7x128xf32>
    %sum = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
       ins(%r1, %res : tensor<1x7x7x128xf32>, tensor<1x7x7x128xf32>) outs(%e : tensor<1x7x7x128xf32>) {
    ^bb0(%a: f32, %c: f32, %out: f32):
      %s = arith.addf %a, %c : f32
      linalg.yield %s : f32
    } -> tensor<1x7x7x128xf32>
    %final = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
       ins(%sum : tensor<1x7x7x128xf32>) outs(%e : tensor<1x7x7x128xf32>) {
    ^bb0(%in: f32, %out: f32):
      %m = arith.maximumf %in, %zero : f32
      linalg.yield %m : f32
    } -> tensor<1x7x7x128xf32>
    return %final : tensor<1x7x7x128xf32>
  }
}
