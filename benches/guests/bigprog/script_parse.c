/* Tern parser: recursive descent over the token stream, building an AST in an arena.
 * Every parse function returns NULL after the first error, which is kept in p->err. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "script.h"

static AstNode *node(Parser *p, NodeType t, int line) {
  AstNode *n = arena_alloc(p->arena, sizeof(AstNode));
  memset(n, 0, sizeof *n);
  n->type = t;
  n->line = line;
  return n;
}

static void list_add(Parser *p, NodeList *l, AstNode *n) {
  if (l->len == l->cap) {
    int cap = l->cap ? l->cap * 2 : 4;
    AstNode **items = arena_alloc(p->arena, (size_t)cap * sizeof(AstNode *));
    if (l->len) memcpy(items, l->items, (size_t)l->len * sizeof(AstNode *));
    l->items = items;
    l->cap = cap;
  }
  l->items[l->len++] = n;
}

static void error_at(Parser *p, const Token *t, const char *msg) {
  if (p->err[0]) return;
  p->nerrors++;
  if (t->type == T_ERROR) {
    snprintf(p->err, sizeof p->err, "line %d: %.*s", t->line, t->len, t->start);
  } else if (t->type == T_EOF) {
    snprintf(p->err, sizeof p->err, "line %d: %s at end of input", t->line, msg);
  } else {
    snprintf(p->err, sizeof p->err, "line %d: %s at '%.*s'", t->line, msg, t->len, t->start);
  }
}

static void advance(Parser *p) {
  p->prev = p->cur;
  p->cur = lex_next(&p->lx);
  if (p->cur.type == T_ERROR) error_at(p, &p->cur, "");
}

static bool check(Parser *p, TokType t) { return p->cur.type == t; }

static bool match(Parser *p, TokType t) {
  if (!check(p, t)) return false;
  advance(p);
  return true;
}

static bool expect(Parser *p, TokType t, const char *what) {
  if (check(p, t)) {
    advance(p);
    return true;
  }
  char msg[80];
  snprintf(msg, sizeof msg, "expected %s", what);
  error_at(p, &p->cur, msg);
  return false;
}

static char *unescape(Parser *p, const char *s, int len, int *out_len) {
  char *out = arena_alloc(p->arena, (size_t)len + 1);
  int n = 0;
  for (int i = 0; i < len; i++) {
    char c = s[i];
    if (c == '\\' && i + 1 < len) {
      char e = s[++i];
      switch (e) {
      case 'n': c = '\n'; break;
      case 't': c = '\t'; break;
      case 'r': c = '\r'; break;
      case '0': c = 0; break;
      case 'x':
        if (i + 2 < len) {
          char hex[3] = {s[i + 1], s[i + 2], 0};
          c = (char)strtol(hex, NULL, 16);
          i += 2;
        }
        break;
      default: c = e;
      }
    }
    out[n++] = c;
  }
  out[n] = 0;
  *out_len = n;
  return out;
}

static AstNode *expression(Parser *p);
static AstNode *statement(Parser *p);
static AstNode *block(Parser *p);

static bool parse_params(Parser *p, NodeList *params) {
  if (!expect(p, T_LPAREN, "'('")) return false;
  if (!check(p, T_RPAREN)) {
    do {
      if (!expect(p, T_IDENT, "parameter name")) return false;
      AstNode *v = node(p, N_VAR, p->prev.line);
      v->str = arena_strndup(p->arena, p->prev.start, (size_t)p->prev.len);
      v->str_len = p->prev.len;
      list_add(p, params, v);
      if (params->len > 16) {
        error_at(p, &p->prev, "too many parameters");
        return false;
      }
    } while (match(p, T_COMMA));
  }
  return expect(p, T_RPAREN, "')'");
}

static AstNode *primary(Parser *p) {
  Token t = p->cur;
  AstNode *n;
  switch (t.type) {
  case T_NUMBER:
    advance(p);
    n = node(p, N_NUM, t.line);
    n->num = t.num;
    return n;
  case T_STRING:
    advance(p);
    n = node(p, N_STR, t.line);
    n->str = unescape(p, t.start + 1, t.len - 2, &n->str_len);
    return n;
  case T_TRUE: advance(p); return node(p, N_TRUE, t.line);
  case T_FALSE: advance(p); return node(p, N_FALSE, t.line);
  case T_NIL: advance(p); return node(p, N_NIL, t.line);
  case T_IDENT:
    advance(p);
    n = node(p, N_VAR, t.line);
    n->str = arena_strndup(p->arena, t.start, (size_t)t.len);
    n->str_len = t.len;
    return n;
  case T_LPAREN:
    advance(p);
    n = expression(p);
    if (!n || !expect(p, T_RPAREN, "')'")) return NULL;
    return n;
  case T_LBRACKET:
    advance(p);
    n = node(p, N_LIST, t.line);
    if (!check(p, T_RBRACKET)) {
      do {
        if (check(p, T_RBRACKET)) break; /* trailing comma */
        AstNode *item = expression(p);
        if (!item) return NULL;
        list_add(p, &n->list, item);
      } while (match(p, T_COMMA));
    }
    if (!expect(p, T_RBRACKET, "']'")) return NULL;
    return n;
  case T_LBRACE:
    advance(p);
    n = node(p, N_MAP, t.line);
    if (!check(p, T_RBRACE)) {
      do {
        if (check(p, T_RBRACE)) break;
        AstNode *key;
        if (check(p, T_IDENT)) {
          advance(p);
          key = node(p, N_STR, p->prev.line);
          key->str = arena_strndup(p->arena, p->prev.start, (size_t)p->prev.len);
          key->str_len = p->prev.len;
        } else {
          key = expression(p);
          if (!key) return NULL;
        }
        if (!expect(p, T_COLON, "':'")) return NULL;
        AstNode *val = expression(p);
        if (!val) return NULL;
        list_add(p, &n->list, key);
        list_add(p, &n->list, val);
      } while (match(p, T_COMMA));
    }
    if (!expect(p, T_RBRACE, "'}'")) return NULL;
    return n;
  case T_FN:
    advance(p);
    n = node(p, N_FUNC, t.line);
    if (!parse_params(p, &n->params)) return NULL;
    n->a = block(p);
    return n->a ? n : NULL;
  default: error_at(p, &t, "expected an expression"); return NULL;
  }
}

