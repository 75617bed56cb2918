/* Tern: a small dynamically typed scripting language.
 *
 *   source --lexer--> tokens --parser--> AST --compiler--> bytecode --VM--> output
 *
 * Values are nil, booleans, numbers (double), strings, lists, maps, functions (closures
 * capture enclosing variables by value when created) and native functions. Memory is
 * managed by a mark-and-sweep collector that runs between instructions. */
#ifndef BIGPROG_SCRIPT_H
#define BIGPROG_SCRIPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common.h"

/* ---- tokens ----------------------------------------------------------------------- */

typedef enum {
  T_EOF, T_ERROR, T_IDENT, T_NUMBER, T_STRING,
  /* punctuation */
  T_LPAREN, T_RPAREN, T_LBRACE, T_RBRACE, T_LBRACKET, T_RBRACKET, T_COMMA, T_DOT,
  T_SEMI, T_COLON, T_QUESTION, T_PLUS, T_MINUS, T_STAR, T_SLASH, T_PERCENT, T_BANG,
  T_ASSIGN, T_PLUS_ASSIGN, T_MINUS_ASSIGN, T_STAR_ASSIGN, T_EQ, T_NE, T_LT, T_LE, T_GT,
  T_GE, T_AND, T_OR,
  /* keywords */
  T_LET, T_FN, T_IF, T_ELSE, T_WHILE, T_FOR, T_IN, T_RETURN, T_BREAK, T_CONTINUE,
  T_TRUE, T_FALSE, T_NIL,
} TokType;

typedef struct {
  TokType type;
  const char *start;
  int len;
  int line;
  double num;
} Token;

typedef struct {
  const char *src, *cur;
  int line;
} Lexer;

void lex_init(Lexer *lx, const char *src);
Token lex_next(Lexer *lx);
const char *tok_name(TokType t);

/* ---- syntax tree ------------------------------------------------------------------ */

typedef enum {
  /* expressions */
  N_NUM, N_STR, N_NIL, N_TRUE, N_FALSE, N_VAR, N_ASSIGN, N_BINARY, N_UNARY, N_AND, N_OR,
  N_COND, N_CALL, N_INDEX, N_LIST, N_MAP, N_FUNC,
  /* statements */
  N_EXPR_STMT, N_LET, N_BLOCK, N_IF, N_WHILE, N_FOR, N_FOR_IN, N_RETURN, N_BREAK,
  N_CONTINUE, N_FN_DECL,
} NodeType;

typedef struct AstNode AstNode;

typedef struct {
  AstNode **items;
  int len, cap;
} NodeList;

struct AstNode {
  NodeType type;
  int line;
  TokType op;       /* N_BINARY, N_UNARY */
  double num;       /* N_NUM */
  char *str;        /* N_STR value, N_VAR / N_LET / N_FN_DECL / N_FOR_IN name */
  int str_len;
  AstNode *a, *b, *c, *d; /* children; meaning depends on type */
  NodeList list;    /* call args, list items, map keys+values, block statements */
  NodeList params;  /* N_FUNC / N_FN_DECL parameter names (as N_VAR nodes) */
};

typedef struct {
  Lexer lx;
  Token cur, prev;
  Arena *arena;
  char err[200];
  int nerrors;
} Parser;

/* Parses a whole program into a block; returns NULL and fills err on failure. */
AstNode *parse_program(const char *src, Arena *arena, char *err, size_t errlen);
/* Folds constant arithmetic and drops dead branches in place; returns nodes folded. */
int fold_constants(AstNode *n, Arena *arena);

/* ---- values ----------------------------------------------------------------------- */

typedef enum { V_NIL, V_BOOL, V_NUM, V_OBJ, V_UNDEF } ValType;

typedef struct Obj Obj;

typedef struct {
  ValType type;
  union {
    bool b;
    double n;
    Obj *o;
  } as;
} Value;

typedef enum { O_STR, O_LIST, O_MAP, O_PROTO, O_CLOSURE, O_NATIVE } ObjType;

struct Obj {
  ObjType type;
  bool marked;
  Obj *next;
};

typedef struct {
  Obj obj;
  size_t len;
  uint64_t hash;
  char chars[];
} OStr;

typedef struct {
  Obj obj;
  Value *items;
  size_t len, cap;
} OList;

typedef struct {
  Value key, val;
} MapEntry;

typedef struct {
  Obj obj;
  MapEntry *entries; /* insertion order */
  size_t len, cap;
  int32_t *index; /* open addressing: entry index + 1, 0 empty */
  size_t icap;
} OMap;

