/* Regular expressions: parser, compiler to a small instruction set, and two matchers
 * over the same program (a Pike VM with captures, and a backtracker) that must agree.
 *
 * Syntax: literals, '.', [classes] with ranges and negation, \d \w \s \D \W \S, escapes,
 * groups (...) and (?:...), alternation |, quantifiers * + ? {m} {m,} {m,n} and their lazy
 * forms with a trailing ?, anchors ^ $, and \b. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

enum { MAX_CAPS = 10 };

typedef enum { OP_CHAR, OP_ANY, OP_CLASS, OP_SPLIT, OP_JMP, OP_SAVE, OP_MATCH, OP_BOL, OP_EOL, OP_WORDB, OP_NWORDB } OpCode;

typedef struct {
  OpCode op;
  int x, y;        /* SPLIT: preferred x, then y; JMP: x; SAVE: slot x; CHAR: x */
  uint8_t bits[32]; /* CLASS */
} Inst;

typedef enum { N_CHAR, N_ANY, N_CLASS, N_CAT, N_ALT, N_REP, N_GROUP, N_BOL, N_EOL, N_WORDB, N_NWORDB, N_EMPTY } NodeKind;

typedef struct Node Node;
struct Node {
  NodeKind kind;
  int ch;
  uint8_t bits[32];
  Node *a, *b;
  int min, max; /* max < 0: unbounded */
  bool greedy;
  int cap; /* capture index, or -1 */
};

typedef struct {
  const char *p;
  const char *err;
  int ncaps;
  Arena *arena;
} RParser;

typedef struct {
  Inst *code;
  int len, cap;
  int ncaps;
} Prog;

static Node *rnode(RParser *ps, NodeKind k) {
  Node *n = arena_alloc(ps->arena, sizeof(Node));
  memset(n, 0, sizeof *n);
  n->kind = k;
  n->cap = -1;
  return n;
}

static void set_bit(uint8_t *bits, int c) { bits[c >> 3] |= (uint8_t)(1 << (c & 7)); }
static bool has_bit(const uint8_t *bits, int c) { return bits[c >> 3] & (1 << (c & 7)); }

