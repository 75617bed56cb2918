/* Tern runtime: objects, the garbage collector, the bytecode interpreter and the
 * disassembler. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "script.h"

/* ---- objects ---------------------------------------------------------------------- */

static void *alloc_obj(VM *vm, size_t size, ObjType type) {
  Obj *o = xmalloc(size);
  o->type = type;
  o->marked = false;
  o->next = vm->objects;
  vm->objects = o;
  vm->bytes += size;
  return o;
}

OStr *str_new(VM *vm, const char *s, size_t len) {
  OStr *str = alloc_obj(vm, sizeof(OStr) + len + 1, O_STR);
  str->len = len;
  memcpy(str->chars, s, len);
  str->chars[len] = 0;
  str->hash = fnv1a64(s, len);
  return str;
}

OList *list_new(VM *vm) {
  OList *l = alloc_obj(vm, sizeof(OList), O_LIST);
  l->items = NULL;
  l->len = l->cap = 0;
  return l;
}

void list_push(VM *vm, OList *l, Value v) {
  if (l->len == l->cap) {
    size_t cap = l->cap ? l->cap * 2 : 8;
    vm->bytes += (cap - l->cap) * sizeof(Value);
    l->items = xrealloc(l->items, cap * sizeof(Value));
    l->cap = cap;
  }
  l->items[l->len++] = v;
}

OMap *map_new(VM *vm) {
  OMap *m = alloc_obj(vm, sizeof(OMap), O_MAP);
  m->entries = NULL;
  m->len = m->cap = 0;
  m->index = NULL;
  m->icap = 0;
  return m;
}

static uint64_t value_hash(Value v) {
  switch (v.type) {
  case V_NUM: {
    double d = v.as.n == 0 ? 0 : v.as.n; /* -0 and 0 are equal keys */
    uint64_t bits;
    memcpy(&bits, &d, sizeof bits);
    return bits * 0x9e3779b97f4a7c15ULL ^ (bits >> 29);
  }
  case V_BOOL: return v.as.b ? 0x51ed27 : 0x7f4a7c;
  case V_OBJ:
    if (v.as.o->type == O_STR) return ((OStr *)v.as.o)->hash;
    return (uint64_t)(uintptr_t)v.as.o * 0x9e3779b97f4a7c15ULL;
  default: return 0x12345;
  }
}

static long map_find(const OMap *m, Value key, uint64_t h) {
  if (!m->icap) return -1;
  size_t mask = m->icap - 1;
  for (size_t i = h & mask;; i = (i + 1) & mask) {
    int32_t e = m->index[i];
    if (!e) return -1;
    if (values_equal(m->entries[e - 1].key, key)) return e - 1;
  }
}

static void map_reindex(OMap *m, size_t icap) {
  free(m->index);
  m->icap = icap;
  m->index = xcalloc(icap, sizeof(int32_t));
  size_t mask = icap - 1;
  for (size_t e = 0; e < m->len; e++) {
    size_t i = value_hash(m->entries[e].key) & mask;
    while (m->index[i]) i = (i + 1) & mask;
    m->index[i] = (int32_t)e + 1;
  }
}

bool map_get(OMap *m, Value key, Value *out) {
  long e = map_find(m, key, value_hash(key));
  if (e < 0) return false;
  *out = m->entries[e].val;
  return true;
}

void map_set(VM *vm, OMap *m, Value key, Value val) {
  uint64_t h = value_hash(key);
  long e = map_find(m, key, h);
  if (e >= 0) {
    m->entries[e].val = val;
    return;
  }
  if (m->len == m->cap) {
    size_t cap = m->cap ? m->cap * 2 : 8;
    vm->bytes += (cap - m->cap) * sizeof(MapEntry);
    m->entries = xrealloc(m->entries, cap * sizeof(MapEntry));
    m->cap = cap;
  }
  m->entries[m->len++] = (MapEntry){key, val};
  if (m->len * 2 > m->icap) {
    map_reindex(m, m->icap ? m->icap * 2 : 16);
  } else {
    size_t mask = m->icap - 1, i = h & mask;
    while (m->index[i]) i = (i + 1) & mask;
    m->index[i] = (int32_t)m->len;
  }
}

