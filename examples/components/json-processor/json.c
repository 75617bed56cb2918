// A small JSON parser and printer (RFC 8259) for the json-processor guest.
//
// The input is parsed into a tree; the tree is printed either pretty (one element per line,
// `indent` spaces per level, ": " after keys) or minified (no whitespace at all). Strings are
// decoded on parsing (escapes, surrogate pairs) and re-encoded on printing with the shortest
// escapes; numbers are checked against the JSON grammar and printed as written. With
// `sort_keys`, the members of every object are ordered by key (bytewise on UTF-8, which is
// code point order; stable, so duplicate keys keep their order).
//
// Errors name what was expected and where: "<what> at line L, column C (byte B)", lines and
// columns counted from 1, columns in characters.

#include "json.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

enum kind { J_NULL, J_TRUE, J_FALSE, J_NUMBER, J_STRING, J_ARRAY, J_OBJECT };

struct node;

struct member {
  uint8_t *key;
  size_t key_len;
  struct node *value;
};

struct node {
  enum kind kind;
  // J_NUMBER: the digits as written (points into the input). J_STRING: decoded UTF-8.
  const uint8_t *text;
  size_t text_len;
  uint8_t *str;
  // J_ARRAY: `count` elements. J_OBJECT: `count` members.
  size_t count;
  struct node **items;
  struct member *members;
};

// ---------------------------------------------------------------------------------------
// Growable byte buffer

struct buf {
  uint8_t *ptr;
  size_t len;
  size_t cap;
};

static void *xrealloc(void *p, size_t n) {
  void *q = realloc(p, n ? n : 1);
  if (!q) abort();
  return q;
}

static void buf_reserve(struct buf *b, size_t extra) {
  if (b->len + extra <= b->cap) return;
  size_t cap = b->cap ? b->cap : 64;
  while (cap < b->len + extra) cap *= 2;
  b->ptr = xrealloc(b->ptr, cap);
  b->cap = cap;
}

static void buf_put(struct buf *b, const void *p, size_t n) {
  buf_reserve(b, n);
  memcpy(b->ptr + b->len, p, n);
  b->len += n;
}

static void buf_byte(struct buf *b, uint8_t c) {
  buf_reserve(b, 1);
  b->ptr[b->len++] = c;
}

static void buf_str(struct buf *b, const char *s) { buf_put(b, s, strlen(s)); }

static void buf_uint(struct buf *b, size_t v) {
  char tmp[24];
  size_t n = 0;
  do {
    tmp[n++] = (char)('0' + v % 10);
    v /= 10;
  } while (v);
  while (n) buf_byte(b, (uint8_t)tmp[--n]);
}

// ---------------------------------------------------------------------------------------
// Parser

struct parser {
  const uint8_t *in;
  size_t len;
  size_t pos;
  unsigned depth;
  // Set on the first error: a malloc'd NUL-terminated message.
  char *error;
};

static bool fail(struct parser *p, size_t at, const char *what) {
  if (p->error) return false;
  size_t line = 1, column = 1;
  for (size_t i = 0; i < at && i < p->len; i++) {
    if (p->in[i] == '\n') {
      line++;
      column = 1;
    } else if ((p->in[i] & 0xc0) != 0x80) {
      column++;
    }
  }
  struct buf b = {0};
  buf_str(&b, what);
  buf_str(&b, " at line ");
  buf_uint(&b, line);
  buf_str(&b, ", column ");
  buf_uint(&b, column);
  buf_str(&b, " (byte ");
  buf_uint(&b, at);
  buf_str(&b, ")");
  buf_byte(&b, 0);
  p->error = (char *)b.ptr;
  return false;
}

static void skip_ws(struct parser *p) {
  while (p->pos < p->len) {
    uint8_t c = p->in[p->pos];
    if (c != ' ' && c != '\t' && c != '\n' && c != '\r') break;
    p->pos++;
  }
}

