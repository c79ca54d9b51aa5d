// RUN: larc-opt %s -larc-print-classification -o /dev/null | FileCheck %s

// DPLR (RWKV-7 style), S = (diag(w) + alpha b^T) S + k v^T: two terms, one
// that only probes the state (a = alpha, x = 0, y = -b: the sign convention
// is D - sum a y^T) and one that only writes (a = k, x = v, y = 0). The
// operands of the sum in either order print the same form.

// CHECK-LABEL: rule @dplr
// CHECK-NEXT:    state S [K, V]: 1 sub-step, decay per-key, probes
// CHECK-NEXT:      step 0: decay per-key, 2 terms (direction, probe; direction, data)
// CHECK-NEXT:        log-decay: log(w)
// CHECK-NEXT:        term 0: a = alpha; x = 0; y = -b
// CHECK-NEXT:        term 1: a = k; x = v; y = 0
// CHECK-NEXT:      readout: q
larc.rule @dplr dims ["K", "V"] {
  %q = larc.input "q" query : !larc.vec<K>
  %k = larc.input "k" key : !larc.vec<K>
  %v = larc.input "v" value : !larc.vec<V>
  %w = larc.input "w" gate : !larc.vec<K>
  %alpha = larc.input "alpha" key : !larc.vec<K>
  %b = larc.input "b" key : !larc.vec<K>
  %S = larc.state "S" : !larc.state<K, V>
  %D = larc.diag %w : !larc.vec<K> -> !larc.mat<K, K>
  %ab = larc.outer %alpha, %b : !larc.vec<K>, !larc.vec<K>
  %A = larc.add %D, %ab : !larc.mat<K, K>, !larc.mat<K, K>
  %kv = larc.outer %k, %v : !larc.vec<K>, !larc.vec<V>
  larc.recur %S = %A, %kv : !larc.state<K, V>, !larc.mat<K, K>, !larc.mat<K, V>
  %o = larc.readout %S, %q : !larc.state<K, V>, !larc.vec<K> -> !larc.vec<V>
  larc.output "o", %o : !larc.vec<V>
}

// CHECK-LABEL: rule @dplr_swapped
// CHECK-NEXT:    state S [K, V]: 1 sub-step, decay per-key, probes
// CHECK-NEXT:      step 0: decay per-key, 2 terms (direction, probe; direction, data)
// CHECK-NEXT:        log-decay: log(w)
// CHECK-NEXT:        term 0: a = alpha; x = 0; y = -b
// CHECK-NEXT:        term 1: a = k; x = v; y = 0
// CHECK-NEXT:      readout: q
larc.rule @dplr_swapped dims ["K", "V"] {
  %q = larc.input "q" query : !larc.vec<K>
  %k = larc.input "k" key : !larc.vec<K>
  %v = larc.input "v" value : !larc.vec<V>
  %w = larc.input "w" gate : !larc.vec<K>
  %alpha = larc.input "alpha" key : !larc.vec<K>
  %b = larc.input "b" key : !larc.vec<K>
  %S = larc.state "S" : !larc.state<K, V>
  %ab = larc.outer %alpha, %b : !larc.vec<K>, !larc.vec<K>
  %D = larc.diag %w : !larc.vec<K> -> !larc.mat<K, K>
  %A = larc.add %ab, %D : !larc.mat<K, K>, !larc.mat<K, K>
  %kv = larc.outer %k, %v : !larc.vec<K>, !larc.vec<V>
  larc.recur %S = %A, %kv : !larc.state<K, V>, !larc.mat<K, K>, !larc.mat<K, V>
  %o = larc.readout %S, %q : !larc.state<K, V>, !larc.vec<K> -> !larc.vec<V>
  larc.output "o", %o : !larc.vec<V>
}

// RWKV-7's own sign, diag(exp(w)) - alpha (alpha * kappa)^T, with the
// direction alpha shared between the transition and the update: the terms
// with one direction merge into one (a = alpha, x = v, y = alpha * kappa).
// CHECK-LABEL: rule @dplr_shared_direction
// CHECK-NEXT:    state S [K, V]: 1 sub-step, decay per-key, probes
// CHECK-NEXT:      step 0: decay per-key, 1 term (direction, data, probe)
// CHECK-NEXT:        log-decay: w
// CHECK-NEXT:        term 0: a = alpha; x = v; y = alpha * kappa
// CHECK-NEXT:      readout: q
larc.rule @dplr_shared_direction dims ["K", "V"] {
  %q = larc.input "q" query : !larc.vec<K>
  %v = larc.input "v" value : !larc.vec<V>
  %w = larc.input "w" log_gate : !larc.vec<K>
  %alpha = larc.input "alpha" key : !larc.vec<K>
  %kappa = larc.input "kappa" coefficient : !larc.vec<K>
  %S = larc.state "S" : !larc.state<K, V>
  %ew = larc.exp %w : !larc.vec<K>
  %D = larc.diag %ew : !larc.vec<K> -> !larc.mat<K, K>
  %ak = larc.mul %alpha, %kappa : !larc.vec<K>, !larc.vec<K>
  %aak = larc.outer %alpha, %ak : !larc.vec<K>, !larc.vec<K>
  %A = larc.sub %D, %aak : !larc.mat<K, K>, !larc.mat<K, K>
  %av = larc.outer %alpha, %v : !larc.vec<K>, !larc.vec<V>
  larc.recur %S = %A, %av : !larc.state<K, V>, !larc.mat<K, K>, !larc.mat<K, V>
  %o = larc.readout %S, %q : !larc.state<K, V>, !larc.vec<K> -> !larc.vec<V>
  larc.output "o", %o : !larc.vec<V>
}