typedef struct {
  Obj obj;
  char *name;
  int arity;
  uint8_t *code;
  int *lines;
  size_t len, cap;
  Value *consts;
  size_t nconsts, cconsts;
  int ncaps;
} OProto;

typedef struct {
  Obj obj;
  OProto *proto;
  int ncaps;
  Value caps[];
} OClosure;

struct VM;
typedef Value (*NativeFn)(struct VM *vm, int argc, Value *args);

typedef struct {
  Obj obj;
  const char *name;
  NativeFn fn;
  int arity; /* -1: any */
} ONative;

#define IS_OBJ_TYPE(v, t) ((v).type == V_OBJ && (v).as.o->type == (t))
#define AS_STR(v) ((OStr *)(v).as.o)
#define AS_LIST(v) ((OList *)(v).as.o)
#define AS_MAP(v) ((OMap *)(v).as.o)

static inline Value val_nil(void) { Value v; v.type = V_NIL; v.as.n = 0; return v; }
static inline Value val_bool(bool b) { Value v; v.type = V_BOOL; v.as.b = b; return v; }
static inline Value val_num(double n) { Value v; v.type = V_NUM; v.as.n = n; return v; }
static inline Value val_obj(void *o) { Value v; v.type = V_OBJ; v.as.o = o; return v; }

/* ---- virtual machine -------------------------------------------------------------- */

enum { STACK_MAX = 1 << 16, FRAMES_MAX = 400 };

typedef struct {
  OClosure *closure;
  uint8_t *ip;
  Value *base;
} Frame;

typedef struct VM {
  Value *stack, *sp;
  Frame frames[FRAMES_MAX];
  int nframes;
  Value *globals;
  char **global_names;
  int nglobals, cglobals;
  Obj *objects;
  size_t bytes, next_gc;
  int collections;
  Obj **gray;
  size_t ngray, cgray;
  StrBuf out;      /* what print() writes */
  char err[256];   /* runtime error, empty if none */
  long steps;      /* instructions executed */
  long step_limit; /* 0: none */
} VM;

void vm_init(VM *vm);
void vm_free(VM *vm);
int vm_global_slot(VM *vm, const char *name, size_t len);
void vm_define_native(VM *vm, const char *name, NativeFn fn, int arity);
void install_stdlib(VM *vm);

OStr *str_new(VM *vm, const char *s, size_t len);
OList *list_new(VM *vm);
void list_push(VM *vm, OList *l, Value v);
OMap *map_new(VM *vm);
bool map_get(OMap *m, Value key, Value *out);
void map_set(VM *vm, OMap *m, Value key, Value val);
bool map_remove(OMap *m, Value key);
OProto *proto_new(VM *vm, const char *name);
OClosure *closure_new(VM *vm, OProto *p, int ncaps);

bool values_equal(Value a, Value b);
bool is_truthy(Value v);
const char *type_name(Value v);
void value_print(StrBuf *sb, Value v, bool quote);
Value runtime_error(VM *vm, const char *fmt, ...);

/* Compiles a program; on error returns NULL with a message in err. */
OClosure *compile_program(VM *vm, AstNode *program, char *err, size_t errlen);

/* ---- bytecode --------------------------------------------------------------------- */

typedef enum {
  OP_CONST, OP_NIL, OP_TRUE, OP_FALSE, OP_POP, OP_POPN, OP_GET_LOCAL, OP_SET_LOCAL,
  OP_GET_GLOBAL, OP_SET_GLOBAL, OP_DEF_GLOBAL, OP_GET_CAP, OP_GET_SELF, OP_ADD, OP_SUB,
  OP_MUL, OP_DIV, OP_MOD, OP_NEG, OP_NOT, OP_EQ, OP_NE, OP_LT, OP_LE, OP_GT, OP_GE,
  OP_JUMP, OP_JUMP_FALSE, OP_AND, OP_OR, OP_LOOP, OP_CALL, OP_RETURN, OP_CLOSURE, OP_LIST,
  OP_MAP, OP_INDEX, OP_SET_INDEX, OP_LEN, OP_ITER, OP_COUNT
} OpCodeT;

const char *op_name(int op);
/* Appends a human-readable listing of a function (and nested ones) to sb. */
void disassemble(StrBuf *sb, const OProto *p);

/* Runs a compiled program; returns true on success (output in vm->out). */
bool vm_run(VM *vm, OClosure *main);
/* Convenience: parse + fold + compile + run; on failure, the message is in vm->err. */
bool run_source(VM *vm, const char *src);

#endif
