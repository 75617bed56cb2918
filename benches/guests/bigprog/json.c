/* JSON: a DOM parser with error positions, compact and pretty writers, path queries. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

typedef enum { J_NULL, J_BOOL, J_NUM, J_STR, J_ARR, J_OBJ } JType;

typedef struct JValue JValue;
struct JValue {
  JType type;
  union {
    bool b;
    double num;
    struct {
      char *s;
      size_t len;
    } str;
    struct {
      JValue **items;
      char **keys; /* objects only */
      size_t len, cap;
    } list;
  } u;
};

typedef struct {
  const char *src;
  size_t pos, len;
  int depth;
  char err[96];
  size_t err_pos;
} JParser;

static JValue *jnew(JType t) {
  JValue *v = xcalloc(1, sizeof(JValue));
  v->type = t;
  return v;
}

static void jfree(JValue *v) {
  if (!v) return;
  if (v->type == J_STR) free(v->u.str.s);
  if (v->type == J_ARR || v->type == J_OBJ) {
    for (size_t i = 0; i < v->u.list.len; i++) {
      jfree(v->u.list.items[i]);
      if (v->u.list.keys) free(v->u.list.keys[i]);
    }
    free(v->u.list.items);
    free(v->u.list.keys);
  }
  free(v);
}

static void jpush(JValue *parent, char *key, JValue *child) {
  if (parent->u.list.len == parent->u.list.cap) {
    parent->u.list.cap = parent->u.list.cap ? parent->u.list.cap * 2 : 4;
    parent->u.list.items =
        xrealloc(parent->u.list.items, parent->u.list.cap * sizeof(JValue *));
    if (parent->type == J_OBJ)
      parent->u.list.keys = xrealloc(parent->u.list.keys, parent->u.list.cap * sizeof(char *));
  }
  if (parent->type == J_OBJ) parent->u.list.keys[parent->u.list.len] = key;
  parent->u.list.items[parent->u.list.len++] = child;
}

static bool jfail(JParser *p, const char *msg) {
  if (!p->err[0]) {
    snprintf(p->err, sizeof p->err, "%s", msg);
    p->err_pos = p->pos;
  }
  return false;
}

static void skip_ws(JParser *p) {
  while (p->pos < p->len) {
    char c = p->src[p->pos];
    if (c != ' ' && c != '\t' && c != '\n' && c != '\r') break;
    p->pos++;
  }
}

static int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

static void put_utf8(StrBuf *sb, uint32_t cp) {
  if (cp < 0x80) {
    sb_putc(sb, (char)cp);
  } else if (cp < 0x800) {
    sb_putc(sb, (char)(0xc0 | (cp >> 6)));
    sb_putc(sb, (char)(0x80 | (cp & 0x3f)));
  } else if (cp < 0x10000) {
    sb_putc(sb, (char)(0xe0 | (cp >> 12)));
    sb_putc(sb, (char)(0x80 | ((cp >> 6) & 0x3f)));
    sb_putc(sb, (char)(0x80 | (cp & 0x3f)));
  } else {
    sb_putc(sb, (char)(0xf0 | (cp >> 18)));
    sb_putc(sb, (char)(0x80 | ((cp >> 12) & 0x3f)));
    sb_putc(sb, (char)(0x80 | ((cp >> 6) & 0x3f)));
    sb_putc(sb, (char)(0x80 | (cp & 0x3f)));
  }
}

static bool read_hex4(JParser *p, uint32_t *out) {
  if (p->pos + 4 > p->len) return jfail(p, "truncated \\u escape");
  uint32_t v = 0;
  for (int i = 0; i < 4; i++) {
    int h = hexval(p->src[p->pos + i]);
    if (h < 0) return jfail(p, "bad hex digit in \\u escape");
    v = v * 16 + (uint32_t)h;
  }
  p->pos += 4;
  *out = v;
  return true;
}

