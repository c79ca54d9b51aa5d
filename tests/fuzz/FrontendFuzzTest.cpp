//===- FrontendFuzzTest.cpp - mutation fuzzing of the .larc frontend ------===//
//
// Every example spec is corrupted in thousands of deterministic ways (tokens
// and characters deleted, duplicated, swapped; operators, names, numbers,
// brackets and stray bytes inserted; truncation; lines spliced in from other
// examples) and parsed in-process. Each variant must either give a verified
// module with no error, or null with at least one error located at a
// file:line:col inside the variant.
//
//===----------------------------------------------------------------------===//

#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>

#include "larc/Dialect/LarcDialect.h"
#include "larc/Frontend/Parser.h"

#include "mlir/IR/AsmState.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Parser/Parser.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/SourceMgr.h"

#include <algorithm>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

namespace {

struct Example {
  std::string name;
  std::string text;
};

std::vector<Example> loadExamples() {
  std::vector<Example> examples;
  std::error_code ec;
  for (llvm::sys::fs::directory_iterator it(LARC_EXAMPLES_DIR, ec), end;
       it != end && !ec; it.increment(ec)) {
    if (llvm::sys::path::extension(it->path()) != ".larc")
      continue;
    auto buffer = llvm::MemoryBuffer::getFile(it->path());
    if (buffer)
      examples.push_back({llvm::sys::path::filename(it->path()).str(),
                          (*buffer)->getBuffer().str()});
  }
  // Directory order is not deterministic; the fuzzing must be.
  std::sort(examples.begin(), examples.end(),
            [](const Example &a, const Example &b) { return a.name < b.name; });
  return examples;
}

/// Splits text into tokens roughly as the lexer does (names, numbers, single
/// characters, whitespace runs), so mutations hit whole tokens.
std::vector<std::string> splitTokens(const std::string &text) {
  std::vector<std::string> tokens;
  size_t i = 0;
  while (i < text.size()) {
    size_t j = i + 1;
    auto word = [](char c) { return llvm::isAlnum(c) || c == '_' || c == '.'; };
    if (word(text[i]))
      while (j < text.size() && word(text[j]))
        ++j;
    else if (text[i] == ' ')
      while (j < text.size() && text[j] == ' ')
        ++j;
    tokens.push_back(text.substr(i, j - i));
    i = j;
  }
  return tokens;
}

std::vector<std::string> splitLines(const std::string &text) {
  std::vector<std::string> lines;
  for (llvm::StringRef line : llvm::split(text, '\n'))
    lines.push_back(line.str());
  return lines;
}

std::string join(const std::vector<std::string> &parts, const char *sep) {
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i)
    out += (i ? sep : "") + parts[i];
  return out;
}

std::string stripComments(const std::string &text) {
  std::vector<std::string> kept;
  for (std::string line : splitLines(text)) {
    line = line.substr(0, line.find('#'));
    if (!llvm::StringRef(line).trim().empty())
      kept.push_back(line);
  }
  return join(kept, "\n") + "\n";
}

class Mutator {
public:
  Mutator(const std::vector<Example> &examples, unsigned seed)
      : examples(examples), rng(seed) {}

  std::string mutate(std::string text) {
    // Most variants start from the statements alone, so that mutations hit
    // expressions rather than the examples' long comments.
    if (pick(4))
      text = stripComments(text);
    unsigned count = 1 + pick(4);
    for (unsigned i = 0; i < count; ++i)
      text = mutateOnce(text);
    return text;
  }

private:
  const std::vector<Example> &examples;
  std::mt19937 rng;

  // rng() % n rather than std::uniform_int_distribution, whose output the
  // standard leaves to the library: the variants must be the same everywhere.
  size_t pick(size_t n) { return n ? rng() % n : 0; }
  template <typename T> const T &choose(const std::vector<T> &items) {
    return items[pick(items.size())];
  }

  std::string randomInsertion() {
    static const std::vector<std::string> operators = {
        "+", "-", "*", "/", "^", "^T", "=", ":", ",", " ", "\n", "#"};
    static const std::vector<std::string> names = {
        "S",     "z",      "q",     "k",        "v",     "g",           "beta",
        "I",     "T",      "K",     "V",        "scale", "head",        "exp",
        "diag",  "l2norm", "dot",   "prev",     "rule",  "dim",         "input",
        "state", "let",    "query", "log_gate", "gate",  "coefficient", "zz",
        "_x",    "S^T",    "k v^T", "o"};
    static const std::vector<std::string> numbers = {
        "0", "1", "2", "0.5", "1e-3", "1e999", "1.", "2k", "007", "-1", "1e+"};
    static const std::vector<std::string> brackets = {"(", ")",  "[",
                                                      "]", "((", "))"};
    static const std::vector<std::string> bytes = {std::string(1, '\0'),
                                                   "\t",
                                                   "\r",
                                                   "\xc3\xa9",
                                                   "\xff",
                                                   "$",
                                                   "@",
                                                   "{",
                                                   "}",
                                                   ";",
                                                   "\"",
                                                   "\\",
                                                   "!",
                                                   "~",
                                                   "."};
    switch (pick(5)) {
    case 0:
      return choose(operators);
    case 1:
      return " " + choose(names) + " ";
    case 2:
      return choose(numbers);
    case 3:
      return choose(brackets);
    default:
      return choose(bytes);
    }
  }

