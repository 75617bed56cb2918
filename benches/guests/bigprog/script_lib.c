/* Tern standard library: native functions installed as globals. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "script.h"

static bool want(VM *vm, Value v, ObjType t, const char *fn, int argno) {
  if (IS_OBJ_TYPE(v, t)) return true;
  static const char *const names[] = {"string", "list", "map", "prototype", "function", "native"};
  runtime_error(vm, "%s: argument %d must be a %s, not %s", fn, argno, names[t], type_name(v));
  return false;
}

static bool want_num(VM *vm, Value v, const char *fn, int argno) {
  if (v.type == V_NUM) return true;
  runtime_error(vm, "%s: argument %d must be a number, not %s", fn, argno, type_name(v));
  return false;
}

static Value nat_print(VM *vm, int argc, Value *args) {
  for (int i = 0; i < argc; i++) {
    if (i) sb_putc(&vm->out, ' ');
    value_print(&vm->out, args[i], false);
  }
  sb_putc(&vm->out, '\n');
  return val_nil();
}

static Value nat_len(VM *vm, int argc, Value *args) {
  (void)argc;
  Value v = args[0];
  if (IS_OBJ_TYPE(v, O_STR)) return val_num((double)AS_STR(v)->len);
  if (IS_OBJ_TYPE(v, O_LIST)) return val_num((double)AS_LIST(v)->len);
  if (IS_OBJ_TYPE(v, O_MAP)) return val_num((double)AS_MAP(v)->len);
  return runtime_error(vm, "len: %s has no length", type_name(v));
}

static Value nat_push(VM *vm, int argc, Value *args) {
  if (argc < 1 || !want(vm, args[0], O_LIST, "push", 1)) return val_nil();
  for (int i = 1; i < argc; i++) list_push(vm, AS_LIST(args[0]), args[i]);
  return args[0];
}

static Value nat_pop(VM *vm, int argc, Value *args) {
  (void)argc;
  if (!want(vm, args[0], O_LIST, "pop", 1)) return val_nil();
  OList *l = AS_LIST(args[0]);
  if (!l->len) return runtime_error(vm, "pop: empty list");
  return l->items[--l->len];
}

static Value nat_str(VM *vm, int argc, Value *args) {
  (void)argc;
  StrBuf sb;
  sb_init(&sb);
  value_print(&sb, args[0], false);
  Value r = val_obj(str_new(vm, sb.data ? sb.data : "", sb.len));
  sb_free(&sb);
  return r;
}

static Value nat_num(VM *vm, int argc, Value *args) {
  (void)argc;
  if (args[0].type == V_NUM) return args[0];
  if (!want(vm, args[0], O_STR, "num", 1)) return val_nil();
  char *end;
  double d = strtod(AS_STR(args[0])->chars, &end);
  if (end == AS_STR(args[0])->chars || *end) return val_nil();
  return val_num(d);
}

static Value nat_type(VM *vm, int argc, Value *args) {
  (void)argc;
  const char *t = type_name(args[0]);
  return val_obj(str_new(vm, t, strlen(t)));
}

static Value nat_keys(VM *vm, int argc, Value *args) {
  (void)argc;
  if (!want(vm, args[0], O_MAP, "keys", 1)) return val_nil();
  OList *l = list_new(vm);
  OMap *m = AS_MAP(args[0]);
  for (size_t i = 0; i < m->len; i++) list_push(vm, l, m->entries[i].key);
  return val_obj(l);
}

static Value nat_has(VM *vm, int argc, Value *args) {
  (void)argc;
  if (!want(vm, args[0], O_MAP, "has", 1)) return val_nil();
  Value dummy;
  return val_bool(map_get(AS_MAP(args[0]), args[1], &dummy));
}

static Value nat_remove(VM *vm, int argc, Value *args) {
  (void)argc;
  if (!want(vm, args[0], O_MAP, "remove", 1)) return val_nil();
  return val_bool(map_remove(AS_MAP(args[0]), args[1]));
}

static Value nat_range(VM *vm, int argc, Value *args) {
  double lo = 0, hi, step = 1;
  if (argc < 1 || argc > 3) return runtime_error(vm, "range: expects 1 to 3 arguments");
  for (int i = 0; i < argc; i++)
    if (!want_num(vm, args[i], "range", i + 1)) return val_nil();
  if (argc == 1) {
    hi = args[0].as.n;
  } else {
    lo = args[0].as.n;
    hi = args[1].as.n;
    if (argc == 3) step = args[2].as.n;
  }
  if (step == 0) return runtime_error(vm, "range: step must not be zero");
  OList *l = list_new(vm);
  for (double x = lo; step > 0 ? x < hi : x > hi; x += step) {
    list_push(vm, l, val_num(x));
    if (l->len > 10000000) return runtime_error(vm, "range: too long");
  }
  return val_obj(l);
}

#define MATH1(cname, name, expr)                                                          \
  static Value cname(VM *vm, int argc, Value *args) {                                     \
    (void)argc;                                                                           \
    if (!want_num(vm, args[0], name, 1)) return val_nil();                                \
    double x = args[0].as.n;                                                              \
    return val_num(expr);                                                                 \
  }
MATH1(nat_floor, "floor", floor(x))
MATH1(nat_ceil, "ceil", ceil(x))
MATH1(nat_sqrt, "sqrt", sqrt(x))
MATH1(nat_abs, "abs", fabs(x))
MATH1(nat_sin, "sin", sin(x))
MATH1(nat_cos, "cos", cos(x))
MATH1(nat_exp, "exp", exp(x))
MATH1(nat_log, "log", log(x))

static Value nat_min_max(VM *vm, int argc, Value *args, bool is_max) {
  if (argc == 0) return runtime_error(vm, "%s: no arguments", is_max ? "max" : "min");
  Value *items = args;
  size_t n = (size_t)argc;
  if (argc == 1 && IS_OBJ_TYPE(args[0], O_LIST)) {
    items = AS_LIST(args[0])->items;
    n = AS_LIST(args[0])->len;
    if (!n) return val_nil();
  }
  double best = 0;
  for (size_t i = 0; i < n; i++) {
    if (!want_num(vm, items[i], is_max ? "max" : "min", (int)i + 1)) return val_nil();
    if (i == 0 || (is_max ? items[i].as.n > best : items[i].as.n < best)) best = items[i].as.n;
  }
  return val_num(best);
}

static Value nat_min(VM *vm, int argc, Value *args) { return nat_min_max(vm, argc, args, false); }
static Value nat_max(VM *vm, int argc, Value *args) { return nat_min_max(vm, argc, args, true); }

static Value nat_substr(VM *vm, int argc, Value *args) {
  if (argc < 2 || argc > 3) return runtime_error(vm, "substr: expects 2 or 3 arguments");
  if (!want(vm, args[0], O_STR, "substr", 1) || !want_num(vm, args[1], "substr", 2))
    return val_nil();
  OStr *s = AS_STR(args[0]);
  double start = args[1].as.n < 0 ? args[1].as.n + (double)s->len : args[1].as.n;
  if (start < 0) start = 0;
  if (start > (double)s->len) start = (double)s->len;
  double len = (double)s->len - start;
  if (argc == 3) {
    if (!want_num(vm, args[2], "substr", 3)) return val_nil();
    if (args[2].as.n < len) len = args[2].as.n < 0 ? 0 : args[2].as.n;
  }
  return val_obj(str_new(vm, s->chars + (size_t)start, (size_t)len));
}

static Value nat_chr(VM *vm, int argc, Value *args) {
  (void)argc;
  if (!want_num(vm, args[0], "chr", 1)) return val_nil();
  char c = (char)(int)args[0].as.n;
  return val_obj(str_new(vm, &c, 1));
}

static Value nat_ord(VM *vm, int argc, Value *args) {
  (void)argc;
  if (!want(vm, args[0], O_STR, "ord", 1)) return val_nil();
  if (!AS_STR(args[0])->len) return runtime_error(vm, "ord: empty string");
  return val_num((unsigned char)AS_STR(args[0])->chars[0]);
}

static Value nat_join(VM *vm, int argc, Value *args) {
  (void)argc;
  if (!want(vm, args[0], O_LIST, "join", 1) || !want(vm, args[1], O_STR, "join", 2))
    return val_nil();
  StrBuf sb;
  sb_init(&sb);
  OList *l = AS_LIST(args[0]);
  for (size_t i = 0; i < l->len; i++) {
    if (i) sb_putn(&sb, AS_STR(args[1])->chars, AS_STR(args[1])->len);
    value_print(&sb, l->items[i], false);
  }
  Value r = val_obj(str_new(vm, sb.data ? sb.data : "", sb.len));
  sb_free(&sb);
  return r;
}

static Value nat_split(VM *vm, int argc, Value *args) {
  (void)argc;
  if (!want(vm, args[0], O_STR, "split", 1) || !want(vm, args[1], O_STR, "split", 2))
    return val_nil();
  OStr *s = AS_STR(args[0]), *sep = AS_STR(args[1]);
  OList *l = list_new(vm);
  if (!sep->len) {
    for (size_t i = 0; i < s->len; i++) list_push(vm, l, val_obj(str_new(vm, s->chars + i, 1)));
    return val_obj(l);
  }
  const char *p = s->chars, *end = s->chars + s->len;
  for (;;) {
    const char *hit = NULL;
    for (const char *q = p; q + sep->len <= end; q++) {
      if (memcmp(q, sep->chars, sep->len) == 0) {
        hit = q;
        break;
      }
    }
    if (!hit) {
      list_push(vm, l, val_obj(str_new(vm, p, (size_t)(end - p))));
      break;
    }
    list_push(vm, l, val_obj(str_new(vm, p, (size_t)(hit - p))));
    p = hit + sep->len;
  }
  return val_obj(l);
}

static Value nat_upper(VM *vm, int argc, Value *args) {
  (void)argc;
  if (!want(vm, args[0], O_STR, "upper", 1)) return val_nil();
  OStr *s = AS_STR(args[0]);
  char *tmp = xstrndup(s->chars, s->len);
  for (size_t i = 0; i < s->len; i++)
    if (tmp[i] >= 'a' && tmp[i] <= 'z') tmp[i] = (char)(tmp[i] - 32);
  Value r = val_obj(str_new(vm, tmp, s->len));
  free(tmp);
  return r;
}

static Value nat_find(VM *vm, int argc, Value *args) {
  (void)argc;
  if (!want(vm, args[0], O_STR, "find", 1) || !want(vm, args[1], O_STR, "find", 2))
    return val_nil();
  const char *hit = strstr(AS_STR(args[0])->chars, AS_STR(args[1])->chars);
  return val_num(hit ? (double)(hit - AS_STR(args[0])->chars) : -1);
}

/* Sorting: numbers and strings by their natural order, or with a comparator closure is
 * not supported (natives cannot call back into the VM); merge sort keeps it stable. */
