// RUN: larc-opt %s -larc-print-classification -o /dev/null | FileCheck %s

// Gated DeltaNet, S = exp(g) (I - beta k k^T) S + beta k v^T: the scalar
// decay lands on the probe, y = beta exp(g) k. A scalar decay commutes with
// the Householder factor, so it may be written on either side, as a scaled
// identity or as diag(exp(g)): all print the same form.

// CHECK-LABEL: rule @gated_delta_scaled
// CHECK-NEXT:    state S [K, V]: 1 sub-step, decay scalar, probes
// CHECK-NEXT:      step 0: decay scalar, 1 term (direction, data, probe)
// CHECK-NEXT:        log-decay: g
// CHECK-NEXT:        term 0: a = l2norm(k); x = beta * v; y = beta * exp(g) * l2norm(k)
// CHECK-NEXT:      readout: l2norm(q) * scale(K)
larc.rule @gated_delta_scaled dims ["K", "V"] {
  %q = larc.input "q" query : !larc.vec<K>
  %k = larc.input "k" key : !larc.vec<K>
  %v = larc.input "v" value : !larc.vec<V>
  %g = larc.input "g" log_gate : !larc.scalar
  %beta = larc.input "beta" coefficient : !larc.scalar
  %S = larc.state "S" : !larc.state<K, V>
  %kn = larc.l2norm %k : !larc.vec<K>
  %eg = larc.exp %g : !larc.scalar
  %H = larc.householder %beta, %kn : !larc.scalar, !larc.vec<K>
  %A = larc.mul %eg, %H : !larc.scalar, !larc.mat<K, K>
  %bv = larc.mul %beta, %v : !larc.scalar, !larc.vec<V>
  %B = larc.outer %kn, %bv : !larc.vec<K>, !larc.vec<V>
  larc.recur %S = %A, %B : !larc.state<K, V>, !larc.mat<K, K>, !larc.mat<K, V>
  %s = larc.scale "K"
  %qn = larc.l2norm %q : !larc.vec<K>
  %qs = larc.mul %s, %qn : !larc.scalar, !larc.vec<K>
  %o = larc.readout %S, %qs : !larc.state<K, V>, !larc.vec<K> -> !larc.vec<V>
  larc.output "o", %o : !larc.vec<V>
}

// CHECK-LABEL: rule @gated_delta_diag_left
// CHECK-NEXT:    state S [K, V]: 1 sub-step, decay scalar, probes
// CHECK-NEXT:      step 0: decay scalar, 1 term (direction, data, probe)
// CHECK-NEXT:        log-decay: g
// CHECK-NEXT:        term 0: a = l2norm(k); x = beta * v; y = beta * exp(g) * l2norm(k)
// CHECK-NEXT:      readout: l2norm(q) * scale(K)
larc.rule @gated_delta_diag_left dims ["K", "V"] {
  %q = larc.input "q" query : !larc.vec<K>
  %k = larc.input "k" key : !larc.vec<K>
  %v = larc.input "v" value : !larc.vec<V>
  %g = larc.input "g" log_gate : !larc.scalar
  %beta = larc.input "beta" coefficient : !larc.scalar
  %S = larc.state "S" : !larc.state<K, V>
  %kn = larc.l2norm %k : !larc.vec<K>
  %eg = larc.exp %g : !larc.scalar
  %H = larc.householder %beta, %kn : !larc.scalar, !larc.vec<K>
  %D = larc.diag %eg : !larc.scalar -> !larc.mat<K, K>
  %A = larc.matmul %D, %H : !larc.mat<K, K>, !larc.mat<K, K>
  %bv = larc.mul %beta, %v : !larc.scalar, !larc.vec<V>
  %B = larc.outer %kn, %bv : !larc.vec<K>, !larc.vec<V>
  larc.recur %S = %A, %B : !larc.state<K, V>, !larc.mat<K, K>, !larc.mat<K, V>
  %s = larc.scale "K"
  %qn = larc.l2norm %q : !larc.vec<K>
  %qs = larc.mul %s, %qn : !larc.scalar, !larc.vec<K>
  %o = larc.readout %S, %qs : !larc.state<K, V>, !larc.vec<K> -> !larc.vec<V>
  larc.output "o", %o : !larc.vec<V>
}

