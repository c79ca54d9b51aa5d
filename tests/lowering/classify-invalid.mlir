// RUN: larc-opt %s -split-input-file -verify-diagnostics -larc-print-classification -o /dev/null

// Every refusal of the classification, each naming the term that falls
// outside the supported algebra and why.

larc.rule @transition_reads_state dims ["K", "V"] {
  %q = larc.input "q" query : !larc.vec<K>
  %k = larc.input "k" key : !larc.vec<K>
  %v = larc.input "v" value : !larc.vec<V>
  %S = larc.state "S" : !larc.state<K, V>
  // expected-error @+1 {{the transition of 'S' depends on the state 'S' through this readout; a transition must not depend on the state it updates}}
  %p = larc.readout %S, %k prev : !larc.state<K, V>, !larc.vec<K> -> !larc.vec<V>
  %c = larc.dot %p, %v : !larc.vec<V>
  %D = larc.diag %c : !larc.scalar -> !larc.mat<K, K>
  %kv = larc.outer %k, %v : !larc.vec<K>, !larc.vec<V>
  larc.recur %S = %D, %kv : !larc.state<K, V>, !larc.mat<K, K>, !larc.mat<K, V>
  %o = larc.readout %S, %q : !larc.state<K, V>, !larc.vec<K> -> !larc.vec<V>
  larc.output "o", %o : !larc.vec<V>
}

// -----

larc.rule @exp_of_readout dims ["K", "V"] {
  %q = larc.input "q" query : !larc.vec<K>
  %k = larc.input "k" key : !larc.vec<K>
  %S = larc.state "S" : !larc.state<K, V>
  %I = larc.identity : !larc.mat<K, K>
  %p = larc.readout %S, %k prev : !larc.state<K, V>, !larc.vec<K> -> !larc.vec<V>
  // expected-error @+1 {{the update of 'S' is not linear in the previous state: 'larc.exp' of a readout ('exp(prev(S)^T k)')}}
  %e = larc.exp %p : !larc.vec<V>
  %B = larc.outer %k, %e : !larc.vec<K>, !larc.vec<V>
  larc.recur %S = %I, %B : !larc.state<K, V>, !larc.mat<K, K>, !larc.mat<K, V>
  %o = larc.readout %S, %q : !larc.state<K, V>, !larc.vec<K> -> !larc.vec<V>
  larc.output "o", %o : !larc.vec<V>
}

// -----

larc.rule @product_of_readouts dims ["K", "V"] {
  %q = larc.input "q" query : !larc.vec<K>
  %k = larc.input "k" key : !larc.vec<K>
  %S = larc.state "S" : !larc.state<K, V>
  %I = larc.identity : !larc.mat<K, K>
  %p = larc.readout %S, %k prev : !larc.state<K, V>, !larc.vec<K> -> !larc.vec<V>
  %r = larc.readout %S, %q prev : !larc.state<K, V>, !larc.vec<K> -> !larc.vec<V>
  // expected-error @+1 {{the update of 'S' is not linear in the previous state: 'larc.mul' of two factors that both read it}}
  %pr = larc.mul %p, %r : !larc.vec<V>, !larc.vec<V>
  %B = larc.outer %k, %pr : !larc.vec<K>, !larc.vec<V>
  larc.recur %S = %I, %B : !larc.state<K, V>, !larc.mat<K, K>, !larc.mat<K, V>
  %o = larc.readout %S, %q : !larc.state<K, V>, !larc.vec<K> -> !larc.vec<V>
  larc.output "o", %o : !larc.vec<V>
}

// -----

larc.rule @per_value_coefficient dims ["K", "V"] {
  %q = larc.input "q" query : !larc.vec<K>
  %k = larc.input "k" key : !larc.vec<K>
  %v = larc.input "v" value : !larc.vec<V>
  %S = larc.state "S" : !larc.state<K, V>
  %I = larc.identity : !larc.mat<K, K>
  %p = larc.readout %S, %k prev : !larc.state<K, V>, !larc.vec<K> -> !larc.vec<V>
  // expected-error @+1 {{a per-value coefficient 'v' on a readout of 'S' makes one triangular system per value column; not supported}}
  %vp = larc.mul %v, %p : !larc.vec<V>, !larc.vec<V>
  %err = larc.sub %v, %vp : !larc.vec<V>, !larc.vec<V>
  %B = larc.outer %k, %err : !larc.vec<K>, !larc.vec<V>
  larc.recur %S = %I, %B : !larc.state<K, V>, !larc.mat<K, K>, !larc.mat<K, V>
  %o = larc.readout %S, %q : !larc.state<K, V>, !larc.vec<K> -> !larc.vec<V>
  larc.output "o", %o : !larc.vec<V>
}

