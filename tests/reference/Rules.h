//===- Rules.h - the rules the reference tests run, as MLIR text -*- C++
//-*-===//
//
// One rule per variant of design.md §1, written the way the frontend would
// emit it. Tests parse them with parseRule (TestSupport.h).
//
//===----------------------------------------------------------------------===//

#ifndef LARC_TESTS_REFERENCE_RULES_H
#define LARC_TESTS_REFERENCE_RULES_H

namespace larc::test {

/// Linear attention with the elu+1 feature map and the normaliser z:
/// o = (S^T phi(q)) / (z . phi(q)).
inline constexpr const char *kLinearAttention = R"mlir(
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
  larc.output "den", %den : !larc.scalar
}
)mlir";

/// RetNet: constant per-head decay gamma_h = 1 - 2^(-5-h), scaled query.
inline constexpr const char *kRetNet = R"mlir(
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
  larc.output "gamma", %gamma : !larc.scalar
}
)mlir";

/// Simple GLA / Mamba-2: a scalar data-dependent gate diag(exp(g)).
inline constexpr const char *kSimpleGla = R"mlir(
larc.rule @simple_gla dims ["K", "V"] {
  %q = larc.input "q" query : !larc.vec<K>
  %k = larc.input "k" key : !larc.vec<K>
  %v = larc.input "v" value : !larc.vec<V>
  %g = larc.input "g" log_gate : !larc.scalar
  %S = larc.state "S" : !larc.state<K, V>
  %eg = larc.exp %g : !larc.scalar
  %D = larc.diag %eg : !larc.scalar -> !larc.mat<K, K>
  %kv = larc.outer %k, %v : !larc.vec<K>, !larc.vec<V>
  larc.recur %S = %D, %kv : !larc.state<K, V>, !larc.mat<K, K>, !larc.mat<K, V>
  %o = larc.readout %S, %q : !larc.state<K, V>, !larc.vec<K> -> !larc.vec<V>
  larc.output "o", %o : !larc.vec<V>
}
)mlir";

/// GLA: per-key gates diag(exp(gk)).
inline constexpr const char *kGla = R"mlir(
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
)mlir";

/// DeltaNet: S = (I - beta k k^T) S + beta k v^T.
inline constexpr const char *kDeltaNet = R"mlir(
larc.rule @deltanet dims ["K", "V"] {
  %q = larc.input "q" query : !larc.vec<K>
  %k = larc.input "k" key : !larc.vec<K>
  %v = larc.input "v" value : !larc.vec<V>
  %beta = larc.input "beta" coefficient : !larc.scalar
  %S = larc.state "S" : !larc.state<K, V>
  %H = larc.householder %beta, %k : !larc.scalar, !larc.vec<K>
  %bv = larc.mul %beta, %v : !larc.scalar, !larc.vec<V>
  %B = larc.outer %k, %bv : !larc.vec<K>, !larc.vec<V>
  larc.recur %S = %H, %B : !larc.state<K, V>, !larc.mat<K, K>, !larc.mat<K, V>
  %o = larc.readout %S, %q : !larc.state<K, V>, !larc.vec<K> -> !larc.vec<V>
  larc.output "o", %o : !larc.vec<V>
}
)mlir";

/// DeltaNet spelled with matrix sums, differences and scalings instead of
/// larc.householder: A = (I - beta k k^T) / 1, B = (k v^T) beta.
inline constexpr const char *kDeltaNetBySum = R"mlir(
larc.rule @deltanet_by_sum dims ["K", "V"] {
  %q = larc.input "q" query : !larc.vec<K>
  %k = larc.input "k" key : !larc.vec<K>
  %v = larc.input "v" value : !larc.vec<V>
  %beta = larc.input "beta" coefficient : !larc.scalar
  %S = larc.state "S" : !larc.state<K, V>
  %I = larc.identity : !larc.mat<K, K>
  %kk = larc.outer %k, %k : !larc.vec<K>, !larc.vec<K>
  %bkk = larc.mul %beta, %kk : !larc.scalar, !larc.mat<K, K>
  %H = larc.sub %I, %bkk : !larc.mat<K, K>, !larc.mat<K, K>
  %one = larc.constant 1.0
  %A = larc.div %H, %one : !larc.mat<K, K>, !larc.scalar
  %kv = larc.outer %k, %v : !larc.vec<K>, !larc.vec<V>
  %B = larc.mul %kv, %beta : !larc.mat<K, V>, !larc.scalar
  larc.recur %S = %A, %B : !larc.state<K, V>, !larc.mat<K, K>, !larc.mat<K, V>
  %o = larc.readout %S, %q : !larc.state<K, V>, !larc.vec<K> -> !larc.vec<V>
  larc.output "o", %o : !larc.vec<V>
}
)mlir";