static AstNode *postfix(Parser *p) {
  AstNode *n = primary(p);
  while (n) {
    if (match(p, T_LPAREN)) {
      AstNode *call = node(p, N_CALL, p->prev.line);
      call->a = n;
      if (!check(p, T_RPAREN)) {
        do {
          AstNode *arg = expression(p);
          if (!arg) return NULL;
          list_add(p, &call->list, arg);
        } while (match(p, T_COMMA));
      }
      if (!expect(p, T_RPAREN, "')' after arguments")) return NULL;
      if (call->list.len > 255) {
        error_at(p, &p->prev, "too many arguments");
        return NULL;
      }
      n = call;
    } else if (match(p, T_LBRACKET)) {
      AstNode *idx = node(p, N_INDEX, p->prev.line);
      idx->a = n;
      idx->b = expression(p);
      if (!idx->b || !expect(p, T_RBRACKET, "']'")) return NULL;
      n = idx;
    } else if (match(p, T_DOT)) {
      if (!expect(p, T_IDENT, "field name after '.'")) return NULL;
      AstNode *idx = node(p, N_INDEX, p->prev.line);
      AstNode *key = node(p, N_STR, p->prev.line);
      key->str = arena_strndup(p->arena, p->prev.start, (size_t)p->prev.len);
      key->str_len = p->prev.len;
      idx->a = n;
      idx->b = key;
      n = idx;
    } else {
      break;
    }
  }
  return n;
}