bool map_remove(OMap *m, Value key) {
  long e = map_find(m, key, value_hash(key));
  if (e < 0) return false;
  memmove(&m->entries[e], &m->entries[e + 1], (m->len - (size_t)e - 1) * sizeof(MapEntry));
  m->len--;
  map_reindex(m, m->icap);
  return true;
}

OProto *proto_new(VM *vm, const char *name) {
  OProto *p = alloc_obj(vm, sizeof(OProto), O_PROTO);
  p->name = xstrdup(name);
  p->arity = 0;
  p->code = NULL;
  p->lines = NULL;
  p->len = p->cap = 0;
  p->consts = NULL;
  p->nconsts = p->cconsts = 0;
  p->ncaps = 0;
  return p;
}

OClosure *closure_new(VM *vm, OProto *p, int ncaps) {
  OClosure *c = alloc_obj(vm, sizeof(OClosure) + (size_t)ncaps * sizeof(Value), O_CLOSURE);
  c->proto = p;
  c->ncaps = ncaps;
  for (int i = 0; i < ncaps; i++) c->caps[i] = val_nil();
  return c;
}

static void free_obj(VM *vm, Obj *o) {
  switch (o->type) {
  case O_STR: vm->bytes -= sizeof(OStr) + ((OStr *)o)->len + 1; break;
  case O_LIST: {
    OList *l = (OList *)o;
    vm->bytes -= sizeof(OList) + l->cap * sizeof(Value);
    free(l->items);
    break;
  }
  case O_MAP: {
    OMap *m = (OMap *)o;
    vm->bytes -= sizeof(OMap) + m->cap * sizeof(MapEntry);
    free(m->entries);
    free(m->index);
    break;
  }
  case O_PROTO: {
    OProto *p = (OProto *)o;
    vm->bytes -= sizeof(OProto);
    free(p->name);
    free(p->code);
    free(p->lines);
    free(p->consts);
    break;
  }
  case O_CLOSURE: vm->bytes -= sizeof(OClosure) + (size_t)((OClosure *)o)->ncaps * sizeof(Value); break;
  case O_NATIVE: vm->bytes -= sizeof(ONative); break;
  }
  free(o);
}

/* ---- garbage collection ----------------------------------------------------------- */

static void mark_obj(VM *vm, Obj *o) {
  if (!o || o->marked) return;
  o->marked = true;
  if (vm->ngray == vm->cgray) {
    vm->cgray = vm->cgray ? vm->cgray * 2 : 256;
    vm->gray = xrealloc(vm->gray, vm->cgray * sizeof(Obj *));
  }
  vm->gray[vm->ngray++] = o;
}

static void mark_value(VM *vm, Value v) {
  if (v.type == V_OBJ) mark_obj(vm, v.as.o);
}

static void blacken(VM *vm, Obj *o) {
  switch (o->type) {
  case O_LIST: {
    OList *l = (OList *)o;
    for (size_t i = 0; i < l->len; i++) mark_value(vm, l->items[i]);
    break;
  }
  case O_MAP: {
    OMap *m = (OMap *)o;
    for (size_t i = 0; i < m->len; i++) {
      mark_value(vm, m->entries[i].key);
      mark_value(vm, m->entries[i].val);
    }
    break;
  }
  case O_PROTO: {
    OProto *p = (OProto *)o;
    for (size_t i = 0; i < p->nconsts; i++) mark_value(vm, p->consts[i]);
    break;
  }
  case O_CLOSURE: {
    OClosure *c = (OClosure *)o;
    mark_obj(vm, &c->proto->obj);
    for (int i = 0; i < c->ncaps; i++) mark_value(vm, c->caps[i]);
    break;
  }
  default: break;
  }
}

static void collect(VM *vm) {
  for (Value *v = vm->stack; v < vm->sp; v++) mark_value(vm, *v);
  for (int i = 0; i < vm->nglobals; i++) mark_value(vm, vm->globals[i]);
  for (int i = 0; i < vm->nframes; i++) mark_obj(vm, &vm->frames[i].closure->obj);
  while (vm->ngray) blacken(vm, vm->gray[--vm->ngray]);
  Obj **link = &vm->objects;
  while (*link) {
    Obj *o = *link;
    if (o->marked) {
      o->marked = false;
      link = &o->next;
    } else {
      *link = o->next;
      free_obj(vm, o);
    }
  }
  vm->next_gc = vm->bytes * 2 > (1u << 20) ? vm->bytes * 2 : (1u << 20);
  vm->collections++;
}

