//===- PrintClassification.cpp - print each rule's general form -----------===//
//
// -larc-print-classification: classifies every larc.rule (design.md §2.1) and
// prints describe() of it to stdout, for lit tests and for reading.
//
//===----------------------------------------------------------------------===//

#include "larc/Lowering/Passes.h"
#include "larc/Lowering/RecurrenceForm.h"

#include "llvm/Support/raw_ostream.h"

namespace larc {
#define GEN_PASS_DEF_LARCPRINTCLASSIFICATION
#include "larc/Lowering/Passes.h.inc"
} // namespace larc

using namespace mlir;
using namespace larc;

namespace {

struct PrintClassificationPass
    : larc::impl::LarcPrintClassificationBase<PrintClassificationPass> {
  using Base::Base;

  void runOnOperation() override {
    bool failedAny = false;
    for (RuleOp rule : getOperation().getOps<RuleOp>()) {
      FailureOr<RuleForm> form = classifyRule(rule);
      if (failed(form)) {
        failedAny = true;
        continue;
      }
      llvm::outs() << describe(*form);
    }
    llvm::outs().flush();
    if (failedAny)
      signalPassFailure();
  }
};

} // namespace
