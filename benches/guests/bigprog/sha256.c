/* SHA-256 (FIPS 180-4), HMAC-SHA-256 (RFC 2104), hex and base64. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

typedef struct {
  uint32_t h[8];
  uint64_t total;
  uint8_t buf[64];
  size_t used;
} Sha256;

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
    0xc67178f2};

static uint32_t ror(uint32_t x, int n) { return (x >> n) | (x << (32 - n)); }

static void sha256_init(Sha256 *s) {
  static const uint32_t iv[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
  memcpy(s->h, iv, sizeof iv);
  s->total = 0;
  s->used = 0;
}

static void sha256_block(Sha256 *s, const uint8_t *p) {
  uint32_t w[64];
  for (int i = 0; i < 16; i++)
    w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 | (uint32_t)p[4 * i + 2] << 8 |
           p[4 * i + 3];
  for (int i = 16; i < 64; i++) {
    uint32_t s0 = ror(w[i - 15], 7) ^ ror(w[i - 15], 18) ^ (w[i - 15] >> 3);
    uint32_t s1 = ror(w[i - 2], 17) ^ ror(w[i - 2], 19) ^ (w[i - 2] >> 10);
    w[i] = w[i - 16] + s0 + w[i - 7] + s1;
  }
  uint32_t a = s->h[0], b = s->h[1], c = s->h[2], d = s->h[3], e = s->h[4], f = s->h[5],
           g = s->h[6], h = s->h[7];
  for (int i = 0; i < 64; i++) {
    uint32_t S1 = ror(e, 6) ^ ror(e, 11) ^ ror(e, 25);
    uint32_t ch = (e & f) ^ (~e & g);
    uint32_t t1 = h + S1 + ch + K[i] + w[i];
    uint32_t S0 = ror(a, 2) ^ ror(a, 13) ^ ror(a, 22);
    uint32_t maj = (a & b) ^ (a & c) ^ (b & c);
    uint32_t t2 = S0 + maj;
    h = g;
    g = f;
    f = e;
    e = d + t1;
    d = c;
    c = b;
    b = a;
    a = t1 + t2;
  }
  s->h[0] += a, s->h[1] += b, s->h[2] += c, s->h[3] += d;
  s->h[4] += e, s->h[5] += f, s->h[6] += g, s->h[7] += h;
}

static void sha256_update(Sha256 *s, const void *data, size_t n) {
  const uint8_t *p = data;
  s->total += n;
  if (s->used) {
    size_t take = 64 - s->used < n ? 64 - s->used : n;
    memcpy(s->buf + s->used, p, take);
    s->used += take;
    p += take;
    n -= take;
    if (s->used == 64) {
      sha256_block(s, s->buf);
      s->used = 0;
    }
  }
  while (n >= 64) {
    sha256_block(s, p);
    p += 64;
    n -= 64;
  }
  memcpy(s->buf, p, n);
  s->used += n;
}

static void sha256_final(Sha256 *s, uint8_t out[32]) {
  uint64_t bits = s->total * 8;
  uint8_t pad = 0x80;
  sha256_update(s, &pad, 1);
  uint8_t zero = 0;
  while (s->used != 56) sha256_update(s, &zero, 1);
  uint8_t len[8];
  for (int i = 0; i < 8; i++) len[i] = (uint8_t)(bits >> (56 - 8 * i));
  sha256_update(s, len, 8);
  for (int i = 0; i < 8; i++) {
    out[4 * i] = (uint8_t)(s->h[i] >> 24);
    out[4 * i + 1] = (uint8_t)(s->h[i] >> 16);
    out[4 * i + 2] = (uint8_t)(s->h[i] >> 8);
    out[4 * i + 3] = (uint8_t)s->h[i];
  }
}

static void sha256(const void *data, size_t n, uint8_t out[32]) {
  Sha256 s;
  sha256_init(&s);
  sha256_update(&s, data, n);
  sha256_final(&s, out);
}

static void hmac_sha256(const void *key, size_t klen, const void *msg, size_t mlen,
                        uint8_t out[32]) {
  uint8_t k[64] = {0}, ipad[64], opad[64], inner[32];
  if (klen > 64) {
    sha256(key, klen, k);
  } else {
    memcpy(k, key, klen);
  }
  for (int i = 0; i < 64; i++) {
    ipad[i] = k[i] ^ 0x36;
    opad[i] = k[i] ^ 0x5c;
  }
  Sha256 s;
  sha256_init(&s);
  sha256_update(&s, ipad, 64);
  sha256_update(&s, msg, mlen);
  sha256_final(&s, inner);
  sha256_init(&s);
  sha256_update(&s, opad, 64);
  sha256_update(&s, inner, 32);
  sha256_final(&s, out);
}

static void to_hex(const uint8_t *p, size_t n, char *out) {
  static const char digits[] = "0123456789abcdef";
  for (size_t i = 0; i < n; i++) {
    out[2 * i] = digits[p[i] >> 4];
    out[2 * i + 1] = digits[p[i] & 15];
  }
  out[2 * n] = 0;
}

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static char *base64_encode(const uint8_t *p, size_t n) {
  StrBuf sb;
  sb_init(&sb);
  for (size_t i = 0; i < n; i += 3) {
    uint32_t v = (uint32_t)p[i] << 16 | (i + 1 < n ? (uint32_t)p[i + 1] << 8 : 0) |
                 (i + 2 < n ? p[i + 2] : 0);
    sb_putc(&sb, b64[v >> 18]);
    sb_putc(&sb, b64[(v >> 12) & 63]);
    sb_putc(&sb, i + 1 < n ? b64[(v >> 6) & 63] : '=');
    sb_putc(&sb, i + 2 < n ? b64[v & 63] : '=');
  }
  return sb_take(&sb);
}

/* Returns the decoded length, or -1 on malformed input. */
static long base64_decode(const char *s, uint8_t *out) {
  int8_t rev[256];
  memset(rev, -1, sizeof rev);
  for (int i = 0; i < 64; i++) rev[(unsigned char)b64[i]] = (int8_t)i;
  size_t n = strlen(s);
  if (n % 4) return -1;
  long o = 0;
  for (size_t i = 0; i < n; i += 4) {
    int v[4], pad = 0;
    for (int k = 0; k < 4; k++) {
      char c = s[i + k];
      if (c == '=' && i + 4 == n && k >= 2) {
        v[k] = 0;
        pad++;
      } else {
        if (pad || rev[(unsigned char)c] < 0) return -1;
        v[k] = rev[(unsigned char)c];
      }
    }
    uint32_t x = (uint32_t)v[0] << 18 | (uint32_t)v[1] << 12 | (uint32_t)v[2] << 6 | (uint32_t)v[3];
    out[o++] = (uint8_t)(x >> 16);
    if (pad < 2) out[o++] = (uint8_t)(x >> 8);
    if (pad < 1) out[o++] = (uint8_t)x;
  }
  return o;
}