static AstNode *unary(Parser *p) {
  if (check(p, T_BANG) || check(p, T_MINUS)) {
    Token op = p->cur;
    advance(p);
    AstNode *operand = unary(p);
    if (!operand) return NULL;
    AstNode *n = node(p, N_UNARY, op.line);
    n->op = op.type;
    n->a = operand;
    return n;
  }
  return postfix(p);
}

/* Binary operators by precedence level, loosest first. */
static const TokType levels[][5] = {
    {T_OR}, {T_AND}, {T_EQ, T_NE}, {T_LT, T_LE, T_GT, T_GE}, {T_PLUS, T_MINUS},
    {T_STAR, T_SLASH, T_PERCENT},
};
enum { NLEVELS = sizeof levels / sizeof levels[0] };

static AstNode *binary(Parser *p, int level) {
  if (level == NLEVELS) return unary(p);
  AstNode *left = binary(p, level + 1);
  while (left) {
    TokType op = p->cur.type;
    bool found = false;
    for (int i = 0; i < 5 && levels[level][i]; i++)
      if (levels[level][i] == op) found = true;
    if (!found || op == T_EOF) break;
    int line = p->cur.line;
    advance(p);
    AstNode *right = binary(p, level + 1);
    if (!right) return NULL;
    AstNode *n = node(p, op == T_AND ? N_AND : op == T_OR ? N_OR : N_BINARY, line);
    n->op = op;
    n->a = left;
    n->b = right;
    left = n;
  }
  return left;
}

static AstNode *conditional(Parser *p) {
  AstNode *cond = binary(p, 0);
  if (!cond || !match(p, T_QUESTION)) return cond;
  AstNode *n = node(p, N_COND, p->prev.line);
  n->a = cond;
  n->b = expression(p);
  if (!n->b || !expect(p, T_COLON, "':' in conditional")) return NULL;
  n->c = conditional(p);
  return n->c ? n : NULL;
}

static AstNode *expression(Parser *p) {
  AstNode *target = conditional(p);
  if (!target) return NULL;
  TokType op = p->cur.type;
  if (op != T_ASSIGN && op != T_PLUS_ASSIGN && op != T_MINUS_ASSIGN && op != T_STAR_ASSIGN)
    return target;
  Token at = p->cur;
  advance(p);
  if (target->type != N_VAR && target->type != N_INDEX) {
    error_at(p, &at, "invalid assignment target");
    return NULL;
  }
  AstNode *value = expression(p);
  if (!value) return NULL;
  if (op != T_ASSIGN) {
    /* a op= b  ==>  a = a op b (the target's subexpressions are evaluated twice) */
    AstNode *bin = node(p, N_BINARY, at.line);
    bin->op = op == T_PLUS_ASSIGN ? T_PLUS : op == T_MINUS_ASSIGN ? T_MINUS : T_STAR;
    bin->a = target;
    bin->b = value;
    value = bin;
  }
  AstNode *n = node(p, N_ASSIGN, at.line);
  n->a = target;
  n->b = value;
  return n;
}

static AstNode *block(Parser *p) {
  if (!expect(p, T_LBRACE, "'{'")) return NULL;
  AstNode *n = node(p, N_BLOCK, p->prev.line);
  while (!check(p, T_RBRACE) && !check(p, T_EOF)) {
    AstNode *s = statement(p);
    if (!s) return NULL;
    list_add(p, &n->list, s);
  }
  return expect(p, T_RBRACE, "'}'") ? n : NULL;
}

static AstNode *let_decl(Parser *p) {
  int line = p->prev.line;
  if (!expect(p, T_IDENT, "variable name")) return NULL;
  AstNode *n = node(p, N_LET, line);
  n->str = arena_strndup(p->arena, p->prev.start, (size_t)p->prev.len);
  n->str_len = p->prev.len;
  if (match(p, T_ASSIGN)) {
    n->a = expression(p);
    if (!n->a) return NULL;
  }
  return n;
}