/* ---- VM setup --------------------------------------------------------------------- */

void vm_init(VM *vm) {
  memset(vm, 0, sizeof *vm);
  vm->stack = xmalloc(STACK_MAX * sizeof(Value));
  vm->sp = vm->stack;
  vm->next_gc = 1u << 20;
  sb_init(&vm->out);
  install_stdlib(vm);
}

void vm_free(VM *vm) {
  Obj *o = vm->objects;
  while (o) {
    Obj *next = o->next;
    free_obj(vm, o);
    o = next;
  }
  for (int i = 0; i < vm->nglobals; i++) free(vm->global_names[i]);
  free(vm->global_names);
  free(vm->globals);
  free(vm->stack);
  free(vm->gray);
  sb_free(&vm->out);
}

int vm_global_slot(VM *vm, const char *name, size_t len) {
  for (int i = 0; i < vm->nglobals; i++)
    if (strlen(vm->global_names[i]) == len && memcmp(vm->global_names[i], name, len) == 0) return i;
  if (vm->nglobals == vm->cglobals) {
    vm->cglobals = vm->cglobals ? vm->cglobals * 2 : 64;
    vm->globals = xrealloc(vm->globals, (size_t)vm->cglobals * sizeof(Value));
    vm->global_names = xrealloc(vm->global_names, (size_t)vm->cglobals * sizeof(char *));
  }
  vm->global_names[vm->nglobals] = xstrndup(name, len);
  vm->globals[vm->nglobals].type = V_UNDEF;
  return vm->nglobals++;
}

void vm_define_native(VM *vm, const char *name, NativeFn fn, int arity) {
  ONative *n = alloc_obj(vm, sizeof(ONative), O_NATIVE);
  n->name = name;
  n->fn = fn;
  n->arity = arity;
  int slot = vm_global_slot(vm, name, strlen(name)); /* may move vm->globals */
  vm->globals[slot] = val_obj(n);
}

/* ---- values ----------------------------------------------------------------------- */

bool values_equal(Value a, Value b) {
  if (a.type != b.type) return false;
  switch (a.type) {
  case V_NIL:
  case V_UNDEF: return true;
  case V_BOOL: return a.as.b == b.as.b;
  case V_NUM: return a.as.n == b.as.n;
  case V_OBJ:
    if (a.as.o == b.as.o) return true;
    if (a.as.o->type == O_STR && b.as.o->type == O_STR) {
      OStr *x = AS_STR(a), *y = AS_STR(b);
      return x->hash == y->hash && x->len == y->len && memcmp(x->chars, y->chars, x->len) == 0;
    }
    return false;
  }
  return false;
}

bool is_truthy(Value v) {
  return !(v.type == V_NIL || (v.type == V_BOOL && !v.as.b) || v.type == V_UNDEF);
}

const char *type_name(Value v) {
  switch (v.type) {
  case V_NIL: return "nil";
  case V_BOOL: return "bool";
  case V_NUM: return "number";
  case V_UNDEF: return "undefined";
  case V_OBJ:
    switch (v.as.o->type) {
    case O_STR: return "string";
    case O_LIST: return "list";
    case O_MAP: return "map";
    case O_PROTO: return "prototype";
    case O_CLOSURE:
    case O_NATIVE: return "function";
    }
  }
  return "?";
}

static void print_number(StrBuf *sb, double n) {
  if (n == floor(n) && fabs(n) < 1e15) {
    sb_printf(sb, "%.0f", n == 0 ? 0.0 : n);
  } else if (isnan(n)) {
    sb_puts(sb, "nan");
  } else if (isinf(n)) {
    sb_puts(sb, n > 0 ? "inf" : "-inf");
  } else {
    sb_printf(sb, "%.14g", n);
  }
}

