//===- LarcOps.td - larc recurrence-level operations -------*- tablegen -*-===//
//
// The math behind these ops is design.md §1 and §2.1; each op's description
// says what it computes for one token of one (batch, head).
//
//===----------------------------------------------------------------------===//

#ifndef LARC_OPS_TD
#define LARC_OPS_TD

include "larc/Dialect/LarcDialect.td"
include "larc/Dialect/LarcTypes.td"
include "larc/Dialect/LarcAttrs.td"
include "mlir/IR/SymbolInterfaces.td"
include "mlir/IR/OpAsmInterface.td"
include "mlir/IR/RegionKindInterface.td"
include "mlir/Interfaces/SideEffectInterfaces.td"
include "mlir/Interfaces/InferTypeOpInterface.td"

//===----------------------------------------------------------------------===//
// Structure: the rule, its inputs, states, state updates and outputs.
//===----------------------------------------------------------------------===//

def Larc_RuleOp : Larc_Op<"rule", [Symbol, IsolatedFromAbove,
    NoTerminator, SingleBlock, NoRegionArguments]> {
  let summary = "one linear-attention rule: the step applied to every token";
  let description = [{
    The body describes one token step for one (batch, head): it reads the
    token's inputs (`larc.input`), updates each state once (`larc.recur`) and
    writes per-token outputs (`larc.output`). `dims` names the rule's symbolic
    sizes; every larc type in the body must use only those names.

    ```mlir
    larc.rule @linear_attention dims ["K", "V"] {
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
    ```
  }];
  let arguments = (ins SymbolNameAttr:$sym_name, StrArrayAttr:$dims);
  let regions = (region SizedRegion<1>:$body);
  let assemblyFormat = "$sym_name `dims` $dims attr-dict-with-keyword $body";
  let hasVerifier = 1;
  let hasRegionVerifier = 1;
  let extraClassDeclaration = [{
    /// True if `dim` is one of the rule's declared dimensions.
    bool hasDim(::llvm::StringRef dim);
  }];
}

def Larc_InputOp : Larc_Op<"input", [Pure,
    DeclareOpInterfaceMethods<OpAsmOpInterface, ["getAsmResultNames"]>]> {
  let summary = "a per-token input with a role";
  let description = [{
    Reads the current token's value of the named input. Queries, keys and
    values are vectors; gates and coefficients are scalars or vectors over the
    key dimension. A `log_gate` g is a decay in log space (g <= 0, the decay is
    exp(g)); a `gate` is a decay in (0, 1]; a `coefficient` is any real per
    token, such as beta.

    ```mlir
    %g = larc.input "g" log_gate : !larc.scalar
    %gk = larc.input "gk" log_gate : !larc.vec<K>
    ```
  }];
  let arguments = (ins StrAttr:$name, Larc_RoleAttr:$role);
  let results = (outs Larc_ScalarOrVec:$result);
  let assemblyFormat = "$name $role attr-dict `:` qualified(type($result))";
  let hasVerifier = 1;
}

def Larc_StateOp : Larc_Op<"state", [Pure,
    DeclareOpInterfaceMethods<OpAsmOpInterface, ["getAsmResultNames"]>]> {
  let summary = "declares a recurrent state";
  let description = [{
    Declares a state carried across tokens. The initial state is zero unless
    one is passed when the rule runs; the final state can be returned. Each
    state is updated by exactly one `larc.recur`.

    ```mlir
    %S = larc.state "S" : !larc.state<K, V>
    ```
  }];
  let arguments = (ins StrAttr:$name);
  let results = (outs Larc_StateType:$state);
  let assemblyFormat = "$name attr-dict `:` qualified(type($state))";
  let hasVerifier = 1;
}

