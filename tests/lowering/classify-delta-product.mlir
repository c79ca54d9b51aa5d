// RUN: larc-opt %s -larc-print-classification -o /dev/null | FileCheck %s

// DeltaProduct: A = H2 H1 has two factors with rank-1 parts, so each token is
// two sub-steps, H1's first. The update H2 (beta1 k1 v1^T) + beta2 k2 v2^T
// puts the first term after sub-step 0 (H2 is what remains of the transition
// after it) and the second after sub-step 1.

// CHECK-LABEL: rule @delta_product
// CHECK-NEXT:    state S [K, V]: 2 sub-steps, decay none, probes
// CHECK-NEXT:      step 0: decay none, 1 term (direction, data, probe)
// CHECK-NEXT:        term 0: a = l2norm(k1); x = beta1 * v1; y = beta1 * l2norm(k1)
// CHECK-NEXT:      step 1: decay none, 1 term (direction, data, probe)
// CHECK-NEXT:        term 0: a = l2norm(k2); x = beta2 * v2; y = beta2 * l2norm(k2)
// CHECK-NEXT:      readout: l2norm(q) * scale(K)
larc.rule @delta_product dims ["K", "V"] {
  %q = larc.input "q" query : !larc.vec<K>
  %k1 = larc.input "k1" key : !larc.vec<K>
  %k2 = larc.input "k2" key : !larc.vec<K>
  %v1 = larc.input "v1" value : !larc.vec<V>
  %v2 = larc.input "v2" value : !larc.vec<V>
  %b1 = larc.input "beta1" coefficient : !larc.scalar
  %b2 = larc.input "beta2" coefficient : !larc.scalar
  %S = larc.state "S" : !larc.state<K, V>
  %kn1 = larc.l2norm %k1 : !larc.vec<K>
  %kn2 = larc.l2norm %k2 : !larc.vec<K>
  %H1 = larc.householder %b1, %kn1 : !larc.scalar, !larc.vec<K>
  %H2 = larc.householder %b2, %kn2 : !larc.scalar, !larc.vec<K>
  %A = larc.matmul %H2, %H1 : !larc.mat<K, K>, !larc.mat<K, K>
  %bv1 = larc.mul %b1, %v1 : !larc.scalar, !larc.vec<V>
  %bv2 = larc.mul %b2, %v2 : !larc.scalar, !larc.vec<V>
  %u1 = larc.outer %kn1, %bv1 : !larc.vec<K>, !larc.vec<V>
  %u2 = larc.outer %kn2, %bv2 : !larc.vec<K>, !larc.vec<V>
  %H2u1 = larc.matmul %H2, %u1 : !larc.mat<K, K>, !larc.mat<K, V>
  %B = larc.add %H2u1, %u2 : !larc.mat<K, V>, !larc.mat<K, V>
  larc.recur %S = %A, %B : !larc.state<K, V>, !larc.mat<K, K>, !larc.mat<K, V>
  %s = larc.scale "K"
  %qn = larc.l2norm %q : !larc.vec<K>
  %qs = larc.mul %s, %qn : !larc.scalar, !larc.vec<K>
  %o = larc.readout %S, %qs : !larc.state<K, V>, !larc.vec<K> -> !larc.vec<V>
  larc.output "o", %o : !larc.vec<V>
}

