//===- ChunkOps.td - the chunk level of larc ---------------*- tablegen -*-===//
//
// The chunkwise-parallel form of a rule (design.md §2, §2.1), derived by
// -larc-derive-chunk-form. Tiles are tensors whose first dimension is rows:
// the tokens of one chunk (or its (token, sub-step, term) rows when a token
// contributes several rank-1 terms). Loops over sequences, heads and chunks
// are scf.for; elementwise prologue maths is linalg on the tiles.
//
//===----------------------------------------------------------------------===//

#ifndef LARC_CHUNK_OPS_TD
#define LARC_CHUNK_OPS_TD

include "mlir/IR/OpBase.td"
include "mlir/IR/BuiltinTypes.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

def Chunk_Dialect : Dialect {
  let name = "chunk";
  let cppNamespace = "::larc::chunk";
  let summary = "Chunk-level tiles of a linear-attention recurrence";
  let description = [{
    Ops over per-chunk tiles: loading and storing token rows, cumulative
    log-decays, decay-weighted pairwise products, the unit-lower-triangular
    solve (UT transform) and the state pass. Lowered to linalg/scf for the CPU
    (-larc-lower-chunk-to-linalg) and to CUDA for the GPU.
  }];
  let dependentDialects = ["::mlir::tensor::TensorDialect"];
}

class Chunk_Op<string mnemonic, list<Trait> traits = []>
    : Op<Chunk_Dialect, mnemonic, traits>;

def Chunk_Tile : RankedTensorOf<[F32, F64]>;
def Chunk_Buffer : MemRefOf<[F32, F64]>;

//===----------------------------------------------------------------------===//
// Moving rows between token-major buffers and tiles.
//===----------------------------------------------------------------------===//