static VM *sort_vm;
static int sort_cmp(const Value *a, const Value *b) {
  if (a->type == V_NUM && b->type == V_NUM) return (a->as.n > b->as.n) - (a->as.n < b->as.n);
  if (IS_OBJ_TYPE(*a, O_STR) && IS_OBJ_TYPE(*b, O_STR))
    return strcmp(AS_STR(*a)->chars, AS_STR(*b)->chars);
  runtime_error(sort_vm, "sort: cannot compare %s with %s", type_name(*a), type_name(*b));
  return 0;
}

static void merge_sort_values(Value *v, Value *tmp, size_t n) {
  if (n < 2) return;
  size_t h = n / 2;
  merge_sort_values(v, tmp, h);
  merge_sort_values(v + h, tmp, n - h);
  size_t i = 0, j = h, k = 0;
  while (i < h && j < n) tmp[k++] = sort_cmp(&v[j], &v[i]) < 0 ? v[j++] : v[i++];
  while (i < h) tmp[k++] = v[i++];
  while (j < n) tmp[k++] = v[j++];
  memcpy(v, tmp, n * sizeof(Value));
}

static Value nat_sort(VM *vm, int argc, Value *args) {
  (void)argc;
  if (!want(vm, args[0], O_LIST, "sort", 1)) return val_nil();
  OList *l = AS_LIST(args[0]);
  Value *tmp = xmalloc((l->len + 1) * sizeof(Value));
  sort_vm = vm;
  merge_sort_values(l->items, tmp, l->len);
  free(tmp);
  return args[0];
}

