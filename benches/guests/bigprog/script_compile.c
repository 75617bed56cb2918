/* Tern compiler: walks the AST and emits bytecode for the VM.
 *
 * Variables resolve, innermost first, to a local slot, the function itself (slot 0), a
 * captured variable of an enclosing function (copied into the closure when it is
 * created), or a global (one slot per name, shared by the whole VM). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "script.h"

typedef struct LoopCtx {
  struct LoopCtx *outer;
  int scope_locals;    /* locals alive at loop entry: break/continue pop down to here */
  int continue_target; /* -1 until known (for loops: the step) */
  int breaks[64], nbreaks;
  int conts[64], nconts;
} LoopCtx;

typedef struct {
  const char *name;
  int len;
  int depth;
} Local;

typedef struct {
  const char *name;
  int len;
  bool from_local;
  int index;
} Capture;

typedef struct FnCompiler {
  struct FnCompiler *enclosing;
  OProto *proto;
  Local locals[256];
  int nlocals;
  int depth;
  Capture caps[64];
  int ncaps;
  const char *self_name;
  int self_len;
  LoopCtx *loop;
} FnCompiler;

typedef struct {
  VM *vm;
  FnCompiler *fn;
  char *err;
  size_t errlen;
  bool failed;
  int line;
} Compiler;

static void compile_error(Compiler *c, const char *msg) {
  if (c->failed) return;
  c->failed = true;
  snprintf(c->err, c->errlen, "line %d: %s", c->line, msg);
}

/* ---- emission --------------------------------------------------------------------- */

static void emit(Compiler *c, int byte) {
  OProto *p = c->fn->proto;
  if (p->len == p->cap) {
    p->cap = p->cap ? p->cap * 2 : 64;
    p->code = xrealloc(p->code, p->cap);
    p->lines = xrealloc(p->lines, p->cap * sizeof(int));
  }
  p->code[p->len] = (uint8_t)byte;
  p->lines[p->len] = c->line;
  p->len++;
}

static void emit_u16(Compiler *c, int v) {
  emit(c, v & 0xff);
  emit(c, (v >> 8) & 0xff);
}

static int here(Compiler *c) { return (int)c->fn->proto->len; }

static int emit_jump(Compiler *c, int op) {
  emit(c, op);
  emit_u16(c, 0xffff);
  return here(c) - 2;
}

static void patch_jump(Compiler *c, int at) {
  int dist = here(c) - (at + 2);
  if (dist > 0xffff) {
    compile_error(c, "jump too far");
    return;
  }
  c->fn->proto->code[at] = (uint8_t)dist;
  c->fn->proto->code[at + 1] = (uint8_t)(dist >> 8);
}

static void emit_loop(Compiler *c, int target) {
  emit(c, OP_LOOP);
  int dist = here(c) + 2 - target;
  if (dist > 0xffff) {
    compile_error(c, "loop body too large");
    return;
  }
  emit_u16(c, dist);
}

static int add_const(Compiler *c, Value v) {
  OProto *p = c->fn->proto;
  for (size_t i = 0; i < p->nconsts; i++) {
    Value k = p->consts[i];
    if (k.type == v.type && v.type == V_NUM && k.as.n == v.as.n &&
        (k.as.n != 0 || 1 / k.as.n == 1 / v.as.n))
      return (int)i;
    if (IS_OBJ_TYPE(k, O_STR) && IS_OBJ_TYPE(v, O_STR) && values_equal(k, v)) return (int)i;
  }
  if (p->nconsts >= 0xffff) {
    compile_error(c, "too many constants in one function");
    return 0;
  }
  if (p->nconsts == p->cconsts) {
    p->cconsts = p->cconsts ? p->cconsts * 2 : 8;
    p->consts = xrealloc(p->consts, p->cconsts * sizeof(Value));
  }
  p->consts[p->nconsts] = v;
  return (int)p->nconsts++;
}

static void emit_const(Compiler *c, Value v) {
  emit(c, OP_CONST);
  emit_u16(c, add_const(c, v));
}

/* ---- scopes and names ------------------------------------------------------------- */