static bool parse_string_raw(JParser *p, StrBuf *out) {
  p->pos++; /* opening quote */
  for (;;) {
    if (p->pos >= p->len) return jfail(p, "unterminated string");
    unsigned char c = (unsigned char)p->src[p->pos];
    if (c == '"') {
      p->pos++;
      return true;
    }
    if (c < 0x20) return jfail(p, "control character in string");
    if (c != '\\') {
      sb_putc(out, (char)c);
      p->pos++;
      continue;
    }
    p->pos++;
    if (p->pos >= p->len) return jfail(p, "unterminated escape");
    char e = p->src[p->pos++];
    switch (e) {
    case '"': sb_putc(out, '"'); break;
    case '\\': sb_putc(out, '\\'); break;
    case '/': sb_putc(out, '/'); break;
    case 'b': sb_putc(out, '\b'); break;
    case 'f': sb_putc(out, '\f'); break;
    case 'n': sb_putc(out, '\n'); break;
    case 'r': sb_putc(out, '\r'); break;
    case 't': sb_putc(out, '\t'); break;
    case 'u': {
      uint32_t cp;
      if (!read_hex4(p, &cp)) return false;
      if (cp >= 0xd800 && cp < 0xdc00) {
        uint32_t lo;
        if (p->pos + 2 > p->len || p->src[p->pos] != '\\' || p->src[p->pos + 1] != 'u')
          return jfail(p, "lone high surrogate");
        p->pos += 2;
        if (!read_hex4(p, &lo)) return false;
        if (lo < 0xdc00 || lo >= 0xe000) return jfail(p, "bad low surrogate");
        cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
      } else if (cp >= 0xdc00 && cp < 0xe000) {
        return jfail(p, "lone low surrogate");
      }
      put_utf8(out, cp);
      break;
    }
    default: p->pos--; return jfail(p, "unknown escape");
    }
  }
}

static bool parse_number(JParser *p, double *out) {
  size_t start = p->pos;
  if (p->src[p->pos] == '-') p->pos++;
  if (p->pos >= p->len) return jfail(p, "truncated number");
  if (p->src[p->pos] == '0') {
    p->pos++;
  } else if (p->src[p->pos] >= '1' && p->src[p->pos] <= '9') {
    while (p->pos < p->len && p->src[p->pos] >= '0' && p->src[p->pos] <= '9') p->pos++;
  } else {
    return jfail(p, "bad number");
  }
  if (p->pos < p->len && p->src[p->pos] == '.') {
    p->pos++;
    if (p->pos >= p->len || p->src[p->pos] < '0' || p->src[p->pos] > '9')
      return jfail(p, "digit expected after '.'");
    while (p->pos < p->len && p->src[p->pos] >= '0' && p->src[p->pos] <= '9') p->pos++;
  }
  if (p->pos < p->len && (p->src[p->pos] == 'e' || p->src[p->pos] == 'E')) {
    p->pos++;
    if (p->pos < p->len && (p->src[p->pos] == '+' || p->src[p->pos] == '-')) p->pos++;
    if (p->pos >= p->len || p->src[p->pos] < '0' || p->src[p->pos] > '9')
      return jfail(p, "digit expected in exponent");
    while (p->pos < p->len && p->src[p->pos] >= '0' && p->src[p->pos] <= '9') p->pos++;
  }
  char buf[64];
  size_t n = p->pos - start;
  if (n >= sizeof buf) {
    char *tmp = xstrndup(p->src + start, n);
    *out = strtod(tmp, NULL);
    free(tmp);
  } else {
    memcpy(buf, p->src + start, n);
    buf[n] = 0;
    *out = strtod(buf, NULL);
  }
  return true;
}

static bool match_word(JParser *p, const char *w) {
  size_t n = strlen(w);
  if (p->pos + n > p->len || memcmp(p->src + p->pos, w, n) != 0) return jfail(p, "bad literal");
  p->pos += n;
  return true;
}

static JValue *parse_value(JParser *p);

static JValue *parse_container(JParser *p, bool is_obj) {
  if (++p->depth > 200) {
    jfail(p, "nesting too deep");
    return NULL;
  }
  JValue *v = jnew(is_obj ? J_OBJ : J_ARR);
  p->pos++;
  skip_ws(p);
  char close = is_obj ? '}' : ']';
  if (p->pos < p->len && p->src[p->pos] == close) {
    p->pos++;
    p->depth--;
    return v;
  }
  for (;;) {
    char *key = NULL;
    if (is_obj) {
      skip_ws(p);
      if (p->pos >= p->len || p->src[p->pos] != '"') {
        jfail(p, "object key expected");
        goto fail;
      }
      StrBuf kb;
      sb_init(&kb);
      if (!parse_string_raw(p, &kb)) {
        sb_free(&kb);
        goto fail;
      }
      key = sb_take(&kb);
      skip_ws(p);
      if (p->pos >= p->len || p->src[p->pos] != ':') {
        free(key);
        jfail(p, "':' expected");
        goto fail;
      }
      p->pos++;
    }
    JValue *child = parse_value(p);
    if (!child) {
      free(key);
      goto fail;
    }
    jpush(v, key, child);
    skip_ws(p);
    if (p->pos < p->len && p->src[p->pos] == ',') {
      p->pos++;
      continue;
    }
    if (p->pos < p->len && p->src[p->pos] == close) {
      p->pos++;
      p->depth--;
      return v;
    }
    jfail(p, is_obj ? "',' or '}' expected" : "',' or ']' expected");
    goto fail;
  }
fail:
  jfree(v);
  return NULL;
}

