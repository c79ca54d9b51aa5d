// RUN: larc-opt %s | FileCheck %s
// RUN: larc-opt %s | larc-opt | FileCheck %s
// RUN: larc-opt %s -mlir-print-op-generic | larc-opt | FileCheck %s

// Every rule of design.md §1 in a few ops each.

// CHECK-LABEL: larc.rule @linear_attention dims ["K", "V"]
// CHECK: %[[Z:.*]] = larc.state "z" : !larc.state<K>
// CHECK: larc.recur %[[Z]] = %{{.*}}, %{{.*}} : !larc.state<K>, !larc.mat<K, K>, !larc.vec<K>
// CHECK: larc.readout %[[Z]], %{{.*}} : !larc.state<K>, !larc.vec<K> -> !larc.scalar
// CHECK: larc.div %{{.*}}, %{{.*}} : !larc.vec<V>, !larc.scalar
larc.rule @linear_attention dims ["K", "V"] {
  %q = larc.input "q" query : !larc.vec<K>
  %k = larc.input "k" key : !larc.vec<K>
  %v = larc.input "v" value : !larc.vec<V>
  %S = larc.state "S" : !larc.state<K, V>
  %z = larc.state "z" : !larc.state<K>
  %one = larc.constant 1.0
  %ek = larc.elu %k : !larc.vec<K>
  %fk = larc.add %ek, %one : !larc.vec<K>, !larc.scalar
  %eq = larc.elu %q : !larc.vec<K>
  %fq = larc.add %eq, %one : !larc.vec<K>, !larc.scalar
  %I = larc.identity : !larc.mat<K, K>
  %kv = larc.outer %fk, %v : !larc.vec<K>, !larc.vec<V>
  larc.recur %S = %I, %kv : !larc.state<K, V>, !larc.mat<K, K>, !larc.mat<K, V>
  larc.recur %z = %I, %fk : !larc.state<K>, !larc.mat<K, K>, !larc.vec<K>
  %num = larc.readout %S, %fq : !larc.state<K, V>, !larc.vec<K> -> !larc.vec<V>
  %den = larc.readout %z, %fq : !larc.state<K>, !larc.vec<K> -> !larc.scalar
  %o = larc.div %num, %den : !larc.vec<V>, !larc.scalar
  larc.output "o", %o : !larc.vec<V>
}

// CHECK-LABEL: larc.rule @retnet
// CHECK: larc.head_index
// CHECK: larc.pow
larc.rule @retnet dims ["K", "V"] {
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
  %qs = larc.mul %s, %q : !larc.scalar, !larc.vec<K>
  %o = larc.readout %S, %qs : !larc.state<K, V>, !larc.vec<K> -> !larc.vec<V>
  larc.output "o", %o : !larc.vec<V>
}

// CHECK-LABEL: larc.rule @gla
// CHECK: larc.diag %{{.*}} : !larc.vec<K> -> !larc.mat<K, K>
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
  %o = larc.readout %S, %q : !larc.state<K, V>, !larc.vec<K> -> !larc.vec<V>
  larc.output "o", %o : !larc.vec<V>
}

// KDA: Householder after a per-key decay.
// CHECK-LABEL: larc.rule @kda
// CHECK: %[[H:.*]] = larc.householder %{{.*}}, %{{.*}} : !larc.scalar, !larc.vec<K>
// CHECK: larc.matmul %[[H]], %{{.*}} : !larc.mat<K, K>, !larc.mat<K, K>
larc.rule @kda dims ["K", "V"] {
  %q = larc.input "q" query : !larc.vec<K>
  %k = larc.input "k" key : !larc.vec<K>
  %v = larc.input "v" value : !larc.vec<V>
  %g = larc.input "g" log_gate : !larc.vec<K>
  %beta = larc.input "beta" coefficient : !larc.scalar
  %S = larc.state "S" : !larc.state<K, V>
  %e = larc.exp %g : !larc.vec<K>
  %D = larc.diag %e : !larc.vec<K> -> !larc.mat<K, K>
  %H = larc.householder %beta, %k : !larc.scalar, !larc.vec<K>
  %A = larc.matmul %H, %D : !larc.mat<K, K>, !larc.mat<K, K>
  %bv = larc.mul %beta, %v : !larc.scalar, !larc.vec<V>
  %B = larc.outer %k, %bv : !larc.vec<K>, !larc.vec<V>
  larc.recur %S = %A, %B : !larc.state<K, V>, !larc.mat<K, K>, !larc.mat<K, V>
  %o = larc.readout %S, %q : !larc.state<K, V>, !larc.vec<K> -> !larc.vec<V>
  larc.output "o", %o : !larc.vec<V>
}