def Chunk_LoadRowsOp : Chunk_Op<"load_rows", [MemoryEffects<[MemRead]>]> {
  let summary = "loads the rows of one chunk and head, zero past `count`";
  let description = [{
    `source` is token-major: [T, H, d] for a vector input or [T, H] for a
    scalar one (all sequences' tokens concatenated). Row r of the result is
    token `start + r` of head `head`, or zero when r >= count, so padded rows
    of the last chunk contribute nothing (their log-decays are 0).

    ```mlir
    %k = chunk.load_rows %kbuf[%t0, %h] count %n : memref<?x?x?xf64> -> tensor<64x?xf64>
    ```
  }];
  let arguments = (ins Chunk_Buffer:$source, Index:$start, Index:$head,
                       Index:$count);
  let results = (outs Chunk_Tile:$result);
  let assemblyFormat = [{
    $source `[` $start `,` $head `]` `count` $count attr-dict `:`
    type($source) `->` type($result)
  }];
  let hasVerifier = 1;
}

def Chunk_StoreRowsOp : Chunk_Op<"store_rows", [MemoryEffects<[MemWrite]>]> {
  let summary = "stores the first `count` rows of a tile";
  let description = [{
    ```mlir
    chunk.store_rows %o, %obuf[%t0, %h] count %n : tensor<64x?xf64>, memref<?x?x?xf64>
    ```
  }];
  let arguments = (ins Chunk_Tile:$tile, Chunk_Buffer:$dest, Index:$start,
                       Index:$head, Index:$count);
  let assemblyFormat = [{
    $tile `,` $dest `[` $start `,` $head `]` `count` $count attr-dict `:`
    type($tile) `,` type($dest)
  }];
  let hasVerifier = 1;
}

def Chunk_LoadStateOp : Chunk_Op<"load_state", [MemoryEffects<[MemRead]>]> {
  let summary = "loads the state of one sequence and head";
  let description = [{
    `source` is [N, H, K, V] (a vector state [N, H, K] loads as K x 1).

    ```mlir
    %S0 = chunk.load_state %init[%n, %h] : memref<?x?x?x?xf64> -> tensor<?x?xf64>
    ```
  }];
  let arguments = (ins Chunk_Buffer:$source, Index:$seq, Index:$head);
  let results = (outs Chunk_Tile:$result);
  let assemblyFormat = [{
    $source `[` $seq `,` $head `]` attr-dict `:` type($source) `->` type($result)
  }];
  let hasVerifier = 1;
}

def Chunk_StoreStateOp : Chunk_Op<"store_state", [MemoryEffects<[MemWrite]>]> {
  let summary = "stores the state of one sequence and head";
  let description = [{
    ```mlir
    chunk.store_state %S, %final[%n, %h] : tensor<?x?xf64>, memref<?x?x?x?xf64>
    ```
  }];
  let arguments = (ins Chunk_Tile:$state, Chunk_Buffer:$dest, Index:$seq,
                       Index:$head);
  let assemblyFormat = [{
    $state `,` $dest `[` $seq `,` $head `]` attr-dict `:` type($state) `,`
    type($dest)
  }];
  let hasVerifier = 1;
}

def Chunk_MaskRowsOp : Chunk_Op<"mask_rows", [Pure, AllTypesMatch<["input", "result"]>]> {
  let summary = "zeroes the rows at and past `count`";
  let description = [{
    Padded rows of the last chunk must contribute nothing whatever the
    prologue made of them (elu(0) + 1 = 1, log of a zero gate = -inf): their
    directions, data, probes and log-decays are masked to zero.

    ```mlir
    %a = chunk.mask_rows %phi count %n : tensor<64x?xf64>
    ```
  }];
  let arguments = (ins Chunk_Tile:$input, Index:$count);
  let results = (outs Chunk_Tile:$result);
  let assemblyFormat = "$input `count` $count attr-dict `:` type($input)";
}

//===----------------------------------------------------------------------===//
// Decays.
//===----------------------------------------------------------------------===//

def Chunk_CumsumOp : Chunk_Op<"cumsum", [Pure, AllTypesMatch<["input", "result"]>]> {
  let summary = "cumulative sum of log-decays down the rows";
  let description = [{
    b_r = sum_{i <= r} g_i (or i < r with `exclusive`), per column for a
    per-key tile [R, K], or over a scalar column [R].

    ```mlir
    %b = chunk.cumsum %g : tensor<64xf64>
    ```
  }];
  let arguments = (ins Chunk_Tile:$input, UnitAttr:$exclusive);
  let results = (outs Chunk_Tile:$result);
  let assemblyFormat = "$input (`exclusive` $exclusive^)? attr-dict `:` type($input)";
  let hasVerifier = 1;
}

def Chunk_DecayRowsOp : Chunk_Op<"decay_rows", [Pure, AllTypesMatch<["input", "result"]>]> {
  let summary = "scales each row by exp of a log-decay: x_rd e^{b_r} or x_rd e^{b_rd}";
  let description = [{
    Every exponent passed here is a difference of cumulative log-gates taken
    forward in time (<= 0), or a cumulative log-gate itself, so it never
    overflows (design.md §2.1).

    ```mlir
    %qd = chunk.decay_rows %q, %b : tensor<64x?xf64>, tensor<64xf64>
    ```
  }];
  let arguments = (ins Chunk_Tile:$input, Chunk_Tile:$logDecay);
  let results = (outs Chunk_Tile:$result);
  let assemblyFormat = "$input `,` $logDecay attr-dict `:` type($input) `,` type($logDecay)";
  let hasVerifier = 1;
}

def Chunk_DecayToEndOp : Chunk_Op<"decay_to_end", [Pure, AllTypesMatch<["input", "result"]>]> {
  let summary = "b_last - b_r: the log-decay from each row to the end of the chunk";
  let description = [{
    ```mlir
    %toEnd = chunk.decay_to_end %b : tensor<64xf64>
    ```
  }];
  let arguments = (ins Chunk_Tile:$input);
  let results = (outs Chunk_Tile:$result);
  let assemblyFormat = "$input attr-dict `:` type($input)";
  let hasVerifier = 1;
}

def Chunk_DecayStateOp : Chunk_Op<"decay_state", [Pure, AllTypesMatch<["state", "result"]>]> {
  let summary = "diag(exp(b_last)) S: the state decayed over the whole chunk";
  let description = [{
    Scales row d of the K x V state by exp of the last row of the cumulative
    log-decay (a scalar column, or column d of a per-key tile).

    ```mlir
    %Sd = chunk.decay_state %S, %b : tensor<?x?xf64>, tensor<64xf64>
    ```
  }];
  let arguments = (ins Chunk_Tile:$state, Chunk_Tile:$logDecay);
  let results = (outs Chunk_Tile:$result);
  let assemblyFormat = "$state `,` $logDecay attr-dict `:` type($state) `,` type($logDecay)";
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Products and the triangular solve.
//===----------------------------------------------------------------------===//

def Chunk_DecayedGramOp : Chunk_Op<"decayed_gram", [Pure, AttrSizedOperandSegments]> {
  let summary = "masked, decay-weighted pairwise products of two row tiles";
  let description = [{
    M_rs = sum_d lhs_rd rhs_sd exp(lhsDecay_r(d) - rhsDecay_s(d)) where the
    mask holds, else 0. Decays are optional (both or neither) and are scalar
    columns [R] or per-key tiles [R, K]. Rows carry times: the time of lhs row
    r is floor(r / div) * mul + add with `lhs_time = [div, mul, add]`, the same
    for rhs; the mask keeps pairs with time(s) <= time(r) (`inclusive`) or
    time(s) < time(r) (`strict`). With every exponent taken forward in time
    it is <= 0; a per-key decay is evaluated pairwise, never as e^{B} e^{-B}.

    ```mlir
    %A = chunk.decayed_gram %q, %k decays(%b, %b) mask inclusive : tensor<64x?xf64>, tensor<64x?xf64>, tensor<64xf64>, tensor<64xf64> -> tensor<64x64xf64>
    ```
  }];
  let arguments = (ins Chunk_Tile:$lhs, Chunk_Tile:$rhs,
                       Optional<Chunk_Tile>:$lhsDecay,
                       Optional<Chunk_Tile>:$rhsDecay,
                       StrAttr:$mask,
                       DefaultValuedAttr<DenseI64ArrayAttr, "{1, 1, 0}">:$lhs_time,
                       DefaultValuedAttr<DenseI64ArrayAttr, "{1, 1, 0}">:$rhs_time);
  let results = (outs Chunk_Tile:$result);
  let assemblyFormat = [{
    $lhs `,` $rhs (`decays` `(` $lhsDecay^ `,` $rhsDecay `)`)? `mask` $mask
    attr-dict `:` type($lhs) `,` type($rhs) (`,` type($lhsDecay)^ `,` type($rhsDecay))?
    `->` type($result)
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    bool isStrict() { return getMask() == "strict"; }
  }];
}

def Chunk_DecayedMixOp : Chunk_Op<"decayed_mix", [Pure, AttrSizedOperandSegments]> {
  let summary = "masked, decay-weighted mix of rows: sum_s W_rs rhs_s, per column";
  let description = [{
    M_rd = sum_s weights_rs rhs_sd exp(lhsDecay_r(d) - rhsDecay_s(d)) over the
    pairs the mask keeps, with times and masks as in `chunk.decayed_gram`:
    the readout of a state along its value dimension (S p, or a vector
    state read whole), where the decay acts per output column instead of
    inside the contraction. Decays are optional (both or neither), scalar
    columns [R] or per-key tiles [R, d]; every exponent is taken forward in
    time, so it is <= 0.

    ```mlir
    %o = chunk.decayed_mix %w, %a decays(%bq, %b) mask inclusive : tensor<16x64xf64>, tensor<64x?xf64>, tensor<16x?xf64>, tensor<64x?xf64> -> tensor<16x?xf64>
    ```
  }];
  let arguments = (ins Chunk_Tile:$weights, Chunk_Tile:$rhs,
                       Optional<Chunk_Tile>:$lhsDecay,
                       Optional<Chunk_Tile>:$rhsDecay,
                       StrAttr:$mask,
                       DefaultValuedAttr<DenseI64ArrayAttr, "{1, 1, 0}">:$lhs_time,
                       DefaultValuedAttr<DenseI64ArrayAttr, "{1, 1, 0}">:$rhs_time);
  let results = (outs Chunk_Tile:$result);
  let assemblyFormat = [{
    $weights `,` $rhs (`decays` `(` $lhsDecay^ `,` $rhsDecay `)`)? `mask` $mask
    attr-dict `:` type($weights) `,` type($rhs) (`,` type($lhsDecay)^ `,` type($rhsDecay))?
    `->` type($result)
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    bool isStrict() { return getMask() == "strict"; }
  }];
}

def Chunk_SolveUnitLowerOp : Chunk_Op<"solve_unit_lower", [Pure,
    AllTypesMatch<["rhs", "result"]>]> {
  let summary = "solves (I + L) X = rhs for a strictly lower-triangular L";
  let description = [{
    The UT transform of the delta rules (design.md §2, §2.1): one forward
    substitution per chunk; entries of L on or above the diagonal are ignored.

    ```mlir
    %c = chunk.solve_unit_lower %L, %rhs : tensor<64x64xf64>, tensor<64x?xf64>
    ```
  }];
  let arguments = (ins Chunk_Tile:$lower, Chunk_Tile:$rhs);
  let results = (outs Chunk_Tile:$result);
  let assemblyFormat = "$lower `,` $rhs attr-dict `:` type($lower) `,` type($rhs)";
  let hasVerifier = 1;
}

def Chunk_MatmulOp : Chunk_Op<"matmul", [Pure]> {
  let summary = "tile product lhs rhs, with `transpose_lhs` / `transpose_rhs` lhs^T or rhs^T";
  let description = [{
    ```mlir
    %o = chunk.matmul %A, %v : tensor<64x64xf64>, tensor<64x?xf64> -> tensor<64x?xf64>
    %s = chunk.matmul %k, %v transpose_lhs : tensor<64x?xf64>, tensor<64x?xf64> -> tensor<?x?xf64>
    %p = chunk.matmul %q, %s transpose_rhs : tensor<64x?xf64>, tensor<?x?xf64> -> tensor<64x?xf64>
    ```
  }];
  let arguments = (ins Chunk_Tile:$lhs, Chunk_Tile:$rhs, UnitAttr:$transpose_lhs,
                       UnitAttr:$transpose_rhs);
  let results = (outs Chunk_Tile:$result);
  let assemblyFormat = [{
    $lhs `,` $rhs (`transpose_lhs` $transpose_lhs^)? (`transpose_rhs` $transpose_rhs^)?
    attr-dict `:` type($lhs) `,` type($rhs) `->` type($result)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Rows of several terms or sub-steps per token.
//===----------------------------------------------------------------------===//

def Chunk_InterleaveOp : Chunk_Op<"interleave", [Pure, SameTypeOperands]> {
  let summary = "interleaves n tiles row by row: row r*n + i is row r of input i";
  let description = [{
    Builds the (token, sub-step, term) rows of rules with several rank-1
    terms per token.

    ```mlir
    %a = chunk.interleave %a0, %a1 : tensor<64x?xf64> -> tensor<128x?xf64>
    ```
  }];
  let arguments = (ins Variadic<Chunk_Tile>:$inputs);
  let results = (outs Chunk_Tile:$result);
  let assemblyFormat = "$inputs attr-dict `:` type($inputs) `->` type($result)";
  let hasVerifier = 1;
}

def Chunk_StridedRowsOp : Chunk_Op<"strided_rows", [Pure]> {
  let summary = "rows start, start + stride, ... of a tile";
  let description = [{
    ```mlir
    %last = chunk.strided_rows %b start 1 stride 2 : tensor<128xf64> -> tensor<64xf64>
    ```
  }];
  let arguments = (ins Chunk_Tile:$input, I64Attr:$start, I64Attr:$stride);
  let results = (outs Chunk_Tile:$result);
  let assemblyFormat = [{
    $input `start` $start `stride` $stride attr-dict `:` type($input) `->` type($result)
  }];
  let hasVerifier = 1;
}

#endif // LARC_CHUNK_OPS_TD
