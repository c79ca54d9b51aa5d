//===- LarcAttrs.td - larc attributes ----------------------*- tablegen -*-===//

#ifndef LARC_ATTRS_TD
#define LARC_ATTRS_TD

include "larc/Dialect/LarcDialect.td"

// What a per-token input means; later passes and the runtime use the role to
// pick the tensor layout (design.md §4) and the input distributions of checks.
def Larc_RoleAttr : I32EnumAttr<"Role", "role of a per-token input", [
    I32EnumAttrCase<"Query", 0, "query">,
    I32EnumAttrCase<"Key", 1, "key">,
    I32EnumAttrCase<"Value", 2, "value">,
    I32EnumAttrCase<"LogGate", 3, "log_gate">,
    I32EnumAttrCase<"Gate", 4, "gate">,
    I32EnumAttrCase<"Coefficient", 5, "coefficient">
  ]> {
  let cppNamespace = "::larc";
}

#endif // LARC_ATTRS_TD