static void begin_scope(Compiler *c) { c->fn->depth++; }

static void pop_n(Compiler *c, int n) {
  while (n > 0) {
    int k = n > 255 ? 255 : n;
    if (k == 1) {
      emit(c, OP_POP);
    } else {
      emit(c, OP_POPN);
      emit(c, k);
    }
    n -= k;
  }
}

static void end_scope(Compiler *c) {
  FnCompiler *f = c->fn;
  f->depth--;
  int n = 0;
  while (f->nlocals > 0 && f->locals[f->nlocals - 1].depth > f->depth) {
    f->nlocals--;
    n++;
  }
  pop_n(c, n);
}

static bool same_name(const char *a, int alen, const char *b, int blen) {
  return alen == blen && memcmp(a, b, (size_t)alen) == 0;
}

static void add_local(Compiler *c, const char *name, int len) {
  FnCompiler *f = c->fn;
  for (int i = f->nlocals - 1; i >= 0 && f->locals[i].depth == f->depth; i--) {
    if (same_name(f->locals[i].name, f->locals[i].len, name, len)) {
      compile_error(c, "variable already declared in this scope");
      return;
    }
  }
  if (f->nlocals == 256) {
    compile_error(c, "too many local variables");
    return;
  }
  f->locals[f->nlocals++] = (Local){name, len, f->depth};
}

static int resolve_local(FnCompiler *f, const char *name, int len) {
  for (int i = f->nlocals - 1; i >= 0; i--)
    if (same_name(f->locals[i].name, f->locals[i].len, name, len)) return i;
  if (f->self_name && same_name(f->self_name, f->self_len, name, len)) return 0;
  return -1;
}

static int add_capture(Compiler *c, FnCompiler *f, const char *name, int len, bool from_local,
                       int index) {
  for (int i = 0; i < f->ncaps; i++)
    if (same_name(f->caps[i].name, f->caps[i].len, name, len)) return i;
  if (f->ncaps == 64) {
    compile_error(c, "too many captured variables");
    return 0;
  }
  f->caps[f->ncaps] = (Capture){name, len, from_local, index};
  return f->ncaps++;
}

static int resolve_capture(Compiler *c, FnCompiler *f, const char *name, int len) {
  if (!f->enclosing) return -1;
  int local = resolve_local(f->enclosing, name, len);
  if (local >= 0) return add_capture(c, f, name, len, true, local);
  int outer = resolve_capture(c, f->enclosing, name, len);
  if (outer >= 0) return add_capture(c, f, name, len, false, outer);
  return -1;
}

static bool at_top_level(Compiler *c) { return !c->fn->enclosing && c->fn->depth == 0; }

/* ---- expressions ------------------------------------------------------------------ */

static void expr(Compiler *c, const AstNode *n);
static void stmt(Compiler *c, const AstNode *n);
static void function(Compiler *c, const AstNode *n, const char *name, int len);

static void variable(Compiler *c, const AstNode *n) {
  int slot = resolve_local(c->fn, n->str, n->str_len);
  if (slot >= 0) {
    emit(c, OP_GET_LOCAL);
    emit(c, slot);
    return;
  }
  int cap = resolve_capture(c, c->fn, n->str, n->str_len);
  if (cap >= 0) {
    emit(c, OP_GET_CAP);
    emit(c, cap);
    return;
  }
  emit(c, OP_GET_GLOBAL);
  emit_u16(c, vm_global_slot(c->vm, n->str, (size_t)n->str_len));
}

static void assign(Compiler *c, const AstNode *n) {
  const AstNode *target = n->a;
  if (target->type == N_INDEX) {
    expr(c, target->a);
    expr(c, target->b);
    expr(c, n->b);
    c->line = n->line;
    emit(c, OP_SET_INDEX);
    return;
  }
  expr(c, n->b);
  c->line = n->line;
  FnCompiler *f = c->fn;
  for (int i = f->nlocals - 1; i >= 0; i--) {
    if (same_name(f->locals[i].name, f->locals[i].len, target->str, target->str_len)) {
      emit(c, OP_SET_LOCAL);
      emit(c, i);
      return;
    }
  }
  if (resolve_local(f, target->str, target->str_len) == 0 ||
      resolve_capture(c, f, target->str, target->str_len) >= 0) {
    compile_error(c, "cannot assign to a captured variable or the enclosing function");
    return;
  }
  emit(c, OP_SET_GLOBAL);
  emit_u16(c, vm_global_slot(c->vm, target->str, (size_t)target->str_len));
}

