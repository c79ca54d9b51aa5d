// RUN: larc-opt %s -split-input-file -larc-derive-chunk-form="chunk-size=16" | FileCheck %s
// RUN: larc-opt %s -split-input-file -larc-derive-chunk-form="chunk-size=64 dtype=f32" | FileCheck %s --check-prefix=F32

// Additive (no decay, no probes): no cumulative decays, no solve.
// CHECK-LABEL: func.func @additive(
// CHECK-SAME: %{{.*}}: memref<?x?x?xf64>, %{{.*}}: memref<?x?x?xf64>, %{{.*}}: memref<?x?x?xf64>, %{{.*}}: memref<?x?x?x?xf64>, %{{.*}}: memref<?xi64>, %{{.*}}: f64, %{{.*}}: memref<?x?x?xf64>, %{{.*}}: memref<?x?x?x?xf64>)
// CHECK-SAME: larc.chunk_size = 16
// CHECK: scf.for
// CHECK: scf.for
// CHECK: chunk.load_state
// CHECK: scf.for {{.*}} iter_args
// CHECK-NOT: chunk.cumsum
// CHECK-NOT: chunk.solve_unit_lower
// CHECK: chunk.decayed_gram %{{.*}}, %{{.*}} mask "inclusive" : tensor<16x?xf64>, tensor<16x?xf64> -> tensor<16x16xf64>
// CHECK: chunk.matmul %{{.*}}, %{{.*}} transpose_lhs
// CHECK: chunk.store_rows
// CHECK: chunk.store_state
// F32-LABEL: func.func @additive(
// F32-SAME: memref<?x?x?xf32>
// F32: chunk.decayed_gram {{.*}} -> tensor<64x64xf32>
larc.rule @additive dims ["K", "V"] {
  %q = larc.input "q" query : !larc.vec<K>
  %k = larc.input "k" key : !larc.vec<K>
  %v = larc.input "v" value : !larc.vec<V>
  %S = larc.state "S" : !larc.state<K, V>
  %I = larc.identity : !larc.mat<K, K>
  %kv = larc.outer %k, %v : !larc.vec<K>, !larc.vec<V>
  larc.recur %S = %I, %kv : !larc.state<K, V>, !larc.mat<K, K>, !larc.mat<K, V>
  %o = larc.readout %S, %q : !larc.state<K, V>, !larc.vec<K> -> !larc.vec<V>
  larc.output "o", %o : !larc.vec<V>
}

// -----

// Scalar decay: a [C] column of cumulative log-gates weights the pairwise
// products, the inter-chunk readout and the state pass.
// CHECK-LABEL: func.func @scalar_gate(
// CHECK: %[[G:.*]] = chunk.mask_rows %{{.*}} : tensor<16xf64>
// CHECK: %[[B:.*]] = chunk.cumsum %[[G]] : tensor<16xf64>
// CHECK: chunk.decay_rows %{{.*}}, %[[B]] : tensor<16x?xf64>, tensor<16xf64>
// CHECK: chunk.decayed_gram %{{.*}}, %{{.*}} decays(%[[B]], %[[B]]) mask "inclusive"
// CHECK: chunk.decay_state %{{.*}}, %[[B]]
// CHECK: %[[E:.*]] = chunk.decay_to_end %[[B]]
// CHECK: chunk.decay_rows %{{.*}}, %[[E]]
// CHECK-NOT: chunk.solve_unit_lower
larc.rule @scalar_gate dims ["K", "V"] {
  %q = larc.input "q" query : !larc.vec<K>
  %k = larc.input "k" key : !larc.vec<K>
  %v = larc.input "v" value : !larc.vec<V>
  %g = larc.input "g" log_gate : !larc.scalar
  %S = larc.state "S" : !larc.state<K, V>
  %e = larc.exp %g : !larc.scalar
  %D = larc.diag %e : !larc.scalar -> !larc.mat<K, K>
  %kv = larc.outer %k, %v : !larc.vec<K>, !larc.vec<V>
  larc.recur %S = %D, %kv : !larc.state<K, V>, !larc.mat<K, K>, !larc.mat<K, V>
  %o = larc.readout %S, %q : !larc.state<K, V>, !larc.vec<K> -> !larc.vec<V>
  larc.output "o", %o : !larc.vec<V>
}

// -----

