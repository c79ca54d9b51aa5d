// RUN: larc-opt %s -split-input-file -verify-diagnostics -allow-unregistered-dialect

// expected-error @+1 {{declares no dimensions}}
larc.rule @r dims [] {
}

// -----

// expected-error @+1 {{declares dimension 'K' twice}}
larc.rule @r dims ["K", "K"] {
}

// -----

// expected-error @+1 {{dimension '1x' is not an identifier}}
larc.rule @r dims ["1x"] {
}

// -----

// expected-error @+1 {{has no larc.output}}
larc.rule @r dims ["K", "V"] {
  %q = larc.input "q" query : !larc.vec<K>
}

// -----

larc.rule @r dims ["K", "V"] {
  // expected-error @+1 {{uses dimension 'D' in type '!larc.vec<D>', but rule @r declares only ["K", "V"]}}
  %q = larc.input "q" query : !larc.vec<D>
}

// -----

larc.rule @r dims ["K", "V"] {
  // expected-error @+1 {{input 'g' has role 'query' and must be a !larc.vec}}
  %g = larc.input "g" query : !larc.scalar
}

// -----

larc.rule @r dims ["K", "V"] {
  %q = larc.input "q" query : !larc.vec<K>
  // expected-error @+1 {{input 'q' is declared twice}}
  %q2 = larc.input "q" key : !larc.vec<K>
}

// -----

larc.rule @r dims ["K", "V"] {
  // expected-error @+1 {{input name 'q-1' is not an identifier}}
  %q = larc.input "q-1" query : !larc.vec<K>
}

// -----

larc.rule @r dims ["K", "V"] {
  %q = larc.input "q" query : !larc.vec<K>
  // expected-error @+1 {{state 'S' is never updated by a larc.recur}}
  %S = larc.state "S" : !larc.state<K, V>
  larc.output "o", %q : !larc.vec<K>
}

// -----

larc.rule @r dims ["K", "V"] {
  %k = larc.input "k" key : !larc.vec<K>
  %v = larc.input "v" value : !larc.vec<V>
  %S = larc.state "S" : !larc.state<K, V>
  %I = larc.identity : !larc.mat<K, K>
  %B = larc.outer %k, %v : !larc.vec<K>, !larc.vec<V>
  // expected-note @+1 {{first update here}}
  larc.recur %S = %I, %B : !larc.state<K, V>, !larc.mat<K, K>, !larc.mat<K, V>
  // expected-error @+1 {{updates a state that is already updated}}
  larc.recur %S = %I, %B : !larc.state<K, V>, !larc.mat<K, K>, !larc.mat<K, V>
  larc.output "o", %k : !larc.vec<K>
}

// -----

larc.rule @r dims ["K", "V"] {
  %k = larc.input "k" key : !larc.vec<K>
  %v = larc.input "v" value : !larc.vec<V>
  %S = larc.state "S" : !larc.state<K, V>
  %I = larc.identity : !larc.mat<V, V>
  %B = larc.outer %k, %v : !larc.vec<K>, !larc.vec<V>
  // expected-error @+1 {{transition '!larc.mat<V, V>' does not act on the key dimension}}
  larc.recur %S = %I, %B : !larc.state<K, V>, !larc.mat<V, V>, !larc.mat<K, V>
  larc.output "o", %k : !larc.vec<K>
}

// -----

larc.rule @r dims ["K", "V"] {
  %k = larc.input "k" key : !larc.vec<K>
  %S = larc.state "S" : !larc.state<K, V>
  %I = larc.identity : !larc.mat<K, K>
  %B = larc.outer %k, %k : !larc.vec<K>, !larc.vec<K>
  // expected-error @+1 {{update '!larc.mat<K, K>' does not match state}}
  larc.recur %S = %I, %B : !larc.state<K, V>, !larc.mat<K, K>, !larc.mat<K, K>
  larc.output "o", %k : !larc.vec<K>
}

// -----

larc.rule @r dims ["K", "V"] {
  %k = larc.input "k" key : !larc.vec<K>
  %v = larc.input "v" value : !larc.vec<V>
  %z = larc.state "z" : !larc.state<K>
  %I = larc.identity : !larc.mat<K, K>
  // expected-error @+1 {{update '!larc.vec<V>' of vector state '!larc.state<K>' must be !larc.vec<K>}}
  larc.recur %z = %I, %v : !larc.state<K>, !larc.mat<K, K>, !larc.vec<V>
  larc.output "o", %k : !larc.vec<K>
}

// -----