static int binary_op(TokType t) {
  switch (t) {
  case T_PLUS: return OP_ADD;
  case T_MINUS: return OP_SUB;
  case T_STAR: return OP_MUL;
  case T_SLASH: return OP_DIV;
  case T_PERCENT: return OP_MOD;
  case T_EQ: return OP_EQ;
  case T_NE: return OP_NE;
  case T_LT: return OP_LT;
  case T_LE: return OP_LE;
  case T_GT: return OP_GT;
  case T_GE: return OP_GE;
  default: return -1;
  }
}

static void expr(Compiler *c, const AstNode *n) {
  if (c->failed) return;
  c->line = n->line;
  switch (n->type) {
  case N_NUM: emit_const(c, val_num(n->num)); break;
  case N_STR: emit_const(c, val_obj(str_new(c->vm, n->str, (size_t)n->str_len))); break;
  case N_NIL: emit(c, OP_NIL); break;
  case N_TRUE: emit(c, OP_TRUE); break;
  case N_FALSE: emit(c, OP_FALSE); break;
  case N_VAR: variable(c, n); break;
  case N_ASSIGN: assign(c, n); break;
  case N_BINARY:
    expr(c, n->a);
    expr(c, n->b);
    c->line = n->line;
    emit(c, binary_op(n->op));
    break;
  case N_UNARY:
    expr(c, n->a);
    c->line = n->line;
    emit(c, n->op == T_MINUS ? OP_NEG : OP_NOT);
    break;
  case N_AND:
  case N_OR: {
    expr(c, n->a);
    int j = emit_jump(c, n->type == N_AND ? OP_AND : OP_OR);
    expr(c, n->b);
    patch_jump(c, j);
    break;
  }
  case N_COND: {
    expr(c, n->a);
    int to_else = emit_jump(c, OP_JUMP_FALSE);
    expr(c, n->b);
    int to_end = emit_jump(c, OP_JUMP);
    patch_jump(c, to_else);
    expr(c, n->c);
    patch_jump(c, to_end);
    break;
  }
  case N_CALL:
    expr(c, n->a);
    for (int i = 0; i < n->list.len; i++) expr(c, n->list.items[i]);
    c->line = n->line;
    emit(c, OP_CALL);
    emit(c, n->list.len);
    break;
  case N_INDEX:
    expr(c, n->a);
    expr(c, n->b);
    c->line = n->line;
    emit(c, OP_INDEX);
    break;
  case N_LIST:
    for (int i = 0; i < n->list.len; i++) expr(c, n->list.items[i]);
    emit(c, OP_LIST);
    emit_u16(c, n->list.len);
    break;
  case N_MAP:
    for (int i = 0; i < n->list.len; i++) expr(c, n->list.items[i]);
    emit(c, OP_MAP);
    emit_u16(c, n->list.len / 2);
    break;
  case N_FUNC: function(c, n, "<anonymous>", 11); break;
  default: compile_error(c, "statement used as an expression");
  }
}