// -----

larc.rule @division_by_readout dims ["K", "V"] {
  %q = larc.input "q" query : !larc.vec<K>
  %k = larc.input "k" key : !larc.vec<K>
  %v = larc.input "v" value : !larc.vec<V>
  %S = larc.state "S" : !larc.state<K, V>
  %I = larc.identity : !larc.mat<K, K>
  %p = larc.readout %S, %k prev : !larc.state<K, V>, !larc.vec<K> -> !larc.vec<V>
  %n = larc.dot %p, %p : !larc.vec<V>
  // expected-error @+1 {{the update of 'S' is not linear in the previous state: a division by a readout}}
  %x = larc.div %v, %n : !larc.vec<V>, !larc.scalar
  %B = larc.outer %k, %x : !larc.vec<K>, !larc.vec<V>
  larc.recur %S = %I, %B : !larc.state<K, V>, !larc.mat<K, K>, !larc.mat<K, V>
  %o = larc.readout %S, %q : !larc.state<K, V>, !larc.vec<K> -> !larc.vec<V>
  larc.output "o", %o : !larc.vec<V>
}

// -----

larc.rule @coupled_states dims ["K", "V"] {
  %q = larc.input "q" query : !larc.vec<K>
  %k = larc.input "k" key : !larc.vec<K>
  %v = larc.input "v" value : !larc.vec<V>
  %S = larc.state "S" : !larc.state<K, V>
  %z = larc.state "z" : !larc.state<K>
  %I = larc.identity : !larc.mat<K, K>
  %zk = larc.readout %z, %k prev : !larc.state<K>, !larc.vec<K> -> !larc.scalar
  %x = larc.div %v, %zk : !larc.vec<V>, !larc.scalar
  %B = larc.outer %k, %x : !larc.vec<K>, !larc.vec<V>
  // expected-error @+1 {{the update of 'S' reads a state whose update reads 'S' back (directly or through other states): coupled states are not supported}}
  larc.recur %S = %I, %B : !larc.state<K, V>, !larc.mat<K, K>, !larc.mat<K, V>
  %Sv = larc.apply %S, %v prev : !larc.state<K, V>, !larc.vec<V> -> !larc.vec<K>
  larc.recur %z = %I, %Sv : !larc.state<K>, !larc.mat<K, K>, !larc.vec<K>
  %o = larc.readout %S, %q : !larc.state<K, V>, !larc.vec<K> -> !larc.vec<V>
  larc.output "o", %o : !larc.vec<V>
}

// -----

larc.rule @value_side_probe dims ["K", "V"] {
  %q = larc.input "q" query : !larc.vec<K>
  %k = larc.input "k" key : !larc.vec<K>
  %v = larc.input "v" value : !larc.vec<V>
  %S = larc.state "S" : !larc.state<K, V>
  %I = larc.identity : !larc.mat<K, K>
  // expected-error @+1 {{the update of 'S' applies the state to a vector over its value dimension ('prev(S) v'); that puts a probe on the value side}}
  %Sv = larc.apply %S, %v prev : !larc.state<K, V>, !larc.vec<V> -> !larc.vec<K>
  %d = larc.sub %k, %Sv : !larc.vec<K>, !larc.vec<K>
  %B = larc.outer %d, %v : !larc.vec<K>, !larc.vec<V>
  larc.recur %S = %I, %B : !larc.state<K, V>, !larc.mat<K, K>, !larc.mat<K, V>
  %o = larc.readout %S, %q : !larc.state<K, V>, !larc.vec<K> -> !larc.vec<V>
  larc.output "o", %o : !larc.vec<V>
}

// -----