static void print_rec(StrBuf *sb, Value v, bool quote, int depth) {
  if (depth > 24) {
    sb_puts(sb, "...");
    return;
  }
  switch (v.type) {
  case V_NIL: sb_puts(sb, "nil"); return;
  case V_UNDEF: sb_puts(sb, "<undefined>"); return;
  case V_BOOL: sb_puts(sb, v.as.b ? "true" : "false"); return;
  case V_NUM: print_number(sb, v.as.n); return;
  case V_OBJ: break;
  }
  switch (v.as.o->type) {
  case O_STR:
    if (quote) {
      sb_putc(sb, '"');
      OStr *s = AS_STR(v);
      for (size_t i = 0; i < s->len; i++) {
        char c = s->chars[i];
        if (c == '"' || c == '\\') {
          sb_putc(sb, '\\');
          sb_putc(sb, c);
        } else if (c == '\n') {
          sb_puts(sb, "\\n");
        } else {
          sb_putc(sb, c);
        }
      }
      sb_putc(sb, '"');
    } else {
      sb_putn(sb, AS_STR(v)->chars, AS_STR(v)->len);
    }
    return;
  case O_LIST: {
    OList *l = AS_LIST(v);
    sb_putc(sb, '[');
    for (size_t i = 0; i < l->len; i++) {
      if (i) sb_puts(sb, ", ");
      print_rec(sb, l->items[i], true, depth + 1);
    }
    sb_putc(sb, ']');
    return;
  }
  case O_MAP: {
    OMap *m = AS_MAP(v);
    sb_putc(sb, '{');
    for (size_t i = 0; i < m->len; i++) {
      if (i) sb_puts(sb, ", ");
      print_rec(sb, m->entries[i].key, true, depth + 1);
      sb_puts(sb, ": ");
      print_rec(sb, m->entries[i].val, true, depth + 1);
    }
    sb_putc(sb, '}');
    return;
  }
  case O_PROTO: sb_printf(sb, "<proto %s>", ((OProto *)v.as.o)->name); return;
  case O_CLOSURE: sb_printf(sb, "<fn %s>", ((OClosure *)v.as.o)->proto->name); return;
  case O_NATIVE: sb_printf(sb, "<native %s>", ((ONative *)v.as.o)->name); return;
  }
}

void value_print(StrBuf *sb, Value v, bool quote) { print_rec(sb, v, quote, 0); }

Value runtime_error(VM *vm, const char *fmt, ...) {
  if (!vm->err[0]) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(vm->err, sizeof vm->err, fmt, ap);
    va_end(ap);
  }
  return val_nil();
}

/* ---- interpreter ------------------------------------------------------------------ */

static OStr *concat(VM *vm, Value a, Value b) {
  StrBuf sb;
  sb_init(&sb);
  value_print(&sb, a, false);
  value_print(&sb, b, false);
  OStr *s = str_new(vm, sb.data, sb.len);
  sb_free(&sb);
  return s;
}

static bool index_of(VM *vm, double n, size_t len, size_t *out) {
  if (n != floor(n)) {
    runtime_error(vm, "index %g is not an integer", n);
    return false;
  }
  double i = n < 0 ? n + (double)len : n;
  if (i < 0 || i >= (double)len) {
    runtime_error(vm, "index %g out of range for length %zu", n, len);
    return false;
  }
  *out = (size_t)i;
  return true;
}

static int compare_values(VM *vm, Value a, Value b) {
  if (a.type == V_NUM && b.type == V_NUM) return (a.as.n > b.as.n) - (a.as.n < b.as.n);
  if (IS_OBJ_TYPE(a, O_STR) && IS_OBJ_TYPE(b, O_STR)) {
    int c = strcmp(AS_STR(a)->chars, AS_STR(b)->chars);
    return (c > 0) - (c < 0);
  }
  runtime_error(vm, "cannot compare %s with %s", type_name(a), type_name(b));
  return 0;
}

static int line_of(const Frame *f) {
  const OProto *p = f->closure->proto;
  size_t at = (size_t)(f->ip - p->code);
  return at > 0 && at <= p->len ? p->lines[at - 1] : 0;
}

static void add_trace(VM *vm) {
  char msg[256];
  const Frame *top = &vm->frames[vm->nframes - 1];
  snprintf(msg, sizeof msg, "line %d: %s", line_of(top), vm->err);
  size_t n = strlen(msg);
  for (int i = vm->nframes - 1; i >= 0 && n + 40 < sizeof msg; i--) {
    n += (size_t)snprintf(msg + n, sizeof msg - n, "%s%s", i == vm->nframes - 1 ? " [in " : " < ",
                          vm->frames[i].closure->proto->name);
  }
  if (n + 1 < sizeof msg) strcat(msg, "]");
  snprintf(vm->err, sizeof vm->err, "%s", msg);
}