static int peek(struct parser *p) { return p->pos < p->len ? p->in[p->pos] : -1; }

static struct node *new_node(enum kind kind) {
  struct node *n = calloc(1, sizeof *n);
  if (!n) abort();
  n->kind = kind;
  return n;
}

static void free_node(struct node *n) {
  if (!n) return;
  if (n->kind == J_STRING) free(n->str);
  if (n->kind == J_ARRAY) {
    for (size_t i = 0; i < n->count; i++) free_node(n->items[i]);
    free(n->items);
  }
  if (n->kind == J_OBJECT) {
    for (size_t i = 0; i < n->count; i++) {
      free(n->members[i].key);
      free_node(n->members[i].value);
    }
    free(n->members);
  }
  free(n);
}

static int hex_digit(int c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Reads the 4 hex digits after "\u" at p->pos.
static bool read_hex4(struct parser *p, uint32_t *out) {
  uint32_t v = 0;
  for (int i = 0; i < 4; i++) {
    int d = p->pos < p->len ? hex_digit(p->in[p->pos]) : -1;
    if (d < 0) return fail(p, p->pos, "expected 4 hex digits after \\u");
    v = v * 16 + (uint32_t)d;
    p->pos++;
  }
  *out = v;
  return true;
}

static void put_utf8(struct buf *b, uint32_t cp) {
  if (cp < 0x80) {
    buf_byte(b, (uint8_t)cp);
  } else if (cp < 0x800) {
    buf_byte(b, (uint8_t)(0xc0 | (cp >> 6)));
    buf_byte(b, (uint8_t)(0x80 | (cp & 0x3f)));
  } else if (cp < 0x10000) {
    buf_byte(b, (uint8_t)(0xe0 | (cp >> 12)));
    buf_byte(b, (uint8_t)(0x80 | ((cp >> 6) & 0x3f)));
    buf_byte(b, (uint8_t)(0x80 | (cp & 0x3f)));
  } else {
    buf_byte(b, (uint8_t)(0xf0 | (cp >> 18)));
    buf_byte(b, (uint8_t)(0x80 | ((cp >> 12) & 0x3f)));
    buf_byte(b, (uint8_t)(0x80 | ((cp >> 6) & 0x3f)));
    buf_byte(b, (uint8_t)(0x80 | (cp & 0x3f)));
  }
}

// Parses a string starting at the opening quote; the decoded bytes go to *out (malloc'd).
static bool parse_string(struct parser *p, uint8_t **out, size_t *out_len) {
  struct buf b = {0};
  p->pos++;  // the opening quote
  for (;;) {
    if (p->pos >= p->len) {
      free(b.ptr);
      return fail(p, p->pos, "unterminated string");
    }
    uint8_t c = p->in[p->pos];
    if (c == '"') {
      p->pos++;
      break;
    }
    if (c < 0x20) {
      free(b.ptr);
      return fail(p, p->pos, "control character in string");
    }
    if (c != '\\') {
      buf_byte(&b, c);
      p->pos++;
      continue;
    }
    size_t esc = p->pos;
    p->pos++;
    int e = peek(p);
    p->pos++;
    switch (e) {
      case '"': buf_byte(&b, '"'); break;
      case '\\': buf_byte(&b, '\\'); break;
      case '/': buf_byte(&b, '/'); break;
      case 'b': buf_byte(&b, '\b'); break;
      case 'f': buf_byte(&b, '\f'); break;
      case 'n': buf_byte(&b, '\n'); break;
      case 'r': buf_byte(&b, '\r'); break;
      case 't': buf_byte(&b, '\t'); break;
      case 'u': {
        uint32_t cp;
        if (!read_hex4(p, &cp)) {
          free(b.ptr);
          return false;
        }
        if (cp >= 0xdc00 && cp <= 0xdfff) {
          free(b.ptr);
          return fail(p, esc, "unpaired low surrogate in \\u escape");
        }
        if (cp >= 0xd800 && cp <= 0xdbff) {
          uint32_t lo;
          if (p->pos + 1 >= p->len || p->in[p->pos] != '\\' || p->in[p->pos + 1] != 'u') {
            free(b.ptr);
            return fail(p, esc, "unpaired high surrogate in \\u escape");
          }
          p->pos += 2;
          if (!read_hex4(p, &lo)) {
            free(b.ptr);
            return false;
          }
          if (lo < 0xdc00 || lo > 0xdfff) {
            free(b.ptr);
            return fail(p, esc, "unpaired high surrogate in \\u escape");
          }
          cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
        }
        put_utf8(&b, cp);
        break;
      }
      default:
        free(b.ptr);
        return fail(p, esc, "invalid escape in string");
    }
  }
  *out = b.ptr ? b.ptr : xrealloc(NULL, 1);
  *out_len = b.len;
  return true;
}

static bool is_digit(int c) { return c >= '0' && c <= '9'; }

static bool parse_number(struct parser *p, struct node **out) {
  size_t start = p->pos;
  if (peek(p) == '-') p->pos++;
  if (peek(p) == '0') {
    p->pos++;
  } else if (is_digit(peek(p))) {
    while (is_digit(peek(p))) p->pos++;
  } else {
    return fail(p, p->pos, "expected a digit");
  }
  if (peek(p) == '.') {
    p->pos++;
    if (!is_digit(peek(p))) return fail(p, p->pos, "expected a digit after '.'");
    while (is_digit(peek(p))) p->pos++;
  }
  if (peek(p) == 'e' || peek(p) == 'E') {
    p->pos++;
    if (peek(p) == '+' || peek(p) == '-') p->pos++;
    if (!is_digit(peek(p))) return fail(p, p->pos, "expected a digit in the exponent");
    while (is_digit(peek(p))) p->pos++;
  }
  struct node *n = new_node(J_NUMBER);
  n->text = p->in + start;
  n->text_len = p->pos - start;
  *out = n;
  return true;
}

static bool parse_literal(struct parser *p, const char *word, enum kind kind, struct node **out) {
  size_t n = strlen(word);
  if (p->len - p->pos < n || memcmp(p->in + p->pos, word, n) != 0) {
    return fail(p, p->pos, "expected a value");
  }
  p->pos += n;
  *out = new_node(kind);
  return true;
}

// Deeper nesting is an error, which keeps the recursion within the guest's stack.
#define MAX_DEPTH 256

static bool parse_value(struct parser *p, struct node **out);

static bool parse_array(struct parser *p, struct node **out) {
  struct node *n = new_node(J_ARRAY);
  size_t cap = 0;
  p->pos++;  // '['
  skip_ws(p);
  if (peek(p) == ']') {
    p->pos++;
    *out = n;
    return true;
  }
  for (;;) {
    struct node *item;
    skip_ws(p);
    if (!parse_value(p, &item)) {
      free_node(n);
      return false;
    }
    if (n->count == cap) {
      cap = cap ? cap * 2 : 4;
      n->items = xrealloc(n->items, cap * sizeof *n->items);
    }
    n->items[n->count++] = item;
    skip_ws(p);
    int c = peek(p);
    if (c == ',') {
      p->pos++;
    } else if (c == ']') {
      p->pos++;
      *out = n;
      return true;
    } else {
      free_node(n);
      return fail(p, p->pos, c < 0 ? "unexpected end of input, expected ',' or ']'"
                                   : "expected ',' or ']'");
    }
  }
}

static bool parse_object(struct parser *p, struct node **out) {
  struct node *n = new_node(J_OBJECT);
  size_t cap = 0;
  p->pos++;  // '{'
  skip_ws(p);
  if (peek(p) == '}') {
    p->pos++;
    *out = n;
    return true;
  }
  for (;;) {
    struct member m = {0};
    skip_ws(p);
    if (peek(p) != '"') {
      free_node(n);
      return fail(p, p->pos, peek(p) < 0 ? "unexpected end of input, expected a string key"
                                         : "expected a string key");
    }
    if (!parse_string(p, &m.key, &m.key_len)) {
      free_node(n);
      return false;
    }
    skip_ws(p);
    if (peek(p) != ':') {
      free(m.key);
      free_node(n);
      return fail(p, p->pos, "expected ':' after an object key");
    }
    p->pos++;
    skip_ws(p);
    if (!parse_value(p, &m.value)) {
      free(m.key);
      free_node(n);
      return false;
    }
    if (n->count == cap) {
      cap = cap ? cap * 2 : 4;
      n->members = xrealloc(n->members, cap * sizeof *n->members);
    }
    n->members[n->count++] = m;
    skip_ws(p);
    int c = peek(p);
    if (c == ',') {
      p->pos++;
    } else if (c == '}') {
      p->pos++;
      *out = n;
      return true;
    } else {
      free_node(n);
      return fail(p, p->pos, c < 0 ? "unexpected end of input, expected ',' or '}'"
                                   : "expected ',' or '}'");
    }
  }
}

static bool parse_value(struct parser *p, struct node **out) {
  int c = peek(p);
  switch (c) {
    case -1: return fail(p, p->pos, "unexpected end of input, expected a value");
    case '"': {
      struct node *n = new_node(J_STRING);
      if (!parse_string(p, &n->str, &n->text_len)) {
        free(n);
        return false;
      }
      *out = n;
      return true;
    }
    case '[':
    case '{': {
      if (p->depth >= MAX_DEPTH) return fail(p, p->pos, "nesting too deep (limit 256)");
      p->depth++;
      bool ok = c == '[' ? parse_array(p, out) : parse_object(p, out);
      p->depth--;
      return ok;
    }
    case 't': return parse_literal(p, "true", J_TRUE, out);
    case 'f': return parse_literal(p, "false", J_FALSE, out);
    case 'n': return parse_literal(p, "null", J_NULL, out);
    default:
      if (c == '-' || is_digit(c)) return parse_number(p, out);
      return fail(p, p->pos, "expected a value");
  }
}

// ---------------------------------------------------------------------------------------
// Key sorting: a stable merge sort of an object's members.

static int key_cmp(const struct member *a, const struct member *b) {
  size_t n = a->key_len < b->key_len ? a->key_len : b->key_len;
  int c = memcmp(a->key, b->key, n);
  if (c) return c;
  return a->key_len < b->key_len ? -1 : a->key_len > b->key_len;
}

static void merge_sort(struct member *m, struct member *tmp, size_t n) {
  if (n < 2) return;
  size_t half = n / 2;
  merge_sort(m, tmp, half);
  merge_sort(m + half, tmp, n - half);
  size_t i = 0, j = half, k = 0;
  while (i < half && j < n) tmp[k++] = key_cmp(&m[j], &m[i]) < 0 ? m[j++] : m[i++];
  while (i < half) tmp[k++] = m[i++];
  while (j < n) tmp[k++] = m[j++];
  memcpy(m, tmp, n * sizeof *m);
}

static void sort_keys(struct node *n) {
  if (n->kind == J_ARRAY) {
    for (size_t i = 0; i < n->count; i++) sort_keys(n->items[i]);
  } else if (n->kind == J_OBJECT) {
    for (size_t i = 0; i < n->count; i++) sort_keys(n->members[i].value);
    if (n->count > 1) {
      struct member *tmp = xrealloc(NULL, n->count * sizeof *tmp);
      merge_sort(n->members, tmp, n->count);
      free(tmp);
    }
  }
}

// ---------------------------------------------------------------------------------------
// Printer

struct printer {
  struct buf out;
  bool pretty;
  uint32_t indent;
};

static void print_string(struct buf *b, const uint8_t *s, size_t len) {
  static const char hex[] = "0123456789abcdef";
  buf_byte(b, '"');
  for (size_t i = 0; i < len; i++) {
    uint8_t c = s[i];
    switch (c) {
      case '"': buf_str(b, "\\\""); break;
      case '\\': buf_str(b, "\\\\"); break;
      case '\b': buf_str(b, "\\b"); break;
      case '\f': buf_str(b, "\\f"); break;
      case '\n': buf_str(b, "\\n"); break;
      case '\r': buf_str(b, "\\r"); break;
      case '\t': buf_str(b, "\\t"); break;
      default:
        if (c < 0x20) {
          buf_str(b, "\\u00");
          buf_byte(b, (uint8_t)hex[c >> 4]);
          buf_byte(b, (uint8_t)hex[c & 15]);
        } else {
          buf_byte(b, c);
        }
    }
  }
  buf_byte(b, '"');
}

static void newline(struct printer *pr, unsigned level) {
  if (!pr->pretty) return;
  size_t n = (size_t)level * pr->indent;
  buf_reserve(&pr->out, n + 1);
  pr->out.ptr[pr->out.len++] = '\n';
  memset(pr->out.ptr + pr->out.len, ' ', n);
  pr->out.len += n;
}

static void print_value(struct printer *pr, const struct node *n, unsigned level) {
  switch (n->kind) {
    case J_NULL: buf_str(&pr->out, "null"); break;
    case J_TRUE: buf_str(&pr->out, "true"); break;
    case J_FALSE: buf_str(&pr->out, "false"); break;
    case J_NUMBER: buf_put(&pr->out, n->text, n->text_len); break;
    case J_STRING: print_string(&pr->out, n->str, n->text_len); break;
    case J_ARRAY:
      buf_byte(&pr->out, '[');
      for (size_t i = 0; i < n->count; i++) {
        if (i) buf_byte(&pr->out, ',');
        newline(pr, level + 1);
        print_value(pr, n->items[i], level + 1);
      }
      if (n->count) newline(pr, level);
      buf_byte(&pr->out, ']');
      break;
    case J_OBJECT:
      buf_byte(&pr->out, '{');
      for (size_t i = 0; i < n->count; i++) {
        if (i) buf_byte(&pr->out, ',');
        newline(pr, level + 1);
        print_string(&pr->out, n->members[i].key, n->members[i].key_len);
        buf_str(&pr->out, pr->pretty ? ": " : ":");
        print_value(pr, n->members[i].value, level + 1);
      }
      if (n->count) newline(pr, level);
      buf_byte(&pr->out, '}');
      break;
  }
}

// ---------------------------------------------------------------------------------------

bool json_transform(const uint8_t *in, size_t len, const struct json_style *style,
                    uint8_t **out, size_t *out_len) {
  if (style->pretty && style->indent > JSON_MAX_INDENT) {
    struct buf b = {0};
    buf_str(&b, "indent ");
    buf_uint(&b, style->indent);
    buf_str(&b, " is larger than the maximum of ");
    buf_uint(&b, JSON_MAX_INDENT);
    *out = b.ptr;
    *out_len = b.len;
    return false;
  }
  struct parser p = {.in = in, .len = len};
  struct node *root = NULL;
  skip_ws(&p);
  if (parse_value(&p, &root)) {
    skip_ws(&p);
    if (p.pos < p.len) fail(&p, p.pos, "trailing characters after the JSON value");
  }
  if (p.error) {
    free_node(root);
    *out = (uint8_t *)p.error;
    *out_len = strlen(p.error);
    return false;
  }
  if (style->sort_keys) sort_keys(root);
  struct printer pr = {.pretty = style->pretty, .indent = style->indent};
  print_value(&pr, root, 0);
  free_node(root);
  *out = pr.out.ptr;
  *out_len = pr.out.len;
  return true;
}
