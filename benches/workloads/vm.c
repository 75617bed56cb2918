/* A small stack-bytecode interpreter (a dense C switch: br_table dispatch, branchy).
   Two guest programs, assembled at run time: counting primes below n by trial division,
   and the total number of Collatz steps of 1..n/8. run(n) = checksum of both results. */
#include "wl.h"

enum {
    OP_HALT, OP_PUSH, OP_LOAD, OP_STORE, OP_INC, OP_ADD, OP_SUB, OP_MUL, OP_REM,
    OP_AND, OP_SHR, OP_LT, OP_EQ, OP_JZ, OP_JNZ, OP_JMP, OP_DUP, OP_POP,
};

#define CODE_MAX 256
#define NLABELS 16

typedef struct {
    int32_t code[CODE_MAX];
    int32_t len;
    int32_t label[NLABELS];
    int32_t fix_at[NLABELS * 4], fix_label[NLABELS * 4], nfix;
} Asm;

static void emit(Asm *a, int32_t v) { a->code[a->len++] = v; }
static void emit1(Asm *a, int32_t op, int32_t imm) { emit(a, op); emit(a, imm); }
static void jump(Asm *a, int32_t op, int32_t l) {
    emit(a, op);
    a->fix_at[a->nfix] = a->len;
    a->fix_label[a->nfix++] = l;
    emit(a, 0);
}
static void bind(Asm *a, int32_t l) { a->label[l] = a->len; }
static void link(Asm *a) {
    for (int32_t i = 0; i < a->nfix; i++) a->code[a->fix_at[i]] = a->label[a->fix_label[i]];
}

static uint32_t exec(const int32_t *code, uint32_t arg) {
    uint32_t stack[64], slot[8] = {0};
    int32_t sp = 0, pc = 0;
    slot[0] = arg;
    for (;;) {
        switch (code[pc++]) {
        case OP_HALT: return stack[sp - 1];
        case OP_PUSH: stack[sp++] = (uint32_t)code[pc++]; break;
        case OP_LOAD: stack[sp++] = slot[code[pc++]]; break;
        case OP_STORE: slot[code[pc++]] = stack[--sp]; break;
        case OP_INC: slot[code[pc++]]++; break;
        case OP_ADD: sp--; stack[sp - 1] += stack[sp]; break;
        case OP_SUB: sp--; stack[sp - 1] -= stack[sp]; break;
        case OP_MUL: sp--; stack[sp - 1] *= stack[sp]; break;
        case OP_REM: sp--; stack[sp - 1] = stack[sp] ? stack[sp - 1] % stack[sp] : 0; break;
        case OP_AND: sp--; stack[sp - 1] &= stack[sp]; break;
        case OP_SHR: sp--; stack[sp - 1] >>= (stack[sp] & 31); break;
        case OP_LT: sp--; stack[sp - 1] = stack[sp - 1] < stack[sp]; break;
        case OP_EQ: sp--; stack[sp - 1] = stack[sp - 1] == stack[sp]; break;
        case OP_JZ: pc = stack[--sp] == 0 ? code[pc] : pc + 1; break;
        case OP_JNZ: pc = stack[--sp] != 0 ? code[pc] : pc + 1; break;
        case OP_JMP: pc = code[pc]; break;
        case OP_DUP: stack[sp] = stack[sp - 1]; sp++; break;
        case OP_POP: sp--; break;
        default: return 0xdeadbeef;
        }
    }
}

/* slots: 0 = n, 1 = i, 2 = count, 3 = d */
static void primes(Asm *a) {
    enum { OUTER, INNER, PRIME, NOTPRIME, END };
    emit1(a, OP_PUSH, 2); emit1(a, OP_STORE, 1);
    emit1(a, OP_PUSH, 0); emit1(a, OP_STORE, 2);
    bind(a, OUTER);
    emit1(a, OP_LOAD, 1); emit1(a, OP_LOAD, 0); emit(a, OP_LT); jump(a, OP_JZ, END);
    emit1(a, OP_PUSH, 2); emit1(a, OP_STORE, 3);
    bind(a, INNER);
    emit1(a, OP_LOAD, 1); emit1(a, OP_LOAD, 3); emit(a, OP_DUP); emit(a, OP_MUL);
    emit(a, OP_LT); jump(a, OP_JNZ, PRIME);
    emit1(a, OP_LOAD, 1); emit1(a, OP_LOAD, 3); emit(a, OP_REM); jump(a, OP_JZ, NOTPRIME);
    emit1(a, OP_INC, 3); jump(a, OP_JMP, INNER);
    bind(a, PRIME);
    emit1(a, OP_INC, 2);
    bind(a, NOTPRIME);
    emit1(a, OP_INC, 1); jump(a, OP_JMP, OUTER);
    bind(a, END);
    emit1(a, OP_LOAD, 2); emit(a, OP_HALT);
    link(a);
}

/* slots: 0 = n, 1 = i, 2 = x, 3 = total steps */
static void collatz(Asm *a) {
    enum { OUTER, INNER, EVEN, STEP, DONE, END };
    emit1(a, OP_PUSH, 1); emit1(a, OP_STORE, 1);
    emit1(a, OP_PUSH, 0); emit1(a, OP_STORE, 3);
    bind(a, OUTER);
    emit1(a, OP_LOAD, 1); emit1(a, OP_LOAD, 0); emit(a, OP_LT); jump(a, OP_JZ, END);
    emit1(a, OP_LOAD, 1); emit1(a, OP_STORE, 2);
    bind(a, INNER);
    emit1(a, OP_LOAD, 2); emit1(a, OP_PUSH, 1); emit(a, OP_EQ); jump(a, OP_JNZ, DONE);
    emit1(a, OP_LOAD, 2); emit1(a, OP_PUSH, 1); emit(a, OP_AND); jump(a, OP_JZ, EVEN);
    emit1(a, OP_LOAD, 2); emit1(a, OP_PUSH, 3); emit(a, OP_MUL); emit1(a, OP_PUSH, 1);
    emit(a, OP_ADD); emit1(a, OP_STORE, 2); jump(a, OP_JMP, STEP);
    bind(a, EVEN);
    emit1(a, OP_LOAD, 2); emit1(a, OP_PUSH, 1); emit(a, OP_SHR); emit1(a, OP_STORE, 2);
    bind(a, STEP);
    emit1(a, OP_INC, 3); jump(a, OP_JMP, INNER);
    bind(a, DONE);
    emit1(a, OP_INC, 1); jump(a, OP_JMP, OUTER);
    bind(a, END);
    emit1(a, OP_LOAD, 3); emit(a, OP_HALT);
    link(a);
}

static Asm asm_primes, asm_collatz;

EXPORT int32_t run(int32_t n) {
    if (n < 0 || n > 1000000) return -1;
    asm_primes.len = asm_primes.nfix = 0;
    asm_collatz.len = asm_collatz.nfix = 0;
    primes(&asm_primes);
    collatz(&asm_collatz);
    uint32_t p = exec(asm_primes.code, (uint32_t)n);
    uint32_t c = exec(asm_collatz.code, (uint32_t)n / 8);
    return (int32_t)mix(mix(2166136261u, p), c);
}
