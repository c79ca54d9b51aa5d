// RUN: not larc-opt %s -larc-derive-chunk-form="chunk-size=48" 2>&1 | FileCheck %s --check-prefix=SIZE
// RUN: not larc-opt %s -larc-derive-chunk-form="dtype=bf16" 2>&1 | FileCheck %s --check-prefix=DTYPE
// RUN: larc-opt %s -split-input-file -verify-diagnostics -larc-derive-chunk-form

// SIZE: error: chunk-size must be 16, 32, 64 or 128, not 48
// DTYPE: error: dtype must be f64 or f32, not bf16

// A rule outside the supported algebra is refused with the classification's
// diagnostic; nothing is derived.
larc.rule @nonlinear dims ["K", "V"] {
  %q = larc.input "q" query : !larc.vec<K>
  %k = larc.input "k" key : !larc.vec<K>
  %v = larc.input "v" value : !larc.vec<V>
  %S = larc.state "S" : !larc.state<K, V>
  %p = larc.readout %S, %k prev : !larc.state<K, V>, !larc.vec<K> -> !larc.vec<V>
  // expected-error @+1 {{not linear in the previous state}}
  %e = larc.exp %p : !larc.vec<V>
  %B = larc.outer %k, %e : !larc.vec<K>, !larc.vec<V>
  %I = larc.identity : !larc.mat<K, K>
  larc.recur %S = %I, %B : !larc.state<K, V>, !larc.mat<K, K>, !larc.mat<K, V>
  %o = larc.readout %S, %q : !larc.state<K, V>, !larc.vec<K> -> !larc.vec<V>
  larc.output "o", %o : !larc.vec<V>
}