larc.rule @r dims ["K", "V"] {
  %k = larc.input "k" key : !larc.vec<K>
  %v = larc.input "v" value : !larc.vec<V>
  %S = larc.state "S" : !larc.state<K, V>
  // expected-error @+1 {{reads the updated state before its larc.recur}}
  %o = larc.readout %S, %k : !larc.state<K, V>, !larc.vec<K> -> !larc.vec<V>
  %I = larc.identity : !larc.mat<K, K>
  %B = larc.outer %k, %v : !larc.vec<K>, !larc.vec<V>
  larc.recur %S = %I, %B : !larc.state<K, V>, !larc.mat<K, K>, !larc.mat<K, V>
  larc.output "o", %o : !larc.vec<V>
}

// -----

larc.rule @r dims ["K", "V"] {
  %k = larc.input "k" key : !larc.vec<K>
  %S = larc.state "S" : !larc.state<K, V>
  // expected-error @+1 {{probe '!larc.vec<V>' does not match the key dimension}}
  %o = larc.readout %S, %v prev : !larc.state<K, V>, !larc.vec<V> -> !larc.vec<V>
  %v = larc.input "v" value : !larc.vec<V>
}

// -----

larc.rule @r dims ["K", "V"] {
  %k = larc.input "k" key : !larc.vec<K>
  %S = larc.state "S" : !larc.state<K, V>
  // expected-error @+1 {{readout of '!larc.state<K, V>' is !larc.vec<V>, not '!larc.vec<K>'}}
  %o = larc.readout %S, %k prev : !larc.state<K, V>, !larc.vec<K> -> !larc.vec<K>
}

// -----

larc.rule @r dims ["K", "V"] {
  %k = larc.input "k" key : !larc.vec<K>
  %v = larc.input "v" value : !larc.vec<V>
  // expected-error @+1 {{operands '!larc.vec<K>' and '!larc.vec<V>' do not match}}
  %s = larc.add %k, %v : !larc.vec<K>, !larc.vec<V>
}

// -----

larc.rule @r dims ["K", "V"] {
  %k = larc.input "k" key : !larc.vec<K>
  %I = larc.identity : !larc.mat<K, K>
  // expected-error @+1 {{multiplies or divides two matrices elementwise}}
  %s = larc.mul %I, %I : !larc.mat<K, K>, !larc.mat<K, K>
}

// -----

larc.rule @r dims ["K", "V"] {
  %c = larc.constant 1.0
  %I = larc.identity : !larc.mat<K, K>
  // expected-error @+1 {{cannot add or subtract a scalar and a matrix}}
  %s = larc.sub %c, %I : !larc.scalar, !larc.mat<K, K>
}

// -----

larc.rule @r dims ["K", "V"] {
  %a = larc.identity : !larc.mat<K, V>
  // expected-error @-1 {{identity must be square}}
}

// -----

larc.rule @r dims ["K", "V"] {
  %v = larc.input "v" value : !larc.vec<V>
  // expected-error @+1 {{diagonal '!larc.vec<V>' does not fit '!larc.mat<K, K>'}}
  %d = larc.diag %v : !larc.vec<V> -> !larc.mat<K, K>
}

// -----

larc.rule @r dims ["K", "V"] {
  %k = larc.input "k" key : !larc.vec<K>
  %v = larc.input "v" value : !larc.vec<V>
  %kv = larc.outer %k, %v : !larc.vec<K>, !larc.vec<V>
  // expected-error @+1 {{cannot multiply '!larc.mat<K, V>' by '!larc.mat<K, V>'}}
  %m = larc.matmul %kv, %kv : !larc.mat<K, V>, !larc.mat<K, V>
}

// -----

larc.rule @r dims ["K", "V"] {
  %k = larc.input "k" key : !larc.vec<K>
  %v = larc.input "v" value : !larc.vec<V>
  // expected-error @+1 {{'larc.dot' op failed to verify that all of {lhs, rhs} have same type}}
  %d = "larc.dot"(%k, %v) : (!larc.vec<K>, !larc.vec<V>) -> !larc.scalar
}

// -----

larc.rule @r dims ["K", "V"] {
  // expected-error @+1 {{scales by dimension 'Q', which the rule does not declare}}
  %s = larc.scale "Q"
}

// -----

larc.rule @r dims ["K", "V"] {
  %k = larc.input "k" key : !larc.vec<K>
  // expected-error @+1 {{eps must not be negative}}
  %n = larc.l2norm %k {eps = -1.0} : !larc.vec<K>
}

// -----

larc.rule @r dims ["K", "V"] {
  // expected-error @+1 {{is not a larc op}}
  %c = "test.foo"() : () -> i32
}

// -----