  std::string mutateOnce(const std::string &text) {
    if (text.empty())
      return randomInsertion();
    std::vector<std::string> tokens = splitTokens(text);
    std::vector<std::string> lines = splitLines(text);
    size_t t = pick(tokens.size()), u = pick(tokens.size());
    size_t c = pick(text.size());
    size_t l = pick(lines.size()), m = pick(lines.size());
    std::string out = text;
    switch (pick(16)) {
    case 0: // delete a token
      tokens.erase(tokens.begin() + t);
      return join(tokens, "");
    case 1: // duplicate a token
      tokens.insert(tokens.begin() + t, tokens[t]);
      return join(tokens, "");
    case 2: // swap two tokens
      std::swap(tokens[t], tokens[u]);
      return join(tokens, "");
    case 3: // delete a character
      return out.erase(c, 1);
    case 4: // duplicate a character
      return out.insert(c, 1, out[c]);
    case 5: // swap adjacent characters
      if (c + 1 < out.size())
        std::swap(out[c], out[c + 1]);
      return out;
    case 6: // insert something between tokens
    case 7:
      tokens.insert(tokens.begin() + t, randomInsertion());
      return join(tokens, "");
    case 8: // insert something inside a token
      return out.insert(c, randomInsertion());
    case 9: // truncate
      return out.substr(0, c);
    case 10: { // splice a line from another example
      const std::vector<std::string> other = splitLines(choose(examples).text);
      std::string line = choose(other);
      if (pick(2))
        lines[l] = line;
      else
        lines.insert(lines.begin() + l, line);
      return join(lines, "\n");
    }
    case 11: // delete a line
      lines.erase(lines.begin() + l);
      return join(lines, "\n");
    case 12: // duplicate a line
      lines.insert(lines.begin() + l, lines[l]);
      return join(lines, "\n");
    case 13: // swap two lines
      std::swap(lines[l], lines[m]);
      return join(lines, "\n");
    case 14:   // replace a name with another, keeping the statement's shape
    default: { // replace an operator with another
      bool name = pick(2);
      std::vector<size_t> candidates;
      for (size_t i = 0; i < tokens.size(); ++i)
        if (!tokens[i].empty() &&
            (name ? llvm::isAlpha(tokens[i][0])
                  : llvm::StringRef("+-*/^=:,()").contains(tokens[i][0])))
          candidates.push_back(i);
      if (candidates.empty())
        return out;
      size_t i = choose(candidates);
      static const std::vector<std::string> names = {
          "S", "z",  "q",  "k",     "v",    "g", "gk", "beta",
          "I", "kn", "fk", "scale", "head", "o", "K",  "V"};
      static const std::vector<std::string> operators = {"+", "-", "*",
                                                         "/", "^", " "};
      tokens[i] = name ? choose(names) : choose(operators);
      return join(tokens, "");
    }
    }
  }
};

/// The outcome of parsing one buffer in-process.
struct Outcome {
  bool parsed = false;
  bool verified = false;
  bool roundTrips = false;
  unsigned errors = 0;
  unsigned unlocatedErrors = 0;
  std::string firstError;
};

Outcome parse(mlir::MLIRContext &context, const std::string &text,
              const std::string &bufferName) {
  Outcome outcome;
  unsigned lines = 1 + std::count(text.begin(), text.end(), '\n');
  mlir::ScopedDiagnosticHandler handler(&context, [&](mlir::Diagnostic &diag) {
    if (diag.getSeverity() != mlir::DiagnosticSeverity::Error)
      return mlir::success();
    ++outcome.errors;
    auto loc = llvm::dyn_cast<mlir::FileLineColLoc>(diag.getLocation());
    bool located = loc && loc.getFilename() == bufferName &&
                   loc.getLine() >= 1 && loc.getLine() <= lines &&
                   loc.getColumn() >= 1;
    if (!located)
      ++outcome.unlocatedErrors;
    if (outcome.firstError.empty()) {
      llvm::raw_string_ostream os(outcome.firstError);
      os << diag.getLocation() << ": " << diag.str();
    }
    return mlir::success();
  });

  llvm::SourceMgr sourceMgr;
  sourceMgr.AddNewSourceBuffer(
      llvm::MemoryBuffer::getMemBufferCopy(text, bufferName), llvm::SMLoc());
  mlir::OwningOpRef<mlir::ModuleOp> module =
      larc::parseSpec(sourceMgr, &context);
  outcome.parsed = bool(module);
  if (!module)
    return outcome;
  outcome.verified = mlir::succeeded(mlir::verify(*module));
  // The printed IR must parse back (what larc-opt reads from larcc).
  std::string printed;
  llvm::raw_string_ostream os(printed);
  module->print(os);
  mlir::ParserConfig config(&context);
  auto reparsed = mlir::parseSourceString<mlir::ModuleOp>(printed, config);
  outcome.roundTrips = reparsed && mlir::succeeded(mlir::verify(*reparsed));
  return outcome;
}

