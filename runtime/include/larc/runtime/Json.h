//===- Json.h - A small JSON reader for package manifests -----------------===//
//
// Enough JSON for manifest.json (RFC 8259, no extensions), with line and
// column on every value so that schema errors can point into the file. Kept
// here rather than taken from a library: the runtime depends on nothing but
// the CUDA driver and fmt.
//
//===----------------------------------------------------------------------===//

#ifndef LARC_RUNTIME_JSON_H
#define LARC_RUNTIME_JSON_H

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace larc::runtime {

class JsonValue {
public:
  enum class Kind { Null, Bool, Number, String, Array, Object };

  Kind kind = Kind::Null;
  bool boolean = false;
  double number = 0;
  // Set when the number was written without fraction or exponent and fits.
  bool isInteger = false;
  int64_t integer = 0;
  std::string string;
  std::vector<JsonValue> items;
  // In file order; keys are unique (the parser refuses duplicates).
  std::vector<std::pair<std::string, JsonValue>> members;
  int line = 0, column = 0;

  bool isNull() const { return kind == Kind::Null; }
  bool isObject() const { return kind == Kind::Object; }
  bool isArray() const { return kind == Kind::Array; }
  bool isString() const { return kind == Kind::String; }
  bool isNumber() const { return kind == Kind::Number; }
  bool isBool() const { return kind == Kind::Bool; }

  // The member `key` of an object, or nullptr.
  const JsonValue *get(std::string_view key) const;

  // "an object", "a string", "the number 3", ... for messages.
  std::string describe() const;
};

// Parses one JSON document. `source` names it in errors, which read
// "larc: SOURCE:LINE:COL: what was expected".
JsonValue parseJson(std::string_view text, std::string_view source);

} // namespace larc::runtime

#endif // LARC_RUNTIME_JSON_H
