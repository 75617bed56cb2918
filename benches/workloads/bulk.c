/* Bulk memory: n random memset/memmove operations of 16 B to 64 KiB on a 1 MiB buffer.
   Built twice: bulk.wasm with -mbulk-memory (memory.fill and memory.copy) and
   bulk-mvp.wasm without (byte loops written here, for runtimes without bulk memory). Both
   return the same checksum of the buffer. */
#include "wl.h"

#define SIZE (1u << 20)

static uint8_t mem[SIZE];

#ifdef __wasm_bulk_memory__
#define FILL(d, v, n) __builtin_memset((d), (v), (n))
#define MOVE(d, s, n) __builtin_memmove((d), (s), (n))
#else
/* build.sh compiles this variant with -fno-builtin, so these loops stay loops. */
static void FILL(uint8_t *d, uint32_t v, uint32_t n) {
    for (uint32_t i = 0; i < n; i++) d[i] = (uint8_t)v;
}
static void MOVE(uint8_t *d, const uint8_t *s, uint32_t n) {
    if (d < s)
        for (uint32_t i = 0; i < n; i++) d[i] = s[i];
    else
        for (uint32_t i = n; i > 0; i--) d[i - 1] = s[i - 1];
}
#endif

EXPORT int32_t run(int32_t n) {
    FILL(mem, 0x5a, SIZE);
    uint32_t s = 0xbadc0de5;
    for (int32_t i = 0; i < n; i++) {
        uint32_t r = xs32(&s);
        /* mostly small and medium sizes, one in eight up to 64 KiB */
        uint32_t len = (r & 0x700) == 0 ? (xs32(&s) & 0xffff) + 1 : (xs32(&s) & 0x7ff) + 16;
        uint32_t a = xs32(&s) % (SIZE - len), b = xs32(&s) % (SIZE - len);
        if (r & 1)
            FILL(mem + a, r >> 24, len);
        else
            MOVE(mem + a, mem + b, len);
    }
    uint32_t h = 2166136261u;
    for (uint32_t i = 0; i < SIZE; i += 4093) h = mix(h, mem[i]);
    return (int32_t)h;
}
