// RUN: larc-opt %s -larc-print-classification -o /dev/null | FileCheck %s

// A per-key decay beside a Householder factor. Which side it sits on decides
// where it goes: acting first (KDA) it decays the probe, y = beta D k; acting
// after (the decay-after-Householder rule) it decays the direction, a = D k.

// KDA: S = (I - beta k k^T) diag(exp(g)) S + beta k v^T.
// CHECK-LABEL: rule @kda
// CHECK-NEXT:    state S [K, V]: 1 sub-step, decay per-key, probes
// CHECK-NEXT:      step 0: decay per-key, 1 term (direction, data, probe)
// CHECK-NEXT:        log-decay: g
// CHECK-NEXT:        term 0: a = l2norm(k); x = beta * v; y = beta * exp(g) * l2norm(k)
// CHECK-NEXT:      readout: l2norm(q) * scale(K)
larc.rule @kda dims ["K", "V"] {
  %q = larc.input "q" query : !larc.vec<K>
  %k = larc.input "k" key : !larc.vec<K>
  %v = larc.input "v" value : !larc.vec<V>
  %g = larc.input "g" log_gate : !larc.vec<K>
  %beta = larc.input "beta" coefficient : !larc.scalar
  %S = larc.state "S" : !larc.state<K, V>
  %kn = larc.l2norm %k : !larc.vec<K>
  %I = larc.identity : !larc.mat<K, K>
  %kk = larc.outer %kn, %kn : !larc.vec<K>, !larc.vec<K>
  %bkk = larc.mul %beta, %kk : !larc.scalar, !larc.mat<K, K>
  %H = larc.sub %I, %bkk : !larc.mat<K, K>, !larc.mat<K, K>
  %e = larc.exp %g : !larc.vec<K>
  %D = larc.diag %e : !larc.vec<K> -> !larc.mat<K, K>
  %A = larc.matmul %H, %D : !larc.mat<K, K>, !larc.mat<K, K>
  %kv = larc.outer %kn, %v : !larc.vec<K>, !larc.vec<V>
  %B = larc.mul %beta, %kv : !larc.scalar, !larc.mat<K, V>
  larc.recur %S = %A, %B : !larc.state<K, V>, !larc.mat<K, K>, !larc.mat<K, V>
  %s = larc.scale "K"
  %qn = larc.l2norm %q : !larc.vec<K>
  %qs = larc.mul %s, %qn : !larc.scalar, !larc.vec<K>
  %o = larc.readout %S, %qs : !larc.state<K, V>, !larc.vec<K> -> !larc.vec<V>
  larc.output "o", %o : !larc.vec<V>
}

// S = D [(I - beta k k^T) S + beta k v^T] with a per-key D: the update is
// D (beta k v^T), a leading part of the transition times a rank-1 term.
// CHECK-LABEL: rule @decay_after_householder_per_key
// CHECK-NEXT:    state S [K, V]: 1 sub-step, decay per-key, probes
// CHECK-NEXT:      step 0: decay per-key, 1 term (direction, data, probe)
// CHECK-NEXT:        log-decay: g
// CHECK-NEXT:        term 0: a = exp(g) * l2norm(k); x = beta * v; y = beta * l2norm(k)
// CHECK-NEXT:      readout: l2norm(q) * scale(K)
larc.rule @decay_after_householder_per_key dims ["K", "V"] {
  %q = larc.input "q" query : !larc.vec<K>
  %k = larc.input "k" key : !larc.vec<K>
  %v = larc.input "v" value : !larc.vec<V>
  %g = larc.input "g" log_gate : !larc.vec<K>
  %beta = larc.input "beta" coefficient : !larc.scalar
  %S = larc.state "S" : !larc.state<K, V>
  %kn = larc.l2norm %k : !larc.vec<K>
  %H = larc.householder %beta, %kn : !larc.scalar, !larc.vec<K>
  %e = larc.exp %g : !larc.vec<K>
  %D = larc.diag %e : !larc.vec<K> -> !larc.mat<K, K>
  %A = larc.matmul %D, %H : !larc.mat<K, K>, !larc.mat<K, K>
  %bv = larc.mul %beta, %v : !larc.scalar, !larc.vec<V>
  %kv = larc.outer %kn, %bv : !larc.vec<K>, !larc.vec<V>
  %B = larc.matmul %D, %kv : !larc.mat<K, K>, !larc.mat<K, V>
  larc.recur %S = %A, %B : !larc.state<K, V>, !larc.mat<K, K>, !larc.mat<K, V>
  %s = larc.scale "K"
  %qn = larc.l2norm %q : !larc.vec<K>
  %qs = larc.mul %s, %qn : !larc.scalar, !larc.vec<K>
  %o = larc.readout %S, %qs : !larc.state<K, V>, !larc.vec<K> -> !larc.vec<V>
  larc.output "o", %o : !larc.vec<V>
}

// The same with a scalar decay (examples/decay_after_householder.larc): a
// scalar commutes, so it moves off the direction onto the data and the probe.
// CHECK-LABEL: rule @decay_after_householder
// CHECK-NEXT:    state S [K, V]: 1 sub-step, decay scalar, probes
// CHECK-NEXT:      step 0: decay scalar, 1 term (direction, data, probe)
// CHECK-NEXT:        log-decay: g
// CHECK-NEXT:        term 0: a = l2norm(k); x = beta * exp(g) * v; y = beta * exp(g) * l2norm(k)
// CHECK-NEXT:      readout: l2norm(q) * scale(K)
larc.rule @decay_after_householder dims ["K", "V"] {
  %q = larc.input "q" query : !larc.vec<K>
  %k = larc.input "k" key : !larc.vec<K>
  %v = larc.input "v" value : !larc.vec<V>
  %g = larc.input "g" log_gate : !larc.scalar
  %beta = larc.input "beta" coefficient : !larc.scalar
  %S = larc.state "S" : !larc.state<K, V>
  %kn = larc.l2norm %k : !larc.vec<K>
  %H = larc.householder %beta, %kn : !larc.scalar, !larc.vec<K>
  %eg = larc.exp %g : !larc.scalar
  %A = larc.mul %eg, %H : !larc.scalar, !larc.mat<K, K>
  %bv = larc.mul %beta, %v : !larc.scalar, !larc.vec<V>
  %kv = larc.outer %kn, %bv : !larc.vec<K>, !larc.vec<V>
  %B = larc.mul %eg, %kv : !larc.scalar, !larc.mat<K, V>
  larc.recur %S = %A, %B : !larc.state<K, V>, !larc.mat<K, K>, !larc.mat<K, V>
  %s = larc.scale "K"
  %qn = larc.l2norm %q : !larc.vec<K>
  %qs = larc.mul %s, %qn : !larc.scalar, !larc.vec<K>
  %o = larc.readout %S, %qs : !larc.state<K, V>, !larc.vec<K> -> !larc.vec<V>
  larc.output "o", %o : !larc.vec<V>
}
