//===- ChunkFormTest.cpp - derived chunk forms vs the fp64 recurrence -----===//
//
// Every example rule, derived at chunk sizes 16 and 64, JIT-compiled through
// MLIR's own lowering and run on fresh random inputs, must match the fp64
// step-by-step reference: to 1e-10 relative in f64 (rounding only: the chunk
// form is an exact rewrite) and 1e-4 in f32 (single-precision rounding over
// a few hundred tokens). T covers 1, C - 1, C and 3C + 5 so partial chunks
// are always exercised.
//
//===----------------------------------------------------------------------===//

#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>

#include "larc/Dialect/LarcDialect.h"
#include "larc/Frontend/Parser.h"
#include "larc/Lowering/CpuRunner.h"
#include "larc/Lowering/Verify.h"

#include "mlir/IR/MLIRContext.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"

#include <map>
#include <string>
#include <vector>

using namespace larc;

namespace {

std::vector<std::string> exampleFiles() {
  std::vector<std::string> files;
  std::error_code ec;
  for (llvm::sys::fs::directory_iterator it(LARC_EXAMPLES_DIR, ec), end;
       it != end && !ec; it.increment(ec))
    if (llvm::sys::path::extension(it->path()) == ".larc")
      files.push_back(it->path());
  std::sort(files.begin(), files.end());
  return files;
}

struct Fixture {
  mlir::MLIRContext context;
  Fixture() : context(registry()) { context.loadDialect<LarcDialect>(); }
  static mlir::DialectRegistry registry() {
    mlir::DialectRegistry r;
    mlir::registerAllDialects(r);
    mlir::registerAllExtensions(r);
    return r;
  }
};

/// Draws a problem of `shape`, runs `program` and the fp64 recurrence on it.
Comparison runBoth(RuleOp rule, ChunkProgram &program,
                   const ProblemShape &shape) {
  reference::Problem problem = makeRandomProblem(rule, shape);
  auto want = reference::run(rule, problem);
  REQUIRE(bool(want));
  auto got = program.run(problem);
  REQUIRE(bool(got));
  return compareResults(*got, *want);
}

/// The rule of the example `path`, parsed into `f`'s context.
RuleOp parseExample(Fixture &f, const std::string &path,
                    mlir::OwningOpRef<mlir::ModuleOp> &module) {
  module = parseSpecFile(path, &f.context);
  REQUIRE(module);
  return *module->getOps<RuleOp>().begin();
}

/// Derives, compiles and checks one rule over the grid of shapes.
void checkRule(const std::string &path, CpuElementType type, double tol) {
  Fixture f;
  mlir::OwningOpRef<mlir::ModuleOp> module;
  RuleOp rule = parseExample(f, path, module);
  for (int64_t chunk : {16, 64}) {
    auto program = ChunkProgram::compile(rule, chunk, type);
    if (!program)
      FAIL(path << ": " << llvm::toString(program.takeError()));
    uint64_t seed = 1;
    for (int64_t T : {int64_t(1), chunk - 1, chunk, 3 * chunk + 5}) {
      for (bool initial : {false, true}) {
        ProblemShape shape;
        shape.batch = 2;
        shape.heads = 2;
        shape.seqLen = T;
        shape.keyDim = 12; // odd sizes on purpose
        shape.valueDim = 10;
        shape.initialState = initial;
        shape.seed = ++seed * 7919 + T;
        Comparison cmp = runBoth(rule, **program, shape);
        INFO(path << " chunk " << chunk << " T " << T << " initial " << initial
                  << " worst " << cmp.worst());
        CHECK(cmp.within(tol));
      }
    }
  }
}

} // namespace

TEST_CASE("every example's chunk form matches the recurrence in f64",
          "[chunk][f64]") {
  for (const std::string &path : exampleFiles()) {
    DYNAMIC_SECTION(llvm::sys::path::filename(path).str()) {
      checkRule(path, CpuElementType::F64, 1e-10);
    }
  }
}

TEST_CASE("every example's chunk form matches the recurrence in f32",
          "[chunk][f32]") {
  for (const std::string &path : exampleFiles()) {
    DYNAMIC_SECTION(llvm::sys::path::filename(path).str()) {
      checkRule(path, CpuElementType::F32, 1e-4);
    }
  }
}

TEST_CASE("variable-length batches match the recurrence", "[chunk][varlen]") {
  for (const std::string &path : exampleFiles()) {
    DYNAMIC_SECTION(llvm::sys::path::filename(path).str()) {
      Fixture f;
      mlir::OwningOpRef<mlir::ModuleOp> module;
      RuleOp rule = parseExample(f, path, module);
      auto program = ChunkProgram::compile(rule, 32, CpuElementType::F64);
      REQUIRE(bool(program));
      ProblemShape shape;
      shape.batch = 4;
      shape.seqLen = 50;
      shape.keyDim = 12;
      shape.valueDim = 10;
      shape.varlen = true;
      shape.seed = 99;
      Comparison cmp = runBoth(rule, **program, shape);
      INFO("worst " << cmp.worst());
      CHECK(cmp.within(1e-10));
    }
  }
}

// Decays near 0 and near 1 over 65536 tokens with beta = 1: the chunk form
// must stay finite and as accurate as rounding allows (no exp of a whole
// chunk's negative cumulative gate anywhere).
TEST_CASE("hard cases stay finite and accurate over T = 65536",
          "[chunk][hard]") {
  for (const char *name : {"gated_delta_rule.larc", "gla.larc", "kda.larc"}) {
    for (DecayRange range : {DecayRange::NearZero, DecayRange::NearOne}) {
      DYNAMIC_SECTION(name << (range == DecayRange::NearZero ? " near-zero"
                                                             : " near-one")) {
        Fixture f;
        mlir::OwningOpRef<mlir::ModuleOp> module;
        RuleOp rule = parseExample(
            f, std::string(LARC_EXAMPLES_DIR) + "/" + name, module);
        auto program = ChunkProgram::compile(rule, 64, CpuElementType::F64);
        REQUIRE(bool(program));
        ProblemShape shape;
        shape.batch = 1;
        shape.heads = 1;
        shape.seqLen = 65536;
        shape.keyDim = 8;
        shape.valueDim = 8;
        shape.decays = range;
        shape.coefficient = 1.0;
        Comparison cmp = runBoth(rule, **program, shape);
        INFO("worst " << cmp.worst());
        CHECK(cmp.within(1e-9));
      }
    }
  }
}
