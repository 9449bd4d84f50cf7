// RUN: cnnc-opt %s --cnnc-plan-memory -verify-diagnostics

func.func @dynamic(%n: index) {
  // expected-error @+1 {{cnnc-plan-memory: needs a static, identity-layout buffer}}
  %a = memref.alloc(%n) : memref<?xf32>
  return
}