larc.rule @whole_state_in_own_update dims ["K"] {
  %k = larc.input "k" key : !larc.vec<K>
  %z = larc.state "z" : !larc.state<K>
  %I = larc.identity : !larc.mat<K, K>
  // expected-error @+1 {{the update of 'z' reads the whole previous state ('prev(z)') outside a readout}}
  %zp = larc.apply %z prev : !larc.state<K> -> !larc.vec<K>
  %e = larc.exp %zp : !larc.vec<K>
  %u = larc.mul %k, %e : !larc.vec<K>, !larc.vec<K>
  larc.recur %z = %I, %u : !larc.state<K>, !larc.mat<K, K>, !larc.vec<K>
  %h = larc.apply %z : !larc.state<K> -> !larc.vec<K>
  larc.output "h", %h : !larc.vec<K>
}

// -----

larc.rule @pure_rank_one dims ["K", "V"] {
  %q = larc.input "q" query : !larc.vec<K>
  %k = larc.input "k" key : !larc.vec<K>
  %v = larc.input "v" value : !larc.vec<V>
  %S = larc.state "S" : !larc.state<K, V>
  // expected-error @+1 {{the transition factor 'outer(k, k)' of 'S' has no diagonal part: a pure rank-1 transition is not supported}}
  %A = larc.outer %k, %k : !larc.vec<K>, !larc.vec<K>
  %kv = larc.outer %k, %v : !larc.vec<K>, !larc.vec<V>
  larc.recur %S = %A, %kv : !larc.state<K, V>, !larc.mat<K, K>, !larc.mat<K, V>
  %o = larc.readout %S, %q : !larc.state<K, V>, !larc.vec<K> -> !larc.vec<V>
  larc.output "o", %o : !larc.vec<V>
}

// -----

larc.rule @negative_decay dims ["K", "V"] {
  %q = larc.input "q" query : !larc.vec<K>
  %k = larc.input "k" key : !larc.vec<K>
  %v = larc.input "v" value : !larc.vec<V>
  %S = larc.state "S" : !larc.state<K, V>
  %m1 = larc.constant -1.0
  %I = larc.identity : !larc.mat<K, K>
  // expected-error @+1 {{the decay '-1' in the transition of 'S' is not positive; larc works with the log of a decay}}
  %A = larc.mul %m1, %I : !larc.scalar, !larc.mat<K, K>
  %kv = larc.outer %k, %v : !larc.vec<K>, !larc.vec<V>
  larc.recur %S = %A, %kv : !larc.state<K, V>, !larc.mat<K, K>, !larc.mat<K, V>
  %o = larc.readout %S, %q : !larc.state<K, V>, !larc.vec<K> -> !larc.vec<V>
  larc.output "o", %o : !larc.vec<V>
}

// -----

larc.rule @sum_of_products dims ["K", "V"] {
  %q = larc.input "q" query : !larc.vec<K>
  %k1 = larc.input "k1" key : !larc.vec<K>
  %k2 = larc.input "k2" key : !larc.vec<K>
  %v = larc.input "v" value : !larc.vec<V>
  %beta = larc.input "beta" coefficient : !larc.scalar
  %S = larc.state "S" : !larc.state<K, V>
  %H1 = larc.householder %beta, %k1 : !larc.scalar, !larc.vec<K>
  %H2 = larc.householder %beta, %k2 : !larc.scalar, !larc.vec<K>
  %P = larc.matmul %H2, %H1 : !larc.mat<K, K>, !larc.mat<K, K>
  %I = larc.identity : !larc.mat<K, K>
  // expected-error @+1 {{the transition of 'S' is not diagonal plus rank-1: the sum 'larc.add' has an operand 'householder(beta, k2) @ householder(beta, k1)' that is a product of 2 factors with rank-1 parts}}
  %A = larc.add %P, %I : !larc.mat<K, K>, !larc.mat<K, K>
  %kv = larc.outer %k1, %v : !larc.vec<K>, !larc.vec<V>
  larc.recur %S = %A, %kv : !larc.state<K, V>, !larc.mat<K, K>, !larc.mat<K, V>
  %o = larc.readout %S, %q : !larc.state<K, V>, !larc.vec<K> -> !larc.vec<V>
  larc.output "o", %o : !larc.vec<V>
}

// -----

