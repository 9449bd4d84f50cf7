// RUN: cnnc-opt %s --split-input-file --cnnc-distribute-parallel-loops | FileCheck %s --check-prefix=STATIC
// RUN: cnnc-opt %s --split-input-file --cnnc-distribute-parallel-loops="schedule=dynamic chunk=1" | FileCheck %s --check-prefix=DYNAMIC
// RUN: cnnc-opt %s --split-input-file --cnnc-distribute-parallel-loops="schedule=guided chunk=0" | FileCheck %s --check-prefix=GUIDED
// RUN: not cnnc-opt %s --split-input-file --cnnc-distribute-parallel-loops="schedule=fair" 2>&1 | FileCheck %s --check-prefix=BAD

// Every omp.wsloop gets the clause; static without a chunk is OpenMP's
// default and leaves the loops as they are.

// STATIC-LABEL: func.func @two_loops
// STATIC-NOT: schedule
// DYNAMIC-LABEL: func.func @two_loops
// DYNAMIC: %[[CHUNK:.*]] = arith.constant 1 : i32
// DYNAMIC-NEXT: omp.wsloop schedule(dynamic = %[[CHUNK]] : i32)
// DYNAMIC: %[[CHUNK2:.*]] = arith.constant 1 : i32
// DYNAMIC-NEXT: omp.wsloop schedule(dynamic = %[[CHUNK2]] : i32)
// GUIDED-LABEL: func.func @two_loops
// GUIDED-NOT: arith.constant {{.*}} : i32
// GUIDED: omp.wsloop schedule(guided)
// GUIDED: omp.wsloop schedule(guided)
// BAD: error: cnnc-distribute-parallel-loops: schedule must be static, dynamic or guided and chunk >= 0, got 'fair', 0
func.func @two_loops(%n: index, %m: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  omp.parallel {
    omp.wsloop {
      omp.loop_nest (%i) : index = (%c0) to (%n) step (%c1) {
        omp.yield
      }
    }
    omp.terminator
  }
  omp.parallel {
    omp.wsloop {
      omp.loop_nest (%i, %j) : index = (%c0, %c0) to (%n, %m) step (%c1, %c1) {
        omp.yield
      }
    }
    omp.terminator
  }
  return
}
