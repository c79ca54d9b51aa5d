// RUN: larc-opt %s -larc-lower-chunk-to-linalg | FileCheck %s
// RUN: larc-opt %s -larc-lower-chunk-to-linalg | FileCheck %s --check-prefix=MAP
// transpose_rhs reads its operand at (n, k):
// MAP: affine_map<(d0, d1, d2) -> (d1, d2)>

// Every chunk op becomes upstream tensor/linalg/scf ops.
// CHECK-LABEL: func.func @step
// CHECK-NOT: chunk.
// CHECK: tensor.generate
// CHECK: memref.load
// CHECK: scf.for
// CHECK: linalg.generic
// CHECK-SAME: iterator_types = ["parallel", "parallel", "reduction"]
// CHECK: memref.store
// CHECK-NOT: chunk.
func.func @step(%kbuf: memref<?x?x?xf64>, %gbuf: memref<?x?xf64>, %init: memref<?x?x?x?xf64>,
                %obuf: memref<?x?x?xf64>, %final: memref<?x?x?x?xf64>, %t0: index, %h: index, %n: index) {
  %c0 = arith.constant 0 : index
  %S = chunk.load_state %init[%c0, %h] : memref<?x?x?x?xf64> -> tensor<?x?xf64>
  %k = chunk.load_rows %kbuf[%t0, %h] count %n : memref<?x?x?xf64> -> tensor<16x?xf64>
  %g0 = chunk.load_rows %gbuf[%t0, %h] count %n : memref<?x?xf64> -> tensor<16xf64>
  %g = chunk.mask_rows %g0 count %n : tensor<16xf64>
  %b = chunk.cumsum %g : tensor<16xf64>
  %bx = chunk.cumsum %g exclusive : tensor<16xf64>
  %L = chunk.decayed_gram %k, %k decays(%bx, %b) mask "strict" : tensor<16x?xf64>, tensor<16x?xf64>, tensor<16xf64>, tensor<16xf64> -> tensor<16x16xf64>
  %kd = chunk.decay_rows %k, %bx : tensor<16x?xf64>, tensor<16xf64>
  %p = chunk.matmul %kd, %S : tensor<16x?xf64>, tensor<?x?xf64> -> tensor<16x?xf64>
  %c = chunk.solve_unit_lower %L, %p : tensor<16x16xf64>, tensor<16x?xf64>
  %two = chunk.interleave %c, %c : tensor<16x?xf64>, tensor<16x?xf64> -> tensor<32x?xf64>
  %odd = chunk.strided_rows %two start 1 stride 2 : tensor<32x?xf64> -> tensor<16x?xf64>
  %Sd = chunk.decay_state %S, %b : tensor<?x?xf64>, tensor<16xf64>
  %e = chunk.decay_to_end %b : tensor<16xf64>
  %ke = chunk.decay_rows %k, %e : tensor<16x?xf64>, tensor<16xf64>
  %u = chunk.matmul %ke, %odd transpose_lhs : tensor<16x?xf64>, tensor<16x?xf64> -> tensor<?x?xf64>
  chunk.store_rows %odd, %obuf[%t0, %h] count %n : tensor<16x?xf64>, memref<?x?x?xf64>
  chunk.store_state %u, %final[%c0, %h] : tensor<?x?xf64>, memref<?x?x?x?xf64>
  chunk.store_state %Sd, %final[%c0, %h] : tensor<?x?xf64>, memref<?x?x?x?xf64>
  return
}

// The readout along the value axis: a matmul against a transposed operand
// (its map reads (n, k)) and the decayed mix, a tensor.generate summing the
// kept pairs per (row, column), with no chunk op left.
// CHECK-LABEL: func.func @apply
// CHECK-NOT: chunk.
// CHECK: linalg.generic
// CHECK: tensor.generate
// CHECK: scf.for
// CHECK: scf.if
// CHECK: math.exp
// CHECK-NOT: chunk.
func.func @apply(%pbuf: memref<?x?x?xf64>, %kbuf: memref<?x?x?xf64>, %gbuf: memref<?x?x?xf64>,
                 %init: memref<?x?x?x?xf64>, %obuf: memref<?x?x?xf64>, %t0: index, %h: index, %n: index) {
  %c0 = arith.constant 0 : index
  %S = chunk.load_state %init[%c0, %h] : memref<?x?x?x?xf64> -> tensor<?x?xf64>
  %p = chunk.load_rows %pbuf[%t0, %h] count %n : memref<?x?x?xf64> -> tensor<16x?xf64>
  %a = chunk.load_rows %kbuf[%t0, %h] count %n : memref<?x?x?xf64> -> tensor<16x?xf64>
  %g = chunk.load_rows %gbuf[%t0, %h] count %n : memref<?x?x?xf64> -> tensor<16x?xf64>
  %b = chunk.cumsum %g : tensor<16x?xf64>
  %inter = chunk.matmul %p, %S transpose_rhs : tensor<16x?xf64>, tensor<?x?xf64> -> tensor<16x?xf64>
  %w = chunk.matmul %p, %p transpose_rhs : tensor<16x?xf64>, tensor<16x?xf64> -> tensor<16x16xf64>
  %o = chunk.decayed_mix %w, %a decays(%b, %b) mask "inclusive" : tensor<16x16xf64>, tensor<16x?xf64>, tensor<16x?xf64>, tensor<16x?xf64> -> tensor<16x?xf64>
  chunk.store_rows %o, %obuf[%t0, %h] count %n : tensor<16x?xf64>, memref<?x?x?xf64>
  chunk.store_rows %inter, %obuf[%t0, %h] count %n : tensor<16x?xf64>, memref<?x?x?xf64>
  return
}
