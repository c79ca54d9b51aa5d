// RUN: larc-opt %s -larc-print-classification -o /dev/null | FileCheck %s

// DeltaNet, S = (I - beta k k^T) S + beta k v^T, written five ways. All of
// them are the same general form a = k, x = beta v, y = beta k.

// CHECK-LABEL: rule @delta_householder
// CHECK-NEXT:    state S [K, V]: 1 sub-step, decay none, probes
// CHECK-NEXT:      step 0: decay none, 1 term (direction, data, probe)
// CHECK-NEXT:        term 0: a = l2norm(k); x = beta * v; y = beta * l2norm(k)
// CHECK-NEXT:      readout: l2norm(q) * scale(K)
larc.rule @delta_householder dims ["K", "V"] {
  %q = larc.input "q" query : !larc.vec<K>
  %k = larc.input "k" key : !larc.vec<K>
  %v = larc.input "v" value : !larc.vec<V>
  %beta = larc.input "beta" coefficient : !larc.scalar
  %S = larc.state "S" : !larc.state<K, V>
  %kn = larc.l2norm %k : !larc.vec<K>
  %H = larc.householder %beta, %kn : !larc.scalar, !larc.vec<K>
  %bv = larc.mul %beta, %v : !larc.scalar, !larc.vec<V>
  %B = larc.outer %kn, %bv : !larc.vec<K>, !larc.vec<V>
  larc.recur %S = %H, %B : !larc.state<K, V>, !larc.mat<K, K>, !larc.mat<K, V>
  %s = larc.scale "K"
  %qn = larc.l2norm %q : !larc.vec<K>
  %qs = larc.mul %s, %qn : !larc.scalar, !larc.vec<K>
  %o = larc.readout %S, %qs : !larc.state<K, V>, !larc.vec<K> -> !larc.vec<V>
  larc.output "o", %o : !larc.vec<V>
}

// I - beta k k^T written out, beta on the outer product of the update.
// CHECK-LABEL: rule @delta_written_out
// CHECK-NEXT:    state S [K, V]: 1 sub-step, decay none, probes
// CHECK-NEXT:      step 0: decay none, 1 term (direction, data, probe)
// CHECK-NEXT:        term 0: a = l2norm(k); x = beta * v; y = beta * l2norm(k)
// CHECK-NEXT:      readout: l2norm(q) * scale(K)
larc.rule @delta_written_out dims ["K", "V"] {
  %q = larc.input "q" query : !larc.vec<K>
  %k = larc.input "k" key : !larc.vec<K>
  %v = larc.input "v" value : !larc.vec<V>
  %beta = larc.input "beta" coefficient : !larc.scalar
  %S = larc.state "S" : !larc.state<K, V>
  %kn = larc.l2norm %k : !larc.vec<K>
  %I = larc.identity : !larc.mat<K, K>
  %kk = larc.outer %kn, %kn : !larc.vec<K>, !larc.vec<K>
  %bkk = larc.mul %beta, %kk : !larc.scalar, !larc.mat<K, K>
  %H = larc.sub %I, %bkk : !larc.mat<K, K>, !larc.mat<K, K>
  %kv = larc.outer %kn, %v : !larc.vec<K>, !larc.vec<V>
  %B = larc.mul %beta, %kv : !larc.scalar, !larc.mat<K, V>
  larc.recur %S = %H, %B : !larc.state<K, V>, !larc.mat<K, K>, !larc.mat<K, V>
  %s = larc.scale "K"
  %qn = larc.l2norm %q : !larc.vec<K>
  %qs = larc.mul %qn, %s : !larc.vec<K>, !larc.scalar
  %o = larc.readout %S, %qs : !larc.state<K, V>, !larc.vec<K> -> !larc.vec<V>
  larc.output "o", %o : !larc.vec<V>
}

