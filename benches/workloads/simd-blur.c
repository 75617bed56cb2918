/* A [1 2 1] x [1 2 1] blur of a 512x512 8-bit image, `param` passes (horizontal then
   vertical, rounding each), written with <wasm_simd128.h> (16 pixels per vector: widened
   to 16-bit lanes, summed, shifted, narrowed back). The edge pixels are copied unchanged.
   Built natively (build.sh --check), the same file takes its scalar path, which computes
   exactly the same integers. run(n) = a checksum of the image after n passes. */
#include "wl.h"
#ifdef __wasm_simd128__
#include <wasm_simd128.h>
#endif

#define W 512
#define H 512

static uint8_t img[W * H], tmp[W * H];

/* (a + 2b + c + 2) >> 2, one pixel. */
static inline uint8_t tap(uint8_t a, uint8_t b, uint8_t c) {
    return (uint8_t)((a + 2 * b + c + 2) >> 2);
}

#ifdef __wasm_simd128__
/* The same for 16 pixels. */
static inline v128_t tap16(v128_t a, v128_t b, v128_t c) {
    v128_t two = wasm_i16x8_splat(2);
    v128_t lo = wasm_i16x8_add(wasm_u16x8_extend_low_u8x16(a), wasm_u16x8_extend_low_u8x16(c));
    v128_t hi = wasm_i16x8_add(wasm_u16x8_extend_high_u8x16(a), wasm_u16x8_extend_high_u8x16(c));
    lo = wasm_i16x8_add(lo, wasm_i16x8_shl(wasm_u16x8_extend_low_u8x16(b), 1));
    hi = wasm_i16x8_add(hi, wasm_i16x8_shl(wasm_u16x8_extend_high_u8x16(b), 1));
    lo = wasm_u16x8_shr(wasm_i16x8_add(lo, two), 2);
    hi = wasm_u16x8_shr(wasm_i16x8_add(hi, two), 2);
    return wasm_u8x16_narrow_i16x8(lo, hi);
}
#endif

/* One row of the horizontal pass: dst[x] from src[x-1..x+1]. */
static void row_h(uint8_t *dst, const uint8_t *src) {
    int x = 1;
#ifdef __wasm_simd128__
    for (; x + 16 < W; x += 16) {
        v128_t a = wasm_v128_load(src + x - 1);
        v128_t b = wasm_v128_load(src + x);
        v128_t c = wasm_v128_load(src + x + 1);
        wasm_v128_store(dst + x, tap16(a, b, c));
    }
#endif
    for (; x < W - 1; x++) dst[x] = tap(src[x - 1], src[x], src[x + 1]);
    dst[0] = src[0];
    dst[W - 1] = src[W - 1];
}

/* One row of the vertical pass: dst[x] from rows a, b, c. */
static void row_v(uint8_t *dst, const uint8_t *a, const uint8_t *b, const uint8_t *c) {
    int x = 0;
#ifdef __wasm_simd128__
    for (; x + 16 <= W; x += 16) {
        v128_t r = tap16(wasm_v128_load(a + x), wasm_v128_load(b + x), wasm_v128_load(c + x));
        wasm_v128_store(dst + x, r);
    }
#endif
    for (; x < W; x++) dst[x] = tap(a[x], b[x], c[x]);
}

EXPORT int32_t run(int32_t n) {
    uint32_t s = 0x2545f491u;
    for (int i = 0; i < W * H; i++) img[i] = (uint8_t)(xs32(&s) >> 24);
    for (int pass = 0; pass < n; pass++) {
        for (int y = 0; y < H; y++) row_h(tmp + y * W, img + y * W);
        for (int y = 1; y < H - 1; y++)
            row_v(img + y * W, tmp + (y - 1) * W, tmp + y * W, tmp + (y + 1) * W);
        for (int x = 0; x < W; x++) {
            img[x] = tmp[x];
            img[(H - 1) * W + x] = tmp[(H - 1) * W + x];
        }
        /* A bright dot each pass, so later passes have something to spread. */
        img[(pass * 37 % H) * W + pass * 101 % W] = 255;
    }
    uint32_t h = 0;
    for (int i = 0; i < W * H; i += 4)
        h = mix(h, (uint32_t)img[i] | (uint32_t)img[i + 1] << 8 | (uint32_t)img[i + 2] << 16 |
                       (uint32_t)img[i + 3] << 24);
    return (int32_t)h;
}