// The same written S = H2 [S + beta1 k1 (v1 - S^T k1)^T] + beta2 k2 v2^T:
// the first delta step is a prediction of S_{t-1} inside the product and the
// transition is H2 alone (times an identity). The term that the whole
// transition multiplies becomes a sub-step before it: the same form.
// CHECK-LABEL: rule @delta_product_prediction
// CHECK-NEXT:    state S [K, V]: 2 sub-steps, decay none, probes
// CHECK-NEXT:      step 0: decay none, 1 term (direction, data, probe)
// CHECK-NEXT:        term 0: a = l2norm(k1); x = beta1 * v1; y = beta1 * l2norm(k1)
// CHECK-NEXT:      step 1: decay none, 1 term (direction, data, probe)
// CHECK-NEXT:        term 0: a = l2norm(k2); x = beta2 * v2; y = beta2 * l2norm(k2)
// CHECK-NEXT:      readout: l2norm(q) * scale(K)
larc.rule @delta_product_prediction dims ["K", "V"] {
  %q = larc.input "q" query : !larc.vec<K>
  %k1 = larc.input "k1" key : !larc.vec<K>
  %k2 = larc.input "k2" key : !larc.vec<K>
  %v1 = larc.input "v1" value : !larc.vec<V>
  %v2 = larc.input "v2" value : !larc.vec<V>
  %b1 = larc.input "beta1" coefficient : !larc.scalar
  %b2 = larc.input "beta2" coefficient : !larc.scalar
  %S = larc.state "S" : !larc.state<K, V>
  %kn2 = larc.l2norm %k2 : !larc.vec<K>
  %I = larc.identity : !larc.mat<K, K>
  %kk2 = larc.outer %kn2, %kn2 : !larc.vec<K>, !larc.vec<K>
  %bkk2 = larc.mul %b2, %kk2 : !larc.scalar, !larc.mat<K, K>
  %H2 = larc.sub %I, %bkk2 : !larc.mat<K, K>, !larc.mat<K, K>
  %kn1 = larc.l2norm %k1 : !larc.vec<K>
  %I1 = larc.identity : !larc.mat<K, K>
  %pred = larc.readout %S, %kn1 prev : !larc.state<K, V>, !larc.vec<K> -> !larc.vec<V>
  %err = larc.sub %v1, %pred : !larc.vec<V>, !larc.vec<V>
  %u1 = larc.outer %kn1, %err : !larc.vec<K>, !larc.vec<V>
  %bu1 = larc.mul %b1, %u1 : !larc.scalar, !larc.mat<K, V>
  %H2u1 = larc.matmul %H2, %bu1 : !larc.mat<K, K>, !larc.mat<K, V>
  %kv2 = larc.outer %kn2, %v2 : !larc.vec<K>, !larc.vec<V>
  %u2 = larc.mul %b2, %kv2 : !larc.scalar, !larc.mat<K, V>
  %B = larc.add %H2u1, %u2 : !larc.mat<K, V>, !larc.mat<K, V>
  %A = larc.matmul %H2, %I1 : !larc.mat<K, K>, !larc.mat<K, K>
  larc.recur %S = %A, %B : !larc.state<K, V>, !larc.mat<K, K>, !larc.mat<K, V>
  %s = larc.scale "K"
  %qn = larc.l2norm %q : !larc.vec<K>
  %qs = larc.mul %s, %qn : !larc.scalar, !larc.vec<K>
  %o = larc.readout %S, %qs : !larc.state<K, V>, !larc.vec<K> -> !larc.vec<V>
  larc.output "o", %o : !larc.vec<V>
}

// Gated DeltaProduct, A = H2 H1 exp(g): the gate acts first, so it belongs
// to sub-step 0 and decays its probe.
// CHECK-LABEL: rule @gated_delta_product
// CHECK-NEXT:    state S [K, V]: 2 sub-steps, decay scalar, probes
// CHECK-NEXT:      step 0: decay scalar, 1 term (direction, data, probe)
// CHECK-NEXT:        log-decay: g
// CHECK-NEXT:        term 0: a = k1; x = beta1 * v1; y = beta1 * exp(g) * k1
// CHECK-NEXT:      step 1: decay none, 1 term (direction, data, probe)
// CHECK-NEXT:        term 0: a = k2; x = beta2 * v2; y = beta2 * k2
// CHECK-NEXT:      readout: q
larc.rule @gated_delta_product dims ["K", "V"] {
  %q = larc.input "q" query : !larc.vec<K>
  %k1 = larc.input "k1" key : !larc.vec<K>
  %k2 = larc.input "k2" key : !larc.vec<K>
  %v1 = larc.input "v1" value : !larc.vec<V>
  %v2 = larc.input "v2" value : !larc.vec<V>
  %b1 = larc.input "beta1" coefficient : !larc.scalar
  %b2 = larc.input "beta2" coefficient : !larc.scalar
  %g = larc.input "g" log_gate : !larc.scalar
  %S = larc.state "S" : !larc.state<K, V>
  %H1 = larc.householder %b1, %k1 : !larc.scalar, !larc.vec<K>
  %H2 = larc.householder %b2, %k2 : !larc.scalar, !larc.vec<K>
  %eg = larc.exp %g : !larc.scalar
  %D = larc.diag %eg : !larc.scalar -> !larc.mat<K, K>
  %H1D = larc.matmul %H1, %D : !larc.mat<K, K>, !larc.mat<K, K>
  %A = larc.matmul %H2, %H1D : !larc.mat<K, K>, !larc.mat<K, K>
  %bv1 = larc.mul %b1, %v1 : !larc.scalar, !larc.vec<V>
  %bv2 = larc.mul %b2, %v2 : !larc.scalar, !larc.vec<V>
  %u1 = larc.outer %k1, %bv1 : !larc.vec<K>, !larc.vec<V>
  %u2 = larc.outer %k2, %bv2 : !larc.vec<K>, !larc.vec<V>
  %H2u1 = larc.matmul %H2, %u1 : !larc.mat<K, K>, !larc.mat<K, V>
  %B = larc.add %H2u1, %u2 : !larc.mat<K, V>, !larc.mat<K, V>
  larc.recur %S = %A, %B : !larc.state<K, V>, !larc.mat<K, K>, !larc.mat<K, V>
  %o = larc.readout %S, %q : !larc.state<K, V>, !larc.vec<K> -> !larc.vec<V>
  larc.output "o", %o : !larc.vec<V>
}

