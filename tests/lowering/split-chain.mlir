// RUN: larc-opt %s -larc-split-chain -split-input-file -verify-diagnostics | FileCheck %s

// GSA: softmax of hkT's read is hv's readout probe. Stage 0 keeps hkT's
// update and its apply, which leaves as the output hkT_read; stage 1 takes it
// as an input (role query) and keeps hv's update, the softmax and the
// readout. Each stage declares only the dims it uses; the rule itself stays.

// CHECK-LABEL: larc.rule @gsa dims ["K", "V", "M"] {
// CHECK:         larc.output "o"
// CHECK-LABEL: larc.rule @gsa_s0 dims ["K", "M"] attributes {stage_of = "gsa"} {
// CHECK-NEXT:    %q = larc.input "q" query : !larc.vec<K>
// CHECK-NEXT:    %k = larc.input "k" key : !larc.vec<K>
// CHECK-NEXT:    %s = larc.input "s" value : !larc.vec<M>
// CHECK-NEXT:    %g = larc.input "g" log_gate : !larc.vec<M>
// CHECK-NEXT:    %hkT = larc.state "hkT" : !larc.state<M, K>
// CHECK-NOT:     larc.state "hv"
// CHECK:         larc.recur %hkT
// CHECK-NOT:     larc.recur
// CHECK:         %[[READ:.*]] = larc.apply %hkT, %{{.*}} : !larc.state<M, K>, !larc.vec<K> -> !larc.vec<M>
// CHECK-NEXT:    larc.output "hkT_read", %[[READ]] : !larc.vec<M>
// CHECK-NEXT:  }
// CHECK-LABEL: larc.rule @gsa_s1 dims ["V", "M"] attributes {stage_of = "gsa"} {
// CHECK-NEXT:    %v = larc.input "v" value : !larc.vec<V>
// CHECK-NEXT:    %s = larc.input "s" value : !larc.vec<M>
// CHECK-NEXT:    %g = larc.input "g" log_gate : !larc.vec<M>
// CHECK-NEXT:    %hkT_read = larc.input "hkT_read" query : !larc.vec<M>
// CHECK-NEXT:    %hv = larc.state "hv" : !larc.state<M, V>
// CHECK:         larc.recur %hv
// CHECK-NEXT:    %[[P:.*]] = larc.softmax %hkT_read : !larc.vec<M>
// CHECK-NEXT:    %[[O:.*]] = larc.readout %hv, %[[P]]
// CHECK-NEXT:    larc.output "o", %[[O]] : !larc.vec<V>
// CHECK-NEXT:  }
larc.rule @gsa dims ["K", "V", "M"] {
  %q = larc.input "q" query : !larc.vec<K>
  %k = larc.input "k" key : !larc.vec<K>
  %v = larc.input "v" value : !larc.vec<V>
  %s = larc.input "s" value : !larc.vec<M>
  %g = larc.input "g" log_gate : !larc.vec<M>
  %hkT = larc.state "hkT" : !larc.state<M, K>
  %hv = larc.state "hv" : !larc.state<M, V>
  %0 = larc.exp %g : !larc.vec<M>
  %1 = larc.diag %0 : !larc.vec<M> -> !larc.mat<M, M>
  %2 = larc.outer %s, %k : !larc.vec<M>, !larc.vec<K>
  larc.recur %hkT = %1, %2 : !larc.state<M, K>, !larc.mat<M, M>, !larc.mat<M, K>
  %3 = larc.outer %s, %v : !larc.vec<M>, !larc.vec<V>
  larc.recur %hv = %1, %3 : !larc.state<M, V>, !larc.mat<M, M>, !larc.mat<M, V>
  %4 = larc.scale "K"
  %5 = larc.mul %4, %q : !larc.scalar, !larc.vec<K>
  %6 = larc.apply %hkT, %5 : !larc.state<M, K>, !larc.vec<K> -> !larc.vec<M>
  %7 = larc.softmax %6 : !larc.vec<M>
  %8 = larc.readout %hv, %7 : !larc.state<M, V>, !larc.vec<M> -> !larc.vec<V>
  larc.output "o", %8 : !larc.vec<V>
}

// -----

// The chain may run through a state's update: B's written data is A's read
// (ordered by dependency, not by declaration: B is declared first). An
// output that reads both states joins the later stage, and the earlier
// state's read it uses arrives as an input there too.