static bool is_word(int c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

static void class_escape(uint8_t *bits, char e) {
  bool neg = e == 'D' || e == 'W' || e == 'S';
  uint8_t tmp[32] = {0};
  for (int c = 0; c < 256; c++) {
    bool in = false;
    switch (e | 0x20) {
    case 'd': in = c >= '0' && c <= '9'; break;
    case 'w': in = is_word(c); break;
    case 's': in = c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; break;
    }
    if (in != neg) set_bit(tmp, c);
  }
  for (int i = 0; i < 32; i++) bits[i] |= tmp[i];
}

static int escape_char(char e) {
  switch (e) {
  case 'n': return '\n';
  case 't': return '\t';
  case 'r': return '\r';
  case 'f': return '\f';
  case 'v': return '\v';
  case '0': return 0;
  default: return (unsigned char)e;
  }
}

static Node *parse_alt(RParser *ps);

static Node *parse_class(RParser *ps) {
  Node *n = rnode(ps, N_CLASS);
  ps->p++; /* [ */
  bool neg = false;
  if (*ps->p == '^') {
    neg = true;
    ps->p++;
  }
  bool first = true;
  while (*ps->p && (*ps->p != ']' || first)) {
    first = false;
    int lo;
    if (*ps->p == '\\') {
      char e = ps->p[1];
      if (!e) break;
      ps->p += 2;
      if (strchr("dwsDWS", e)) {
        class_escape(n->bits, e);
        continue;
      }
      lo = escape_char(e);
    } else {
      lo = (unsigned char)*ps->p++;
    }
    int hi = lo;
    if (ps->p[0] == '-' && ps->p[1] && ps->p[1] != ']') {
      ps->p++;
      if (*ps->p == '\\') {
        hi = escape_char(ps->p[1]);
        ps->p += 2;
      } else {
        hi = (unsigned char)*ps->p++;
      }
      if (hi < lo) {
        ps->err = "bad class range";
        return NULL;
      }
    }
    for (int c = lo; c <= hi; c++) set_bit(n->bits, c);
  }
  if (*ps->p != ']') {
    ps->err = "missing ]";
    return NULL;
  }
  ps->p++;
  if (neg)
    for (int i = 0; i < 32; i++) n->bits[i] = (uint8_t)~n->bits[i];
  return n;
}

static Node *parse_atom(RParser *ps) {
  char c = *ps->p;
  Node *n;
  switch (c) {
  case '(': {
    ps->p++;
    int cap = -1;
    if (ps->p[0] == '?' && ps->p[1] == ':') {
      ps->p += 2;
    } else {
      cap = ++ps->ncaps;
      if (cap >= MAX_CAPS) {
        ps->err = "too many groups";
        return NULL;
      }
    }
    Node *inner = parse_alt(ps);
    if (!inner) return NULL;
    if (*ps->p != ')') {
      ps->err = "missing )";
      return NULL;
    }
    ps->p++;
    n = rnode(ps, N_GROUP);
    n->a = inner;
    n->cap = cap;
    return n;
  }
  case '[': return parse_class(ps);
  case '.': ps->p++; return rnode(ps, N_ANY);
  case '^': ps->p++; return rnode(ps, N_BOL);
  case '$': ps->p++; return rnode(ps, N_EOL);
  case '\\': {
    char e = ps->p[1];
    if (!e) {
      ps->err = "trailing backslash";
      return NULL;
    }
    ps->p += 2;
    if (e == 'b') return rnode(ps, N_WORDB);
    if (e == 'B') return rnode(ps, N_NWORDB);
    if (strchr("dwsDWS", e)) {
      n = rnode(ps, N_CLASS);
      class_escape(n->bits, e);
      return n;
    }
    n = rnode(ps, N_CHAR);
    n->ch = escape_char(e);
    return n;
  }
  case '*':
  case '+':
  case '?': ps->err = "nothing to repeat"; return NULL;
  default:
    ps->p++;
    n = rnode(ps, N_CHAR);
    n->ch = (unsigned char)c;
    return n;
  }
}

static bool parse_int(RParser *ps, int *out) {
  if (*ps->p < '0' || *ps->p > '9') return false;
  int v = 0;
  while (*ps->p >= '0' && *ps->p <= '9') {
    v = v * 10 + (*ps->p++ - '0');
    if (v > 1000) {
      ps->err = "repeat count too large";
      return false;
    }
  }
  *out = v;
  return true;
}

static Node *parse_repeat(RParser *ps) {
  Node *atom = parse_atom(ps);
  if (!atom) return NULL;
  for (;;) {
    int min, max;
    char c = *ps->p;
    if (c == '*') {
      min = 0, max = -1;
      ps->p++;
    } else if (c == '+') {
      min = 1, max = -1;
      ps->p++;
    } else if (c == '?') {
      min = 0, max = 1;
      ps->p++;
    } else if (c == '{') {
      const char *save = ps->p;
      ps->p++;
      if (!parse_int(ps, &min)) {
        if (ps->err) return NULL;
        ps->p = save; /* a literal '{' */
        return atom;
      }
      max = min;
      if (*ps->p == ',') {
        ps->p++;
        max = -1;
        if (*ps->p != '}' && !parse_int(ps, &max)) {
          ps->err = ps->err ? ps->err : "bad repeat";
          return NULL;
        }
      }
      if (*ps->p != '}' || (max >= 0 && max < min)) {
        ps->err = "bad repeat";
        return NULL;
      }
      ps->p++;
    } else {
      return atom;
    }
    Node *r = rnode(ps, N_REP);
    r->a = atom;
    r->min = min;
    r->max = max;
    r->greedy = true;
    if (*ps->p == '?') {
      r->greedy = false;
      ps->p++;
    }
    atom = r;
  }
}

static Node *parse_cat(RParser *ps) {
  Node *left = NULL;
  while (*ps->p && *ps->p != '|' && *ps->p != ')') {
    Node *n = parse_repeat(ps);
    if (!n) return NULL;
    if (!left) {
      left = n;
    } else {
      Node *c = rnode(ps, N_CAT);
      c->a = left;
      c->b = n;
      left = c;
    }
  }
  return left ? left : rnode(ps, N_EMPTY);
}

static Node *parse_alt(RParser *ps) {
  Node *left = parse_cat(ps);
  if (!left) return NULL;
  while (*ps->p == '|') {
    ps->p++;
    Node *right = parse_cat(ps);
    if (!right) return NULL;
    Node *a = rnode(ps, N_ALT);
    a->a = left;
    a->b = right;
    left = a;
  }
  return left;
}

static int emit(Prog *pg, OpCode op, int x, int y) {
  if (pg->len == pg->cap) {
    pg->cap = pg->cap ? pg->cap * 2 : 32;
    pg->code = xrealloc(pg->code, (size_t)pg->cap * sizeof(Inst));
  }
  Inst *in = &pg->code[pg->len];
  memset(in, 0, sizeof *in);
  in->op = op;
  in->x = x;
  in->y = y;
  return pg->len++;
}

static void compile_node(Prog *pg, const Node *n);

static void compile_rep(Prog *pg, const Node *n) {
  for (int i = 0; i < n->min; i++) compile_node(pg, n->a);
  if (n->max < 0) {
    /* L: split body, out; body; jmp L */
    int split = emit(pg, OP_SPLIT, 0, 0);
    compile_node(pg, n->a);
    emit(pg, OP_JMP, split, 0);
    int out = pg->len;
    pg->code[split].x = n->greedy ? split + 1 : out;
    pg->code[split].y = n->greedy ? out : split + 1;
  } else {
    int pending[1001];
    int np = 0;
    for (int i = n->min; i < n->max; i++) {
      pending[np++] = emit(pg, OP_SPLIT, 0, 0);
      compile_node(pg, n->a);
    }
    int out = pg->len;
    for (int i = 0; i < np; i++) {
      int s = pending[i];
      pg->code[s].x = n->greedy ? s + 1 : out;
      pg->code[s].y = n->greedy ? out : s + 1;
    }
  }
}

static void compile_node(Prog *pg, const Node *n) {
  switch (n->kind) {
  case N_CHAR: emit(pg, OP_CHAR, n->ch, 0); break;
  case N_ANY: emit(pg, OP_ANY, 0, 0); break;
  case N_CLASS: {
    int i = emit(pg, OP_CLASS, 0, 0);
    memcpy(pg->code[i].bits, n->bits, 32);
    break;
  }
  case N_CAT:
    compile_node(pg, n->a);
    compile_node(pg, n->b);
    break;
  case N_ALT: {
    int split = emit(pg, OP_SPLIT, 0, 0);
    pg->code[split].x = pg->len;
    compile_node(pg, n->a);
    int jmp = emit(pg, OP_JMP, 0, 0);
    pg->code[split].y = pg->len;
    compile_node(pg, n->b);
    pg->code[jmp].x = pg->len;
    break;
  }
  case N_REP: compile_rep(pg, n); break;
  case N_GROUP:
    if (n->cap >= 0) emit(pg, OP_SAVE, 2 * n->cap, 0);
    compile_node(pg, n->a);
    if (n->cap >= 0) emit(pg, OP_SAVE, 2 * n->cap + 1, 0);
    break;
  case N_BOL: emit(pg, OP_BOL, 0, 0); break;
  case N_EOL: emit(pg, OP_EOL, 0, 0); break;
  case N_WORDB: emit(pg, OP_WORDB, 0, 0); break;
  case N_NWORDB: emit(pg, OP_NWORDB, 0, 0); break;
  case N_EMPTY: break;
  }
}

typedef struct {
  Prog prog;
  const char *err;
} Regex;

static bool regex_compile(Regex *re, const char *pattern) {
  Arena arena;
  arena_init(&arena);
  RParser ps = {pattern, NULL, 0, &arena};
  memset(re, 0, sizeof *re);
  Node *root = parse_alt(&ps);
  if (root && *ps.p == ')') ps.err = "unbalanced )";
  if (!root || ps.err) {
    re->err = ps.err ? ps.err : "parse error";
    arena_free(&arena);
    return false;
  }
  emit(&re->prog, OP_SAVE, 0, 0);
  compile_node(&re->prog, root);
  emit(&re->prog, OP_SAVE, 1, 0);
  emit(&re->prog, OP_MATCH, 0, 0);
  re->prog.ncaps = ps.ncaps + 1;
  arena_free(&arena);
  return true;
}

static void regex_free(Regex *re) { free(re->prog.code); }

static bool assert_ok(OpCode op, const char *s, size_t len, size_t i) {
  switch (op) {
  case OP_BOL: return i == 0;
  case OP_EOL: return i == len;
  case OP_WORDB:
  case OP_NWORDB: {
    bool before = i > 0 && is_word((unsigned char)s[i - 1]);
    bool after = i < len && is_word((unsigned char)s[i]);
    return (before != after) == (op == OP_WORDB);
  }
  default: return false;
  }
}

/* ---- Pike VM ---------------------------------------------------------------------- */

typedef struct {
  int pc;
  int caps[2 * MAX_CAPS];
} Thread;

typedef struct {
  Thread *t;
  int n;
  int *mark; /* generation at which pc was added */
} ThreadList;

static void add_thread(const Prog *pg, ThreadList *l, int gen, int pc, int *caps,
                       const char *s, size_t len, size_t i) {
  if (l->mark[pc] == gen) return;
  l->mark[pc] = gen;
  const Inst *in = &pg->code[pc];
  switch (in->op) {
  case OP_JMP: add_thread(pg, l, gen, in->x, caps, s, len, i); return;
  case OP_SPLIT:
    add_thread(pg, l, gen, in->x, caps, s, len, i);
    add_thread(pg, l, gen, in->y, caps, s, len, i);
    return;
  case OP_SAVE: {
    int old = caps[in->x];
    caps[in->x] = (int)i;
    add_thread(pg, l, gen, pc + 1, caps, s, len, i);
    caps[in->x] = old;
    return;
  }
  case OP_BOL:
  case OP_EOL:
  case OP_WORDB:
  case OP_NWORDB:
    if (assert_ok(in->op, s, len, i)) add_thread(pg, l, gen, pc + 1, caps, s, len, i);
    return;
  default: {
    Thread *t = &l->t[l->n++];
    t->pc = pc;
    memcpy(t->caps, caps, sizeof t->caps);
  }
  }
}

/* Leftmost-first search; fills caps (2 per group, -1 when unset). */
static bool pike_search(const Regex *re, const char *s, size_t len, size_t from,
                        int *caps_out) {
  const Prog *pg = &re->prog;
  int n = pg->len;
  ThreadList cur = {xmalloc((size_t)n * sizeof(Thread)), 0, xmalloc((size_t)n * sizeof(int))};
  ThreadList next = {xmalloc((size_t)n * sizeof(Thread)), 0, xmalloc((size_t)n * sizeof(int))};
  for (int i = 0; i < n; i++) cur.mark[i] = next.mark[i] = -1;
  int caps[2 * MAX_CAPS];
  bool matched = false;
  int gen = 0;
  for (size_t i = from;; i++) {
    if (!matched) {
      for (int k = 0; k < 2 * MAX_CAPS; k++) caps[k] = -1;
      add_thread(pg, &cur, gen, 0, caps, s, len, i);
    }
    gen++;
    next.n = 0;
    for (int k = 0; k < cur.n; k++) {
      Thread *t = &cur.t[k];
      const Inst *in = &pg->code[t->pc];
      bool step = false;
      switch (in->op) {
      case OP_MATCH:
        matched = true;
        memcpy(caps_out, t->caps, sizeof t->caps);
        k = cur.n; /* lower-priority threads are cut off */
        continue;
      case OP_CHAR: step = i < len && (unsigned char)s[i] == in->x; break;
      case OP_ANY: step = i < len && s[i] != '\n'; break;
      case OP_CLASS: step = i < len && has_bit(in->bits, (unsigned char)s[i]); break;
      default: break;
      }
      if (step) add_thread(pg, &next, gen, t->pc + 1, t->caps, s, len, i + 1);
    }
    ThreadList tmp = cur;
    cur = next;
    next = tmp;
    if (i >= len || (matched && cur.n == 0)) break;
  }
  /* Threads left in `cur` at the end may still hold a match at the very end. */
  for (int k = 0; k < cur.n; k++) {
    if (pg->code[cur.t[k].pc].op == OP_MATCH) {
      matched = true;
      memcpy(caps_out, cur.t[k].caps, sizeof cur.t[k].caps);
      break;
    }
  }
  free(cur.t);
  free(cur.mark);
  free(next.t);
  free(next.mark);
  return matched;
}

/* ---- backtracker ------------------------------------------------------------------ */

typedef struct {
  const Prog *pg;
  const char *s;
  size_t len;
  int caps[2 * MAX_CAPS];
  uint8_t *visited; /* (pc, pos) pairs already tried and failed */
  long budget;
} Backtrack;

static bool bt_run(Backtrack *bt, int pc, size_t i) {
  for (;;) {
    if (--bt->budget < 0) return false;
    size_t key = (size_t)pc * (bt->len + 1) + i;
    if (bt->visited[key >> 3] & (1 << (key & 7))) return false;
    bt->visited[key >> 3] |= (uint8_t)(1 << (key & 7));
    const Inst *in = &bt->pg->code[pc];
    switch (in->op) {
    case OP_MATCH: return true;
    case OP_CHAR:
      if (i >= bt->len || (unsigned char)bt->s[i] != in->x) return false;
      pc++, i++;
      break;
    case OP_ANY:
      if (i >= bt->len || bt->s[i] == '\n') return false;
      pc++, i++;
      break;
    case OP_CLASS:
      if (i >= bt->len || !has_bit(in->bits, (unsigned char)bt->s[i])) return false;
      pc++, i++;
      break;
    case OP_JMP: pc = in->x; break;
    case OP_SPLIT:
      if (bt_run(bt, in->x, i)) return true;
      pc = in->y;
      break;
    case OP_SAVE: {
      int old = bt->caps[in->x];
      bt->caps[in->x] = (int)i;
      if (bt_run(bt, pc + 1, i)) return true;
      bt->caps[in->x] = old;
      return false;
    }
    default:
      if (!assert_ok(in->op, bt->s, bt->len, i)) return false;
      pc++;
    }
  }
}

static bool bt_search(const Regex *re, const char *s, size_t len, size_t from,
                      int *caps_out) {
  Backtrack bt;
  bt.pg = &re->prog;
  bt.s = s;
  bt.len = len;
  size_t bits = (size_t)re->prog.len * (len + 1);
  bt.visited = xcalloc(bits / 8 + 1, 1);
  bt.budget = 50000000;
  bool found = false;
  for (size_t start = from; start <= len && !found; start++) {
    for (int k = 0; k < 2 * MAX_CAPS; k++) bt.caps[k] = -1;
    /* The visited set stays valid across start positions: a (pc, pos) pair that failed
     * fails again, since nothing before it affects what can follow. Captures aside,
     * success does not depend on the path taken to reach it. */
    if (bt_run(&bt, 0, start)) {
      found = true;
      memcpy(caps_out, bt.caps, sizeof bt.caps);
    }
  }
  free(bt.visited);
  return found;
}

/* ---- helpers ---------------------------------------------------------------------- */

static int count_matches(const Regex *re, const char *s) {
  size_t len = strlen(s), at = 0;
  int count = 0, caps[2 * MAX_CAPS];
  while (at <= len && pike_search(re, s, len, at, caps)) {
    count++;
    at = caps[1] > caps[0] ? (size_t)caps[1] : (size_t)caps[1] + 1;
  }
  return count;
}

/* Replace every match with `rep`, where \1..\9 insert groups. */
static char *regex_replace(const Regex *re, const char *s, const char *rep) {
  StrBuf out;
  sb_init(&out);
  size_t len = strlen(s), at = 0;
  int caps[2 * MAX_CAPS];
  while (at <= len && pike_search(re, s, len, at, caps)) {
    sb_putn(&out, s + at, (size_t)caps[0] - at);
    for (const char *r = rep; *r; r++) {
      if (r[0] == '\\' && r[1] >= '0' && r[1] <= '9') {
        int g = r[1] - '0';
        if (g < re->prog.ncaps && caps[2 * g] >= 0)
          sb_putn(&out, s + caps[2 * g], (size_t)(caps[2 * g + 1] - caps[2 * g]));
        r++;
      } else {
        sb_putc(&out, *r);
      }
    }
    at = (size_t)caps[1];
    if (caps[1] == caps[0]) {
      if (at < len) sb_putc(&out, s[at]);
      at++;
    }
  }
  if (at < len) sb_puts(&out, s + at);
  return sb_take(&out);
}

void suite_regex(void) {
  static const struct {
    const char *pattern, *input;
    int start, end; /* -1: no match */
    const char *group1;
  } cases[] = {
      {"abc", "xxabcxx", 2, 5, NULL},
      {"a.c", "abc", 0, 3, NULL},
      {"a.c", "a\nc", -1, -1, NULL},
      {"a*", "aaab", 0, 3, NULL},
      {"a*?b", "aaab", 0, 4, NULL},
      {"(a+)(b*)", "xaabbb", 1, 6, "aa"},
      {"(a|ab)(c|bcd)", "abcd", 0, 4, "a"},
      {"^hello$", "hello", 0, 5, NULL},
      {"^hello$", "hello!", -1, -1, NULL},
      {"\\d+", "abc 12345 def", 4, 9, NULL},
      {"[a-f0-9]+", "zzdeadbeef!", 2, 10, NULL},
      {"[^a-z ]+", "abc DEF ghi", 4, 7, NULL},
      {"\\bword\\b", "a sword and a word", 14, 18, NULL},
      {"\\Bor\\B", "or word", 4, 6, NULL},
      {"x{3}", "xxxxx", 0, 3, NULL},
      {"x{2,}", "xxxxx", 0, 5, NULL},
      {"x{2,3}?", "xxxxx", 0, 2, NULL},
      {"(?:ab)+", "ababab", 0, 6, NULL},
      {"(\\w+)@(\\w+)\\.com", "mail: someone@example.com", 6, 25, "someone"},
      {"colou?r", "the color red", 4, 9, NULL},
      {"(a*)*b", "aaaaaaaaaaaaaaaaaaaaaaac", -1, -1, NULL},
      {"(x+x+)+y", "xxxxxxxxxxxxxxxxxxxxxxxxxxxxy", 0, 29, "xxxxxxxxxxxxxxxxxxxxxxxxxxxx"},
      {"", "abc", 0, 0, NULL},
      {"a|b|c|d", "zzzd", 3, 4, NULL},
      {"[\\]x]+", "a]x]b", 1, 4, NULL},
      {"\\s+", "a \t\n b", 1, 5, NULL},
      {"(\\d{4})-(\\d{2})-(\\d{2})", "on 2024-05-17.", 3, 13, "2024"},
      {"a{,2}", "a{,2}", 0, 5, NULL},
  };
  int agree = 0;
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    Regex re;
    if (!regex_compile(&re, cases[i].pattern)) {
      printf("FAIL regex '%s' does not compile: %s\n", cases[i].pattern, re.err);
      g_failures++;
      continue;
    }
    int c1[2 * MAX_CAPS], c2[2 * MAX_CAPS];
    size_t len = strlen(cases[i].input);
    bool m1 = pike_search(&re, cases[i].input, len, 0, c1);
    bool m2 = bt_search(&re, cases[i].input, len, 0, c2);
    int s = m1 ? c1[0] : -1, e = m1 ? c1[1] : -1;
    g_checks++;
    if (s != cases[i].start || e != cases[i].end) {
      printf("FAIL regex '%s' on '%s': %d..%d, want %d..%d\n", cases[i].pattern,
             cases[i].input, s, e, cases[i].start, cases[i].end);
      g_failures++;
    }
    if (cases[i].group1 && m1) {
      char *g = xstrndup(cases[i].input + c1[2], (size_t)(c1[3] - c1[2]));
      CHECK_STR(g, cases[i].group1);
      free(g);
    }
    g_checks++;
    if (m1 != m2 || (m1 && memcmp(c1, c2, sizeof(int) * 2 * (size_t)re.prog.ncaps) != 0)) {
      printf("FAIL regex '%s' on '%s': matchers disagree\n", cases[i].pattern, cases[i].input);
      g_failures++;
    } else {
      agree++;
    }
    regex_free(&re);
  }

  static const char *const bad[] = {"(ab", "ab)", "[abc", "*a", "a{3,1}", "a\\", "[z-a]"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    Regex re;
    bool ok = regex_compile(&re, bad[i]);
    if (ok) {
      printf("FAIL regex '%s' should not compile\n", bad[i]);
      g_failures++;
      regex_free(&re);
    }
    g_checks++;
  }

  /* Replace. */
  Regex re;
  CHECK(regex_compile(&re, "(\\w+)=(\\d+)"));
  char *out = regex_replace(&re, "a=1, bb=22, c=x", "\\2:\\1");
  CHECK_STR(out, "1:a, 22:bb, c=x");
  free(out);
  regex_free(&re);

  /* Search a corpus with several patterns, both matchers on sampled lines. */
  char *text = make_corpus(60000, 11);
  static const char *const pats[] = {"\\b[Tt]he\\b", "(module|function)s?", "[aeiou]{2,}",
                                     "\\b\\w{7,}\\b", "in(g|to)?\\b", "^[A-Z]"};
  int total = 0;
  for (size_t k = 0; k < sizeof pats / sizeof pats[0]; k++) {
    CHECK(regex_compile(&re, pats[k]));
    int n = count_matches(&re, text);
    total += n;
    /* Per-line cross-check on the first lines. */
    const char *line = text;
    for (int l = 0; l < 20 && *line; l++) {
      const char *nl = strchr(line, '\n');
      size_t ll = nl ? (size_t)(nl - line) : strlen(line);
      int c1[2 * MAX_CAPS], c2[2 * MAX_CAPS];
      bool m1 = pike_search(&re, line, ll, 0, c1), m2 = bt_search(&re, line, ll, 0, c2);
      CHECK(m1 == m2 && (!m1 || (c1[0] == c2[0] && c1[1] == c2[1])));
      line = nl ? nl + 1 : line + ll;
    }
    report("regex", "/%s/: %d matches", pats[k], n);
    regex_free(&re);
  }
  report("regex", "%zu table cases (%d agreeing), %d corpus matches", sizeof cases / sizeof cases[0],
         agree, total);
  free(text);
}
