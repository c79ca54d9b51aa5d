//===- LarcTypes.td - larc value types ---------------------*- tablegen -*-===//

#ifndef LARC_TYPES_TD
#define LARC_TYPES_TD

include "larc/Dialect/LarcDialect.td"

class Larc_Type<string name, string typeMnemonic, list<Trait> traits = []>
    : TypeDef<Larc_Dialect, name, traits> {
  let mnemonic = typeMnemonic;
}

def Larc_ScalarType : Larc_Type<"Scalar", "scalar"> {
  let summary = "a real number per token (or per rule)";
  let description = [{
    `!larc.scalar` holds one real value: a scalar gate, a coefficient such as
    beta, a constant, or the result of a dot product.
  }];
}

def Larc_VecType : Larc_Type<"Vec", "vec"> {
  let summary = "a vector over one symbolic dimension";
  let description = [{
    `!larc.vec<K>` is a vector whose size is the rule's dimension `K`.
  }];
  let parameters = (ins "::mlir::StringAttr":$dim);
  let hasCustomAssemblyFormat = 1;
}

def Larc_MatType : Larc_Type<"Mat", "mat"> {
  let summary = "a matrix over two symbolic dimensions";
  let description = [{
    `!larc.mat<K, V>` is a |K| x |V| matrix. Transitions are `!larc.mat<K, K>`,
    updates of a K x V state are `!larc.mat<K, V>`.
  }];
  let parameters = (ins "::mlir::StringAttr":$rows, "::mlir::StringAttr":$cols);
  let hasCustomAssemblyFormat = 1;
  let extraClassDeclaration = [{
    bool isSquare() const { return getRows() == getCols(); }
  }];
}

def Larc_StateType : Larc_Type<"State", "state"> {
  let summary = "a recurrent state carried from token to token";
  let description = [{
    `!larc.state<K, V>` is a |K| x |V| matrix state; `!larc.state<K>` is a
    vector state over K (for example the normaliser z of linear attention).
    States are accumulated in fp32 or fp64, whatever the inputs are.
  }];
  let parameters = (ins "::mlir::StringAttr":$keyDim,
                        "::mlir::StringAttr":$valueDim);
  let hasCustomAssemblyFormat = 1;
  let extraClassDeclaration = [{
    /// A vector state has no value dimension.
    bool isVector() const { return !getValueDim(); }
  }];
}

def Larc_AnyValue : AnyTypeOf<[Larc_ScalarType, Larc_VecType, Larc_MatType],
                              "larc scalar, vector or matrix">;
def Larc_ScalarOrVec : AnyTypeOf<[Larc_ScalarType, Larc_VecType],
                                 "larc scalar or vector">;

#endif // LARC_TYPES_TD