static Value nat_assert(VM *vm, int argc, Value *args) {
  if (argc < 1) return runtime_error(vm, "assert: expects a condition");
  if (is_truthy(args[0])) return val_bool(true);
  if (argc > 1 && IS_OBJ_TYPE(args[1], O_STR))
    return runtime_error(vm, "assertion failed: %s", AS_STR(args[1])->chars);
  return runtime_error(vm, "assertion failed");
}

static Value nat_slice(VM *vm, int argc, Value *args) {
  if (argc != 3) return runtime_error(vm, "slice: expects 3 arguments");
  if (!want(vm, args[0], O_LIST, "slice", 1) || !want_num(vm, args[1], "slice", 2) ||
      !want_num(vm, args[2], "slice", 3))
    return val_nil();
  OList *src = AS_LIST(args[0]);
  double lo = args[1].as.n, hi = args[2].as.n;
  if (lo < 0) lo = 0;
  if (hi > (double)src->len) hi = (double)src->len;
  OList *l = list_new(vm);
  for (double i = lo; i < hi; i++) list_push(vm, l, src->items[(size_t)i]);
  return val_obj(l);
}

static Value nat_hash(VM *vm, int argc, Value *args) {
  (void)argc;
  StrBuf sb;
  sb_init(&sb);
  value_print(&sb, args[0], true);
  uint32_t h = crc32_of(sb.data ? sb.data : "", sb.len);
  sb_free(&sb);
  (void)vm;
  return val_num((double)h);
}

