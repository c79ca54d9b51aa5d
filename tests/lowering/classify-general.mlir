// RUN: larc-opt %s -larc-print-classification -o /dev/null | FileCheck %s

// Rules that are none of the standard variants but lie in the algebra: they
// classify with no rule-specific code.

// A vector state with a delta correction, z = z + beta k (1 - z.k): the data
// is the scalar beta, the probe beta k.
// CHECK-LABEL: rule @vector_delta
// CHECK-NEXT:    state z [K]: 1 sub-step, decay none, probes
// CHECK-NEXT:      step 0: decay none, 1 term (direction, data, probe)
// CHECK-NEXT:        term 0: a = k; x = beta; y = beta * k
// CHECK-NEXT:      readout: q
larc.rule @vector_delta dims ["K"] {
  %q = larc.input "q" query : !larc.vec<K>
  %k = larc.input "k" key : !larc.vec<K>
  %beta = larc.input "beta" coefficient : !larc.scalar
  %z = larc.state "z" : !larc.state<K>
  %I = larc.identity : !larc.mat<K, K>
  %one = larc.constant 1.0
  %zk = larc.readout %z, %k prev : !larc.state<K>, !larc.vec<K> -> !larc.scalar
  %err = larc.sub %one, %zk : !larc.scalar, !larc.scalar
  %berr = larc.mul %beta, %err : !larc.scalar, !larc.scalar
  %b = larc.mul %berr, %k : !larc.scalar, !larc.vec<K>
  larc.recur %z = %I, %b : !larc.state<K>, !larc.mat<K, K>, !larc.vec<K>
  %o = larc.readout %z, %q : !larc.state<K>, !larc.vec<K> -> !larc.scalar
  larc.output "o", %o : !larc.scalar
}

// A DPLR factor after a Householder factor, with the update divided by a
// constant and the transition by one too: two sub-steps, the second with two
// terms; 1/2 is a constant decay.
// CHECK-LABEL: rule @dplr_after_householder
// CHECK-NEXT:    state S [K, V]: 2 sub-steps, decay per-key, probes
// CHECK-NEXT:      step 0: decay constant, 1 term (direction, probe)
// CHECK-NEXT:        log-decay: log(0.5)
// CHECK-NEXT:        term 0: a = k; x = 0; y = 0.5 * beta * k
// CHECK-NEXT:      step 1: decay per-key, 2 terms (direction, probe; direction, data)
// CHECK-NEXT:        log-decay: log(w)
// CHECK-NEXT:        term 0: a = alpha; x = 0; y = -b
// CHECK-NEXT:        term 1: a = k; x = 0.5 * v; y = 0
// CHECK-NEXT:      readout: q
larc.rule @dplr_after_householder dims ["K", "V"] {
  %q = larc.input "q" query : !larc.vec<K>
  %k = larc.input "k" key : !larc.vec<K>
  %v = larc.input "v" value : !larc.vec<V>
  %w = larc.input "w" gate : !larc.vec<K>
  %alpha = larc.input "alpha" key : !larc.vec<K>
  %b = larc.input "b" key : !larc.vec<K>
  %beta = larc.input "beta" coefficient : !larc.scalar
  %S = larc.state "S" : !larc.state<K, V>
  %two = larc.constant 2.0
  %D = larc.diag %w : !larc.vec<K> -> !larc.mat<K, K>
  %ab = larc.outer %alpha, %b : !larc.vec<K>, !larc.vec<K>
  %P = larc.add %D, %ab : !larc.mat<K, K>, !larc.mat<K, K>
  %H = larc.householder %beta, %k : !larc.scalar, !larc.vec<K>
  %Hh = larc.div %H, %two : !larc.mat<K, K>, !larc.scalar
  %A = larc.matmul %P, %Hh : !larc.mat<K, K>, !larc.mat<K, K>
  %kv = larc.outer %k, %v : !larc.vec<K>, !larc.vec<V>
  %B = larc.div %kv, %two : !larc.mat<K, V>, !larc.scalar
  larc.recur %S = %A, %B : !larc.state<K, V>, !larc.mat<K, K>, !larc.mat<K, V>
  %o = larc.readout %S, %q : !larc.state<K, V>, !larc.vec<K> -> !larc.vec<V>
  larc.output "o", %o : !larc.vec<V>
}

// S = D (S + k v^T) with D diagonal: a diagonal in front of a term only
// scales it, so this is the one sub-step D S + (D k) v^T, with the scalar
// moved onto the data.
// CHECK-LABEL: rule @write_then_decay
// CHECK-NEXT:    state S [K, V]: 1 sub-step, decay scalar, no probes
// CHECK-NEXT:      step 0: decay scalar, 1 term (direction, data)
// CHECK-NEXT:        log-decay: g
// CHECK-NEXT:        term 0: a = k; x = exp(g) * v; y = 0
// CHECK-NEXT:      readout: q
larc.rule @write_then_decay dims ["K", "V"] {
  %q = larc.input "q" query : !larc.vec<K>
  %k = larc.input "k" key : !larc.vec<K>
  %v = larc.input "v" value : !larc.vec<V>
  %g = larc.input "g" log_gate : !larc.scalar
  %S = larc.state "S" : !larc.state<K, V>
  %eg = larc.exp %g : !larc.scalar
  %D = larc.diag %eg : !larc.scalar -> !larc.mat<K, K>
  %kv = larc.outer %k, %v : !larc.vec<K>, !larc.vec<V>
  %B = larc.matmul %D, %kv : !larc.mat<K, K>, !larc.mat<K, V>
  larc.recur %S = %D, %B : !larc.state<K, V>, !larc.mat<K, K>, !larc.mat<K, V>
  %o = larc.readout %S, %q : !larc.state<K, V>, !larc.vec<K> -> !larc.vec<V>
  larc.output "o", %o : !larc.vec<V>
}