def Larc_RecurOp : Larc_Op<"recur"> {
  let summary = "the state update S_t = A S_{t-1} + B";
  let description = [{
    Updates `state` for the current token: the new state is the transition
    applied to the previous state plus the update. For a matrix state
    `!larc.state<K, V>` the transition is `!larc.mat<K, K>` and the update
    `!larc.mat<K, V>`; for a vector state `!larc.state<K>` the update is a
    `!larc.vec<K>`. The update may read the previous state through
    `larc.readout ... prev` (the delta rule written as S + k (v - S^T k)^T).

    ```mlir
    larc.recur %S = %A, %B : !larc.state<K, V>, !larc.mat<K, K>, !larc.mat<K, V>
    ```
  }];
  let arguments = (ins Larc_StateType:$state, Larc_MatType:$transition,
                       AnyTypeOf<[Larc_MatType, Larc_VecType]>:$update);
  let assemblyFormat = [{
    $state `=` $transition `,` $update attr-dict `:` qualified(type($state)) `,`
    qualified(type($transition)) `,` qualified(type($update))
  }];
  let hasVerifier = 1;
}

def Larc_ReadoutOp : Larc_Op<"readout", [Pure]> {
  let summary = "the readout S^T q";
  let description = [{
    Contracts the state's key dimension with `probe`: S_t^T q for a matrix
    state (a `!larc.vec<V>`), z_t . q for a vector state (a scalar). By default
    it reads the state after this token's update; with `prev` it reads the
    state before it (S_{t-1}), as rules that read out before the update, or
    delta rules written with an explicit prediction S^T k, do.

    ```mlir
    %o = larc.readout %S, %q : !larc.state<K, V>, !larc.vec<K> -> !larc.vec<V>
    %p = larc.readout %S, %k prev : !larc.state<K, V>, !larc.vec<K> -> !larc.vec<V>
    ```
  }];
  let arguments = (ins Larc_StateType:$state, Larc_VecType:$probe,
                       UnitAttr:$prev);
  let results = (outs Larc_ScalarOrVec:$result);
  let assemblyFormat = [{
    $state `,` $probe (`prev` $prev^)? attr-dict `:` qualified(type($state)) `,`
    qualified(type($probe)) `->` qualified(type($result))
  }];
  let hasVerifier = 1;
}

def Larc_ApplyOp : Larc_Op<"apply", [Pure]> {
  let summary = "the state applied to a value-side vector, S p (or a vector state itself)";
  let description = [{
    Contracts the state's value dimension: S_t p for a matrix state
    `!larc.state<K, V>` and a probe `p : !larc.vec<V>` (a `!larc.vec<K>`),
    the transpose of what `larc.readout` contracts; for a vector state
    `!larc.state<K>`, which has no value dimension, it takes no probe and is
    the state itself z_t. A state stored transposed (values and keys
    swapped, as in the Oja rule) is read out this way, and a vector state's
    whole value can be an output or feed another state's update. By default
    it reads the state after this token's update; with `prev` the state
    before it (S_{t-1}).

    ```mlir
    %o = larc.apply %P, %q : !larc.state<V, K>, !larc.vec<K> -> !larc.vec<V>
    %h = larc.apply %z prev : !larc.state<K> -> !larc.vec<K>
    ```
  }];
  let arguments = (ins Larc_StateType:$state, Optional<Larc_VecType>:$probe,
                       UnitAttr:$prev);
  let results = (outs Larc_VecType:$result);
  let assemblyFormat = [{
    $state (`,` $probe^)? (`prev` $prev^)? attr-dict `:`
    qualified(type($state)) (`,` qualified(type($probe))^)? `->`
    qualified(type($result))
  }];
  let hasVerifier = 1;
}

def Larc_OutputOp : Larc_Op<"output"> {
  let summary = "a per-token output";
  let description = [{
    Writes the current token's value of the named output (layout [B, T, H, d]
    for a vector, [B, T, H] for a scalar).

    ```mlir
    larc.output "o", %o : !larc.vec<V>
    ```
  }];
  let arguments = (ins StrAttr:$name, Larc_ScalarOrVec:$value);
  let assemblyFormat = "$name `,` $value attr-dict `:` qualified(type($value))";
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Scalars that do not depend on the token.
//===----------------------------------------------------------------------===//

def Larc_ConstantOp : Larc_Op<"constant", [Pure, ConstantLike]> {
  let summary = "a real constant";
  let description = [{
    ```mlir
    %c = larc.constant 0.5
    ```
  }];
  let arguments = (ins F64Attr:$value);
  let results = (outs Larc_ScalarType:$result);
  let assemblyFormat = "$value attr-dict";
  let hasFolder = 1;
  let builders = [OpBuilder<(ins "double":$value)>];
}