static AstNode *statement(Parser *p) {
  Token t = p->cur;
  AstNode *n;
  switch (t.type) {
  case T_LET:
    advance(p);
    n = let_decl(p);
    return n && expect(p, T_SEMI, "';' after declaration") ? n : NULL;
  case T_FN:
    advance(p);
    if (!check(p, T_IDENT)) {
      error_at(p, &p->cur, "expected function name");
      return NULL;
    }
    advance(p);
    n = node(p, N_FN_DECL, t.line);
    n->str = arena_strndup(p->arena, p->prev.start, (size_t)p->prev.len);
    n->str_len = p->prev.len;
    if (!parse_params(p, &n->params)) return NULL;
    n->a = block(p);
    return n->a ? n : NULL;
  case T_IF:
    advance(p);
    n = node(p, N_IF, t.line);
    if (!expect(p, T_LPAREN, "'(' after 'if'") || !(n->a = expression(p)) ||
        !expect(p, T_RPAREN, "')'") || !(n->b = statement(p)))
      return NULL;
    if (match(p, T_ELSE) && !(n->c = statement(p))) return NULL;
    return n;
  case T_WHILE:
    advance(p);
    n = node(p, N_WHILE, t.line);
    if (!expect(p, T_LPAREN, "'(' after 'while'") || !(n->a = expression(p)) ||
        !expect(p, T_RPAREN, "')'") || !(n->b = statement(p)))
      return NULL;
    return n;
  case T_FOR:
    advance(p);
    if (check(p, T_IDENT)) {
      /* for name in expr { ... } */
      advance(p);
      n = node(p, N_FOR_IN, t.line);
      n->str = arena_strndup(p->arena, p->prev.start, (size_t)p->prev.len);
      n->str_len = p->prev.len;
      if (!expect(p, T_IN, "'in'") || !(n->a = expression(p)) || !(n->b = block(p))) return NULL;
      return n;
    }
    n = node(p, N_FOR, t.line);
    if (!expect(p, T_LPAREN, "'(' or a name after 'for'")) return NULL;
    if (match(p, T_LET)) {
      if (!(n->a = let_decl(p))) return NULL;
    } else if (!check(p, T_SEMI)) {
      AstNode *e = expression(p);
      if (!e) return NULL;
      n->a = node(p, N_EXPR_STMT, e->line);
      n->a->a = e;
    }
    if (!expect(p, T_SEMI, "';'")) return NULL;
    if (!check(p, T_SEMI) && !(n->b = expression(p))) return NULL;
    if (!expect(p, T_SEMI, "';'")) return NULL;
    if (!check(p, T_RPAREN) && !(n->c = expression(p))) return NULL;
    if (!expect(p, T_RPAREN, "')'") || !(n->d = statement(p))) return NULL;
    return n;
  case T_RETURN:
    advance(p);
    n = node(p, N_RETURN, t.line);
    if (!check(p, T_SEMI) && !(n->a = expression(p))) return NULL;
    return expect(p, T_SEMI, "';' after return") ? n : NULL;
  case T_BREAK:
  case T_CONTINUE:
    advance(p);
    n = node(p, t.type == T_BREAK ? N_BREAK : N_CONTINUE, t.line);
    return expect(p, T_SEMI, "';'") ? n : NULL;
  case T_LBRACE: return block(p);
  default: {
    AstNode *e = expression(p);
    if (!e || !expect(p, T_SEMI, "';' after expression")) return NULL;
    n = node(p, N_EXPR_STMT, t.line);
    n->a = e;
    return n;
  }
  }
}

