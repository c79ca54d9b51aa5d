//===- Json.cpp - A small JSON reader for package manifests ---------------===//

#include "larc/runtime/Json.h"

#include "Fail.h"

#include <charconv>

namespace larc::runtime {

const JsonValue *JsonValue::get(std::string_view key) const {
  for (const auto &[name, value] : members)
    if (name == key)
      return &value;
  return nullptr;
}

std::string JsonValue::describe() const {
  switch (kind) {
  case Kind::Null:
    return "null";
  case Kind::Bool:
    return boolean ? "true" : "false";
  case Kind::Number:
    return isInteger ? fmt::format("the number {}", integer)
                     : fmt::format("the number {}", number);
  case Kind::String:
    return fmt::format("the string \"{}\"", string);
  case Kind::Array:
    return fmt::format("an array of {}", items.size());
  case Kind::Object:
    return "an object";
  }
  return "a value";
}

namespace {

// Deep enough for any manifest; bounds recursion on hostile input.
constexpr int kMaxDepth = 64;

class Parser {
public:
  Parser(std::string_view text, std::string_view source)
      : text(text), source(source) {}

  JsonValue parseDocument() {
    if (text.substr(0, 3) == "\xEF\xBB\xBF") // a UTF-8 byte order mark
      advance(3);
    skipSpace();
    if (atEnd())
      error("the file is empty; expected a JSON value");
    JsonValue value = parseValue(0);
    skipSpace();
    if (!atEnd())
      error("unexpected {} after the JSON value", quoted());
    return value;
  }

private:
  std::string_view text;
  std::string_view source;
  std::size_t pos = 0;
  int line = 1, column = 1;

  template <typename... Args>
  [[noreturn]] void error(fmt::format_string<Args...> format, Args &&...args) {
    fail("{}:{}:{}: {}", source, line, column,
         fmt::format(format, std::forward<Args>(args)...));
  }

  bool atEnd() const { return pos >= text.size(); }
  char peek() const { return atEnd() ? '\0' : text[pos]; }

  // The next character for a message: 'x', or "the end of the file".
  std::string quoted() const {
    if (atEnd())
      return "the end of the file";
    unsigned char c = static_cast<unsigned char>(text[pos]);
    if (c < 0x20 || c >= 0x7f)
      return fmt::format("byte 0x{:02x}", c);
    return fmt::format("'{}'", text[pos]);
  }

  void advance(std::size_t count = 1) {
    for (std::size_t i = 0; i < count && !atEnd(); ++i, ++pos) {
      if (text[pos] == '\n') {
        ++line;
        column = 1;
      } else {
        ++column;
      }
    }
  }

  void skipSpace() {
    while (!atEnd() && (peek() == ' ' || peek() == '\t' || peek() == '\n' ||
                        peek() == '\r'))
      advance();
  }

  void expectWord(std::string_view word) {
    if (text.substr(pos, word.size()) != word)
      error("unexpected {}; expected a JSON value", quoted());
    advance(word.size());
  }

  JsonValue parseValue(int depth) {
    if (depth > kMaxDepth)
      error("nesting deeper than {} levels", kMaxDepth);
    JsonValue value;
    value.line = line;
    value.column = column;
    switch (peek()) {
    case '{':
      parseObject(value, depth);
      break;
    case '[':
      parseArray(value, depth);
      break;
    case '"':
      value.kind = JsonValue::Kind::String;
      value.string = parseString();
      break;
    case 't':
      expectWord("true");
      value.kind = JsonValue::Kind::Bool;
      value.boolean = true;
      break;
    case 'f':
      expectWord("false");
      value.kind = JsonValue::Kind::Bool;
      break;
    case 'n':
      expectWord("null");
      break;
    default:
      if (peek() == '-' || (peek() >= '0' && peek() <= '9'))
        parseNumber(value);
      else
        error("unexpected {}; expected a JSON value", quoted());
    }
    return value;
  }

  void parseObject(JsonValue &value, int depth) {
    value.kind = JsonValue::Kind::Object;
    advance(); // '{'
    skipSpace();
    if (peek() == '}') {
      advance();
      return;
    }
    while (true) {
      skipSpace();
      if (peek() != '"')
        error("unexpected {}; expected a member name in double quotes",
              quoted());
      int keyLine = line, keyColumn = column;
      std::string key = parseString();
      if (value.get(key)) {
        line = keyLine;
        column = keyColumn;
        error("duplicate key \"{}\"", key);
      }
      skipSpace();
      if (peek() != ':')
        error("unexpected {}; expected ':' after \"{}\"", quoted(), key);
      advance();
      skipSpace();
      value.members.emplace_back(std::move(key), parseValue(depth + 1));
      skipSpace();
      if (peek() == ',') {
        advance();
        continue;
      }
      if (peek() == '}') {
        advance();
        return;
      }
      error("unexpected {}; expected ',' or '}}' in an object", quoted());
    }
  }