void install_stdlib(VM *vm) {
  static const struct {
    const char *name;
    NativeFn fn;
    int arity;
  } natives[] = {
      {"print", nat_print, -1},  {"len", nat_len, 1},       {"push", nat_push, -1},
      {"pop", nat_pop, 1},       {"str", nat_str, 1},       {"num", nat_num, 1},
      {"type", nat_type, 1},     {"keys", nat_keys, 1},     {"has", nat_has, 2},
      {"remove", nat_remove, 2}, {"range", nat_range, -1},  {"floor", nat_floor, 1},
      {"ceil", nat_ceil, 1},     {"sqrt", nat_sqrt, 1},     {"abs", nat_abs, 1},
      {"sin", nat_sin, 1},       {"cos", nat_cos, 1},       {"exp", nat_exp, 1},
      {"log", nat_log, 1},       {"min", nat_min, -1},      {"max", nat_max, -1},
      {"substr", nat_substr, -1}, {"chr", nat_chr, 1},      {"ord", nat_ord, 1},
      {"join", nat_join, 2},     {"split", nat_split, 2},   {"upper", nat_upper, 1},
      {"find", nat_find, 2},     {"sort", nat_sort, 1},     {"assert", nat_assert, -1},
      {"slice", nat_slice, -1},  {"hash", nat_hash, 1},
  };
  for (size_t i = 0; i < sizeof natives / sizeof natives[0]; i++)
    vm_define_native(vm, natives[i].name, natives[i].fn, natives[i].arity);
}