static JValue *parse_value(JParser *p) {
  skip_ws(p);
  if (p->pos >= p->len) {
    jfail(p, "value expected");
    return NULL;
  }
  char c = p->src[p->pos];
  JValue *v;
  switch (c) {
  case '{': return parse_container(p, true);
  case '[': return parse_container(p, false);
  case '"': {
    StrBuf sb;
    sb_init(&sb);
    if (!parse_string_raw(p, &sb)) {
      sb_free(&sb);
      return NULL;
    }
    v = jnew(J_STR);
    v->u.str.len = sb.len;
    v->u.str.s = sb_take(&sb);
    return v;
  }
  case 't':
  case 'f':
    if (!match_word(p, c == 't' ? "true" : "false")) return NULL;
    v = jnew(J_BOOL);
    v->u.b = c == 't';
    return v;
  case 'n':
    if (!match_word(p, "null")) return NULL;
    return jnew(J_NULL);
  default: {
    double d;
    if (!parse_number(p, &d)) return NULL;
    v = jnew(J_NUM);
    v->u.num = d;
    return v;
  }
  }
}

static JValue *json_parse(const char *src, size_t len, JParser *p) {
  memset(p, 0, sizeof *p);
  p->src = src;
  p->len = len;
  JValue *v = parse_value(p);
  if (v) {
    skip_ws(p);
    if (p->pos != p->len) {
      jfail(p, "trailing characters");
      jfree(v);
      return NULL;
    }
  }
  return v;
}

/* ---- writing ---------------------------------------------------------------------- */

static void write_string(StrBuf *sb, const char *s, size_t n) {
  sb_putc(sb, '"');
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    switch (c) {
    case '"': sb_puts(sb, "\\\""); break;
    case '\\': sb_puts(sb, "\\\\"); break;
    case '\n': sb_puts(sb, "\\n"); break;
    case '\r': sb_puts(sb, "\\r"); break;
    case '\t': sb_puts(sb, "\\t"); break;
    case '\b': sb_puts(sb, "\\b"); break;
    case '\f': sb_puts(sb, "\\f"); break;
    default:
      if (c < 0x20) {
        sb_printf(sb, "\\u%04x", c);
      } else {
        sb_putc(sb, (char)c);
      }
    }
  }
  sb_putc(sb, '"');
}

static void write_number(StrBuf *sb, double d) {
  if (d == floor(d) && fabs(d) < 1e15) {
    sb_printf(sb, "%.0f", d);
  } else {
    /* Shortest of %.15g and %.17g that reads back exactly. */
    char buf[40];
    snprintf(buf, sizeof buf, "%.15g", d);
    if (strtod(buf, NULL) != d) snprintf(buf, sizeof buf, "%.17g", d);
    sb_puts(sb, buf);
  }
}

static void indent(StrBuf *sb, int n) {
  sb_putc(sb, '\n');
  for (int i = 0; i < n; i++) sb_puts(sb, "  ");
}

static void json_write(StrBuf *sb, const JValue *v, int pretty, int level) {
  switch (v->type) {
  case J_NULL: sb_puts(sb, "null"); break;
  case J_BOOL: sb_puts(sb, v->u.b ? "true" : "false"); break;
  case J_NUM: write_number(sb, v->u.num); break;
  case J_STR: write_string(sb, v->u.str.s, v->u.str.len); break;
  case J_ARR:
  case J_OBJ: {
    bool obj = v->type == J_OBJ;
    sb_putc(sb, obj ? '{' : '[');
    for (size_t i = 0; i < v->u.list.len; i++) {
      if (i) sb_putc(sb, ',');
      if (pretty) indent(sb, level + 1);
      if (obj) {
        write_string(sb, v->u.list.keys[i], strlen(v->u.list.keys[i]));
        sb_puts(sb, pretty ? ": " : ":");
      }
      json_write(sb, v->u.list.items[i], pretty, level + 1);
    }
    if (pretty && v->u.list.len) indent(sb, level);
    sb_putc(sb, obj ? '}' : ']');
    break;
  }
  }
}