def Larc_HeadIndexOp : Larc_Op<"head_index", [Pure]> {
  let summary = "the index h of the current head, from 0";
  let description = [{
    Lets per-head constants depend on the head, like RetNet's decay
    1 - 2^(-5-h).

    ```mlir
    %h = larc.head_index
    ```
  }];
  let results = (outs Larc_ScalarType:$result);
  let assemblyFormat = "attr-dict";
}

def Larc_PositionOp : Larc_Op<"position", [Pure]> {
  let summary = "the index of the current token in its sequence, from 0";
  let description = [{
    Lets a rule depend on where a token sits, like log-linear attention's
    levels, which restart at multiples of powers of two
    (`min(mod(position, 4), 1)` is 0 at every fourth token, else 1).

    ```mlir
    %t = larc.position
    ```
  }];
  let results = (outs Larc_ScalarType:$result);
  let assemblyFormat = "attr-dict";
}

def Larc_ScaleOp : Larc_Op<"scale", [Pure]> {
  let summary = "the attention scale, 1/sqrt(|dim|) unless the caller passes one";
  let description = [{
    The `scale` argument of the rule's kernel (flash-linear-attention's
    convention): when the caller passes none it is 1/sqrt of the size of `dim`.

    ```mlir
    %s = larc.scale "K"
    ```
  }];
  let arguments = (ins StrAttr:$dim);
  let results = (outs Larc_ScalarType:$result);
  let assemblyFormat = "$dim attr-dict";
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Elementwise arithmetic over scalars, vectors and (for +, -, scaling)
// matrices. A scalar operand broadcasts over the other operand.
//===----------------------------------------------------------------------===//

class Larc_BinaryOp<string mnemonic, string what>
    : Larc_Op<mnemonic, [Pure, DeclareOpInterfaceMethods<InferTypeOpInterface>]> {
  let summary = what;
  let description = !strconcat(what, [{. A scalar operand broadcasts over a
    vector or matrix operand; two vectors must share their dimension.

    ```mlir
    %r = larc.}], mnemonic, [{ %a, %b : !larc.scalar, !larc.vec<K>
    ```
  }]);
  let arguments = (ins Larc_AnyValue:$lhs, Larc_AnyValue:$rhs);
  let results = (outs Larc_AnyValue:$result);
  let assemblyFormat = "$lhs `,` $rhs attr-dict `:` qualified(type($lhs)) `,` qualified(type($rhs))";
}

def Larc_AddOp : Larc_BinaryOp<"add", "elementwise sum">;
def Larc_SubOp : Larc_BinaryOp<"sub", "elementwise difference">;
def Larc_MulOp : Larc_BinaryOp<"mul", "elementwise product (or scaling by a scalar)">;
def Larc_DivOp : Larc_BinaryOp<"div", "elementwise quotient">;
def Larc_PowOp : Larc_BinaryOp<"pow", "elementwise power lhs^rhs">;

class Larc_ScalarOrVecBinaryOp<string mnemonic, string what>
    : Larc_BinaryOp<mnemonic, what> {
  let arguments = (ins Larc_ScalarOrVec:$lhs, Larc_ScalarOrVec:$rhs);
  let results = (outs Larc_ScalarOrVec:$result);
}

def Larc_ModOp : Larc_ScalarOrVecBinaryOp<"mod",
    "floored remainder lhs - rhs floor(lhs / rhs) (restarts every rhs tokens with `position`)">;
def Larc_MinOp : Larc_ScalarOrVecBinaryOp<"min", "elementwise minimum">;
def Larc_MaxOp : Larc_ScalarOrVecBinaryOp<"max", "elementwise maximum">;

class Larc_UnaryOp<string mnemonic, string what>
    : Larc_Op<mnemonic, [Pure, SameOperandsAndResultType]> {
  let summary = what;
  let description = !strconcat(what, [{, elementwise over a scalar or vector.

    ```mlir
    %r = larc.}], mnemonic, [{ %x : !larc.vec<K>
    ```
  }]);
  let arguments = (ins Larc_ScalarOrVec:$x);
  let results = (outs Larc_ScalarOrVec:$result);
  let assemblyFormat = "$x attr-dict `:` qualified(type($x))";
}