larc.rule @not_a_leading_part dims ["K", "V"] {
  %q = larc.input "q" query : !larc.vec<K>
  %k1 = larc.input "k1" key : !larc.vec<K>
  %k2 = larc.input "k2" key : !larc.vec<K>
  %v = larc.input "v" value : !larc.vec<V>
  %b = larc.input "beta" coefficient : !larc.scalar
  %S = larc.state "S" : !larc.state<K, V>
  %H1 = larc.householder %b, %k1 : !larc.scalar, !larc.vec<K>
  %H2 = larc.householder %b, %k2 : !larc.scalar, !larc.vec<K>
  %A = larc.matmul %H2, %H1 : !larc.mat<K, K>, !larc.mat<K, K>
  %u = larc.outer %k1, %v : !larc.vec<K>, !larc.vec<V>
  // expected-error @+1 {{the left multiplier 'householder(beta, k1)' of an update term of 'S' is not a leading part of its transition}}
  %B = larc.matmul %H1, %u : !larc.mat<K, K>, !larc.mat<K, V>
  larc.recur %S = %A, %B : !larc.state<K, V>, !larc.mat<K, K>, !larc.mat<K, V>
  %o = larc.readout %S, %q : !larc.state<K, V>, !larc.vec<K> -> !larc.vec<V>
  larc.output "o", %o : !larc.vec<V>
}

// -----

larc.rule @inside_a_sub_step dims ["K", "V"] {
  %q = larc.input "q" query : !larc.vec<K>
  %k = larc.input "k" key : !larc.vec<K>
  %v = larc.input "v" value : !larc.vec<V>
  %g = larc.input "g" log_gate : !larc.vec<K>
  %b = larc.input "beta" coefficient : !larc.scalar
  %S = larc.state "S" : !larc.state<K, V>
  %H = larc.householder %b, %k : !larc.scalar, !larc.vec<K>
  %e = larc.exp %g : !larc.vec<K>
  %D = larc.diag %e : !larc.vec<K> -> !larc.mat<K, K>
  %A = larc.matmul %H, %D : !larc.mat<K, K>, !larc.mat<K, K>
  %u = larc.outer %k, %v : !larc.vec<K>, !larc.vec<V>
  // expected-error @+1 {{the left multiplier 'householder(beta, k)' of an update term of 'S' covers the factor 'householder(beta, k)' but not the diagonal to its right}}
  %B = larc.matmul %H, %u : !larc.mat<K, K>, !larc.mat<K, V>
  larc.recur %S = %A, %B : !larc.state<K, V>, !larc.mat<K, K>, !larc.mat<K, V>
  %o = larc.readout %S, %q : !larc.state<K, V>, !larc.vec<K> -> !larc.vec<V>
  larc.output "o", %o : !larc.vec<V>
}

// -----

larc.rule @readout_in_later_sub_step dims ["K", "V"] {
  %q = larc.input "q" query : !larc.vec<K>
  %k1 = larc.input "k1" key : !larc.vec<K>
  %k2 = larc.input "k2" key : !larc.vec<K>
  %v1 = larc.input "v1" value : !larc.vec<V>
  %v2 = larc.input "v2" value : !larc.vec<V>
  %b = larc.input "beta" coefficient : !larc.scalar
  %S = larc.state "S" : !larc.state<K, V>
  %H1 = larc.householder %b, %k1 : !larc.scalar, !larc.vec<K>
  %H2 = larc.householder %b, %k2 : !larc.scalar, !larc.vec<K>
  %A = larc.matmul %H2, %H1 : !larc.mat<K, K>, !larc.mat<K, K>
  %u1 = larc.outer %k1, %v1 : !larc.vec<K>, !larc.vec<V>
  %H2u1 = larc.matmul %H2, %u1 : !larc.mat<K, K>, !larc.mat<K, V>
  %p = larc.readout %S, %k2 prev : !larc.state<K, V>, !larc.vec<K> -> !larc.vec<V>
  %err = larc.sub %v2, %p : !larc.vec<V>, !larc.vec<V>
  // expected-error @+1 {{the update term 'outer(k2, v2 - prev(S)^T k2)' of 'S' reads the previous state ('prev(S)^T k2') but belongs to sub-step 1 of 2; only terms of the first sub-step may read S_{t-1}}}
  %u2 = larc.outer %k2, %err : !larc.vec<K>, !larc.vec<V>
  %B = larc.add %H2u1, %u2 : !larc.mat<K, V>, !larc.mat<K, V>
  larc.recur %S = %A, %B : !larc.state<K, V>, !larc.mat<K, K>, !larc.mat<K, V>
  %o = larc.readout %S, %q : !larc.state<K, V>, !larc.vec<K> -> !larc.vec<V>
  larc.output "o", %o : !larc.vec<V>
}

// -----