/* ---- queries ---------------------------------------------------------------------- */

static const JValue *json_member(const JValue *v, const char *key, size_t n) {
  if (!v || v->type != J_OBJ) return NULL;
  for (size_t i = 0; i < v->u.list.len; i++)
    if (strncmp(v->u.list.keys[i], key, n) == 0 && v->u.list.keys[i][n] == 0)
      return v->u.list.items[i];
  return NULL;
}

/* Path syntax: name(.name | [index])* */
static const JValue *json_path(const JValue *v, const char *path) {
  const char *p = path;
  while (*p && v) {
    if (*p == '.') p++;
    if (*p == '[') {
      char *end;
      long idx = strtol(p + 1, &end, 10);
      if (*end != ']' || v->type != J_ARR || idx < 0 || (size_t)idx >= v->u.list.len) return NULL;
      v = v->u.list.items[idx];
      p = end + 1;
    } else {
      size_t n = strcspn(p, ".[");
      v = json_member(v, p, n);
      p += n;
    }
  }
  return v;
}

static bool json_equal(const JValue *a, const JValue *b) {
  if (a->type != b->type) return false;
  switch (a->type) {
  case J_NULL: return true;
  case J_BOOL: return a->u.b == b->u.b;
  case J_NUM: return a->u.num == b->u.num;
  case J_STR: return a->u.str.len == b->u.str.len && !memcmp(a->u.str.s, b->u.str.s, a->u.str.len);
  case J_ARR:
  case J_OBJ:
    if (a->u.list.len != b->u.list.len) return false;
    for (size_t i = 0; i < a->u.list.len; i++) {
      if (a->type == J_OBJ && strcmp(a->u.list.keys[i], b->u.list.keys[i]) != 0) return false;
      if (!json_equal(a->u.list.items[i], b->u.list.items[i])) return false;
    }
    return true;
  }
  return false;
}

typedef struct {
  size_t nodes, strings, numbers, max_depth;
  double sum;
} JStats;

static void json_stats(const JValue *v, size_t depth, JStats *st) {
  st->nodes++;
  if (depth > st->max_depth) st->max_depth = depth;
  if (v->type == J_STR) st->strings++;
  if (v->type == J_NUM) {
    st->numbers++;
    st->sum += v->u.num;
  }
  if (v->type == J_ARR || v->type == J_OBJ)
    for (size_t i = 0; i < v->u.list.len; i++) json_stats(v->u.list.items[i], depth + 1, st);
}

/* ---- generator for a large document ----------------------------------------------- */

static void gen_value(StrBuf *sb, Rng *r, int depth) {
  uint32_t pick = depth > 5 ? rng_below(r, 4) : rng_below(r, 7);
  switch (pick) {
  case 0: sb_printf(sb, "%d", (int)rng_below(r, 2000000) - 1000000); break;
  case 1: sb_printf(sb, "%.6g", rng_double(r) * 1e4 - 5e3); break;
  case 2: {
    static const char *const strs[] = {"alpha", "beta \\\"quoted\\\"", "tab\\there",
                                       "\\u00e9t\\u00e9", "\\ud83d\\ude00 smile", "plain"};
    sb_printf(sb, "\"%s\"", strs[rng_below(r, 6)]);
    break;
  }
  case 3: sb_puts(sb, rng_below(r, 3) == 0 ? "null" : rng_below(r, 2) ? "true" : "false"); break;
  case 4:
  case 5: {
    uint32_t n = rng_below(r, 6);
    sb_putc(sb, '[');
    for (uint32_t i = 0; i < n; i++) {
      if (i) sb_puts(sb, ", ");
      gen_value(sb, r, depth + 1);
    }
    sb_putc(sb, ']');
    break;
  }
  default: {
    uint32_t n = rng_below(r, 6);
    sb_putc(sb, '{');
    for (uint32_t i = 0; i < n; i++) {
      if (i) sb_putc(sb, ',');
      sb_printf(sb, "\"k%u\" : ", i);
      gen_value(sb, r, depth + 1);
    }
    sb_putc(sb, '}');
  }
  }
}