// Per-key decay: cumulative log-gates are [C, K] tiles, evaluated pairwise.
// CHECK-LABEL: func.func @per_key(
// CHECK: %[[B:.*]] = chunk.cumsum %{{.*}} : tensor<16x?xf64>
// CHECK: chunk.decayed_gram %{{.*}}, %{{.*}} decays(%[[B]], %[[B]]) mask "inclusive" : tensor<16x?xf64>, tensor<16x?xf64>, tensor<16x?xf64>, tensor<16x?xf64> -> tensor<16x16xf64>
// CHECK: chunk.decay_state %{{.*}}, %[[B]] : tensor<?x?xf64>, tensor<16x?xf64>
larc.rule @per_key dims ["K", "V"] {
  %q = larc.input "q" query : !larc.vec<K>
  %k = larc.input "k" key : !larc.vec<K>
  %v = larc.input "v" value : !larc.vec<V>
  %gk = larc.input "gk" log_gate : !larc.vec<K>
  %S = larc.state "S" : !larc.state<K, V>
  %e = larc.exp %gk : !larc.vec<K>
  %D = larc.diag %e : !larc.vec<K> -> !larc.mat<K, K>
  %kv = larc.outer %k, %v : !larc.vec<K>, !larc.vec<V>
  larc.recur %S = %D, %kv : !larc.state<K, V>, !larc.mat<K, K>, !larc.mat<K, V>
  %o = larc.readout %S, %q : !larc.state<K, V>, !larc.vec<K> -> !larc.vec<V>
  larc.output "o", %o : !larc.vec<V>
}

// -----

// Gated delta: probes give the strict system L, solved once per chunk (UT
// transform); probes read the state with the exclusive cumulative decay.
// CHECK-LABEL: func.func @gated_delta(
// CHECK: %[[BI:.*]] = chunk.cumsum %{{.*}} : tensor<16xf64>
// CHECK: %[[BX:.*]] = chunk.cumsum %{{.*}} exclusive : tensor<16xf64>
// CHECK: %[[L:.*]] = chunk.decayed_gram %{{.*}}, %{{.*}} decays(%[[BX]], %[[BI]]) mask "strict"
// CHECK: chunk.decay_rows %{{.*}}, %[[BX]]
// CHECK: %[[C:.*]] = chunk.solve_unit_lower %[[L]], %{{.*}} : tensor<16x16xf64>, tensor<16x?xf64>
// CHECK: %[[W:.*]] = chunk.decayed_gram %{{.*}}, %{{.*}} decays(%[[BI]], %[[BI]]) mask "inclusive"
// CHECK: chunk.matmul %[[W]], %[[C]]
// CHECK: chunk.matmul %{{.*}}, %[[C]] transpose_lhs
larc.rule @gated_delta dims ["K", "V"] {
  %q = larc.input "q" query : !larc.vec<K>
  %k = larc.input "k" key : !larc.vec<K>
  %v = larc.input "v" value : !larc.vec<V>
  %g = larc.input "g" log_gate : !larc.scalar
  %beta = larc.input "beta" coefficient : !larc.scalar
  %S = larc.state "S" : !larc.state<K, V>
  %eg = larc.exp %g : !larc.scalar
  %D = larc.diag %eg : !larc.scalar -> !larc.mat<K, K>
  %H = larc.householder %beta, %k : !larc.scalar, !larc.vec<K>
  %A = larc.matmul %D, %H : !larc.mat<K, K>, !larc.mat<K, K>
  %bv = larc.mul %beta, %v : !larc.scalar, !larc.vec<V>
  %B = larc.outer %k, %bv : !larc.vec<K>, !larc.vec<V>
  larc.recur %S = %A, %B : !larc.state<K, V>, !larc.mat<K, K>, !larc.mat<K, V>
  %o = larc.readout %S, %q : !larc.state<K, V>, !larc.vec<K> -> !larc.vec<V>
  larc.output "o", %o : !larc.vec<V>
}

// -----