/// Gated DeltaNet: S = exp(g) (I - beta k k^T) S + beta k v^T.
inline constexpr const char *kGatedDelta = R"mlir(
larc.rule @gated_delta dims ["K", "V"] {
  %q = larc.input "q" query : !larc.vec<K>
  %k = larc.input "k" key : !larc.vec<K>
  %v = larc.input "v" value : !larc.vec<V>
  %g = larc.input "g" log_gate : !larc.scalar
  %beta = larc.input "beta" coefficient : !larc.scalar
  %S = larc.state "S" : !larc.state<K, V>
  %eg = larc.exp %g : !larc.scalar
  %H = larc.householder %beta, %k : !larc.scalar, !larc.vec<K>
  %A = larc.mul %eg, %H : !larc.scalar, !larc.mat<K, K>
  %bv = larc.mul %beta, %v : !larc.scalar, !larc.vec<V>
  %B = larc.outer %k, %bv : !larc.vec<K>, !larc.vec<V>
  larc.recur %S = %A, %B : !larc.state<K, V>, !larc.mat<K, K>, !larc.mat<K, V>
  %o = larc.readout %S, %q : !larc.state<K, V>, !larc.vec<K> -> !larc.vec<V>
  larc.output "o", %o : !larc.vec<V>
}
)mlir";

/// Gated DeltaNet as flash-linear-attention runs it: L2-normalised q and k,
/// the default scale on q.
inline constexpr const char *kGatedDeltaFla = R"mlir(
larc.rule @gated_delta_fla dims ["K", "V"] {
  %q = larc.input "q" query : !larc.vec<K>
  %k = larc.input "k" key : !larc.vec<K>
  %v = larc.input "v" value : !larc.vec<V>
  %g = larc.input "g" log_gate : !larc.scalar
  %beta = larc.input "beta" coefficient : !larc.scalar
  %S = larc.state "S" : !larc.state<K, V>
  %qn = larc.l2norm %q : !larc.vec<K>
  %kn = larc.l2norm %k : !larc.vec<K>
  %s = larc.scale "K"
  %qs = larc.mul %s, %qn : !larc.scalar, !larc.vec<K>
  %eg = larc.exp %g : !larc.scalar
  %H = larc.householder %beta, %kn : !larc.scalar, !larc.vec<K>
  %A = larc.mul %eg, %H : !larc.scalar, !larc.mat<K, K>
  %bv = larc.mul %beta, %v : !larc.scalar, !larc.vec<V>
  %B = larc.outer %kn, %bv : !larc.vec<K>, !larc.vec<V>
  larc.recur %S = %A, %B : !larc.state<K, V>, !larc.mat<K, K>, !larc.mat<K, V>
  %o = larc.readout %S, %qs : !larc.state<K, V>, !larc.vec<K> -> !larc.vec<V>
  larc.output "o", %o : !larc.vec<V>
}
)mlir";

/// KDA: S = (I - beta k k^T) diag(exp(g)) S + beta k v^T.
inline constexpr const char *kKda = R"mlir(
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
)mlir";

/// DeltaProduct with two Householder factors per token:
/// S = H2 H1 S + H2 k1 (b1 v1)^T + k2 (b2 v2)^T.
inline constexpr const char *kDeltaProduct = R"mlir(
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
)mlir";

/// The delta rule written with an explicit prediction of the previous state:
/// S = S + beta k (v - S^T k)^T. Also outputs the prediction, read before the
/// update ("p") and again after it ("p_after"; `prev` still means S_{t-1}).
inline constexpr const char *kDeltaPrediction = R"mlir(
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
  %pa = larc.readout %S, %k prev : !larc.state<K, V>, !larc.vec<K> -> !larc.vec<V>
  larc.output "o", %o : !larc.vec<V>
  larc.output "p", %pred : !larc.vec<V>
  larc.output "p_after", %pa : !larc.vec<V>
}
)mlir";