  void parseArray(JsonValue &value, int depth) {
    value.kind = JsonValue::Kind::Array;
    advance(); // '['
    skipSpace();
    if (peek() == ']') {
      advance();
      return;
    }
    while (true) {
      skipSpace();
      value.items.push_back(parseValue(depth + 1));
      skipSpace();
      if (peek() == ',') {
        advance();
        continue;
      }
      if (peek() == ']') {
        advance();
        return;
      }
      error("unexpected {}; expected ',' or ']' in an array", quoted());
    }
  }

  unsigned parseHex4() {
    unsigned code = 0;
    for (int i = 0; i < 4; ++i) {
      char c = peek();
      unsigned digit;
      if (c >= '0' && c <= '9')
        digit = c - '0';
      else if (c >= 'a' && c <= 'f')
        digit = c - 'a' + 10;
      else if (c >= 'A' && c <= 'F')
        digit = c - 'A' + 10;
      else
        error("unexpected {}; expected 4 hex digits after \\u", quoted());
      code = code * 16 + digit;
      advance();
    }
    return code;
  }

  static void appendUtf8(std::string &out, unsigned code) {
    if (code < 0x80) {
      out += static_cast<char>(code);
    } else if (code < 0x800) {
      out += static_cast<char>(0xC0 | (code >> 6));
      out += static_cast<char>(0x80 | (code & 0x3F));
    } else if (code < 0x10000) {
      out += static_cast<char>(0xE0 | (code >> 12));
      out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (code & 0x3F));
    } else {
      out += static_cast<char>(0xF0 | (code >> 18));
      out += static_cast<char>(0x80 | ((code >> 12) & 0x3F));
      out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (code & 0x3F));
    }
  }

  std::string parseString() {
    advance(); // '"'
    std::string out;
    while (true) {
      if (atEnd())
        error("unterminated string");
      char c = peek();
      if (c == '"') {
        advance();
        return out;
      }
      if (static_cast<unsigned char>(c) < 0x20)
        error("{} inside a string; write it as an escape", quoted());
      if (c != '\\') {
        out += c;
        advance();
        continue;
      }
      advance();
      char escape = peek();
      switch (escape) {
      case '"':
      case '\\':
      case '/':
        out += escape;
        break;
      case 'b':
        out += '\b';
        break;
      case 'f':
        out += '\f';
        break;
      case 'n':
        out += '\n';
        break;
      case 'r':
        out += '\r';
        break;
      case 't':
        out += '\t';
        break;
      case 'u': {
        advance();
        unsigned code = parseHex4();
        if (code >= 0xD800 && code < 0xDC00) {
          if (text.substr(pos, 2) != "\\u")
            error("a high surrogate \\u{:04x} must be followed by a low one",
                  code);
          advance(2);
          unsigned low = parseHex4();
          if (low < 0xDC00 || low >= 0xE000)
            error("\\u{:04x} is not a low surrogate", low);
          code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00);
        } else if (code >= 0xDC00 && code < 0xE000) {
          error("a lone low surrogate \\u{:04x}", code);
        }
        appendUtf8(out, code);
        continue; // parseHex4 consumed the digits
      }
      default:
        error("unknown escape \\{} in a string", escape);
      }
      advance();
    }
  }

  void parseNumber(JsonValue &value) {
    value.kind = JsonValue::Kind::Number;
    std::size_t start = pos;
    bool integral = true;
    if (peek() == '-')
      advance();
    if (peek() == '0') {
      advance();
      if (peek() >= '0' && peek() <= '9')
        error("a number may not have a leading zero");
    } else if (peek() >= '1' && peek() <= '9') {
      while (peek() >= '0' && peek() <= '9')
        advance();
    } else {
      error("unexpected {}; expected a digit", quoted());
    }
    if (peek() == '.') {
      integral = false;
      advance();
      if (!(peek() >= '0' && peek() <= '9'))
        error("unexpected {}; expected a digit after '.'", quoted());
      while (peek() >= '0' && peek() <= '9')
        advance();
    }
    if (peek() == 'e' || peek() == 'E') {
      integral = false;
      advance();
      if (peek() == '+' || peek() == '-')
        advance();
      if (!(peek() >= '0' && peek() <= '9'))
        error("unexpected {}; expected a digit in the exponent", quoted());
      while (peek() >= '0' && peek() <= '9')
        advance();
    }
    const char *first = text.data() + start;
    const char *last = text.data() + pos;
    if (std::from_chars(first, last, value.number).ec != std::errc()) {
      line = value.line;
      column = value.column;
      error("the number {} is out of range",
            std::string_view(first, last - first));
    }
    if (integral) {
      auto [end, ec] = std::from_chars(first, last, value.integer);
      value.isInteger = ec == std::errc() && end == last;
    }
  }
};

} // namespace

JsonValue parseJson(std::string_view text, std::string_view source) {
  return Parser(text, source).parseDocument();
}

} // namespace larc::runtime