void suite_json(void) {
  const char *doc =
      "{\"name\": \"spindle\", \"version\": [0, 1, 0], \"features\": {\"simd\": true, "
      "\"gc\": true, \"threads\": false}, \"limits\": {\"pages\": 65536, \"ratio\": 0.75},"
      " \"authors\": [{\"name\": \"A\\u00e9\", \"tags\": [\"core\", \"validate\"]},"
      " {\"name\": \"B\", \"tags\": []}], \"emoji\": \"\\ud83e\\uddf5\", \"nothing\": null}";
  JParser p;
  JValue *v = json_parse(doc, strlen(doc), &p);
  CHECK(v != NULL);
  if (!v) {
    printf("json error at %zu: %s\n", p.err_pos, p.err);
    return;
  }
  const JValue *x = json_path(v, "version[1]");
  CHECK(x && x->type == J_NUM && x->u.num == 1);
  x = json_path(v, "authors[0].tags[1]");
  CHECK(x && x->type == J_STR && strcmp(x->u.str.s, "validate") == 0);
  x = json_path(v, "authors[0].name");
  CHECK(x && strcmp(x->u.str.s, "A\xc3\xa9") == 0);
  x = json_path(v, "emoji");
  CHECK(x && strcmp(x->u.str.s, "\xf0\x9f\xa7\xb5") == 0);
  x = json_path(v, "limits.ratio");
  CHECK(x && x->u.num == 0.75);
  CHECK(json_path(v, "authors[2]") == NULL);
  CHECK(json_path(v, "features.simd")->u.b);
  StrBuf out;
  sb_init(&out);
  json_write(&out, v, 0, 0);
  CHECK_STR(out.data,
            "{\"name\":\"spindle\",\"version\":[0,1,0],\"features\":{\"simd\":true,\"gc\":"
            "true,\"threads\":false},\"limits\":{\"pages\":65536,\"ratio\":0.75},"
            "\"authors\":[{\"name\":\"A\xc3\xa9\",\"tags\":[\"core\",\"validate\"]},"
            "{\"name\":\"B\",\"tags\":[]}],\"emoji\":\"\xf0\x9f\xa7\xb5\",\"nothing\":null}");
  /* Round trip through the pretty printer. */
  StrBuf pretty;
  sb_init(&pretty);
  json_write(&pretty, v, 1, 0);
  JValue *again = json_parse(pretty.data, pretty.len, &p);
  CHECK(again && json_equal(v, again));
  jfree(again);
  sb_free(&pretty);
  sb_free(&out);
  jfree(v);

  /* Errors carry a position. */
  static const struct {
    const char *src;
    size_t pos;
  } bad[] = {
      {"", 0},        {"[1,]", 3},        {"{\"a\" 1}", 5},  {"[1 2]", 3},
      {"\"abc", 4},   {"tru", 0},         {"01", 1},         {"[\"\\x\"]", 3},
      {"1.", 2},      {"{\"a\":1}x", 7},  {"\"\\ud800\"", 7}, {"-", 1},
  };
  int errors = 0;
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    JValue *w = json_parse(bad[i].src, strlen(bad[i].src), &p);
    CHECK(w == NULL);
    if (!w) errors++;
    if (p.err_pos != bad[i].pos) {
      printf("FAIL json error position for '%s': %zu (%s), want %zu\n", bad[i].src, p.err_pos,
             p.err, bad[i].pos);
      g_failures++;
    }
    g_checks++;
    jfree(w);
  }

  /* A large generated document: parse, write, reparse, compare. */
  Rng r;
  rng_seed(&r, 99);
  StrBuf big;
  sb_init(&big);
  sb_putc(&big, '[');
  for (int i = 0; i < 3000; i++) {
    if (i) sb_puts(&big, ",\n");
    gen_value(&big, &r, 0);
  }
  sb_putc(&big, ']');
  JValue *bv = json_parse(big.data, big.len, &p);
  CHECK(bv != NULL);
  if (bv) {
    JStats st = {0};
    json_stats(bv, 0, &st);
    StrBuf w;
    sb_init(&w);
    json_write(&w, bv, 0, 0);
    JValue *bv2 = json_parse(w.data, w.len, &p);
    CHECK(bv2 && json_equal(bv, bv2));
    report("json", "%zu bytes: %zu nodes, %zu strings, %zu numbers (sum %.3f), depth %zu; "
                   "compact %zu bytes, crc %08x; %d malformed inputs rejected",
           big.len, st.nodes, st.strings, st.numbers, st.sum, st.max_depth, w.len,
           crc32_of(w.data, w.len), errors);
    jfree(bv2);
    sb_free(&w);
    jfree(bv);
  }
  sb_free(&big);
}
