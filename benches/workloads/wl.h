/* Shared by the C workloads: freestanding, no imports, one export `run`. */
#ifndef SPINDLE_WL_H
#define SPINDLE_WL_H
#include <stdint.h>

#define EXPORT __attribute__((visibility("default")))

/* xorshift32: the deterministic input generator of every workload (never zero for a
   non-zero seed). */
static inline uint32_t xs32(uint32_t *s) {
    uint32_t x = *s;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    *s = x;
    return x;
}

/* Mixes a value into a running checksum (multiply and fold, so low-bit-poor inputs such
   as the bits of short doubles still spread over the word). */
static inline uint32_t mix(uint32_t h, uint32_t v) {
    h = (h ^ v) * 0x9e3779b1u;
    return h ^ (h >> 15);
}

#endif
