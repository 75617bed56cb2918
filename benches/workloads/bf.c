/* A brainfuck interpreter (8-bit cells, bracket targets precomputed, one switch on the
   raw characters: branchy). The program multiplies three cells, A*B*C, by nested
   counting loops; run(n) runs it n times with A, B, C derived from the round number and
   returns a checksum of the tape and of the number of executed instructions. */
#include "wl.h"

/* cells: 0 A, 1 B, 2 C, 3 acc, 4 t1, 5 t2.
   for A: (move B to t1; for t1: (restore B; move C to t2; for t2: (restore C; acc++))) */
static const char PROG[] =
    "[>[->>>+<<<]>>>[-<<<+>>>"
    "<<[->>>+<<<]>>>[-<<<+>+>>]<]<<<<-]";

#define PLEN ((int32_t)sizeof(PROG) - 1)
#define TAPE 64

static int32_t jump[PLEN];
static uint8_t tape[TAPE];

static int32_t prepare(void) {
    int32_t st[PLEN], sp = 0;
    for (int32_t i = 0; i < PLEN; i++) {
        if (PROG[i] == '[') st[sp++] = i;
        else if (PROG[i] == ']') {
            if (sp == 0) return -1;
            int32_t j = st[--sp];
            jump[i] = j;
            jump[j] = i;
        }
    }
    return sp == 0 ? 0 : -1;
}

static uint32_t interpret(void) {
    uint32_t steps = 0;
    int32_t pc = 0, p = 0;
    while (pc < PLEN) {
        steps++;
        switch (PROG[pc]) {
        case '+': tape[p]++; break;
        case '-': tape[p]--; break;
        case '>': p = (p + 1) & (TAPE - 1); break;
        case '<': p = (p - 1) & (TAPE - 1); break;
        case '[': if (tape[p] == 0) pc = jump[pc]; break;
        case ']': if (tape[p] != 0) pc = jump[pc]; break;
        default: break;
        }
        pc++;
    }
    return steps;
}

EXPORT int32_t run(int32_t n) {
    if (prepare() != 0) return -1;
    uint32_t h = 2166136261u;
    for (int32_t r = 0; r < n; r++) {
        for (int32_t i = 0; i < TAPE; i++) tape[i] = 0;
        tape[0] = (uint8_t)(20 + r % 13);
        tape[1] = (uint8_t)(24 + r % 7);
        tape[2] = (uint8_t)(28 + r % 5);
        uint32_t steps = interpret();
        h = mix(h, steps);
        for (int32_t i = 0; i < 6; i++) h = mix(h, tape[i]);
    }
    return (int32_t)h;
}
