//===- LarcDialect.td - the larc recurrence dialect --------*- tablegen -*-===//
//
// The recurrence level of larc: one `larc.rule` per linear-attention rule,
// describing the per-token state update algebraically (design.md §1, §2.1).
//
//===----------------------------------------------------------------------===//

#ifndef LARC_DIALECT_TD
#define LARC_DIALECT_TD

include "mlir/IR/OpBase.td"
include "mlir/IR/AttrTypeBase.td"
include "mlir/IR/EnumAttr.td"

def Larc_Dialect : Dialect {
  let name = "larc";
  let cppNamespace = "::larc";
  let summary = "Recurrent state updates of linear-attention rules";
  let description = [{
    A `larc.rule` describes one token step of a matrix-state recurrence

        S_t = A_t S_{t-1} + B_t,    o_t = S_t^T q_t

    per (batch, head), over per-token inputs with roles (queries, keys,
    values, gates, coefficients). Transitions and updates are built from
    algebraic factors (identity, diagonal decays, Householder reflections,
    rank-1 outer products, products and sums of these), not loops, so that
    later passes can classify the algebra and derive a chunkwise-parallel form.

    Sizes are symbolic: a rule names its dimensions (`K` for keys, `V` for
    values by convention) and every vector, matrix and state type refers to
    them; sizes are bound when the rule is run or compiled.
  }];
  let useDefaultTypePrinterParser = 1;
  let hasConstantMaterializer = 1;
  let extraClassDeclaration = [{
    void registerTypes();
  }];
}

class Larc_Op<string mnemonic, list<Trait> traits = []>
    : Op<Larc_Dialect, mnemonic, traits>;

#endif // LARC_DIALECT_TD
