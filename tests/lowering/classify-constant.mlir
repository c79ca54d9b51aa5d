// RUN: larc-opt %s -larc-print-classification -o /dev/null | FileCheck %s

// RetNet: a decay that depends on the head but on no input is constant.
// gamma * S (a scalar times the identity) and diag(gamma) S classify the same.

// CHECK-LABEL: rule @retnet_scaled_identity
// CHECK-NEXT:    state S [K, V]: 1 sub-step, decay constant, no probes
// CHECK-NEXT:      step 0: decay constant, 1 term (direction, data)
// CHECK-NEXT:        log-decay: log(1 - 2^(-5 - head))
// CHECK-NEXT:        term 0: a = k; x = v; y = 0
// CHECK-NEXT:      readout: q * scale(K)
larc.rule @retnet_scaled_identity dims ["K", "V"] {
  %q = larc.input "q" query : !larc.vec<K>
  %k = larc.input "k" key : !larc.vec<K>
  %v = larc.input "v" value : !larc.vec<V>
  %S = larc.state "S" : !larc.state<K, V>
  %h = larc.head_index
  %one = larc.constant 1.0
  %two = larc.constant 2.0
  %m5 = larc.constant -5.0
  %e = larc.sub %m5, %h : !larc.scalar, !larc.scalar
  %p = larc.pow %two, %e : !larc.scalar, !larc.scalar
  %gamma = larc.sub %one, %p : !larc.scalar, !larc.scalar
  %I = larc.identity : !larc.mat<K, K>
  %A = larc.mul %gamma, %I : !larc.scalar, !larc.mat<K, K>
  %kv = larc.outer %k, %v : !larc.vec<K>, !larc.vec<V>
  larc.recur %S = %A, %kv : !larc.state<K, V>, !larc.mat<K, K>, !larc.mat<K, V>
  %s = larc.scale "K"
  %qs = larc.mul %s, %q : !larc.scalar, !larc.vec<K>
  %o = larc.readout %S, %qs : !larc.state<K, V>, !larc.vec<K> -> !larc.vec<V>
  larc.output "o", %o : !larc.vec<V>
}

// CHECK-LABEL: rule @retnet_diag
// CHECK-NEXT:    state S [K, V]: 1 sub-step, decay constant, no probes
// CHECK-NEXT:      step 0: decay constant, 1 term (direction, data)
// CHECK-NEXT:        log-decay: log(1 - 2^(-5 - head))
// CHECK-NEXT:        term 0: a = k; x = v; y = 0
// CHECK-NEXT:      readout: q * scale(K)
larc.rule @retnet_diag dims ["K", "V"] {
  %q = larc.input "q" query : !larc.vec<K>
  %k = larc.input "k" key : !larc.vec<K>
  %v = larc.input "v" value : !larc.vec<V>
  %S = larc.state "S" : !larc.state<K, V>
  %h = larc.head_index
  %one = larc.constant 1.0
  %two = larc.constant 2.0
  %m5 = larc.constant -5.0
  %e = larc.sub %m5, %h : !larc.scalar, !larc.scalar
  %p = larc.pow %two, %e : !larc.scalar, !larc.scalar
  %gamma = larc.sub %one, %p : !larc.scalar, !larc.scalar
  %D = larc.diag %gamma : !larc.scalar -> !larc.mat<K, K>
  %kv = larc.outer %k, %v : !larc.vec<K>, !larc.vec<V>
  larc.recur %S = %D, %kv : !larc.state<K, V>, !larc.mat<K, K>, !larc.mat<K, V>
  %s = larc.scale "K"
  %qs = larc.mul %q, %s : !larc.vec<K>, !larc.scalar
  %o = larc.readout %S, %qs : !larc.state<K, V>, !larc.vec<K> -> !larc.vec<V>
  larc.output "o", %o : !larc.vec<V>
}

// A literal decay, on the right of the identity.
// CHECK-LABEL: rule @fixed_decay
// CHECK-NEXT:    state S [K, V]: 1 sub-step, decay constant, no probes
// CHECK-NEXT:      step 0: decay constant, 1 term (direction, data)
// CHECK-NEXT:        log-decay: log(0.9)
// CHECK-NEXT:        term 0: a = k; x = v; y = 0
larc.rule @fixed_decay dims ["K", "V"] {
  %q = larc.input "q" query : !larc.vec<K>
  %k = larc.input "k" key : !larc.vec<K>
  %v = larc.input "v" value : !larc.vec<V>
  %S = larc.state "S" : !larc.state<K, V>
  %c = larc.constant 0.9
  %I = larc.identity : !larc.mat<K, K>
  %A = larc.mul %I, %c : !larc.mat<K, K>, !larc.scalar
  %kv = larc.outer %k, %v : !larc.vec<K>, !larc.vec<V>
  larc.recur %S = %A, %kv : !larc.state<K, V>, !larc.mat<K, K>, !larc.mat<K, V>
  %o = larc.readout %S, %q : !larc.state<K, V>, !larc.vec<K> -> !larc.vec<V>
  larc.output "o", %o : !larc.vec<V>
}
