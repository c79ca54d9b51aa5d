// RUN: larc-opt %s -larc-print-classification -o /dev/null | FileCheck %s

// Linear attention with the normaliser: two states, no decay, no probes. The
// vector state z is one term whose data is the scalar 1.

// CHECK-LABEL: rule @linear_attention
// CHECK-NEXT:    state S [K, V]: 1 sub-step, decay none, no probes
// CHECK-NEXT:      step 0: decay none, 1 term (direction, data)
// CHECK-NEXT:        term 0: a = 1 + elu(k); x = v; y = 0
// CHECK-NEXT:      readout: (1 + elu(q)) * scale(K)
// CHECK-NEXT:    state z [K]: 1 sub-step, decay none, no probes
// CHECK-NEXT:      step 0: decay none, 1 term (direction, data)
// CHECK-NEXT:        term 0: a = 1 + elu(k); x = 1; y = 0
// CHECK-NEXT:      readout: (1 + elu(q)) * scale(K)
larc.rule @linear_attention dims ["K", "V"] {
  %q = larc.input "q" query : !larc.vec<K>
  %k = larc.input "k" key : !larc.vec<K>
  %v = larc.input "v" value : !larc.vec<V>
  %S = larc.state "S" : !larc.state<K, V>
  %z = larc.state "z" : !larc.state<K>
  %one = larc.constant 1.0
  %s = larc.scale "K"
  %ek = larc.elu %k : !larc.vec<K>
  %fk = larc.add %ek, %one : !larc.vec<K>, !larc.scalar
  %eq = larc.elu %q : !larc.vec<K>
  %fq0 = larc.add %eq, %one : !larc.vec<K>, !larc.scalar
  %fq = larc.mul %s, %fq0 : !larc.scalar, !larc.vec<K>
  %I = larc.identity : !larc.mat<K, K>
  %kv = larc.outer %fk, %v : !larc.vec<K>, !larc.vec<V>
  larc.recur %S = %I, %kv : !larc.state<K, V>, !larc.mat<K, K>, !larc.mat<K, V>
  larc.recur %z = %I, %fk : !larc.state<K>, !larc.mat<K, K>, !larc.vec<K>
  %num = larc.readout %S, %fq : !larc.state<K, V>, !larc.vec<K> -> !larc.vec<V>
  %den = larc.readout %z, %fq : !larc.state<K>, !larc.vec<K> -> !larc.scalar
  %o = larc.div %num, %den : !larc.vec<V>, !larc.scalar
  larc.output "o", %o : !larc.vec<V>
}

// A weighted normaliser z = z + beta k: the scalar moves onto the data. A
// readout before the update is marked prev.
// CHECK-LABEL: rule @weighted_normaliser
// CHECK-NEXT:    state S [K, V]: 1 sub-step, decay none, no probes
// CHECK-NEXT:      step 0: decay none, 1 term (direction, data)
// CHECK-NEXT:        term 0: a = k; x = beta * v; y = 0
// CHECK-NEXT:      readout: q
// CHECK-NEXT:    state z [K]: 1 sub-step, decay none, no probes
// CHECK-NEXT:      step 0: decay none, 1 term (direction, data)
// CHECK-NEXT:        term 0: a = k; x = beta; y = 0
// CHECK-NEXT:      readout prev: q
larc.rule @weighted_normaliser dims ["K", "V"] {
  %q = larc.input "q" query : !larc.vec<K>
  %k = larc.input "k" key : !larc.vec<K>
  %v = larc.input "v" value : !larc.vec<V>
  %beta = larc.input "beta" coefficient : !larc.scalar
  %S = larc.state "S" : !larc.state<K, V>
  %z = larc.state "z" : !larc.state<K>
  %I = larc.identity : !larc.mat<K, K>
  %kv = larc.outer %k, %v : !larc.vec<K>, !larc.vec<V>
  %bkv = larc.mul %beta, %kv : !larc.scalar, !larc.mat<K, V>
  larc.recur %S = %I, %bkv : !larc.state<K, V>, !larc.mat<K, K>, !larc.mat<K, V>
  %bk = larc.mul %beta, %k : !larc.scalar, !larc.vec<K>
  larc.recur %z = %I, %bk : !larc.state<K>, !larc.mat<K, K>, !larc.vec<K>
  %num = larc.readout %S, %q : !larc.state<K, V>, !larc.vec<K> -> !larc.vec<V>
  %den = larc.readout %z, %q prev : !larc.state<K>, !larc.vec<K> -> !larc.scalar
  %o = larc.div %num, %den : !larc.vec<V>, !larc.scalar
  larc.output "o", %o : !larc.vec<V>
}