// DeltaNet written with an explicit prediction of the previous state.
// CHECK-LABEL: larc.rule @delta_prediction
// CHECK: larc.readout %{{.*}}, %{{.*}} prev : !larc.state<K, V>, !larc.vec<K> -> !larc.vec<V>
larc.rule @delta_prediction dims ["K", "V"] {
  %q = larc.input "q" query : !larc.vec<K>
  %k = larc.input "k" key : !larc.vec<K>
  %v = larc.input "v" value : !larc.vec<V>
  %beta = larc.input "beta" coefficient : !larc.scalar
  %S = larc.state "S" : !larc.state<K, V>
  %pred = larc.readout %S, %k prev : !larc.state<K, V>, !larc.vec<K> -> !larc.vec<V>
  %err = larc.sub %v, %pred : !larc.vec<V>, !larc.vec<V>
  %bk = larc.mul %beta, %k : !larc.scalar, !larc.vec<K>
  %B = larc.outer %bk, %err : !larc.vec<K>, !larc.vec<V>
  %I = larc.identity : !larc.mat<K, K>
  larc.recur %S = %I, %B : !larc.state<K, V>, !larc.mat<K, K>, !larc.mat<K, V>
  %o = larc.readout %S, %q : !larc.state<K, V>, !larc.vec<K> -> !larc.vec<V>
  larc.output "o", %o : !larc.vec<V>
}

// DeltaProduct: two Householder factors per token.
// CHECK-LABEL: larc.rule @delta_product
// CHECK-COUNT-2: larc.householder
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

// A transposed state read by contracting its second axis, a vector state read
// whole (before and after its update), and the maps that chain them.
// CHECK-LABEL: larc.rule @apply_and_maps
// CHECK: %[[P:.*]] = larc.state "P" : !larc.state<V, K>
// CHECK: %[[Z:.*]] = larc.state "z" : !larc.state<K>
// CHECK: larc.apply %[[Z]] prev : !larc.state<K> -> !larc.vec<K>
// CHECK: larc.abs %{{.*}} : !larc.vec<K>
// CHECK: larc.apply %[[P]], %{{.*}} : !larc.state<V, K>, !larc.vec<K> -> !larc.vec<V>
// CHECK: larc.softmax %{{.*}} : !larc.vec<V>
// CHECK: larc.apply %[[Z]] : !larc.state<K> -> !larc.vec<K>
larc.rule @apply_and_maps dims ["K", "V"] {
  %q = larc.input "q" query : !larc.vec<K>
  %k = larc.input "k" key : !larc.vec<K>
  %v = larc.input "v" key : !larc.vec<V>
  %P = larc.state "P" : !larc.state<V, K>
  %z = larc.state "z" : !larc.state<K>
  %I = larc.identity : !larc.mat<K, K>
  larc.recur %z = %I, %k : !larc.state<K>, !larc.mat<K, K>, !larc.vec<K>
  %zp = larc.apply %z prev : !larc.state<K> -> !larc.vec<K>
  %a = larc.abs %zp : !larc.vec<K>
  %IV = larc.identity : !larc.mat<V, V>
  %u = larc.outer %v, %a : !larc.vec<V>, !larc.vec<K>
  larc.recur %P = %IV, %u : !larc.state<V, K>, !larc.mat<V, V>, !larc.mat<V, K>
  %o = larc.apply %P, %q : !larc.state<V, K>, !larc.vec<K> -> !larc.vec<V>
  %w = larc.softmax %o : !larc.vec<V>
  %h = larc.apply %z : !larc.state<K> -> !larc.vec<K>
  larc.output "w", %w : !larc.vec<V>
  larc.output "h", %h : !larc.vec<K>
}

// A feature map that changes the key dimension: dims sized by others.
// CHECK-LABEL: larc.rule @taylor dims ["K", "V", "KK", "F"] attributes {derived_dims = {F = {{\[\[}}1], [1, "K"], [1, "K", "K"]], KK = {{\[\[}}1, "K", "K"]]}}
// CHECK: larc.kron %{{.*}}, %{{.*}} : !larc.vec<K>, !larc.vec<K> -> !larc.vec<KK>
// CHECK: larc.concat %{{.*}}, %{{.*}}, %{{.*}} : !larc.scalar, !larc.vec<K>, !larc.vec<KK> -> !larc.vec<F>
larc.rule @taylor dims ["K", "V", "KK", "F"] attributes {derived_dims = {F = [[1], [1, "K"], [1, "K", "K"]], KK = [[1, "K", "K"]]}} {
  %q = larc.input "q" query : !larc.vec<K>
  %k = larc.input "k" key : !larc.vec<K>
  %v = larc.input "v" value : !larc.vec<V>
  %S = larc.state "S" : !larc.state<F, V>
  %one = larc.constant 1.0
  %kk = larc.kron %k, %k : !larc.vec<K>, !larc.vec<K> -> !larc.vec<KK>
  %fk = larc.concat %one, %k, %kk : !larc.scalar, !larc.vec<K>, !larc.vec<KK> -> !larc.vec<F>
  %I = larc.identity : !larc.mat<F, F>
  %u = larc.outer %fk, %v : !larc.vec<F>, !larc.vec<V>
  larc.recur %S = %I, %u : !larc.state<F, V>, !larc.mat<F, F>, !larc.mat<F, V>
  %qq = larc.kron %q, %q : !larc.vec<K>, !larc.vec<K> -> !larc.vec<KK>
  %fq = larc.concat %one, %q, %qq : !larc.scalar, !larc.vec<K>, !larc.vec<KK> -> !larc.vec<F>
  %o = larc.readout %S, %fq : !larc.state<F, V>, !larc.vec<F> -> !larc.vec<V>
  larc.output "o", %o : !larc.vec<V>
}
