// The description a named CPU gets, the same on every host: LLVM's vector
// width and register count (TargetTransformInfo), its ISA, and the table's
// caches and FMA rate (docs/target.md).
// RUN: cnnc-opt %s --cnnc-attach-target=cpu=x86-64-v3 | FileCheck %s --check-prefix=V3
// RUN: cnnc-opt %s --cnnc-attach-target=cpu=znver3 | FileCheck %s --check-prefix=ZEN3
// RUN: cnnc-opt %s --cnnc-attach-target=cpu=znver4 | FileCheck %s --check-prefix=ZEN4
// RUN: cnnc-opt %s --cnnc-attach-target=cpu=znver5 | FileCheck %s --check-prefix=ZEN5
// RUN: cnnc-opt %s --cnnc-attach-target=cpu=skylake-avx512 | FileCheck %s --check-prefix=SKX
// RUN: cnnc-opt %s --cnnc-attach-target=cpu=sapphirerapids | FileCheck %s --check-prefix=SPR
// RUN: not cnnc-opt %s --cnnc-attach-target=cpu=no-such-cpu 2>&1 | FileCheck %s --check-prefix=BAD

// V3: codegen.target = #codegen.cpu_target<cpu = "x86-64-v3", vector_bits = 256, vector_registers = 16, isa = "avx,avx2,fma", fma_per_cycle = 2, fma_latency = 4, l1d_bytes = 32768, l1d_ways = 8, cache_line_bytes = 64, l2_bytes = 524288, l3_bytes = 16777216, l3_bytes_per_cycle = 16, cache_source = "default", cores = 0>
// ZEN3: #codegen.cpu_target<cpu = "znver3", vector_bits = 256, vector_registers = 16, isa = "avx,avx2,fma", fma_per_cycle = 2, fma_latency = 4, l1d_bytes = 32768, l1d_ways = 8, cache_line_bytes = 64, l2_bytes = 524288, l3_bytes = 33554432, l3_bytes_per_cycle = 32, cache_source = "table", cores = 0>
// Zen 4: 32 registers of 512 bits, one 512-bit FMA per cycle (two 256-bit halves).
// ZEN4: #codegen.cpu_target<cpu = "znver4", vector_bits = 512, vector_registers = 32, isa = "avx,avx2,fma,avx512f,avx512bw,avx512vl,avx512dq,avx512vnni,avx512bf16", fma_per_cycle = 1, fma_latency = 4, l1d_bytes = 32768, l1d_ways = 8, cache_line_bytes = 64, l2_bytes = 1048576,
// ZEN5: #codegen.cpu_target<cpu = "znver5", vector_bits = 512, vector_registers = 32, {{.*}}fma_per_cycle = 2, fma_latency = 4, l1d_bytes = 49152, l1d_ways = 12, cache_line_bytes = 64, l2_bytes = 1048576, l3_bytes = 33554432, l3_bytes_per_cycle = 32, cache_source = "table", cores = 0>
// Intel's AVX-512 parts: LLVM's tuning prefers 256-bit vectors there; cnnc
// drops that preference and takes 512 bits, with 32 registers.
// SKX: #codegen.cpu_target<cpu = "skylake-avx512", vector_bits = 512, vector_registers = 32,
// SPR: #codegen.cpu_target<cpu = "sapphirerapids", vector_bits = 512, vector_registers = 32, {{.*}}fma_per_cycle = 2, fma_latency = 4, l1d_bytes = 49152, l1d_ways = 12, cache_line_bytes = 64, l2_bytes = 2097152,
// BAD: cnnc: error: unknown -mcpu 'no-such-cpu' for x86_64
module {}
