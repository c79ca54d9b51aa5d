//===- Passes.td - larc passes -----------------------------*- tablegen -*-===//

#ifndef LARC_LOWERING_PASSES_TD
#define LARC_LOWERING_PASSES_TD

include "mlir/Pass/PassBase.td"

def LarcPrintClassification : Pass<"larc-print-classification", "mlir::ModuleOp"> {
  let summary = "Classify each rule's algebra and print its general form";
  let description = [{
    Runs the classification of design.md §2.1 over every `larc.rule` and
    prints, per rule, the general form it found (decay kind, sub-steps, terms
    with their direction, data and probe). A rule outside the supported
    algebra gets an error naming the term that falls outside and why.
  }];
  let dependentDialects = ["larc::LarcDialect"];
}

#endif // LARC_LOWERING_PASSES_TD