/* Compiles a function literal or declaration body and emits OP_CLOSURE. */
static void function(Compiler *c, const AstNode *n, const char *name, int len) {
  FnCompiler *f = xcalloc(1, sizeof(FnCompiler));
  f->enclosing = c->fn;
  char *pname = xstrndup(name, (size_t)len);
  f->proto = proto_new(c->vm, pname);
  free(pname);
  f->proto->arity = n->params.len;
  if (n->type == N_FN_DECL) {
    f->self_name = name;
    f->self_len = len;
  }
  /* Keep the proto reachable while compiling: it becomes a constant of the enclosing
   * function before any collection can run (collections only happen while running). */
  int k = add_const(c, val_obj(f->proto));
  c->fn = f;
  f->locals[f->nlocals++] = (Local){"", 0, 0}; /* slot 0: the closure itself */
  f->depth = 1;
  for (int i = 0; i < n->params.len; i++)
    add_local(c, n->params.items[i]->str, n->params.items[i]->str_len);
  const AstNode *body = n->a;
  for (int i = 0; i < body->list.len; i++) stmt(c, body->list.items[i]);
  emit(c, OP_NIL);
  emit(c, OP_RETURN);
  f->proto->ncaps = f->ncaps;
  c->fn = f->enclosing;
  c->line = n->line;
  emit(c, OP_CLOSURE);
  emit_u16(c, k);
  for (int i = 0; i < f->ncaps; i++) {
    emit(c, f->caps[i].from_local ? 1 : 0);
    emit(c, f->caps[i].index);
  }
  free(f);
}

/* ---- statements ------------------------------------------------------------------- */

static void jump_out(Compiler *c, bool is_break) {
  LoopCtx *loop = c->fn->loop;
  if (!loop) {
    compile_error(c, is_break ? "'break' outside a loop" : "'continue' outside a loop");
    return;
  }
  pop_n(c, c->fn->nlocals - loop->scope_locals);
  if (!is_break && loop->continue_target >= 0) {
    emit_loop(c, loop->continue_target);
    return;
  }
  int *list = is_break ? loop->breaks : loop->conts;
  int *count = is_break ? &loop->nbreaks : &loop->nconts;
  if (*count == 64) {
    compile_error(c, "too many break/continue statements in one loop");
    return;
  }
  list[(*count)++] = emit_jump(c, OP_JUMP);
}

static void loop_enter(Compiler *c, LoopCtx *loop, int continue_target) {
  memset(loop, 0, sizeof *loop);
  loop->outer = c->fn->loop;
  loop->scope_locals = c->fn->nlocals;
  loop->continue_target = continue_target;
  c->fn->loop = loop;
}

static void loop_patch_continues(Compiler *c, LoopCtx *loop) {
  for (int i = 0; i < loop->nconts; i++) patch_jump(c, loop->conts[i]);
  loop->nconts = 0;
}

static void loop_exit(Compiler *c, LoopCtx *loop) {
  for (int i = 0; i < loop->nbreaks; i++) patch_jump(c, loop->breaks[i]);
  c->fn->loop = loop->outer;
}

static void declare_let(Compiler *c, const AstNode *n) {
  if (n->a) {
    expr(c, n->a);
  } else {
    emit(c, OP_NIL);
  }
  c->line = n->line;
  if (at_top_level(c)) {
    emit(c, OP_DEF_GLOBAL);
    emit_u16(c, vm_global_slot(c->vm, n->str, (size_t)n->str_len));
  } else {
    add_local(c, n->str, n->str_len);
  }
}