#define READ_U8() (*ip++)
#define READ_U16() (ip += 2, (uint16_t)(ip[-2] | ip[-1] << 8))
#define PUSH(v)                                                                           \
  do {                                                                                    \
    if (vm->sp == vm->stack + STACK_MAX) {                                                \
      runtime_error(vm, "value stack overflow");                                          \
      goto fail;                                                                          \
    }                                                                                     \
    *vm->sp++ = (v);                                                                      \
  } while (0)
#define POP() (*--vm->sp)
#define PEEK(k) (vm->sp[-1 - (k)])
#define CHECK_ERR()                                                                       \
  do {                                                                                    \
    if (vm->err[0]) goto fail;                                                            \
  } while (0)

static bool call_value(VM *vm, Value callee, int argc, uint8_t **ip_io) {
  if (IS_OBJ_TYPE(callee, O_CLOSURE)) {
    OClosure *cl = (OClosure *)callee.as.o;
    if (argc != cl->proto->arity) {
      runtime_error(vm, "%s expects %d arguments, got %d", cl->proto->name, cl->proto->arity,
                    argc);
      return false;
    }
    if (vm->nframes == FRAMES_MAX) {
      runtime_error(vm, "call stack overflow");
      return false;
    }
    vm->frames[vm->nframes - 1].ip = *ip_io;
    Frame *f = &vm->frames[vm->nframes++];
    f->closure = cl;
    f->ip = cl->proto->code;
    f->base = vm->sp - argc - 1;
    *ip_io = f->ip;
    return true;
  }
  if (IS_OBJ_TYPE(callee, O_NATIVE)) {
    ONative *nat = (ONative *)callee.as.o;
    if (nat->arity >= 0 && argc != nat->arity) {
      runtime_error(vm, "%s expects %d arguments, got %d", nat->name, nat->arity, argc);
      return false;
    }
    vm->frames[vm->nframes - 1].ip = *ip_io;
    Value result = nat->fn(vm, argc, vm->sp - argc);
    if (vm->err[0]) return false;
    vm->sp -= argc + 1;
    *vm->sp++ = result;
    return true;
  }
  runtime_error(vm, "cannot call a %s", type_name(callee));
  return false;
}

