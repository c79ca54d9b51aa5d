// RUN: larc-opt %s -larc-print-classification -o /dev/null | FileCheck %s

// GLA: a per-key decay. Two commuting diagonal factors in either order print
// the same form.

// CHECK-LABEL: rule @gla
// CHECK-NEXT:    state S [K, V]: 1 sub-step, decay per-key, no probes
// CHECK-NEXT:      step 0: decay per-key, 1 term (direction, data)
// CHECK-NEXT:        log-decay: gk
// CHECK-NEXT:        term 0: a = k; x = v; y = 0
// CHECK-NEXT:      readout: q * scale(K)
larc.rule @gla dims ["K", "V"] {
  %q = larc.input "q" query : !larc.vec<K>
  %k = larc.input "k" key : !larc.vec<K>
  %v = larc.input "v" value : !larc.vec<V>
  %gk = larc.input "gk" log_gate : !larc.vec<K>
  %S = larc.state "S" : !larc.state<K, V>
  %e = larc.exp %gk : !larc.vec<K>
  %D = larc.diag %e : !larc.vec<K> -> !larc.mat<K, K>
  %kv = larc.outer %k, %v : !larc.vec<K>, !larc.vec<V>
  larc.recur %S = %D, %kv : !larc.state<K, V>, !larc.mat<K, K>, !larc.mat<K, V>
  %s = larc.scale "K"
  %qs = larc.mul %s, %q : !larc.scalar, !larc.vec<K>
  %o = larc.readout %S, %qs : !larc.state<K, V>, !larc.vec<K> -> !larc.vec<V>
  larc.output "o", %o : !larc.vec<V>
}

// CHECK-LABEL: rule @two_decays
// CHECK-NEXT:    state S [K, V]: 1 sub-step, decay per-key, no probes
// CHECK-NEXT:      step 0: decay per-key, 1 term (direction, data)
// CHECK-NEXT:        log-decay: gk + log(a)
// CHECK-NEXT:        term 0: a = k; x = v; y = 0
// CHECK-NEXT:      readout: q
larc.rule @two_decays dims ["K", "V"] {
  %q = larc.input "q" query : !larc.vec<K>
  %k = larc.input "k" key : !larc.vec<K>
  %v = larc.input "v" value : !larc.vec<V>
  %gk = larc.input "gk" log_gate : !larc.vec<K>
  %a = larc.input "a" gate : !larc.scalar
  %S = larc.state "S" : !larc.state<K, V>
  %e = larc.exp %gk : !larc.vec<K>
  %D1 = larc.diag %e : !larc.vec<K> -> !larc.mat<K, K>
  %D2 = larc.diag %a : !larc.scalar -> !larc.mat<K, K>
  %A = larc.matmul %D1, %D2 : !larc.mat<K, K>, !larc.mat<K, K>
  %kv = larc.outer %k, %v : !larc.vec<K>, !larc.vec<V>
  larc.recur %S = %A, %kv : !larc.state<K, V>, !larc.mat<K, K>, !larc.mat<K, V>
  %o = larc.readout %S, %q : !larc.state<K, V>, !larc.vec<K> -> !larc.vec<V>
  larc.output "o", %o : !larc.vec<V>
}

// CHECK-LABEL: rule @two_decays_swapped
// CHECK-NEXT:    state S [K, V]: 1 sub-step, decay per-key, no probes
// CHECK-NEXT:      step 0: decay per-key, 1 term (direction, data)
// CHECK-NEXT:        log-decay: gk + log(a)
// CHECK-NEXT:        term 0: a = k; x = v; y = 0
// CHECK-NEXT:      readout: q
larc.rule @two_decays_swapped dims ["K", "V"] {
  %q = larc.input "q" query : !larc.vec<K>
  %k = larc.input "k" key : !larc.vec<K>
  %v = larc.input "v" value : !larc.vec<V>
  %gk = larc.input "gk" log_gate : !larc.vec<K>
  %a = larc.input "a" gate : !larc.scalar
  %S = larc.state "S" : !larc.state<K, V>
  %e = larc.exp %gk : !larc.vec<K>
  %D1 = larc.diag %e : !larc.vec<K> -> !larc.mat<K, K>
  %A = larc.mul %a, %D1 : !larc.scalar, !larc.mat<K, K>
  %kv = larc.outer %k, %v : !larc.vec<K>, !larc.vec<V>
  larc.recur %S = %A, %kv : !larc.state<K, V>, !larc.mat<K, K>, !larc.mat<K, V>
  %o = larc.readout %S, %q : !larc.state<K, V>, !larc.vec<K> -> !larc.vec<V>
  larc.output "o", %o : !larc.vec<V>
}

// A per-key gate in (0, 1] with a delta correction read out of the previous
// state, S = diag(a) S + beta k (v - S^T k)^T: the probe reads S_{t-1}, so it
// carries no decay (compare gated delta, where it does).
// CHECK-LABEL: rule @gated_delta_gate
// CHECK-NEXT:    state S [K, V]: 1 sub-step, decay per-key, probes
// CHECK-NEXT:      step 0: decay per-key, 1 term (direction, data, probe)
// CHECK-NEXT:        log-decay: log(a)
// CHECK-NEXT:        term 0: a = l2norm(k); x = beta * v; y = beta * l2norm(k)
// CHECK-NEXT:      readout: q * scale(K)
larc.rule @gated_delta_gate dims ["K", "V"] {
  %q = larc.input "q" query : !larc.vec<K>
  %k = larc.input "k" key : !larc.vec<K>
  %v = larc.input "v" value : !larc.vec<V>
  %a = larc.input "a" gate : !larc.vec<K>
  %beta = larc.input "beta" coefficient : !larc.scalar
  %S = larc.state "S" : !larc.state<K, V>
  %kn = larc.l2norm %k : !larc.vec<K>
  %D = larc.diag %a : !larc.vec<K> -> !larc.mat<K, K>
  %pred = larc.readout %S, %kn prev : !larc.state<K, V>, !larc.vec<K> -> !larc.vec<V>
  %err = larc.sub %v, %pred : !larc.vec<V>, !larc.vec<V>
  %bk = larc.mul %beta, %kn : !larc.scalar, !larc.vec<K>
  %B = larc.outer %bk, %err : !larc.vec<K>, !larc.vec<V>
  larc.recur %S = %D, %B : !larc.state<K, V>, !larc.mat<K, K>, !larc.mat<K, V>
  %s = larc.scale "K"
  %qs = larc.mul %s, %q : !larc.scalar, !larc.vec<K>
  %o = larc.readout %S, %qs : !larc.state<K, V>, !larc.vec<K> -> !larc.vec<V>
  larc.output "o", %o : !larc.vec<V>
}