// A = exp(g) H2 H1: the decay acts last; it merges into sub-step 1, and the
// first term, multiplied by all of exp(g) H2, still lands after sub-step 0.
// CHECK-LABEL: rule @delta_product_decay_last
// CHECK-NEXT:    state S [K, V]: 2 sub-steps, decay scalar, probes
// CHECK-NEXT:      step 0: decay none, 1 term (direction, data, probe)
// CHECK-NEXT:        term 0: a = k1; x = beta1 * v1; y = beta1 * k1
// CHECK-NEXT:      step 1: decay scalar, 1 term (direction, data, probe)
// CHECK-NEXT:        log-decay: g
// CHECK-NEXT:        term 0: a = k2; x = beta2 * exp(g) * v2; y = beta2 * exp(g) * k2
// CHECK-NEXT:      readout: q
larc.rule @delta_product_decay_last dims ["K", "V"] {
  %q = larc.input "q" query : !larc.vec<K>
  %k1 = larc.input "k1" key : !larc.vec<K>
  %k2 = larc.input "k2" key : !larc.vec<K>
  %v1 = larc.input "v1" value : !larc.vec<V>
  %v2 = larc.input "v2" value : !larc.vec<V>
  %b1 = larc.input "beta1" coefficient : !larc.scalar
  %b2 = larc.input "beta2" coefficient : !larc.scalar
  %g = larc.input "g" log_gate : !larc.scalar
  %S = larc.state "S" : !larc.state<K, V>
  %H1 = larc.householder %b1, %k1 : !larc.scalar, !larc.vec<K>
  %H2 = larc.householder %b2, %k2 : !larc.scalar, !larc.vec<K>
  %eg = larc.exp %g : !larc.scalar
  %gH2 = larc.mul %eg, %H2 : !larc.scalar, !larc.mat<K, K>
  %A = larc.matmul %gH2, %H1 : !larc.mat<K, K>, !larc.mat<K, K>
  %bv1 = larc.mul %b1, %v1 : !larc.scalar, !larc.vec<V>
  %bv2 = larc.mul %b2, %v2 : !larc.scalar, !larc.vec<V>
  %u1 = larc.outer %k1, %bv1 : !larc.vec<K>, !larc.vec<V>
  %u2 = larc.outer %k2, %bv2 : !larc.vec<K>, !larc.vec<V>
  %H2u1 = larc.matmul %gH2, %u1 : !larc.mat<K, K>, !larc.mat<K, V>
  %gu2 = larc.mul %eg, %u2 : !larc.scalar, !larc.mat<K, V>
  %B = larc.add %H2u1, %gu2 : !larc.mat<K, V>, !larc.mat<K, V>
  larc.recur %S = %A, %B : !larc.state<K, V>, !larc.mat<K, K>, !larc.mat<K, V>
  %o = larc.readout %S, %q : !larc.state<K, V>, !larc.vec<K> -> !larc.vec<V>
  larc.output "o", %o : !larc.vec<V>
}