static void stmt(Compiler *c, const AstNode *n) {
  if (c->failed) return;
  c->line = n->line;
  switch (n->type) {
  case N_EXPR_STMT:
    expr(c, n->a);
    emit(c, OP_POP);
    break;
  case N_LET: declare_let(c, n); break;
  case N_FN_DECL:
    function(c, n, n->str, n->str_len);
    if (at_top_level(c)) {
      emit(c, OP_DEF_GLOBAL);
      emit_u16(c, vm_global_slot(c->vm, n->str, (size_t)n->str_len));
    } else {
      add_local(c, n->str, n->str_len);
    }
    break;
  case N_BLOCK:
    begin_scope(c);
    for (int i = 0; i < n->list.len; i++) stmt(c, n->list.items[i]);
    end_scope(c);
    break;
  case N_IF: {
    expr(c, n->a);
    int to_else = emit_jump(c, OP_JUMP_FALSE);
    begin_scope(c);
    stmt(c, n->b);
    end_scope(c);
    if (n->c) {
      int to_end = emit_jump(c, OP_JUMP);
      patch_jump(c, to_else);
      begin_scope(c);
      stmt(c, n->c);
      end_scope(c);
      patch_jump(c, to_end);
    } else {
      patch_jump(c, to_else);
    }
    break;
  }
  case N_WHILE: {
    int start = here(c);
    expr(c, n->a);
    int exit = emit_jump(c, OP_JUMP_FALSE);
    LoopCtx loop;
    loop_enter(c, &loop, start);
    begin_scope(c);
    stmt(c, n->b);
    end_scope(c);
    emit_loop(c, start);
    patch_jump(c, exit);
    loop_exit(c, &loop);
    break;
  }
  case N_FOR: {
    begin_scope(c);
    if (n->a) {
      if (n->a->type == N_LET) {
        /* A loop variable is a local even at top level. */
        if (n->a->a) {
          expr(c, n->a->a);
        } else {
          emit(c, OP_NIL);
        }
        add_local(c, n->a->str, n->a->str_len);
      } else {
        stmt(c, n->a);
      }
    }
    int start = here(c), exit = -1;
    if (n->b) {
      expr(c, n->b);
      exit = emit_jump(c, OP_JUMP_FALSE);
    }
    LoopCtx loop;
    loop_enter(c, &loop, -1);
    begin_scope(c);
    stmt(c, n->d);
    end_scope(c);
    loop_patch_continues(c, &loop);
    if (n->c) {
      expr(c, n->c);
      emit(c, OP_POP);
    }
    emit_loop(c, start);
    if (exit >= 0) patch_jump(c, exit);
    loop_exit(c, &loop);
    end_scope(c);
    break;
  }
  case N_FOR_IN: {
    begin_scope(c);
    expr(c, n->a);
    add_local(c, "$seq", 4);
    int seq = c->fn->nlocals - 1;
    emit_const(c, val_num(0));
    add_local(c, "$i", 2);
    int idx = c->fn->nlocals - 1;
    int start = here(c);
    emit(c, OP_GET_LOCAL);
    emit(c, idx);
    emit(c, OP_GET_LOCAL);
    emit(c, seq);
    emit(c, OP_LEN);
    emit(c, OP_LT);
    int exit = emit_jump(c, OP_JUMP_FALSE);
    LoopCtx loop;
    loop_enter(c, &loop, -1);
    begin_scope(c);
    emit(c, OP_GET_LOCAL);
    emit(c, seq);
    emit(c, OP_GET_LOCAL);
    emit(c, idx);
    emit(c, OP_ITER);
    add_local(c, n->str, n->str_len);
    stmt(c, n->b);
    end_scope(c);
    loop_patch_continues(c, &loop);
    emit(c, OP_GET_LOCAL);
    emit(c, idx);
    emit_const(c, val_num(1));
    emit(c, OP_ADD);
    emit(c, OP_SET_LOCAL);
    emit(c, idx);
    emit(c, OP_POP);
    emit_loop(c, start);
    patch_jump(c, exit);
    loop_exit(c, &loop);
    end_scope(c);
    break;
  }
  case N_RETURN:
    if (n->a) {
      expr(c, n->a);
    } else {
      emit(c, OP_NIL);
    }
    emit(c, OP_RETURN);
    break;
  case N_BREAK: jump_out(c, true); break;
  case N_CONTINUE: jump_out(c, false); break;
  default:
    expr(c, n);
    emit(c, OP_POP);
  }
}

OClosure *compile_program(VM *vm, AstNode *program, char *err, size_t errlen) {
  Compiler c = {vm, NULL, err, errlen, false, 1};
  FnCompiler *top = xcalloc(1, sizeof(FnCompiler));
  top->proto = proto_new(vm, "<script>");
  top->locals[top->nlocals++] = (Local){"", 0, 0};
  c.fn = top;
  for (int i = 0; i < program->list.len && !c.failed; i++) stmt(&c, program->list.items[i]);
  emit(&c, OP_NIL);
  emit(&c, OP_RETURN);
  OProto *proto = top->proto;
  free(top);
  if (c.failed) return NULL;
  return closure_new(vm, proto, 0);
}