AstNode *parse_program(const char *src, Arena *arena, char *err, size_t errlen) {
  Parser p;
  memset(&p, 0, sizeof p);
  p.arena = arena;
  lex_init(&p.lx, src);
  advance(&p);
  AstNode *prog = node(&p, N_BLOCK, 1);
  while (!p.err[0] && !check(&p, T_EOF)) {
    AstNode *s = statement(&p);
    if (!s) break;
    list_add(&p, &prog->list, s);
  }
  if (p.err[0]) {
    snprintf(err, errlen, "%s", p.err);
    return NULL;
  }
  return prog;
}

/* ---- constant folding ------------------------------------------------------------- */

static bool is_const_num(const AstNode *n) { return n && n->type == N_NUM; }

static int fold_list(NodeList *l, Arena *arena) {
  int folded = 0;
  for (int i = 0; i < l->len; i++) folded += fold_constants(l->items[i], arena);
  return folded;
}

int fold_constants(AstNode *n, Arena *arena) {
  if (!n) return 0;
  int folded = fold_constants(n->a, arena) + fold_constants(n->b, arena) +
               fold_constants(n->c, arena) + fold_constants(n->d, arena) +
               fold_list(&n->list, arena);
  if (n->type == N_BINARY && is_const_num(n->a) && is_const_num(n->b)) {
    double x = n->a->num, y = n->b->num, r;
    bool num_result = true;
    switch (n->op) {
    case T_PLUS: r = x + y; break;
    case T_MINUS: r = x - y; break;
    case T_STAR: r = x * y; break;
    case T_SLASH: r = x / y; break;
    case T_PERCENT:
      r = fmod(x, y);
      if (r != 0 && (r < 0) != (y < 0)) r += y; /* as at run time: the divisor's sign */
      break;
    case T_LT: r = x < y, num_result = false; break;
    case T_LE: r = x <= y, num_result = false; break;
    case T_GT: r = x > y, num_result = false; break;
    case T_GE: r = x >= y, num_result = false; break;
    case T_EQ: r = x == y, num_result = false; break;
    case T_NE: r = x != y, num_result = false; break;
    default: return folded;
    }
    if (num_result) {
      n->type = N_NUM;
      n->num = r;
    } else {
      n->type = r != 0 ? N_TRUE : N_FALSE;
    }
    n->a = n->b = NULL;
    return folded + 1;
  }
  if (n->type == N_UNARY && n->op == T_MINUS && is_const_num(n->a)) {
    n->type = N_NUM;
    n->num = -n->a->num;
    n->a = NULL;
    return folded + 1;
  }
  if (n->type == N_UNARY && n->op == T_BANG && n->a &&
      (n->a->type == N_TRUE || n->a->type == N_FALSE || n->a->type == N_NIL)) {
    n->type = n->a->type == N_TRUE ? N_FALSE : N_TRUE;
    n->a = NULL;
    return folded + 1;
  }
  if (n->type == N_BINARY && n->op == T_PLUS && n->a && n->b && n->a->type == N_STR &&
      n->b->type == N_STR) {
    int len = n->a->str_len + n->b->str_len;
    char *str = arena_alloc(arena, (size_t)len + 1);
    memcpy(str, n->a->str, (size_t)n->a->str_len);
    memcpy(str + n->a->str_len, n->b->str, (size_t)n->b->str_len);
    str[len] = 0;
    n->type = N_STR;
    n->str = str;
    n->str_len = len;
    n->a = n->b = NULL;
    return folded + 1;
  }
  if (n->type == N_IF && n->a && (n->a->type == N_TRUE || n->a->type == N_FALSE)) {
    /* if (true) A else B  ==>  { A }, keeping A's scope */
    AstNode *keep = n->a->type == N_TRUE ? n->b : n->c;
    n->type = N_BLOCK;
    memset(&n->list, 0, sizeof n->list);
    if (keep) {
      n->list.items = arena_alloc(arena, sizeof(AstNode *));
      n->list.items[0] = keep;
      n->list.len = n->list.cap = 1;
    }
    n->a = n->b = n->c = NULL;
    return folded + 1;
  }
  return folded;
}
