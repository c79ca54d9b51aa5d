//===- JsonTest.cpp - The manifest's JSON reader --------------------------===//

#include "larc/runtime/Json.h"
#include "larc/runtime/Error.h"

#include <catch2/catch.hpp>

using namespace larc::runtime;
using Catch::Matchers::Contains;
using Catch::Matchers::Equals;

static JsonValue json(const std::string &text) {
  return parseJson(text, "t.json");
}

TEST_CASE("json: scalars, arrays and objects in file order", "[json]") {
  JsonValue value = json(
      R"( {"b": [1, -2.5, 3e2, true, false, null], "a": {"x": "y"}, "c": 0} )");
  REQUIRE(value.isObject());
  REQUIRE(value.members.size() == 3);
  CHECK(value.members[0].first == "b");
  CHECK(value.members[1].first == "a");
  const JsonValue &b = *value.get("b");
  REQUIRE(b.items.size() == 6);
  CHECK(b.items[0].isInteger);
  CHECK(b.items[0].integer == 1);
  CHECK_FALSE(b.items[1].isInteger);
  CHECK(b.items[1].number == -2.5);
  CHECK_FALSE(b.items[2].isInteger); // an exponent makes it a real
  CHECK(b.items[2].number == 300);
  CHECK(b.items[3].boolean);
  CHECK(b.items[4].isBool());
  CHECK(b.items[5].isNull());
  CHECK(value.get("a")->get("x")->string == "y");
  CHECK(value.get("c")->integer == 0);
  CHECK(value.get("missing") == nullptr);
}

TEST_CASE("json: string escapes and unicode", "[json]") {
  JsonValue value =
      json(R"(["a\"b\\c\/d\n\t", "\u00e9\u20ac", "\ud83d\ude00"])");
  CHECK(value.items[0].string == "a\"b\\c/d\n\t");
  CHECK(value.items[1].string == "\xC3\xA9\xE2\x82\xAC");
  CHECK(value.items[2].string == "\xF0\x9F\x98\x80");
}

TEST_CASE("json: positions of values", "[json]") {
  JsonValue value = json("{\n  \"a\": [\n    7]}");
  const JsonValue &a = *value.get("a");
  CHECK(a.line == 2);
  CHECK(a.column == 8);
  CHECK(a.items[0].line == 3);
  CHECK(a.items[0].column == 5);
}

TEST_CASE("json: integers that do not fit stay reals", "[json]") {
  JsonValue value = json("[9223372036854775807, 9223372036854775808]");
  CHECK(value.items[0].isInteger);
  CHECK_FALSE(value.items[1].isInteger);
}

TEST_CASE("json: errors name file, line, column and what was expected",
          "[json]") {
  struct Case {
    const char *text;
    const char *message;
  };
  const Case cases[] = {
      {"", "larc: t.json:1:1: the file is empty; expected a JSON value"},
      {"{\"a\": 1,}", "larc: t.json:1:9: unexpected '}'; expected a member "
                      "name in double quotes"},
      {"{\"a\" 1}",
       "larc: t.json:1:6: unexpected '1'; expected ':' after \"a\""},
      {"[1 2]",
       "larc: t.json:1:4: unexpected '2'; expected ',' or ']' in an array"},
      {"{\"a\": 1 \"b\": 2}",
       "larc: t.json:1:9: unexpected '\"'; expected ',' or '}' in an object"},
      {"\"abc", "larc: t.json:1:5: unterminated string"},
      {"\"a\tb\"",
       "larc: t.json:1:3: byte 0x09 inside a string; write it as an escape"},
      {"\"\\q\"", "larc: t.json:1:3: unknown escape \\q in a string"},
      {"\"\\u12g4\"",
       "larc: t.json:1:6: unexpected 'g'; expected 4 hex digits after \\u"},
      {"\"\\ude00\"", "larc: t.json:1:8: a lone low surrogate \\ude00"},
      {"012", "larc: t.json:1:2: a number may not have a leading zero"},
      {"1.", "larc: t.json:1:3: unexpected the end of the file; expected a "
             "digit after '.'"},
      {"-",
       "larc: t.json:1:2: unexpected the end of the file; expected a digit"},
      {"1e999", "larc: t.json:1:1: the number 1e999 is out of range"},
      {"tru", "larc: t.json:1:1: unexpected 't'; expected a JSON value"},
      {"{} x", "larc: t.json:1:4: unexpected 'x' after the JSON value"},
      {"{\"a\": 1,\n \"a\": 2}", "larc: t.json:2:2: duplicate key \"a\""},
      {"[1, 'x']", "larc: t.json:1:5: unexpected '''; expected a JSON value"},
  };
  for (const Case &c : cases) {
    INFO(c.text);
    CHECK_THROWS_WITH(json(c.text), Equals(c.message));
  }
}

TEST_CASE("json: nesting is bounded", "[json]") {
  std::string deep(100, '[');
  CHECK_THROWS_WITH(json(deep), Contains("nesting deeper than 64 levels"));
  std::string ok = std::string(60, '[') + std::string(60, ']');
  CHECK_NOTHROW(json(ok));
}

TEST_CASE("json: a byte order mark is skipped", "[json]") {
  CHECK(json("\xEF\xBB\xBF{\"a\": 1}").get("a")->integer == 1);
}