larc.rule @value_side_factor dims ["K", "V"] {
  %q = larc.input "q" query : !larc.vec<K>
  %k = larc.input "k" key : !larc.vec<K>
  %v = larc.input "v" value : !larc.vec<V>
  %e = larc.input "e" gate : !larc.vec<V>
  %S = larc.state "S" : !larc.state<K, V>
  %I = larc.identity : !larc.mat<K, K>
  %E = larc.diag %e : !larc.vec<V> -> !larc.mat<V, V>
  %kv = larc.outer %k, %v : !larc.vec<K>, !larc.vec<V>
  // expected-error @+1 {{has a value-side factor (a matrix on the right): not supported}}
  %B = larc.matmul %kv, %E : !larc.mat<K, V>, !larc.mat<V, V>
  larc.recur %S = %I, %B : !larc.state<K, V>, !larc.mat<K, K>, !larc.mat<K, V>
  %o = larc.readout %S, %q : !larc.state<K, V>, !larc.vec<K> -> !larc.vec<V>
  larc.output "o", %o : !larc.vec<V>
}

// -----

larc.rule @scale_reads_state dims ["K", "V"] {
  %q = larc.input "q" query : !larc.vec<K>
  %k = larc.input "k" key : !larc.vec<K>
  %v = larc.input "v" value : !larc.vec<V>
  %S = larc.state "S" : !larc.state<K, V>
  %I = larc.identity : !larc.mat<K, K>
  %p = larc.readout %S, %k prev : !larc.state<K, V>, !larc.vec<K> -> !larc.vec<V>
  %c = larc.dot %p, %v : !larc.vec<V>
  %kv = larc.outer %k, %v : !larc.vec<K>, !larc.vec<V>
  // expected-error @+1 {{the update of 'S' is not linear in the previous state: the matrix term 'outer(k, v)' is scaled by 'dot(prev(S)^T k, v)', which reads the state}}
  %B = larc.mul %c, %kv : !larc.scalar, !larc.mat<K, V>
  larc.recur %S = %I, %B : !larc.state<K, V>, !larc.mat<K, K>, !larc.mat<K, V>
  %o = larc.readout %S, %q : !larc.state<K, V>, !larc.vec<K> -> !larc.vec<V>
  larc.output "o", %o : !larc.vec<V>
}

// -----

larc.rule @direction_reads_state dims ["K"] {
  %q = larc.input "q" query : !larc.vec<K>
  %k = larc.input "k" key : !larc.vec<K>
  %S = larc.state "S" : !larc.state<K, K>
  %I = larc.identity : !larc.mat<K, K>
  %p = larc.readout %S, %k prev : !larc.state<K, K>, !larc.vec<K> -> !larc.vec<K>
  // expected-error @+1 {{the direction 'prev(S)^T k' of the update term 'outer(prev(S)^T k, k)' reads the state 'S'; the update would not be linear in it}}
  %B = larc.outer %p, %k : !larc.vec<K>, !larc.vec<K>
  larc.recur %S = %I, %B : !larc.state<K, K>, !larc.mat<K, K>, !larc.mat<K, K>
  %o = larc.readout %S, %q : !larc.state<K, K>, !larc.vec<K> -> !larc.vec<K>
  larc.output "o", %o : !larc.vec<K>
}

// -----

larc.rule @probe_reads_state dims ["K", "V"] {
  %q = larc.input "q" query : !larc.vec<K>
  %k = larc.input "k" key : !larc.vec<K>
  %v = larc.input "v" value : !larc.vec<V>
  %S = larc.state "S" : !larc.state<K, V>
  %I = larc.identity : !larc.mat<K, K>
  %p = larc.readout %S, %k prev : !larc.state<K, V>, !larc.vec<K> -> !larc.vec<V>
  %c = larc.dot %p, %v : !larc.vec<V>
  %ck = larc.mul %c, %k : !larc.scalar, !larc.vec<K>
  // expected-error @+1 {{the update of 'S' is not linear in the previous state: the probe 'dot(prev(S)^T k, v) * k' of this readout reads a state itself}}
  %r = larc.readout %S, %ck prev : !larc.state<K, V>, !larc.vec<K> -> !larc.vec<V>
  %B = larc.outer %k, %r : !larc.vec<K>, !larc.vec<V>
  larc.recur %S = %I, %B : !larc.state<K, V>, !larc.mat<K, K>, !larc.mat<K, V>
  %o = larc.readout %S, %q : !larc.state<K, V>, !larc.vec<K> -> !larc.vec<V>
  larc.output "o", %o : !larc.vec<V>
}