bool vm_run(VM *vm, OClosure *main) {
  vm->err[0] = 0;
  vm->sp = vm->stack;
  vm->nframes = 1;
  *vm->sp++ = val_obj(main);
  Frame *frame = &vm->frames[0];
  frame->closure = main;
  frame->ip = main->proto->code;
  frame->base = vm->stack;
  uint8_t *ip = frame->ip;
  Value *consts = main->proto->consts;
#define RELOAD()                                                                          \
  do {                                                                                    \
    frame = &vm->frames[vm->nframes - 1];                                                 \
    ip = frame->ip;                                                                       \
    consts = frame->closure->proto->consts;                                               \
  } while (0)

  for (;;) {
    vm->steps++;
    if (vm->step_limit && vm->steps > vm->step_limit) {
      frame->ip = ip;
      runtime_error(vm, "step limit exceeded");
      goto fail;
    }
    int op = READ_U8();
    switch (op) {
    case OP_CONST: PUSH(consts[READ_U16()]); break;
    case OP_NIL: PUSH(val_nil()); break;
    case OP_TRUE: PUSH(val_bool(true)); break;
    case OP_FALSE: PUSH(val_bool(false)); break;
    case OP_POP: vm->sp--; break;
    case OP_POPN: vm->sp -= READ_U8(); break;
    case OP_GET_LOCAL: PUSH(frame->base[READ_U8()]); break;
    case OP_SET_LOCAL: frame->base[READ_U8()] = PEEK(0); break;
    case OP_GET_GLOBAL: {
      int g = READ_U16();
      if (vm->globals[g].type == V_UNDEF) {
        frame->ip = ip;
        runtime_error(vm, "undefined variable '%s'", vm->global_names[g]);
        goto fail;
      }
      PUSH(vm->globals[g]);
      break;
    }
    case OP_SET_GLOBAL: {
      int g = READ_U16();
      if (vm->globals[g].type == V_UNDEF) {
        frame->ip = ip;
        runtime_error(vm, "assignment to undeclared variable '%s'", vm->global_names[g]);
        goto fail;
      }
      vm->globals[g] = PEEK(0);
      break;
    }
    case OP_DEF_GLOBAL: vm->globals[READ_U16()] = POP(); break;
    case OP_GET_CAP: PUSH(frame->closure->caps[READ_U8()]); break;
    case OP_GET_SELF: PUSH(val_obj(frame->closure)); break;
    case OP_ADD: {
      Value b = PEEK(0), a = PEEK(1);
      Value r;
      if (a.type == V_NUM && b.type == V_NUM) {
        r = val_num(a.as.n + b.as.n);
      } else if (IS_OBJ_TYPE(a, O_STR) || IS_OBJ_TYPE(b, O_STR)) {
        r = val_obj(concat(vm, a, b));
      } else if (IS_OBJ_TYPE(a, O_LIST) && IS_OBJ_TYPE(b, O_LIST)) {
        OList *l = list_new(vm);
        for (size_t i = 0; i < AS_LIST(a)->len; i++) list_push(vm, l, AS_LIST(a)->items[i]);
        for (size_t i = 0; i < AS_LIST(b)->len; i++) list_push(vm, l, AS_LIST(b)->items[i]);
        r = val_obj(l);
      } else {
        frame->ip = ip;
        runtime_error(vm, "cannot add %s and %s", type_name(a), type_name(b));
        goto fail;
      }
      vm->sp -= 2;
      PUSH(r);
      break;
    }
    case OP_SUB:
    case OP_MUL:
    case OP_DIV:
    case OP_MOD: {
      Value b = PEEK(0), a = PEEK(1);
      if (op == OP_MUL && IS_OBJ_TYPE(a, O_STR) && b.type == V_NUM) {
        long times = (long)b.as.n;
        StrBuf sb;
        sb_init(&sb);
        for (long i = 0; i < times && sb.len < (1u << 24); i++)
          sb_putn(&sb, AS_STR(a)->chars, AS_STR(a)->len);
        OStr *s = str_new(vm, sb.data ? sb.data : "", sb.len);
        sb_free(&sb);
        vm->sp -= 2;
        PUSH(val_obj(s));
        break;
      }
      if (a.type != V_NUM || b.type != V_NUM) {
        frame->ip = ip;
        runtime_error(vm, "arithmetic on %s and %s", type_name(a), type_name(b));
        goto fail;
      }
      double x = a.as.n, y = b.as.n, r;
      switch (op) {
      case OP_SUB: r = x - y; break;
      case OP_MUL: r = x * y; break;
      case OP_DIV: r = x / y; break;
      default: {
        r = fmod(x, y);
        if (r != 0 && (r < 0) != (y < 0)) r += y; /* result takes the divisor's sign */
      }
      }
      vm->sp -= 2;
      PUSH(val_num(r));
      break;
    }
    case OP_NEG:
      if (PEEK(0).type != V_NUM) {
        frame->ip = ip;
        runtime_error(vm, "cannot negate %s", type_name(PEEK(0)));
        goto fail;
      }
      vm->sp[-1].as.n = -vm->sp[-1].as.n;
      break;
    case OP_NOT: vm->sp[-1] = val_bool(!is_truthy(vm->sp[-1])); break;
    case OP_EQ:
    case OP_NE: {
      bool eq = values_equal(PEEK(0), PEEK(1));
      vm->sp -= 2;
      PUSH(val_bool(op == OP_EQ ? eq : !eq));
      break;
    }
    case OP_LT:
    case OP_LE:
    case OP_GT:
    case OP_GE: {
      frame->ip = ip;
      int c = compare_values(vm, PEEK(1), PEEK(0));
      CHECK_ERR();
      bool r = op == OP_LT ? c < 0 : op == OP_LE ? c <= 0 : op == OP_GT ? c > 0 : c >= 0;
      vm->sp -= 2;
      PUSH(val_bool(r));
      break;
    }
    case OP_JUMP: {
      uint16_t d = READ_U16();
      ip += d;
      break;
    }
    case OP_JUMP_FALSE: {
      uint16_t d = READ_U16();
      if (!is_truthy(POP())) ip += d;
      break;
    }
    case OP_AND: {
      uint16_t d = READ_U16();
      if (!is_truthy(PEEK(0))) {
        ip += d;
      } else {
        vm->sp--;
      }
      break;
    }
    case OP_OR: {
      uint16_t d = READ_U16();
      if (is_truthy(PEEK(0))) {
        ip += d;
      } else {
        vm->sp--;
      }
      break;
    }
    case OP_LOOP: {
      uint16_t d = READ_U16();
      ip -= d;
      if (vm->bytes > vm->next_gc) {
        frame->ip = ip;
        collect(vm);
      }
      break;
    }
    case OP_CALL: {
      int argc = READ_U8();
      if (vm->bytes > vm->next_gc) collect(vm);
      if (!call_value(vm, PEEK(argc), argc, &ip)) {
        frame->ip = ip;
        goto fail;
      }
      RELOAD();
      break;
    }
    case OP_RETURN: {
      Value result = POP();
      vm->sp = frame->base;
      vm->nframes--;
      if (vm->nframes == 0) return true;
      PUSH(result);
      RELOAD();
      break;
    }
    case OP_CLOSURE: {
      OProto *p = (OProto *)consts[READ_U16()].as.o;
      OClosure *cl = closure_new(vm, p, p->ncaps);
      for (int i = 0; i < p->ncaps; i++) {
        int from_local = READ_U8(), index = READ_U8();
        cl->caps[i] = from_local ? frame->base[index] : frame->closure->caps[index];
      }
      PUSH(val_obj(cl));
      break;
    }
    case OP_LIST: {
      int n = READ_U16();
      OList *l = list_new(vm);
      for (int i = n; i > 0; i--) list_push(vm, l, PEEK(i - 1));
      vm->sp -= n;
      PUSH(val_obj(l));
      break;
    }
    case OP_MAP: {
      int n = READ_U16();
      OMap *m = map_new(vm);
      for (int i = n; i > 0; i--) map_set(vm, m, PEEK(2 * i - 1), PEEK(2 * i - 2));
      vm->sp -= 2 * n;
      PUSH(val_obj(m));
      break;
    }
    case OP_INDEX: {
      Value key = PEEK(0), obj = PEEK(1), r = val_nil();
      frame->ip = ip;
      if (IS_OBJ_TYPE(obj, O_LIST) && key.type == V_NUM) {
        size_t i;
        if (!index_of(vm, key.as.n, AS_LIST(obj)->len, &i)) goto fail;
        r = AS_LIST(obj)->items[i];
      } else if (IS_OBJ_TYPE(obj, O_STR) && key.type == V_NUM) {
        size_t i;
        if (!index_of(vm, key.as.n, AS_STR(obj)->len, &i)) goto fail;
        r = val_obj(str_new(vm, AS_STR(obj)->chars + i, 1));
      } else if (IS_OBJ_TYPE(obj, O_MAP)) {
        map_get(AS_MAP(obj), key, &r);
      } else {
        runtime_error(vm, "cannot index %s with %s", type_name(obj), type_name(key));
        goto fail;
      }
      vm->sp -= 2;
      PUSH(r);
      break;
    }
    case OP_SET_INDEX: {
      Value val = PEEK(0), key = PEEK(1), obj = PEEK(2);
      frame->ip = ip;
      if (IS_OBJ_TYPE(obj, O_LIST) && key.type == V_NUM) {
        size_t i;
        if (!index_of(vm, key.as.n, AS_LIST(obj)->len, &i)) goto fail;
        AS_LIST(obj)->items[i] = val;
      } else if (IS_OBJ_TYPE(obj, O_MAP)) {
        if (key.type == V_NIL) {
          runtime_error(vm, "nil is not a valid map key");
          goto fail;
        }
        map_set(vm, AS_MAP(obj), key, val);
      } else {
        runtime_error(vm, "cannot assign into %s", type_name(obj));
        goto fail;
      }
      vm->sp -= 3;
      PUSH(val);
      break;
    }
    case OP_LEN: {
      Value v = POP();
      double n;
      if (IS_OBJ_TYPE(v, O_LIST)) {
        n = (double)AS_LIST(v)->len;
      } else if (IS_OBJ_TYPE(v, O_STR)) {
        n = (double)AS_STR(v)->len;
      } else if (IS_OBJ_TYPE(v, O_MAP)) {
        n = (double)AS_MAP(v)->len;
      } else {
        frame->ip = ip;
        runtime_error(vm, "cannot iterate over %s", type_name(v));
        goto fail;
      }
      PUSH(val_num(n));
      break;
    }
    case OP_ITER: {
      Value i = POP(), seq = POP();
      size_t k = (size_t)i.as.n;
      if (IS_OBJ_TYPE(seq, O_LIST)) {
        PUSH(AS_LIST(seq)->items[k]);
      } else if (IS_OBJ_TYPE(seq, O_MAP)) {
        PUSH(AS_MAP(seq)->entries[k].key);
      } else {
        PUSH(val_obj(str_new(vm, AS_STR(seq)->chars + k, 1)));
      }
      break;
    }
    default:
      frame->ip = ip;
      runtime_error(vm, "bad opcode %d", op);
      goto fail;
    }
  }
fail:
  add_trace(vm);
  return false;
#undef RELOAD
}

