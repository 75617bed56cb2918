/* SHA-256 (FIPS 180-4) over a 16 KiB buffer, chained: each round hashes the buffer and
   writes the digest into its first 32 bytes. run(n) = first digest word after n rounds. */
#include "wl.h"

#define BUF_LEN 16384

static uint8_t buf[BUF_LEN];

static const uint32_t K[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
    0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
    0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
    0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
    0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
    0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
    0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
    0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
    0xc67178f2,
};

static inline uint32_t ror(uint32_t x, unsigned r) { return (x >> r) | (x << (32 - r)); }

static void compress(uint32_t h[8], const uint8_t *p) {
    uint32_t w[64];
    for (int i = 0; i < 16; i++)
        w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
               (uint32_t)p[4 * i + 2] << 8 | (uint32_t)p[4 * i + 3];
    for (int i = 16; i < 64; i++) {
        uint32_t s0 = ror(w[i - 15], 7) ^ ror(w[i - 15], 18) ^ (w[i - 15] >> 3);
        uint32_t s1 = ror(w[i - 2], 17) ^ ror(w[i - 2], 19) ^ (w[i - 2] >> 10);
        w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
    uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], k = h[7];
    for (int i = 0; i < 64; i++) {
        uint32_t t1 = k + (ror(e, 6) ^ ror(e, 11) ^ ror(e, 25)) + ((e & f) ^ (~e & g)) + K[i] + w[i];
        uint32_t t2 = (ror(a, 2) ^ ror(a, 13) ^ ror(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
        k = g;
        g = f;
        f = e;
        e = d + t1;
        d = c;
        c = b;
        b = a;
        a = t1 + t2;
    }
    h[0] += a; h[1] += b; h[2] += c; h[3] += d;
    h[4] += e; h[5] += f; h[6] += g; h[7] += k;
}

/* Hashes len bytes of p into out (8 big-endian words as integers). */
static void sha256(const uint8_t *p, uint32_t len, uint32_t out[8]) {
    uint32_t h[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                     0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
    uint32_t off = 0;
    for (; off + 64 <= len; off += 64) compress(h, p + off);
    uint8_t tail[128];
    uint32_t rest = len - off;
    for (uint32_t i = 0; i < rest; i++) tail[i] = p[off + i];
    tail[rest] = 0x80;
    uint32_t tlen = rest + 9 <= 64 ? 64 : 128;
    for (uint32_t i = rest + 1; i < tlen; i++) tail[i] = 0;
    uint64_t bits = (uint64_t)len * 8;
    for (int i = 0; i < 8; i++) tail[tlen - 1 - i] = (uint8_t)(bits >> (8 * i));
    compress(h, tail);
    if (tlen == 128) compress(h, tail + 64);
    for (int i = 0; i < 8; i++) out[i] = h[i];
}

EXPORT int32_t run(int32_t n) {
    uint32_t s = 0x12345678;
    for (uint32_t i = 0; i < BUF_LEN; i++) buf[i] = (uint8_t)xs32(&s);
    uint32_t d[8] = {0};
    for (int32_t r = 0; r < n; r++) {
        sha256(buf, BUF_LEN, d);
        for (int i = 0; i < 8; i++) {
            buf[4 * i] = (uint8_t)(d[i] >> 24);
            buf[4 * i + 1] = (uint8_t)(d[i] >> 16);
            buf[4 * i + 2] = (uint8_t)(d[i] >> 8);
            buf[4 * i + 3] = (uint8_t)d[i];
        }
    }
    return (int32_t)d[0];
}

#ifdef NATIVE_SELFTEST
/* Native only: the digest of "abc" (FIPS 180-4 example), printed for build.sh --check. */
void sha256_abc(uint32_t out[8]) { sha256((const uint8_t *)"abc", 3, out); }
#endif