def Larc_NegOp : Larc_UnaryOp<"neg", "negation -x">;
def Larc_ExpOp : Larc_UnaryOp<"exp", "exponential e^x">;
def Larc_LogOp : Larc_UnaryOp<"log", "natural logarithm">;
def Larc_SqrtOp : Larc_UnaryOp<"sqrt", "square root">;
def Larc_SigmoidOp : Larc_UnaryOp<"sigmoid", "logistic sigmoid 1/(1+e^-x)">;
def Larc_SoftplusOp : Larc_UnaryOp<"softplus", "softplus log(1+e^x)">;
def Larc_ReluOp : Larc_UnaryOp<"relu", "rectifier max(x, 0)">;
def Larc_EluOp : Larc_UnaryOp<"elu", "exponential linear unit (x > 0 ? x : e^x - 1)">;
def Larc_SiluOp : Larc_UnaryOp<"silu", "x * sigmoid(x)">;
def Larc_AbsOp : Larc_UnaryOp<"abs", "absolute value |x|">;

def Larc_SoftmaxOp : Larc_Op<"softmax", [Pure, SameOperandsAndResultType]> {
  let summary = "softmax over a vector, e^{x_i - max x} / sum_j e^{x_j - max x}";
  let description = [{
    A pointwise map between chained recurrences (the slot weights of GSA).
    The maximum is subtracted before the exponential, so it does not overflow.

    ```mlir
    %w = larc.softmax %x : !larc.vec<M>
    ```
  }];
  let arguments = (ins Larc_VecType:$x);
  let results = (outs Larc_VecType:$result);
  let assemblyFormat = "$x attr-dict `:` qualified(type($x))";
}

def Larc_L2NormOp : Larc_Op<"l2norm", [Pure, SameOperandsAndResultType]> {
  let summary = "L2 normalisation x / sqrt(x.x + eps)";
  let description = [{
    flash-linear-attention's `l2norm`: x / sqrt(sum(x^2) + eps), eps = 1e-6
    unless given.

    ```mlir
    %kn = larc.l2norm %k : !larc.vec<K>
    ```
  }];
  let arguments = (ins Larc_VecType:$x, DefaultValuedAttr<F64Attr, "1e-6">:$eps);
  let results = (outs Larc_VecType:$result);
  let assemblyFormat = "$x attr-dict `:` qualified(type($x))";
  let hasVerifier = 1;
}

def Larc_KronOp : Larc_Op<"kron", [Pure]> {
  let summary = "the Kronecker product of two vectors, a (x) b flattened";
  let description = [{
    (a (x) b)_{i |B| + j} = a_i b_j, a vector over a dimension whose size is
    |A| |B| (a derived dimension of the rule, `dim KK = K*K`): the quadratic
    part of a feature map that changes the key dimension (Based, ReBased).

    ```mlir
    %kk = larc.kron %k, %k : !larc.vec<K>, !larc.vec<K> -> !larc.vec<KK>
    ```
  }];
  let arguments = (ins Larc_VecType:$lhs, Larc_VecType:$rhs);
  let results = (outs Larc_VecType:$result);
  let assemblyFormat = [{
    $lhs `,` $rhs attr-dict `:` qualified(type($lhs)) `,` qualified(type($rhs))
    `->` qualified(type($result))
  }];
  let hasVerifier = 1;
}

def Larc_ConcatOp : Larc_Op<"concat", [Pure]> {
  let summary = "scalars and vectors end to end";
  let description = [{
    [x_1, ..., x_n], a vector over a dimension whose size is the sum of
    theirs (a scalar counts 1; a derived dimension of the rule, `dim F = 1 +
    K + KK`): Based's feature map (1, x, x (x) x / sqrt 2) is one.

    ```mlir
    %one = larc.constant 1.0
    %f = larc.concat %one, %k, %kk : !larc.scalar, !larc.vec<K>, !larc.vec<KK> -> !larc.vec<F>
    ```
  }];
  let arguments = (ins Variadic<Larc_ScalarOrVec>:$inputs);
  let results = (outs Larc_VecType:$result);
  let assemblyFormat = [{
    $inputs attr-dict `:` qualified(type($inputs)) `->` qualified(type($result))
  }];
  let hasVerifier = 1;
}