// -----

larc.rule @update_not_rank_one dims ["K"] {
  %q = larc.input "q" query : !larc.vec<K>
  %k = larc.input "k" key : !larc.vec<K>
  %S = larc.state "S" : !larc.state<K, K>
  %I = larc.identity : !larc.mat<K, K>
  // expected-error @+1 {{'larc.diag' ('diag(k)') in the update of 'S' is not a sum of rank-1 terms a x^T}}
  %B = larc.diag %k : !larc.vec<K> -> !larc.mat<K, K>
  larc.recur %S = %I, %B : !larc.state<K, K>, !larc.mat<K, K>, !larc.mat<K, K>
  %o = larc.readout %S, %q : !larc.state<K, K>, !larc.vec<K> -> !larc.vec<K>
  larc.output "o", %o : !larc.vec<K>
}

// -----

larc.rule @vector_state_not_linear dims ["K", "V"] {
  %q = larc.input "q" query : !larc.vec<K>
  %k = larc.input "k" key : !larc.vec<K>
  %z = larc.state "z" : !larc.state<K>
  %I = larc.identity : !larc.mat<K, K>
  %zk = larc.readout %z, %k prev : !larc.state<K>, !larc.vec<K> -> !larc.scalar
  // expected-error @+1 {{the update of 'z' is not linear in the previous state: 'larc.sigmoid' of a readout ('sigmoid(prev(z)^T k)')}}
  %s = larc.sigmoid %zk : !larc.scalar
  %b = larc.mul %s, %k : !larc.scalar, !larc.vec<K>
  larc.recur %z = %I, %b : !larc.state<K>, !larc.mat<K, K>, !larc.vec<K>
  %o = larc.readout %z, %q : !larc.state<K>, !larc.vec<K> -> !larc.scalar
  larc.output "o", %o : !larc.scalar
}

// -----

larc.rule @transition_through_values dims ["K", "V"] {
  %q = larc.input "q" query : !larc.vec<K>
  %k = larc.input "k" key : !larc.vec<K>
  %v = larc.input "v" value : !larc.vec<V>
  %S = larc.state "S" : !larc.state<K, V>
  // expected-error @+1 {{'larc.outer' ('outer(k, v)') in the transition of 'S' is not a square matrix; a transition is a product of key-by-key factors}}
  %kv = larc.outer %k, %v : !larc.vec<K>, !larc.vec<V>
  %vk = larc.outer %v, %k : !larc.vec<V>, !larc.vec<K>
  %P = larc.matmul %kv, %vk : !larc.mat<K, V>, !larc.mat<V, K>
  %I = larc.identity : !larc.mat<K, K>
  %A = larc.add %I, %P : !larc.mat<K, K>, !larc.mat<K, K>
  larc.recur %S = %A, %kv : !larc.state<K, V>, !larc.mat<K, K>, !larc.mat<K, V>
  %o = larc.readout %S, %q : !larc.state<K, V>, !larc.vec<K> -> !larc.vec<V>
  larc.output "o", %o : !larc.vec<V>
}

// -----

larc.rule @update_through_other_dim dims ["K", "V", "W"] {
  %q = larc.input "q" query : !larc.vec<K>
  %k = larc.input "k" key : !larc.vec<K>
  %v = larc.input "v" value : !larc.vec<V>
  %w = larc.input "w" value : !larc.vec<W>
  %S = larc.state "S" : !larc.state<K, V>
  %I = larc.identity : !larc.mat<K, K>
  %kw = larc.outer %k, %w : !larc.vec<K>, !larc.vec<W>
  %wv = larc.outer %w, %v : !larc.vec<W>, !larc.vec<V>
  // expected-error @+1 {{the product 'outer(k, w) @ outer(w, v)' in the update of 'S' is not a transition factor times rank-1 terms}}
  %B = larc.matmul %kw, %wv : !larc.mat<K, W>, !larc.mat<W, V>
  larc.recur %S = %I, %B : !larc.state<K, V>, !larc.mat<K, K>, !larc.mat<K, V>
  %o = larc.readout %S, %q : !larc.state<K, V>, !larc.vec<K> -> !larc.vec<V>
  larc.output "o", %o : !larc.vec<V>
}
