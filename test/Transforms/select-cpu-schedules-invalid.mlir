// Without a target, selection refuses rather than guess an ISA.
// RUN: cnnc-opt %s --cnnc-select-cpu-schedules --verify-diagnostics

// expected-error @+1 {{cnnc-select-cpu-schedules needs the module attribute codegen.target}}
module {
  func.func @f() {
    return
  }
}