// CHECK-LABEL: larc.rule @through_update_s0 dims ["K", "V"] attributes {stage_of = "through_update"} {
// CHECK:         larc.state "A" : !larc.state<K, V>
// CHECK:         larc.output "A_read", %{{.*}} : !larc.vec<V>
// CHECK-LABEL: larc.rule @through_update_s1 dims ["K", "V"] attributes {stage_of = "through_update"} {
// CHECK:         %A_read = larc.input "A_read" query : !larc.vec<V>
// CHECK:         larc.state "B" : !larc.state<K, V>
// CHECK:         larc.outer %k, %A_read
// CHECK:         larc.add %{{.*}}, %A_read
// CHECK:         larc.output "o"
larc.rule @through_update dims ["K", "V"] {
  %q = larc.input "q" query : !larc.vec<K>
  %k = larc.input "k" key : !larc.vec<K>
  %v = larc.input "v" value : !larc.vec<V>
  %B = larc.state "B" : !larc.state<K, V>
  %A = larc.state "A" : !larc.state<K, V>
  %I = larc.identity : !larc.mat<K, K>
  %kv = larc.outer %k, %v : !larc.vec<K>, !larc.vec<V>
  larc.recur %A = %I, %kv : !larc.state<K, V>, !larc.mat<K, K>, !larc.mat<K, V>
  %a = larc.readout %A, %k : !larc.state<K, V>, !larc.vec<K> -> !larc.vec<V>
  %ka = larc.outer %k, %a : !larc.vec<K>, !larc.vec<V>
  larc.recur %B = %I, %ka : !larc.state<K, V>, !larc.mat<K, K>, !larc.mat<K, V>
  %b = larc.readout %B, %q : !larc.state<K, V>, !larc.vec<K> -> !larc.vec<V>
  %o = larc.add %b, %a : !larc.vec<V>, !larc.vec<V>
  larc.output "o", %o : !larc.vec<V>
}

// -----

// Two states that never read each other (and a state beside a vector state
// that it reads) are not chains: the rule is left alone.

// CHECK-LABEL: larc.rule @independent
// CHECK-NOT:   larc.rule @independent_s0
larc.rule @independent dims ["K", "V"] {
  %q = larc.input "q" query : !larc.vec<K>
  %k = larc.input "k" key : !larc.vec<K>
  %v = larc.input "v" value : !larc.vec<V>
  %A = larc.state "A" : !larc.state<K, V>
  %B = larc.state "B" : !larc.state<K, V>
  %I = larc.identity : !larc.mat<K, K>
  %kv = larc.outer %k, %v : !larc.vec<K>, !larc.vec<V>
  larc.recur %A = %I, %kv : !larc.state<K, V>, !larc.mat<K, K>, !larc.mat<K, V>
  larc.recur %B = %I, %kv : !larc.state<K, V>, !larc.mat<K, K>, !larc.mat<K, V>
  %a = larc.readout %A, %q : !larc.state<K, V>, !larc.vec<K> -> !larc.vec<V>
  %b = larc.readout %B, %q : !larc.state<K, V>, !larc.vec<K> -> !larc.vec<V>
  %o = larc.add %a, %b : !larc.vec<V>, !larc.vec<V>
  larc.output "o", %o : !larc.vec<V>
}

// -----

// Each state's update reads the other's read: no launch order exists.

// expected-error @below {{the states of rule @cycle read each other's reads in a cycle; they cannot run as stages}}
larc.rule @cycle dims ["K"] {
  %k = larc.input "k" key : !larc.vec<K>
  %A = larc.state "A" : !larc.state<K, K>
  %B = larc.state "B" : !larc.state<K, K>
  %I = larc.identity : !larc.mat<K, K>
  %a = larc.readout %A, %k prev : !larc.state<K, K>, !larc.vec<K> -> !larc.vec<K>
  %b = larc.readout %B, %k prev : !larc.state<K, K>, !larc.vec<K> -> !larc.vec<K>
  %ka = larc.outer %k, %b : !larc.vec<K>, !larc.vec<K>
  %kb = larc.outer %k, %a : !larc.vec<K>, !larc.vec<K>
  larc.recur %A = %I, %ka : !larc.state<K, K>, !larc.mat<K, K>, !larc.mat<K, K>
  larc.recur %B = %I, %kb : !larc.state<K, K>, !larc.mat<K, K>, !larc.mat<K, K>
  larc.output "o", %a : !larc.vec<K>
}
