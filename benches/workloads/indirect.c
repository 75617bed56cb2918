/* Indirect calls: a table of 16 small functions called through pointers with a
   data-dependent index, and a second level of "objects" with a method table. run(n) =
   the accumulator after n calls of each kind. */
#include "wl.h"

#define NOINLINE __attribute__((noinline))

typedef uint32_t (*op_fn)(uint32_t, uint32_t);

static NOINLINE uint32_t f0(uint32_t a, uint32_t b) { return a + b; }
static NOINLINE uint32_t f1(uint32_t a, uint32_t b) { return a - b; }
static NOINLINE uint32_t f2(uint32_t a, uint32_t b) { return a ^ b; }
static NOINLINE uint32_t f3(uint32_t a, uint32_t b) { return a * (b | 1); }
static NOINLINE uint32_t f4(uint32_t a, uint32_t b) { return (a << 3) + b; }
static NOINLINE uint32_t f5(uint32_t a, uint32_t b) { return (a >> 2) ^ b; }
static NOINLINE uint32_t f6(uint32_t a, uint32_t b) { return a + (b >> 1); }
static NOINLINE uint32_t f7(uint32_t a, uint32_t b) { return ~a + b; }
static NOINLINE uint32_t f8(uint32_t a, uint32_t b) { return a | (b & 0xff); }
static NOINLINE uint32_t f9(uint32_t a, uint32_t b) { return a & (b | 0xffff0000u); }
static NOINLINE uint32_t f10(uint32_t a, uint32_t b) { return ((a << 7) | (a >> 25)) + (b & 1); }
static NOINLINE uint32_t f11(uint32_t a, uint32_t b) { return a + b * 3; }
static NOINLINE uint32_t f12(uint32_t a, uint32_t b) { return a ^ (b << 9); }
static NOINLINE uint32_t f13(uint32_t a, uint32_t b) { return a - (b >> 4); }
static NOINLINE uint32_t f14(uint32_t a, uint32_t b) { return b > a ? b - a : a - b; }
static NOINLINE uint32_t f15(uint32_t a, uint32_t b) { return a * 0x9e3779b1u + b; }

static op_fn table[16] = {f0, f1, f2, f3, f4, f5, f6, f7,
                          f8, f9, f10, f11, f12, f13, f14, f15};

typedef struct Obj Obj;
typedef struct {
    uint32_t (*get)(const Obj *);
    void (*put)(Obj *, uint32_t);
} VTable;
struct Obj {
    const VTable *vt;
    uint32_t v;
};

static NOINLINE uint32_t get_plain(const Obj *o) { return o->v; }
static NOINLINE void put_plain(Obj *o, uint32_t x) { o->v = x; }
static NOINLINE uint32_t get_scaled(const Obj *o) { return o->v * 5; }
static NOINLINE void put_scaled(Obj *o, uint32_t x) { o->v = x / 5 + 1; }
static NOINLINE uint32_t get_rot(const Obj *o) { return (o->v << 11) | (o->v >> 21); }
static NOINLINE void put_rot(Obj *o, uint32_t x) { o->v = x ^ 0x5bd1e995u; }

static const VTable VT[3] = {
    {get_plain, put_plain}, {get_scaled, put_scaled}, {get_rot, put_rot}};
static Obj objs[8];

EXPORT int32_t run(int32_t n) {
    for (int32_t i = 0; i < 8; i++) {
        objs[i].vt = &VT[i % 3];
        objs[i].v = (uint32_t)i * 77u;
    }
    uint32_t s = 0xc0ffee11, acc = 1;
    for (int32_t i = 0; i < n; i++) {
        uint32_t x = xs32(&s);
        acc = table[x & 15](acc, x >> 4);
        Obj *o = &objs[(x >> 8) & 7];
        o->vt->put(o, o->vt->get(o) + acc);
    }
    for (int32_t i = 0; i < 8; i++) acc = mix(acc, objs[i].v);
    return (int32_t)acc;
}
