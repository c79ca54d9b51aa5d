// The example specs, through the frontend, classify to the forms of
// design.md §2.1.
// RUN: larcc compile %examples/gated_delta_rule.larc --emit=mlir | larc-opt -larc-print-classification -o /dev/null | FileCheck %s --check-prefix=GATED
// RUN: larcc compile %examples/kda.larc --emit=mlir | larc-opt -larc-print-classification -o /dev/null | FileCheck %s --check-prefix=KDA
// RUN: larcc compile %examples/decay_after_householder.larc --emit=mlir | larc-opt -larc-print-classification -o /dev/null | FileCheck %s --check-prefix=AFTER
// RUN: larcc compile %examples/delta_product.larc --emit=mlir | larc-opt -larc-print-classification -o /dev/null | FileCheck %s --check-prefix=PRODUCT
// RUN: larcc compile %examples/gated_delta_gate.larc --emit=mlir | larc-opt -larc-print-classification -o /dev/null | FileCheck %s --check-prefix=GATE
// RUN: larcc compile %examples/linear_attention.larc --emit=mlir | larc-opt -larc-print-classification -o /dev/null | FileCheck %s --check-prefix=LINEAR
// RUN: larcc compile %examples/retnet.larc --emit=mlir | larc-opt -larc-print-classification -o /dev/null | FileCheck %s --check-prefix=RETNET

// GATED:      rule @gated_delta_rule
// GATED-NEXT:   state S [K, V]: 1 sub-step, decay scalar, probes
// GATED-NEXT:     step 0: decay scalar, 1 term (direction, data, probe)
// GATED-NEXT:       log-decay: g
// GATED-NEXT:       term 0: a = l2norm(k); x = beta * v; y = beta * exp(g) * l2norm(k)
// GATED-NEXT:     readout: l2norm(q) * scale(K)

// KDA:      rule @kda
// KDA-NEXT:   state S [K, V]: 1 sub-step, decay per-key, probes
// KDA-NEXT:     step 0: decay per-key, 1 term (direction, data, probe)
// KDA-NEXT:       log-decay: g
// KDA-NEXT:       term 0: a = l2norm(k); x = beta * v; y = beta * exp(g) * l2norm(k)
// KDA-NEXT:     readout: l2norm(q) * scale(K)

// AFTER:      rule @decay_after_householder
// AFTER-NEXT:   state S [K, V]: 1 sub-step, decay scalar, probes
// AFTER-NEXT:     step 0: decay scalar, 1 term (direction, data, probe)
// AFTER-NEXT:       log-decay: g
// AFTER-NEXT:       term 0: a = l2norm(k); x = beta * exp(g) * v; y = beta * exp(g) * l2norm(k)

// PRODUCT:      rule @delta_product
// PRODUCT-NEXT:   state S [K, V]: 2 sub-steps, decay none, probes
// PRODUCT-NEXT:     step 0: decay none, 1 term (direction, data, probe)
// PRODUCT-NEXT:       term 0: a = l2norm(k1); x = beta1 * v1; y = beta1 * l2norm(k1)
// PRODUCT-NEXT:     step 1: decay none, 1 term (direction, data, probe)
// PRODUCT-NEXT:       term 0: a = l2norm(k2); x = beta2 * v2; y = beta2 * l2norm(k2)

// GATE:      rule @gated_delta_gate
// GATE-NEXT:   state S [K, V]: 1 sub-step, decay per-key, probes
// GATE-NEXT:     step 0: decay per-key, 1 term (direction, data, probe)
// GATE-NEXT:       log-decay: log(a)
// GATE-NEXT:       term 0: a = l2norm(k); x = beta * v; y = beta * l2norm(k)

// LINEAR:      rule @linear_attention
// LINEAR-NEXT:   state S [K, V]: 1 sub-step, decay none, no probes
// LINEAR:        state z [K]: 1 sub-step, decay none, no probes
// LINEAR-NEXT:     step 0: decay none, 1 term (direction, data)
// LINEAR-NEXT:       term 0: a = 1 + elu(k); x = 1; y = 0

// RETNET:      rule @retnet
// RETNET-NEXT:   state S [K, V]: 1 sub-step, decay constant, no probes
// RETNET-NEXT:     step 0: decay constant, 1 term (direction, data)
// RETNET-NEXT:       log-decay: log(1 - 2^(-5 - head))