// S + beta k (v - S^T k)^T: the probe comes from a readout of S_{t-1}.
// CHECK-LABEL: rule @delta_prediction
// CHECK-NEXT:    state S [K, V]: 1 sub-step, decay none, probes
// CHECK-NEXT:      step 0: decay none, 1 term (direction, data, probe)
// CHECK-NEXT:        term 0: a = l2norm(k); x = beta * v; y = beta * l2norm(k)
// CHECK-NEXT:      readout: l2norm(q) * scale(K)
larc.rule @delta_prediction dims ["K", "V"] {
  %q = larc.input "q" query : !larc.vec<K>
  %k = larc.input "k" key : !larc.vec<K>
  %v = larc.input "v" value : !larc.vec<V>
  %beta = larc.input "beta" coefficient : !larc.scalar
  %S = larc.state "S" : !larc.state<K, V>
  %kn = larc.l2norm %k : !larc.vec<K>
  %pred = larc.readout %S, %kn prev : !larc.state<K, V>, !larc.vec<K> -> !larc.vec<V>
  %err = larc.sub %v, %pred : !larc.vec<V>, !larc.vec<V>
  %berr = larc.mul %beta, %err : !larc.scalar, !larc.vec<V>
  %B = larc.outer %kn, %berr : !larc.vec<K>, !larc.vec<V>
  %I = larc.identity : !larc.mat<K, K>
  larc.recur %S = %I, %B : !larc.state<K, V>, !larc.mat<K, K>, !larc.mat<K, V>
  %s = larc.scale "K"
  %qn = larc.l2norm %q : !larc.vec<K>
  %qs = larc.mul %s, %qn : !larc.scalar, !larc.vec<K>
  %o = larc.readout %S, %qs : !larc.state<K, V>, !larc.vec<K> -> !larc.vec<V>
  larc.output "o", %o : !larc.vec<V>
}

// beta folded into the key: I - (beta k) k^T and (beta k) v^T.
// CHECK-LABEL: rule @delta_beta_in_key
// CHECK-NEXT:    state S [K, V]: 1 sub-step, decay none, probes
// CHECK-NEXT:      step 0: decay none, 1 term (direction, data, probe)
// CHECK-NEXT:        term 0: a = l2norm(k); x = beta * v; y = beta * l2norm(k)
// CHECK-NEXT:      readout: l2norm(q) * scale(K)
larc.rule @delta_beta_in_key dims ["K", "V"] {
  %q = larc.input "q" query : !larc.vec<K>
  %k = larc.input "k" key : !larc.vec<K>
  %v = larc.input "v" value : !larc.vec<V>
  %beta = larc.input "beta" coefficient : !larc.scalar
  %S = larc.state "S" : !larc.state<K, V>
  %kn = larc.l2norm %k : !larc.vec<K>
  %bk = larc.mul %beta, %kn : !larc.scalar, !larc.vec<K>
  %I = larc.identity : !larc.mat<K, K>
  %bkk = larc.outer %bk, %kn : !larc.vec<K>, !larc.vec<K>
  %H = larc.sub %I, %bkk : !larc.mat<K, K>, !larc.mat<K, K>
  %B = larc.outer %bk, %v : !larc.vec<K>, !larc.vec<V>
  larc.recur %S = %H, %B : !larc.state<K, V>, !larc.mat<K, K>, !larc.mat<K, V>
  %s = larc.scale "K"
  %qn = larc.l2norm %q : !larc.vec<K>
  %qs = larc.mul %s, %qn : !larc.scalar, !larc.vec<K>
  %o = larc.readout %S, %qs : !larc.state<K, V>, !larc.vec<K> -> !larc.vec<V>
  larc.output "o", %o : !larc.vec<V>
}

// beta folded into the key of the prediction form: (beta k)(v - S^T k)^T.
// CHECK-LABEL: rule @delta_prediction_beta_in_key
// CHECK-NEXT:    state S [K, V]: 1 sub-step, decay none, probes
// CHECK-NEXT:      step 0: decay none, 1 term (direction, data, probe)
// CHECK-NEXT:        term 0: a = l2norm(k); x = beta * v; y = beta * l2norm(k)
// CHECK-NEXT:      readout: l2norm(q) * scale(K)
larc.rule @delta_prediction_beta_in_key dims ["K", "V"] {
  %q = larc.input "q" query : !larc.vec<K>
  %k = larc.input "k" key : !larc.vec<K>
  %v = larc.input "v" value : !larc.vec<V>
  %beta = larc.input "beta" coefficient : !larc.scalar
  %S = larc.state "S" : !larc.state<K, V>
  %kn = larc.l2norm %k : !larc.vec<K>
  %bk = larc.mul %kn, %beta : !larc.vec<K>, !larc.scalar
  %pred = larc.readout %S, %kn prev : !larc.state<K, V>, !larc.vec<K> -> !larc.vec<V>
  %err = larc.sub %v, %pred : !larc.vec<V>, !larc.vec<V>
  %B = larc.outer %bk, %err : !larc.vec<K>, !larc.vec<V>
  %I = larc.identity : !larc.mat<K, K>
  larc.recur %S = %I, %B : !larc.state<K, V>, !larc.mat<K, K>, !larc.mat<K, V>
  %s = larc.scale "K"
  %qn = larc.l2norm %q : !larc.vec<K>
  %qs = larc.mul %s, %qn : !larc.scalar, !larc.vec<K>
  %o = larc.readout %S, %qs : !larc.state<K, V>, !larc.vec<K> -> !larc.vec<V>
  larc.output "o", %o : !larc.vec<V>
}
