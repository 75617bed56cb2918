/* Dot products with <wasm_simd128.h>: an f32 dot product of two 4096-element vectors
   (four lanes of partial sums, multiply then add) and an i16 one (i32x4.dot_i16x8_s), run
   `param` times, each result written back into the inputs so no pass repeats the last.
   Built natively (build.sh --check), the scalar path does the same operations in the same
   order (so the same float roundings). run(n) = a checksum of the results. */
#include "wl.h"
#ifdef __wasm_simd128__
#include <wasm_simd128.h>
#endif

#define N 4096

static float a[N], b[N];
static int16_t p[N], q[N];

static float dot_f32(void) {
#ifdef __wasm_simd128__
    v128_t acc = wasm_f32x4_splat(0.0f);
    for (int i = 0; i < N; i += 4)
        acc = wasm_f32x4_add(acc, wasm_f32x4_mul(wasm_v128_load(a + i), wasm_v128_load(b + i)));
    return ((wasm_f32x4_extract_lane(acc, 0) + wasm_f32x4_extract_lane(acc, 1)) +
            wasm_f32x4_extract_lane(acc, 2)) +
           wasm_f32x4_extract_lane(acc, 3);
#else
    float acc[4] = {0.0f, 0.0f, 0.0f, 0.0f};
    for (int i = 0; i < N; i += 4)
        for (int j = 0; j < 4; j++) acc[j] = acc[j] + a[i + j] * b[i + j];
    return ((acc[0] + acc[1]) + acc[2]) + acc[3];
#endif
}

static uint32_t dot_i16(void) {
#ifdef __wasm_simd128__
    v128_t acc = wasm_i32x4_splat(0);
    for (int i = 0; i < N; i += 8)
        acc = wasm_i32x4_add(acc, wasm_i32x4_dot_i16x8(wasm_v128_load(p + i), wasm_v128_load(q + i)));
    return (uint32_t)wasm_i32x4_extract_lane(acc, 0) + (uint32_t)wasm_i32x4_extract_lane(acc, 1) +
           (uint32_t)wasm_i32x4_extract_lane(acc, 2) + (uint32_t)wasm_i32x4_extract_lane(acc, 3);
#else
    uint32_t acc[4] = {0, 0, 0, 0};
    for (int i = 0; i < N; i += 8)
        for (int j = 0; j < 4; j++)
            acc[j] += (uint32_t)((int32_t)p[i + 2 * j] * q[i + 2 * j] +
                                 (int32_t)p[i + 2 * j + 1] * q[i + 2 * j + 1]);
    return acc[0] + acc[1] + acc[2] + acc[3];
#endif
}

EXPORT int32_t run(int32_t n) {
    uint32_t s = 0x9e3779b9u;
    for (int i = 0; i < N; i++) {
        a[i] = (float)(int32_t)(xs32(&s) >> 8) / 16777216.0f - 0.5f;
        b[i] = (float)(int32_t)(xs32(&s) >> 8) / 16777216.0f - 0.5f;
        p[i] = (int16_t)(xs32(&s) >> 16);
        q[i] = (int16_t)(xs32(&s) >> 16);
    }
    uint32_t h = 0;
    for (int k = 0; k < n; k++) {
        float f = dot_f32();
        uint32_t d = dot_i16();
        union { float f; uint32_t u; } bits = {f};
        h = mix(mix(h, bits.u), d);
        a[k % N] = f * 0.001f;
        p[(k * 7) % N] = (int16_t)d;
    }
    return (int32_t)h;
}
