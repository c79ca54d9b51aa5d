//===- Lexer.cpp - tokens of the .larc spec language ----------------------===//

#include "larc/Frontend/Lexer.h"

#include "llvm/ADT/StringExtras.h"

using namespace llvm;

namespace larc {

static bool isIdentStart(char c) { return isAlpha(c) || c == '_'; }
static bool isIdentChar(char c) { return isAlnum(c) || c == '_'; }

/// True if a line whose last token is `kind` continues on the next line.
static bool continuesLine(Token::Kind kind) {
  switch (kind) {
  case Token::Plus:
  case Token::Minus:
  case Token::Star:
  case Token::Slash:
  case Token::Caret:
  case Token::LParen:
  case Token::LBracket:
  case Token::Comma:
  case Token::Colon:
  case Token::Equal:
    return true;
  default:
    return false;
  }
}

static Token::Kind punctuation(char c) {
  switch (c) {
  case '+':
    return Token::Plus;
  case '-':
    return Token::Minus;
  case '*':
    return Token::Star;
  case '/':
    return Token::Slash;
  case '^':
    return Token::Caret;
  case '(':
    return Token::LParen;
  case ')':
    return Token::RParen;
  case '[':
    return Token::LBracket;
  case ']':
    return Token::RBracket;
  case ',':
    return Token::Comma;
  case ':':
    return Token::Colon;
  case '=':
    return Token::Equal;
  default:
    return Token::BadChar;
  }
}

/// Lexes a number at `pos`: digits, an optional fraction and an optional
/// exponent. Letters glued to it make it malformed ("2k" is not "2 k").
static Token lexNumber(StringRef buffer, size_t &pos) {
  size_t start = pos, end = buffer.size();
  bool bad = false;
  auto digits = [&] {
    size_t first = pos;
    while (pos < end && isDigit(buffer[pos]))
      ++pos;
    return pos > first;
  };
  digits();
  if (pos < end && buffer[pos] == '.') {
    ++pos;
    bad |= !digits();
  }
  if (pos < end && (buffer[pos] == 'e' || buffer[pos] == 'E')) {
    size_t save = pos++;
    if (pos < end && (buffer[pos] == '+' || buffer[pos] == '-'))
      ++pos;
    if (!digits()) {
      pos = save;
      bad = true;
    }
  }
  if (pos < end && (isIdentChar(buffer[pos]) || buffer[pos] == '.')) {
    bad = true;
    while (pos < end && (isIdentChar(buffer[pos]) || buffer[pos] == '.'))
      ++pos;
  }
  return {bad ? Token::BadNumber : Token::Number, buffer.slice(start, pos)};
}

std::vector<Token> lex(StringRef buffer) {
  std::vector<Token> tokens;
  size_t pos = 0, end = buffer.size();
  auto lastKind = [&] {
    return tokens.empty() ? Token::Newline : tokens.back().kind;
  };
  while (pos < end) {
    char c = buffer[pos];
    if (c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v') {
      ++pos;
      continue;
    }
    if (c == '#') {
      while (pos < end && buffer[pos] != '\n')
        ++pos;
      continue;
    }
    if (c == '\n') {
      // Blank lines and continued lines produce no statement break.
      if (lastKind() != Token::Newline && !continuesLine(lastKind()))
        tokens.push_back({Token::Newline, buffer.substr(pos, 1)});
      ++pos;
      continue;
    }
    if (isIdentStart(c)) {
      size_t start = pos;
      while (pos < end && isIdentChar(buffer[pos]))
        ++pos;
      tokens.push_back({Token::Identifier, buffer.slice(start, pos)});
      continue;
    }
    if (isDigit(c)) {
      tokens.push_back(lexNumber(buffer, pos));
      continue;
    }
    // A bad character: take the whole UTF-8 sequence so the quote is whole.
    size_t len = 1;
    if (punctuation(c) == Token::BadChar && (unsigned char)c >= 0xC0)
      while (pos + len < end &&
             ((unsigned char)buffer[pos + len] & 0xC0) == 0x80 && len < 4)
        ++len;
    tokens.push_back({punctuation(c), buffer.substr(pos, len)});
    pos += len;
  }
  // The end of the file is reported just after the last token, not after
  // trailing comments and blank lines.
  size_t eofPos = 0;
  for (auto it = tokens.rbegin(); it != tokens.rend(); ++it)
    if (!it->is(Token::Newline)) {
      eofPos = it->text.data() + it->text.size() - buffer.data();
      break;
    }
  tokens.push_back({Token::Eof, buffer.substr(eofPos, 0)});
  return tokens;
}

std::string describeToken(const Token &token) {
  switch (token.kind) {
  case Token::Eof:
    return "the end of the file";
  case Token::Newline:
    return "the end of the line";
  default:
    break;
  }
  std::string text;
  for (char c : token.text) {
    if (isPrint(c))
      text += c;
    else
      text += "\\x" + utohexstr((unsigned char)c, /*LowerCase=*/true, 2);
  }
  return "'" + text + "'";
}

} // namespace larc