/* ---- disassembler ----------------------------------------------------------------- */

const char *op_name(int op) {
  static const char *const names[] = {
      "CONST", "NIL", "TRUE", "FALSE", "POP", "POPN", "GET_LOCAL", "SET_LOCAL", "GET_GLOBAL",
      "SET_GLOBAL", "DEF_GLOBAL", "GET_CAP", "GET_SELF", "ADD", "SUB", "MUL", "DIV", "MOD",
      "NEG", "NOT", "EQ", "NE", "LT", "LE", "GT", "GE", "JUMP", "JUMP_FALSE", "AND", "OR",
      "LOOP", "CALL", "RETURN", "CLOSURE", "LIST", "MAP", "INDEX", "SET_INDEX", "LEN", "ITER",
  };
  return op >= 0 && op < OP_COUNT ? names[op] : "?";
}

void disassemble(StrBuf *sb, const OProto *p) {
  sb_printf(sb, "== %s (arity %d, %zu bytes, %zu constants, %d captures) ==\n", p->name,
            p->arity, p->len, p->nconsts, p->ncaps);
  for (size_t i = 0; i < p->len;) {
    int op = p->code[i];
    sb_printf(sb, "%04zu %4d %-10s", i, p->lines[i], op_name(op));
    i++;
    switch (op) {
    case OP_CONST: {
      int k = p->code[i] | p->code[i + 1] << 8;
      i += 2;
      sb_printf(sb, " %d ", k);
      value_print(sb, p->consts[k], true);
      break;
    }
    case OP_GET_GLOBAL:
    case OP_SET_GLOBAL:
    case OP_DEF_GLOBAL:
    case OP_LIST:
    case OP_MAP:
      sb_printf(sb, " %d", p->code[i] | p->code[i + 1] << 8);
      i += 2;
      break;
    case OP_JUMP:
    case OP_JUMP_FALSE:
    case OP_AND:
    case OP_OR: {
      int d = p->code[i] | p->code[i + 1] << 8;
      i += 2;
      sb_printf(sb, " -> %04zu", i + (size_t)d);
      break;
    }
    case OP_LOOP: {
      int d = p->code[i] | p->code[i + 1] << 8;
      i += 2;
      sb_printf(sb, " -> %04zu", i - (size_t)d);
      break;
    }
    case OP_POPN:
    case OP_GET_LOCAL:
    case OP_SET_LOCAL:
    case OP_GET_CAP:
    case OP_CALL: sb_printf(sb, " %d", p->code[i++]); break;
    case OP_CLOSURE: {
      int k = p->code[i] | p->code[i + 1] << 8;
      i += 2;
      const OProto *inner = (const OProto *)p->consts[k].as.o;
      sb_printf(sb, " %s", inner->name);
      for (int c = 0; c < inner->ncaps; c++, i += 2)
        sb_printf(sb, " %s%d", p->code[i] ? "local:" : "cap:", p->code[i + 1]);
      break;
    }
    default: break;
    }
    sb_putc(sb, '\n');
  }
  for (size_t k = 0; k < p->nconsts; k++)
    if (IS_OBJ_TYPE(p->consts[k], O_PROTO)) disassemble(sb, (const OProto *)p->consts[k].as.o);
}

bool run_source(VM *vm, const char *src) {
  Arena arena;
  arena_init(&arena);
  char err[256];
  AstNode *prog = parse_program(src, &arena, err, sizeof err);
  if (!prog) {
    snprintf(vm->err, sizeof vm->err, "syntax error: %s", err);
    arena_free(&arena);
    return false;
  }
  fold_constants(prog, &arena);
  OClosure *main = compile_program(vm, prog, err, sizeof err);
  arena_free(&arena);
  if (!main) {
    snprintf(vm->err, sizeof vm->err, "compile error: %s", err);
    return false;
  }
  return vm_run(vm, main);
}