void suite_sha256(void) {
  static const struct {
    const char *msg, *hex;
  } vectors[] = {
      {"", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
      {"abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
      {"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
       "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"},
  };
  uint8_t digest[32];
  char hex[65];
  for (size_t i = 0; i < sizeof vectors / sizeof vectors[0]; i++) {
    sha256(vectors[i].msg, strlen(vectors[i].msg), digest);
    to_hex(digest, 32, hex);
    CHECK_STR(hex, vectors[i].hex);
  }
  /* A million 'a's, fed in uneven pieces. */
  Sha256 s;
  sha256_init(&s);
  char as[1000];
  memset(as, 'a', sizeof as);
  size_t fed = 0;
  for (size_t piece = 1; fed < 1000000; piece = piece * 7 % 997 + 1) {
    size_t take = 1000000 - fed < piece ? 1000000 - fed : piece;
    sha256_update(&s, as, take);
    fed += take;
  }
  sha256_final(&s, digest);
  to_hex(digest, 32, hex);
  CHECK_STR(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
  hmac_sha256("Jefe", 4, "what do ya want for nothing?", 28, digest);
  to_hex(digest, 32, hex);
  CHECK_STR(hex, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");

  /* Base64 known answers and round trips of every length. */
  char *e = base64_encode((const uint8_t *)"foobar", 6);
  CHECK_STR(e, "Zm9vYmFy");
  free(e);
  e = base64_encode((const uint8_t *)"fooba", 5);
  CHECK_STR(e, "Zm9vYmE=");
  free(e);
  uint8_t buf[300], back[300];
  for (int i = 0; i < 300; i++) buf[i] = (uint8_t)(i * 37 + 11);
  int ok = 0;
  for (size_t n = 0; n < 300; n++) {
    char *enc = base64_encode(buf, n);
    long m = base64_decode(enc, back);
    ok += m == (long)n && memcmp(buf, back, n) == 0;
    free(enc);
  }
  CHECK_INT(ok, 300);
  CHECK(base64_decode("Zm9v!mFy", back) < 0);
  CHECK(base64_decode("Zm9", back) < 0);

  /* A hash chain over the corpus. */
  char *text = make_corpus(100000, 8);
  memset(digest, 0, sizeof digest);
  for (int round = 0; round < 50; round++) {
    Sha256 c;
    sha256_init(&c);
    sha256_update(&c, digest, 32);
    sha256_update(&c, text, strlen(text));
    sha256_final(&c, digest);
  }
  to_hex(digest, 32, hex);
  report("sha256", "test vectors ok, HMAC ok, base64 ok; chain digest %.16s...", hex);
  free(text);
}