/// The same delta rule with the update split into a difference of two
/// rank-1 terms: B = (beta k) v^T - (beta k) (S^T k)^T.
inline constexpr const char *kDeltaPredictionSplit = R"mlir(
larc.rule @delta_prediction_split dims ["K", "V"] {
  %q = larc.input "q" query : !larc.vec<K>
  %k = larc.input "k" key : !larc.vec<K>
  %v = larc.input "v" value : !larc.vec<V>
  %beta = larc.input "beta" coefficient : !larc.scalar
  %S = larc.state "S" : !larc.state<K, V>
  %pred = larc.readout %S, %k prev : !larc.state<K, V>, !larc.vec<K> -> !larc.vec<V>
  %bk = larc.mul %beta, %k : !larc.scalar, !larc.vec<K>
  %kv = larc.outer %bk, %v : !larc.vec<K>, !larc.vec<V>
  %kp = larc.outer %bk, %pred : !larc.vec<K>, !larc.vec<V>
  %B = larc.sub %kv, %kp : !larc.mat<K, V>, !larc.mat<K, V>
  %I = larc.identity : !larc.mat<K, K>
  larc.recur %S = %I, %B : !larc.state<K, V>, !larc.mat<K, K>, !larc.mat<K, V>
  %o = larc.readout %S, %q : !larc.state<K, V>, !larc.vec<K> -> !larc.vec<V>
  larc.output "o", %o : !larc.vec<V>
}
)mlir";

/// Decay after the Householder: S = D ((I - beta k k^T) S + beta k v^T).
inline constexpr const char *kDecayAfterHouseholder = R"mlir(
larc.rule @decay_after_householder dims ["K", "V"] {
  %q = larc.input "q" query : !larc.vec<K>
  %k = larc.input "k" key : !larc.vec<K>
  %v = larc.input "v" value : !larc.vec<V>
  %g = larc.input "g" log_gate : !larc.vec<K>
  %beta = larc.input "beta" coefficient : !larc.scalar
  %S = larc.state "S" : !larc.state<K, V>
  %e = larc.exp %g : !larc.vec<K>
  %D = larc.diag %e : !larc.vec<K> -> !larc.mat<K, K>
  %H = larc.householder %beta, %k : !larc.scalar, !larc.vec<K>
  %A = larc.matmul %D, %H : !larc.mat<K, K>, !larc.mat<K, K>
  %bv = larc.mul %beta, %v : !larc.scalar, !larc.vec<V>
  %u = larc.outer %k, %bv : !larc.vec<K>, !larc.vec<V>
  %B = larc.matmul %D, %u : !larc.mat<K, K>, !larc.mat<K, V>
  larc.recur %S = %A, %B : !larc.state<K, V>, !larc.mat<K, K>, !larc.mat<K, V>
  %o = larc.readout %S, %q : !larc.state<K, V>, !larc.vec<K> -> !larc.vec<V>
  larc.output "o", %o : !larc.vec<V>
}
)mlir";

/// DPLR (RWKV-7 style): S = (diag(w) + a b^T) S + k v^T.
inline constexpr const char *kDplr = R"mlir(
larc.rule @dplr dims ["K", "V"] {
  %q = larc.input "q" query : !larc.vec<K>
  %k = larc.input "k" key : !larc.vec<K>
  %v = larc.input "v" value : !larc.vec<V>
  %w = larc.input "w" gate : !larc.vec<K>
  %a = larc.input "a" coefficient : !larc.vec<K>
  %b = larc.input "b" coefficient : !larc.vec<K>
  %S = larc.state "S" : !larc.state<K, V>
  %D = larc.diag %w : !larc.vec<K> -> !larc.mat<K, K>
  %ab = larc.outer %a, %b : !larc.vec<K>, !larc.vec<K>
  %A = larc.add %D, %ab : !larc.mat<K, K>, !larc.mat<K, K>
  %kv = larc.outer %k, %v : !larc.vec<K>, !larc.vec<V>
  larc.recur %S = %A, %kv : !larc.state<K, V>, !larc.mat<K, K>, !larc.mat<K, V>
  %o = larc.readout %S, %q : !larc.state<K, V>, !larc.vec<K> -> !larc.vec<V>
  larc.output "o", %o : !larc.vec<V>
}
)mlir";

} // namespace larc::test

#endif // LARC_TESTS_REFERENCE_RULES_H
