// RUN: larc-opt %s -larc-print-classification -o /dev/null | FileCheck %s

// Simple GLA: a scalar data-dependent decay. exp(g) * S (a scalar times the
// identity) and diag(exp(g)) S print the same form; a gate a in (0, 1] is the
// same class with the log-decay log(a).

// CHECK-LABEL: rule @simple_gla_scaled_identity
// CHECK-NEXT:    state S [K, V]: 1 sub-step, decay scalar, no probes
// CHECK-NEXT:      step 0: decay scalar, 1 term (direction, data)
// CHECK-NEXT:        log-decay: g
// CHECK-NEXT:        term 0: a = k; x = v; y = 0
// CHECK-NEXT:      readout: q * scale(K)
larc.rule @simple_gla_scaled_identity dims ["K", "V"] {
  %q = larc.input "q" query : !larc.vec<K>
  %k = larc.input "k" key : !larc.vec<K>
  %v = larc.input "v" value : !larc.vec<V>
  %g = larc.input "g" log_gate : !larc.scalar
  %S = larc.state "S" : !larc.state<K, V>
  %eg = larc.exp %g : !larc.scalar
  %I = larc.identity : !larc.mat<K, K>
  %A = larc.mul %eg, %I : !larc.scalar, !larc.mat<K, K>
  %kv = larc.outer %k, %v : !larc.vec<K>, !larc.vec<V>
  larc.recur %S = %A, %kv : !larc.state<K, V>, !larc.mat<K, K>, !larc.mat<K, V>
  %s = larc.scale "K"
  %qs = larc.mul %s, %q : !larc.scalar, !larc.vec<K>
  %o = larc.readout %S, %qs : !larc.state<K, V>, !larc.vec<K> -> !larc.vec<V>
  larc.output "o", %o : !larc.vec<V>
}

// CHECK-LABEL: rule @simple_gla_diag
// CHECK-NEXT:    state S [K, V]: 1 sub-step, decay scalar, no probes
// CHECK-NEXT:      step 0: decay scalar, 1 term (direction, data)
// CHECK-NEXT:        log-decay: g
// CHECK-NEXT:        term 0: a = k; x = v; y = 0
// CHECK-NEXT:      readout: q * scale(K)
larc.rule @simple_gla_diag dims ["K", "V"] {
  %q = larc.input "q" query : !larc.vec<K>
  %k = larc.input "k" key : !larc.vec<K>
  %v = larc.input "v" value : !larc.vec<V>
  %g = larc.input "g" log_gate : !larc.scalar
  %S = larc.state "S" : !larc.state<K, V>
  %eg = larc.exp %g : !larc.scalar
  %D = larc.diag %eg : !larc.scalar -> !larc.mat<K, K>
  %kv = larc.outer %k, %v : !larc.vec<K>, !larc.vec<V>
  larc.recur %S = %D, %kv : !larc.state<K, V>, !larc.mat<K, K>, !larc.mat<K, V>
  %s = larc.scale "K"
  %qs = larc.mul %s, %q : !larc.scalar, !larc.vec<K>
  %o = larc.readout %S, %qs : !larc.state<K, V>, !larc.vec<K> -> !larc.vec<V>
  larc.output "o", %o : !larc.vec<V>
}

// CHECK-LABEL: rule @simple_gla_gate
// CHECK-NEXT:    state S [K, V]: 1 sub-step, decay scalar, no probes
// CHECK-NEXT:      step 0: decay scalar, 1 term (direction, data)
// CHECK-NEXT:        log-decay: log(a)
// CHECK-NEXT:        term 0: a = k; x = v; y = 0
// CHECK-NEXT:      readout: q * scale(K)
larc.rule @simple_gla_gate dims ["K", "V"] {
  %q = larc.input "q" query : !larc.vec<K>
  %k = larc.input "k" key : !larc.vec<K>
  %v = larc.input "v" value : !larc.vec<V>
  %a = larc.input "a" gate : !larc.scalar
  %S = larc.state "S" : !larc.state<K, V>
  %D = larc.diag %a : !larc.scalar -> !larc.mat<K, K>
  %kv = larc.outer %k, %v : !larc.vec<K>, !larc.vec<V>
  larc.recur %S = %D, %kv : !larc.state<K, V>, !larc.mat<K, K>, !larc.mat<K, V>
  %s = larc.scale "K"
  %qs = larc.mul %s, %q : !larc.scalar, !larc.vec<K>
  %o = larc.readout %S, %qs : !larc.state<K, V>, !larc.vec<K> -> !larc.vec<V>
  larc.output "o", %o : !larc.vec<V>
}

// A scalar decay and a constant one multiply: their log-decays add, and the
// rule depends on an input, so the class is scalar.
// CHECK-LABEL: rule @scalar_times_constant
// CHECK-NEXT:    state S [K, V]: 1 sub-step, decay scalar, no probes
// CHECK-NEXT:      step 0: decay scalar, 1 term (direction, data)
// CHECK-NEXT:        log-decay: g + log(0.5)
larc.rule @scalar_times_constant dims ["K", "V"] {
  %q = larc.input "q" query : !larc.vec<K>
  %k = larc.input "k" key : !larc.vec<K>
  %v = larc.input "v" value : !larc.vec<V>
  %g = larc.input "g" log_gate : !larc.scalar
  %S = larc.state "S" : !larc.state<K, V>
  %half = larc.constant 0.5
  %eg = larc.exp %g : !larc.scalar
  %D = larc.diag %eg : !larc.scalar -> !larc.mat<K, K>
  %A = larc.mul %half, %D : !larc.scalar, !larc.mat<K, K>
  %kv = larc.outer %k, %v : !larc.vec<K>, !larc.vec<V>
  larc.recur %S = %A, %kv : !larc.state<K, V>, !larc.mat<K, K>, !larc.mat<K, V>
  %o = larc.readout %S, %q : !larc.state<K, V>, !larc.vec<K> -> !larc.vec<V>
  larc.output "o", %o : !larc.vec<V>
}