larc.rule @r dims ["K", "V"] {
  %q = larc.input "q" query : !larc.vec<K>
  %k = larc.input "k" key : !larc.vec<K>
  %v = larc.input "v" value : !larc.vec<V>
  %S = larc.state "S" : !larc.state<K, V>
  %I = larc.identity : !larc.mat<K, K>
  %B = larc.outer %k, %v : !larc.vec<K>, !larc.vec<V>
  larc.recur %S = %I, %B : !larc.state<K, V>, !larc.mat<K, K>, !larc.mat<K, V>
  larc.output "o", %q : !larc.vec<K>
  // expected-error @+1 {{output 'o' is written twice}}
  larc.output "o", %q : !larc.vec<K>
}

// -----

larc.rule @r dims ["K", "V"] {
  %k = larc.input "k" key : !larc.vec<K>
  %v = larc.input "v" value : !larc.vec<V>
  %S = larc.state "S" : !larc.state<K, V>
  // expected-error @+1 {{matrix state '!larc.state<K, V>' needs a probe over its value dimension}}
  %o = larc.apply %S prev : !larc.state<K, V> -> !larc.vec<K>
}

// -----

larc.rule @r dims ["K", "V"] {
  %k = larc.input "k" key : !larc.vec<K>
  %S = larc.state "S" : !larc.state<K, V>
  // expected-error @+1 {{probe '!larc.vec<K>' does not match the value dimension of '!larc.state<K, V>'}}
  %o = larc.apply %S, %k prev : !larc.state<K, V>, !larc.vec<K> -> !larc.vec<K>
}

// -----

larc.rule @r dims ["K", "V"] {
  %v = larc.input "v" value : !larc.vec<V>
  %S = larc.state "S" : !larc.state<K, V>
  // expected-error @+1 {{applying '!larc.state<K, V>' gives !larc.vec<K>, not '!larc.vec<V>'}}
  %o = larc.apply %S, %v prev : !larc.state<K, V>, !larc.vec<V> -> !larc.vec<V>
}

// -----

larc.rule @r dims ["K"] {
  %k = larc.input "k" key : !larc.vec<K>
  %z = larc.state "z" : !larc.state<K>
  // expected-error @+1 {{vector state '!larc.state<K>' has no value dimension to contract; it takes no probe}}
  %h = larc.apply %z, %k prev : !larc.state<K>, !larc.vec<K> -> !larc.vec<K>
}

// -----

larc.rule @r dims ["K"] {
  %k = larc.input "k" key : !larc.vec<K>
  %z = larc.state "z" : !larc.state<K>
  // expected-error @+1 {{reads the updated state before its larc.recur}}
  %h = larc.apply %z : !larc.state<K> -> !larc.vec<K>
  %I = larc.identity : !larc.mat<K, K>
  larc.recur %z = %I, %k : !larc.state<K>, !larc.mat<K, K>, !larc.vec<K>
  larc.output "h", %h : !larc.vec<K>
}

// -----

larc.rule @r dims ["K", "V", "F"] attributes {derived_dims = {F = [[1, "K", "V"]]}} {
  %k = larc.input "k" key : !larc.vec<K>
  // expected-error @+1 {{result '!larc.vec<F>' has size K*V, but the Kronecker product of its operands has K*K}}
  %kk = larc.kron %k, %k : !larc.vec<K>, !larc.vec<K> -> !larc.vec<F>
}

// -----

larc.rule @r dims ["K", "F"] attributes {derived_dims = {F = [[1], [1, "K"]]}} {
  %k = larc.input "k" key : !larc.vec<K>
  // expected-error @+1 {{result '!larc.vec<F>' has size 1 + K, but the concatenation of its operands has 2*K}}
  %f = larc.concat %k, %k : !larc.vec<K>, !larc.vec<K> -> !larc.vec<F>
}

// -----

larc.rule @r dims ["K", "F"] {
  %k = larc.input "k" key : !larc.vec<K>
  // expected-error @+1 {{concatenates at least two values}}
  %f = larc.concat %k : !larc.vec<K> -> !larc.vec<K>
}

// -----

// expected-error @+1 {{derives the size of 'G', which is not one of its dimensions}}
larc.rule @r dims ["K"] attributes {derived_dims = {G = [[1, "K"]]}} {
}

// -----

// expected-error @+1 {{defines 'G' by 'F', which is not a base dimension of the rule}}
larc.rule @r dims ["K", "F", "G"] attributes {derived_dims = {F = [[1, "K"]], G = [[2, "F"]]}} {
}

// -----

// expected-error @+1 {{has a malformed size for 'F'; expected [[coef, dim, ...], ...]}}
larc.rule @r dims ["K", "F"] attributes {derived_dims = {F = ["K"]}} {
}