// Swapped: the Householder factor first, the decay acting first.
// CHECK-LABEL: rule @gated_delta_diag_right
// CHECK-NEXT:    state S [K, V]: 1 sub-step, decay scalar, probes
// CHECK-NEXT:      step 0: decay scalar, 1 term (direction, data, probe)
// CHECK-NEXT:        log-decay: g
// CHECK-NEXT:        term 0: a = l2norm(k); x = beta * v; y = beta * exp(g) * l2norm(k)
// CHECK-NEXT:      readout: l2norm(q) * scale(K)
larc.rule @gated_delta_diag_right dims ["K", "V"] {
  %q = larc.input "q" query : !larc.vec<K>
  %k = larc.input "k" key : !larc.vec<K>
  %v = larc.input "v" value : !larc.vec<V>
  %g = larc.input "g" log_gate : !larc.scalar
  %beta = larc.input "beta" coefficient : !larc.scalar
  %S = larc.state "S" : !larc.state<K, V>
  %kn = larc.l2norm %k : !larc.vec<K>
  %eg = larc.exp %g : !larc.scalar
  %H = larc.householder %beta, %kn : !larc.scalar, !larc.vec<K>
  %D = larc.diag %eg : !larc.scalar -> !larc.mat<K, K>
  %A = larc.matmul %H, %D : !larc.mat<K, K>, !larc.mat<K, K>
  %bv = larc.mul %beta, %v : !larc.scalar, !larc.vec<V>
  %B = larc.outer %kn, %bv : !larc.vec<K>, !larc.vec<V>
  larc.recur %S = %A, %B : !larc.state<K, V>, !larc.mat<K, K>, !larc.mat<K, V>
  %s = larc.scale "K"
  %qn = larc.l2norm %q : !larc.vec<K>
  %qs = larc.mul %s, %qn : !larc.scalar, !larc.vec<K>
  %o = larc.readout %S, %qs : !larc.state<K, V>, !larc.vec<K> -> !larc.vec<V>
  larc.output "o", %o : !larc.vec<V>
}

// Written out: exp(g) I - exp(g) beta k k^T.
// CHECK-LABEL: rule @gated_delta_written_out
// CHECK-NEXT:    state S [K, V]: 1 sub-step, decay scalar, probes
// CHECK-NEXT:      step 0: decay scalar, 1 term (direction, data, probe)
// CHECK-NEXT:        log-decay: g
// CHECK-NEXT:        term 0: a = l2norm(k); x = beta * v; y = beta * exp(g) * l2norm(k)
// CHECK-NEXT:      readout: l2norm(q) * scale(K)
larc.rule @gated_delta_written_out dims ["K", "V"] {
  %q = larc.input "q" query : !larc.vec<K>
  %k = larc.input "k" key : !larc.vec<K>
  %v = larc.input "v" value : !larc.vec<V>
  %g = larc.input "g" log_gate : !larc.scalar
  %beta = larc.input "beta" coefficient : !larc.scalar
  %S = larc.state "S" : !larc.state<K, V>
  %kn = larc.l2norm %k : !larc.vec<K>
  %eg = larc.exp %g : !larc.scalar
  %I = larc.identity : !larc.mat<K, K>
  %DI = larc.mul %eg, %I : !larc.scalar, !larc.mat<K, K>
  %kk = larc.outer %kn, %kn : !larc.vec<K>, !larc.vec<K>
  %bkk = larc.mul %beta, %kk : !larc.scalar, !larc.mat<K, K>
  %gbkk = larc.mul %eg, %bkk : !larc.scalar, !larc.mat<K, K>
  %A = larc.sub %DI, %gbkk : !larc.mat<K, K>, !larc.mat<K, K>
  %bv = larc.mul %beta, %v : !larc.scalar, !larc.vec<V>
  %B = larc.outer %kn, %bv : !larc.vec<K>, !larc.vec<V>
  larc.recur %S = %A, %B : !larc.state<K, V>, !larc.mat<K, K>, !larc.mat<K, V>
  %s = larc.scale "K"
  %qn = larc.l2norm %q : !larc.vec<K>
  %qs = larc.mul %s, %qn : !larc.scalar, !larc.vec<K>
  %o = larc.readout %S, %qs : !larc.state<K, V>, !larc.vec<K> -> !larc.vec<V>
  larc.output "o", %o : !larc.vec<V>
}

// The decay as a gate a in (0, 1]: the same class and shape, with the
// log-decay log(a) and a on the probe.
// CHECK-LABEL: rule @gated_delta_gate
// CHECK-NEXT:    state S [K, V]: 1 sub-step, decay scalar, probes
// CHECK-NEXT:      step 0: decay scalar, 1 term (direction, data, probe)
// CHECK-NEXT:        log-decay: log(a)
// CHECK-NEXT:        term 0: a = l2norm(k); x = beta * v; y = a * beta * l2norm(k)
// CHECK-NEXT:      readout: l2norm(q) * scale(K)
larc.rule @gated_delta_gate dims ["K", "V"] {
  %q = larc.input "q" query : !larc.vec<K>
  %k = larc.input "k" key : !larc.vec<K>
  %v = larc.input "v" value : !larc.vec<V>
  %a = larc.input "a" gate : !larc.scalar
  %beta = larc.input "beta" coefficient : !larc.scalar
  %S = larc.state "S" : !larc.state<K, V>
  %kn = larc.l2norm %k : !larc.vec<K>
  %H = larc.householder %beta, %kn : !larc.scalar, !larc.vec<K>
  %A = larc.mul %a, %H : !larc.scalar, !larc.mat<K, K>
  %bv = larc.mul %beta, %v : !larc.scalar, !larc.vec<V>
  %B = larc.outer %kn, %bv : !larc.vec<K>, !larc.vec<V>
  larc.recur %S = %A, %B : !larc.state<K, V>, !larc.mat<K, K>, !larc.mat<K, V>
  %s = larc.scale "K"
  %qn = larc.l2norm %q : !larc.vec<K>
  %qs = larc.mul %s, %qn : !larc.scalar, !larc.vec<K>
  %o = larc.readout %S, %qs : !larc.state<K, V>, !larc.vec<K> -> !larc.vec<V>
  larc.output "o", %o : !larc.vec<V>
}
