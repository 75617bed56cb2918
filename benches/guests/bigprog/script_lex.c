/* Tern lexer. */
#include <stdlib.h>
#include <string.h>

#include "script.h"

void lex_init(Lexer *lx, const char *src) {
  lx->src = lx->cur = src;
  lx->line = 1;
}

static Token make(Lexer *lx, TokType t, const char *start) {
  Token k;
  k.type = t;
  k.start = start;
  k.len = (int)(lx->cur - start);
  k.line = lx->line;
  k.num = 0;
  return k;
}

static Token error_token(Lexer *lx, const char *msg) {
  Token k;
  k.type = T_ERROR;
  k.start = msg;
  k.len = (int)strlen(msg);
  k.line = lx->line;
  k.num = 0;
  return k;
}

static void skip_space(Lexer *lx) {
  for (;;) {
    char c = *lx->cur;
    if (c == '\n') {
      lx->line++;
      lx->cur++;
    } else if (c == ' ' || c == '\t' || c == '\r') {
      lx->cur++;
    } else if (c == '/' && lx->cur[1] == '/') {
      while (*lx->cur && *lx->cur != '\n') lx->cur++;
    } else if (c == '/' && lx->cur[1] == '*') {
      lx->cur += 2;
      while (*lx->cur && !(lx->cur[0] == '*' && lx->cur[1] == '/')) {
        if (*lx->cur == '\n') lx->line++;
        lx->cur++;
      }
      if (*lx->cur) lx->cur += 2;
    } else {
      return;
    }
  }
}

static bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
static bool is_digit(char c) { return c >= '0' && c <= '9'; }

static const struct {
  const char *word;
  TokType type;
} keywords[] = {
    {"let", T_LET},       {"fn", T_FN},         {"if", T_IF},         {"else", T_ELSE},
    {"while", T_WHILE},   {"for", T_FOR},       {"in", T_IN},         {"return", T_RETURN},
    {"break", T_BREAK},   {"continue", T_CONTINUE}, {"true", T_TRUE}, {"false", T_FALSE},
    {"nil", T_NIL},       {"and", T_AND},       {"or", T_OR},
};

static TokType ident_type(const char *s, int len) {
  for (size_t i = 0; i < sizeof keywords / sizeof keywords[0]; i++)
    if ((int)strlen(keywords[i].word) == len && memcmp(keywords[i].word, s, (size_t)len) == 0)
      return keywords[i].type;
  return T_IDENT;
}

static Token number(Lexer *lx, const char *start) {
  if (start[0] == '0' && (start[1] == 'x' || start[1] == 'X')) {
    lx->cur = start + 2;
    double v = 0;
    int digits = 0;
    for (;; lx->cur++, digits++) {
      char c = *lx->cur;
      int d = is_digit(c) ? c - '0' : (c >= 'a' && c <= 'f') ? c - 'a' + 10 : (c >= 'A' && c <= 'F') ? c - 'A' + 10 : -1;
      if (d < 0) break;
      v = v * 16 + d;
    }
    if (!digits) return error_token(lx, "hex digit expected");
    Token k = make(lx, T_NUMBER, start);
    k.num = v;
    return k;
  }
  while (is_digit(*lx->cur)) lx->cur++;
  if (*lx->cur == '.' && is_digit(lx->cur[1])) {
    lx->cur++;
    while (is_digit(*lx->cur)) lx->cur++;
  }
  if (*lx->cur == 'e' || *lx->cur == 'E') {
    const char *save = lx->cur;
    lx->cur++;
    if (*lx->cur == '+' || *lx->cur == '-') lx->cur++;
    if (!is_digit(*lx->cur)) {
      lx->cur = save;
    } else {
      while (is_digit(*lx->cur)) lx->cur++;
    }
  }
  if (is_alpha(*lx->cur)) return error_token(lx, "malformed number");
  Token k = make(lx, T_NUMBER, start);
  char buf[64];
  size_t n = (size_t)k.len < sizeof buf - 1 ? (size_t)k.len : sizeof buf - 1;
  memcpy(buf, start, n);
  buf[n] = 0;
  k.num = strtod(buf, NULL);
  return k;
}

