//===- Larc.td - everything of the larc dialect ------------*- tablegen -*-===//
include "larc/Dialect/LarcOps.td"