unsigned envOr(const char *name, unsigned fallback) {
  const char *value = std::getenv(name);
  unsigned parsed;
  if (!value || llvm::StringRef(value).getAsInteger(10, parsed))
    return fallback;
  return parsed;
}

std::unique_ptr<mlir::MLIRContext> makeContext() {
  auto context = std::make_unique<mlir::MLIRContext>(
      mlir::MLIRContext::Threading::DISABLED);
  context->loadDialect<larc::LarcDialect>();
  return context;
}

} // namespace

TEST_CASE("every example parses with no diagnostic and located ops",
          "[frontend]") {
  std::vector<Example> examples = loadExamples();
  REQUIRE(examples.size() >= 9);
  auto context = makeContext();
  for (const Example &example : examples) {
    INFO(example.name);
    Outcome outcome = parse(*context, example.text, example.name);
    INFO(outcome.firstError);
    CHECK(outcome.parsed);
    CHECK(outcome.errors == 0);
    CHECK(outcome.verified);
    CHECK(outcome.roundTrips);

    // Every op points into the spec.
    llvm::SourceMgr sourceMgr;
    sourceMgr.AddNewSourceBuffer(
        llvm::MemoryBuffer::getMemBufferCopy(example.text, example.name),
        llvm::SMLoc());
    auto module = larc::parseSpec(sourceMgr, context.get());
    REQUIRE(module);
    module->walk([&](mlir::Operation *op) {
      auto loc = llvm::dyn_cast<mlir::FileLineColLoc>(op->getLoc());
      INFO(op->getName().getStringRef().str());
      CHECK(loc);
      if (loc) {
        CHECK(loc.getFilename() == example.name);
        CHECK(loc.getLine() >= 1);
      }
    });
  }
}

TEST_CASE("mutated examples give a verified module or a located error",
          "[frontend][fuzz]") {
  std::vector<Example> examples = loadExamples();
  REQUIRE(!examples.empty());
  auto context = makeContext();
  // LARC_FUZZ_VARIANTS and LARC_FUZZ_SEED widen a run by hand; the defaults
  // keep ctest quick and deterministic.
  unsigned variantsPerExample = envOr("LARC_FUZZ_VARIANTS", 1000);
  unsigned seed = envOr("LARC_FUZZ_SEED", 20240901u);
  bool dump = envOr("LARC_FUZZ_DUMP", 0); // print each first error
  unsigned total = 0, accepted = 0, rejected = 0;
  for (size_t e = 0; e < examples.size(); ++e) {
    Mutator mutator(examples, seed + unsigned(e));
    for (unsigned i = 0; i < variantsPerExample; ++i) {
      std::string variant = mutator.mutate(examples[e].text);
      std::string name =
          "fuzz-" + std::to_string(e) + "-" + std::to_string(i) + ".larc";
      Outcome outcome = parse(*context, variant, name);
      ++total;
      if (dump && !outcome.parsed)
        llvm::errs() << outcome.firstError << "\n";
      bool ok;
      if (outcome.parsed) {
        ++accepted;
        ok = outcome.errors == 0 && outcome.verified && outcome.roundTrips;
      } else {
        ++rejected;
        ok = outcome.errors >= 1 && outcome.unlocatedErrors == 0;
      }
      if (!ok) {
        INFO("variant " << name << " of " << examples[e].name << ":\n"
                        << variant);
        INFO("first error: " << outcome.firstError);
        INFO("parsed " << outcome.parsed << ", errors " << outcome.errors
                       << ", unlocated " << outcome.unlocatedErrors
                       << ", verified " << outcome.verified << ", round-trips "
                       << outcome.roundTrips);
        CHECK(ok);
      }
    }
  }
  WARN("fuzzed " << total << " variants: " << accepted << " accepted, "
                 << rejected << " rejected");
  CHECK(total >= 3000);
  // Both outcomes occur, or the mutations are not exercising the frontend.
  CHECK(accepted > 0);
  CHECK(rejected > accepted);
}
