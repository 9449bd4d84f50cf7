// RUN: cnnc-opt %s --cnnc-dynamic-loop-schedule | FileCheck %s
// RUN: cnnc-opt %s --cnnc-dynamic-loop-schedule=schedule=dynamic | FileCheck %s --check-prefix=DYNAMIC
// RUN: not cnnc-opt %s --cnnc-dynamic-loop-schedule=schedule=auto 2>&1 | FileCheck %s --check-prefix=BAD

// A worksharing loop as convert-scf-to-openmp makes it (no schedule) gets
// the guided schedule; one that already has a schedule keeps it.
// CHECK-LABEL: func.func @loops
// CHECK: omp.wsloop schedule(guided) {
// CHECK: omp.wsloop schedule(static) {
// DYNAMIC-LABEL: func.func @loops
// DYNAMIC: omp.wsloop schedule(dynamic) {
// DYNAMIC: omp.wsloop schedule(static) {
// BAD: schedule must be guided, dynamic or static, not 'auto'
func.func @loops(%buf: memref<64xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c64 = arith.constant 64 : index
  %zero = arith.constant 0.0 : f32
  omp.parallel {
    omp.wsloop {
      omp.loop_nest (%i) : index = (%c0) to (%c64) step (%c1) {
        memref.store %zero, %buf[%i] : memref<64xf32>
        omp.yield
      }
    }
    omp.wsloop schedule(static) {
      omp.loop_nest (%i) : index = (%c0) to (%c64) step (%c1) {
        memref.store %zero, %buf[%i] : memref<64xf32>
        omp.yield
      }
    }
    omp.terminator
  }
  return
}