Token lex_next(Lexer *lx) {
  skip_space(lx);
  const char *start = lx->cur;
  char c = *lx->cur;
  if (!c) return make(lx, T_EOF, start);
  lx->cur++;
  if (is_alpha(c)) {
    while (is_alpha(*lx->cur) || is_digit(*lx->cur)) lx->cur++;
    return make(lx, ident_type(start, (int)(lx->cur - start)), start);
  }
  if (is_digit(c)) return number(lx, start);
  switch (c) {
  case '(': return make(lx, T_LPAREN, start);
  case ')': return make(lx, T_RPAREN, start);
  case '{': return make(lx, T_LBRACE, start);
  case '}': return make(lx, T_RBRACE, start);
  case '[': return make(lx, T_LBRACKET, start);
  case ']': return make(lx, T_RBRACKET, start);
  case ',': return make(lx, T_COMMA, start);
  case '.': return make(lx, T_DOT, start);
  case ';': return make(lx, T_SEMI, start);
  case ':': return make(lx, T_COLON, start);
  case '?': return make(lx, T_QUESTION, start);
  case '%': return make(lx, T_PERCENT, start);
  case '/': return make(lx, T_SLASH, start);
  case '+':
    if (*lx->cur == '=') return lx->cur++, make(lx, T_PLUS_ASSIGN, start);
    return make(lx, T_PLUS, start);
  case '-':
    if (*lx->cur == '=') return lx->cur++, make(lx, T_MINUS_ASSIGN, start);
    return make(lx, T_MINUS, start);
  case '*':
    if (*lx->cur == '=') return lx->cur++, make(lx, T_STAR_ASSIGN, start);
    return make(lx, T_STAR, start);
  case '!':
    if (*lx->cur == '=') return lx->cur++, make(lx, T_NE, start);
    return make(lx, T_BANG, start);
  case '=':
    if (*lx->cur == '=') return lx->cur++, make(lx, T_EQ, start);
    return make(lx, T_ASSIGN, start);
  case '<':
    if (*lx->cur == '=') return lx->cur++, make(lx, T_LE, start);
    return make(lx, T_LT, start);
  case '>':
    if (*lx->cur == '=') return lx->cur++, make(lx, T_GE, start);
    return make(lx, T_GT, start);
  case '&':
    if (*lx->cur == '&') return lx->cur++, make(lx, T_AND, start);
    return error_token(lx, "unexpected '&'");
  case '|':
    if (*lx->cur == '|') return lx->cur++, make(lx, T_OR, start);
    return error_token(lx, "unexpected '|'");
  case '"': {
    while (*lx->cur && *lx->cur != '"') {
      if (*lx->cur == '\\' && lx->cur[1]) lx->cur++;
      if (*lx->cur == '\n') lx->line++;
      lx->cur++;
    }
    if (!*lx->cur) return error_token(lx, "unterminated string");
    lx->cur++;
    return make(lx, T_STRING, start);
  }
  default: return error_token(lx, "unexpected character");
  }
}

const char *tok_name(TokType t) {
  static const char *const names[] = {
      "end of input", "error", "identifier", "number", "string", "'('", "')'", "'{'", "'}'",
      "'['", "']'", "','", "'.'", "';'", "':'", "'?'", "'+'", "'-'", "'*'", "'/'", "'%'",
      "'!'", "'='", "'+='", "'-='", "'*='", "'=='", "'!='", "'<'", "'<='", "'>'", "'>='",
      "'&&'", "'||'", "'let'", "'fn'", "'if'", "'else'", "'while'", "'for'", "'in'",
      "'return'", "'break'", "'continue'", "'true'", "'false'", "'nil'",
  };
  return (size_t)t < sizeof names / sizeof names[0] ? names[t] : "?";
}