// DeltaProduct: two sub-steps per token become two interleaved rows per
// token (pseudo-tokens); queries read after the second (rows 1, 3, 5, ...).
// CHECK-LABEL: func.func @delta_product(
// CHECK: chunk.interleave %{{.*}}, %{{.*}} : tensor<16x?xf64>, tensor<16x?xf64> -> tensor<32x?xf64>
// CHECK: chunk.decayed_gram {{.*}} mask "strict" {{.*}} -> tensor<32x32xf64>
// CHECK: chunk.solve_unit_lower {{.*}} : tensor<32x32xf64>, tensor<32x?xf64>
// CHECK: chunk.decayed_gram {{.*}} mask "inclusive" {lhs_time = array<i64: 1, 2, 1>} : {{.*}} -> tensor<16x32xf64>
larc.rule @delta_product dims ["K", "V"] {
  %q = larc.input "q" query : !larc.vec<K>
  %k1 = larc.input "k1" key : !larc.vec<K>
  %k2 = larc.input "k2" key : !larc.vec<K>
  %v1 = larc.input "v1" value : !larc.vec<V>
  %v2 = larc.input "v2" value : !larc.vec<V>
  %b1 = larc.input "beta1" coefficient : !larc.scalar
  %b2 = larc.input "beta2" coefficient : !larc.scalar
  %S = larc.state "S" : !larc.state<K, V>
  %H1 = larc.householder %b1, %k1 : !larc.scalar, !larc.vec<K>
  %H2 = larc.householder %b2, %k2 : !larc.scalar, !larc.vec<K>
  %A = larc.matmul %H2, %H1 : !larc.mat<K, K>, !larc.mat<K, K>
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

// -----

// A vector state (the normaliser) is a state with one value column; its
// readout is a scalar column.
// CHECK-LABEL: func.func @normaliser(
// CHECK: tensor.expand_shape %{{.*}} {{\[\[}}0, 1]] output_shape [16, 1] : tensor<16xf64> into tensor<16x1xf64>
// CHECK: tensor.collapse_shape %{{.*}} {{\[\[}}0, 1]] : tensor<16x1xf64> into tensor<16xf64>
larc.rule @normaliser dims ["K", "V"] {
  %q = larc.input "q" query : !larc.vec<K>
  %k = larc.input "k" key : !larc.vec<K>
  %z = larc.state "z" : !larc.state<K>
  %I = larc.identity : !larc.mat<K, K>
  larc.recur %z = %I, %k : !larc.state<K>, !larc.mat<K, K>, !larc.vec<K>
  %n = larc.readout %z, %q : !larc.state<K>, !larc.vec<K> -> !larc.scalar
  larc.output "n", %n : !larc.scalar
}

// -----

// A per-key-gated vector state read whole (HGRN), chained into a second
// state's update that reads it before its update: h advances first, whatever
// the body order, and its reads are decayed mixes of the written rows.
// CHECK-LABEL: func.func @chained_whole_reads(
// CHECK: scf.for {{.*}} iter_args
// CHECK: chunk.cumsum
// CHECK: chunk.matmul %{{.*}}, %{{.*}} transpose_rhs : tensor<16x?xf64>, tensor<?x?xf64> -> tensor<16x?xf64>
// CHECK: chunk.matmul %{{.*}}, %{{.*}} transpose_rhs : tensor<16x?xf64>, tensor<16x1xf64> -> tensor<16x16xf64>
// CHECK: chunk.decayed_mix %{{.*}}, %{{.*}} decays(%[[EXCL:.*]], %[[INCL:.*]]) mask "strict" : tensor<16x16xf64>, tensor<16x?xf64>, tensor<16x?xf64>, tensor<16x?xf64> -> tensor<16x?xf64>
// CHECK: chunk.decayed_mix %{{.*}}, %{{.*}} decays(%[[INCL]], %[[INCL]]) mask "inclusive"
// CHECK: chunk.decay_state
// CHECK: chunk.decayed_gram
// CHECK: scf.yield
larc.rule @chained_whole_reads dims ["K", "V"] {
  %q = larc.input "q" query : !larc.vec<K>
  %k = larc.input "k" key : !larc.vec<K>
  %v = larc.input "v" value : !larc.vec<V>
  %g = larc.input "g" log_gate : !larc.vec<K>
  %S = larc.state "S" : !larc.state<K, V>
  %h = larc.state "h" : !larc.state<K>
  %hp = larc.apply %h prev : !larc.state<K> -> !larc.vec<K>
  %a = larc.mul %k, %hp : !larc.vec<K>, !larc.vec<K>
  %I = larc.identity : !larc.mat<K, K>
  %kv = larc.outer %a, %v : !larc.vec<K>, !larc.vec<V>
  larc.recur %S = %I, %kv : !larc.state<K, V>, !larc.mat<K, K>, !larc.mat<K, V>
  %e = larc.exp %g : !larc.vec<K>
  %D = larc.diag %e : !larc.vec<K> -> !larc.mat<K, K>
  larc.recur %h = %D, %k : !larc.state<K>, !larc.mat<K, K>, !larc.vec<K>
  %o = larc.readout %S, %q : !larc.state<K, V>, !larc.vec<K> -> !larc.vec<V>
  %ho = larc.apply %h : !larc.state<K> -> !larc.vec<K>
  larc.output "o", %o : !larc.vec<V>
  larc.output "h", %ho : !larc.vec<K>
}