def Larc_DotOp : Larc_Op<"dot", [Pure, AllTypesMatch<["lhs", "rhs"]>]> {
  let summary = "inner product of two vectors over the same dimension";
  let description = [{
    ```mlir
    %s = larc.dot %a, %b : !larc.vec<K>
    ```
  }];
  let arguments = (ins Larc_VecType:$lhs, Larc_VecType:$rhs);
  let results = (outs Larc_ScalarType:$result);
  let assemblyFormat = "$lhs `,` $rhs attr-dict `:` qualified(type($lhs))";
}

//===----------------------------------------------------------------------===//
// Transition factors and updates.
//===----------------------------------------------------------------------===//

def Larc_IdentityOp : Larc_Op<"identity", [Pure]> {
  let summary = "the identity transition I";
  let description = [{
    ```mlir
    %I = larc.identity : !larc.mat<K, K>
    ```
  }];
  let results = (outs Larc_MatType:$result);
  let assemblyFormat = "attr-dict `:` qualified(type($result))";
  let hasVerifier = 1;
}

def Larc_DiagOp : Larc_Op<"diag", [Pure]> {
  let summary = "a diagonal decay diag(x)";
  let description = [{
    The diagonal matrix with `x` on the diagonal: a scalar x gives x I (a
    constant or scalar data-dependent decay), a vector x over K a per-key
    decay. Decays given in log space are written diag(exp(g)).

    ```mlir
    %eg = larc.exp %g : !larc.scalar
    %D = larc.diag %eg : !larc.scalar -> !larc.mat<K, K>
    ```
  }];
  let arguments = (ins Larc_ScalarOrVec:$x);
  let results = (outs Larc_MatType:$result);
  let assemblyFormat = "$x attr-dict `:` qualified(type($x)) `->` qualified(type($result))";
  let hasVerifier = 1;
}

def Larc_OuterOp : Larc_Op<"outer", [Pure,
    DeclareOpInterfaceMethods<InferTypeOpInterface>]> {
  let summary = "the rank-1 outer product a b^T";
  let description = [{
    ```mlir
    %kv = larc.outer %k, %v : !larc.vec<K>, !larc.vec<V>
    ```
  }];
  let arguments = (ins Larc_VecType:$lhs, Larc_VecType:$rhs);
  let results = (outs Larc_MatType:$result);
  let assemblyFormat = "$lhs `,` $rhs attr-dict `:` qualified(type($lhs)) `,` qualified(type($rhs))";
}

def Larc_HouseholderOp : Larc_Op<"householder", [Pure,
    DeclareOpInterfaceMethods<InferTypeOpInterface>]> {
  let summary = "the generalised Householder transition I - beta k k^T";
  let description = [{
    The delta rule's transition. `beta` is a scalar; with beta = 1 and a unit
    k it is a projection, with beta = 2 a reflection.

    ```mlir
    %H = larc.householder %beta, %k : !larc.scalar, !larc.vec<K>
    ```
  }];
  let arguments = (ins Larc_ScalarType:$beta, Larc_VecType:$k);
  let results = (outs Larc_MatType:$result);
  let assemblyFormat = "$beta `,` $k attr-dict `:` qualified(type($beta)) `,` qualified(type($k))";
}

def Larc_MatmulOp : Larc_Op<"matmul", [Pure,
    DeclareOpInterfaceMethods<InferTypeOpInterface>]> {
  let summary = "matrix product, to compose transition factors";
  let description = [{
    `lhs rhs`: applied to a state, rhs acts first.

    ```mlir
    %A = larc.matmul %D, %H : !larc.mat<K, K>, !larc.mat<K, K>
    ```
  }];
  let arguments = (ins Larc_MatType:$lhs, Larc_MatType:$rhs);
  let results = (outs Larc_MatType:$result);
  let assemblyFormat = "$lhs `,` $rhs attr-dict `:` qualified(type($lhs)) `,` qualified(type($rhs))";
}

#endif // LARC_OPS_TD
