/* Arbitrary-precision integers: sign and magnitude in 32-bit limbs, with schoolbook and
 * Karatsuba multiplication, Knuth's long division, and the usual number theory on top. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

typedef struct {
  uint32_t *d; /* little-endian limbs */
  int n, cap;  /* n == 0 means zero */
  int neg;
} Big;

static void big_init(Big *a) {
  a->d = NULL;
  a->n = a->cap = 0;
  a->neg = 0;
}

static void big_free(Big *a) {
  free(a->d);
  big_init(a);
}

static void big_reserve(Big *a, int n) {
  if (n <= a->cap) return;
  int cap = a->cap ? a->cap : 4;
  while (cap < n) cap *= 2;
  a->d = xrealloc(a->d, (size_t)cap * sizeof(uint32_t));
  a->cap = cap;
}

static void big_trim(Big *a) {
  while (a->n > 0 && a->d[a->n - 1] == 0) a->n--;
  if (a->n == 0) a->neg = 0;
}

static void big_set_u64(Big *a, uint64_t v) {
  big_reserve(a, 2);
  a->d[0] = (uint32_t)v;
  a->d[1] = (uint32_t)(v >> 32);
  a->n = 2;
  a->neg = 0;
  big_trim(a);
}

static void big_set_i64(Big *a, int64_t v) {
  big_set_u64(a, v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v);
  a->neg = v < 0 && a->n > 0;
}

static void big_copy(Big *dst, const Big *src) {
  if (dst == src) return;
  big_reserve(dst, src->n);
  if (src->n) memcpy(dst->d, src->d, (size_t)src->n * sizeof(uint32_t));
  dst->n = src->n;
  dst->neg = src->neg;
}

static int cmp_mag(const Big *a, const Big *b) {
  if (a->n != b->n) return a->n < b->n ? -1 : 1;
  for (int i = a->n - 1; i >= 0; i--)
    if (a->d[i] != b->d[i]) return a->d[i] < b->d[i] ? -1 : 1;
  return 0;
}

static int big_cmp(const Big *a, const Big *b) {
  if (a->neg != b->neg) return a->neg ? -1 : 1;
  int c = cmp_mag(a, b);
  return a->neg ? -c : c;
}

/* r = |a| + |b| (r may alias a or b) */
static void add_mag(Big *r, const Big *a, const Big *b) {
  if (a->n < b->n) {
    const Big *t = a;
    a = b;
    b = t;
  }
  int an = a->n, bn = b->n;
  big_reserve(r, an + 1);
  uint64_t carry = 0;
  for (int i = 0; i < an; i++) {
    uint64_t s = (uint64_t)a->d[i] + (i < bn ? b->d[i] : 0) + carry;
    r->d[i] = (uint32_t)s;
    carry = s >> 32;
  }
  r->d[an] = (uint32_t)carry;
  r->n = an + 1;
  big_trim(r);
}

/* r = |a| - |b|, requires |a| >= |b| (r may alias a or b) */
static void sub_mag(Big *r, const Big *a, const Big *b) {
  int an = a->n, bn = b->n;
  big_reserve(r, an);
  int64_t borrow = 0;
  for (int i = 0; i < an; i++) {
    int64_t s = (int64_t)a->d[i] - (i < bn ? b->d[i] : 0) - borrow;
    borrow = s < 0;
    r->d[i] = (uint32_t)(s + (borrow << 32));
  }
  r->n = an;
  big_trim(r);
}

static void big_add_signed(Big *r, const Big *a, const Big *b, int bneg) {
  int aneg = a->neg;
  if (aneg == bneg) {
    add_mag(r, a, b);
    r->neg = aneg && r->n;
  } else if (cmp_mag(a, b) >= 0) {
    sub_mag(r, a, b);
    r->neg = aneg && r->n;
  } else {
    sub_mag(r, b, a);
    r->neg = bneg && r->n;
  }
}

static void big_add(Big *r, const Big *a, const Big *b) { big_add_signed(r, a, b, b->neg); }
static void big_sub(Big *r, const Big *a, const Big *b) {
  big_add_signed(r, a, b, b->n ? !b->neg : 0);
}

/* Magnitude multiply into a fresh limb array of length an+bn. */
static void mul_school(uint32_t *r, const uint32_t *a, int an, const uint32_t *b, int bn) {
  memset(r, 0, (size_t)(an + bn) * sizeof(uint32_t));
  for (int i = 0; i < an; i++) {
    uint64_t carry = 0, ai = a[i];
    if (!ai) continue;
    for (int j = 0; j < bn; j++) {
      uint64_t t = ai * b[j] + r[i + j] + carry;
      r[i + j] = (uint32_t)t;
      carry = t >> 32;
    }
    r[i + bn] = (uint32_t)carry;
  }
}

/* r[0..n) += a[0..an), returns carry out of r[n-1] */
static uint32_t limbs_add_into(uint32_t *r, int n, const uint32_t *a, int an) {
  uint64_t carry = 0;
  int i = 0;
  for (; i < an; i++) {
    uint64_t s = (uint64_t)r[i] + a[i] + carry;
    r[i] = (uint32_t)s;
    carry = s >> 32;
  }
  for (; carry && i < n; i++) {
    uint64_t s = (uint64_t)r[i] + carry;
    r[i] = (uint32_t)s;
    carry = s >> 32;
  }
  return (uint32_t)carry;
}

static void limbs_sub_into(uint32_t *r, int n, const uint32_t *a, int an) {
  int64_t borrow = 0;
  int i = 0;
  for (; i < an; i++) {
    int64_t s = (int64_t)r[i] - a[i] - borrow;
    borrow = s < 0;
    r[i] = (uint32_t)(s + (borrow << 32));
  }
  for (; borrow && i < n; i++) {
    int64_t s = (int64_t)r[i] - borrow;
    borrow = s < 0;
    r[i] = (uint32_t)(s + (borrow << 32));
  }
}

/* Karatsuba on equal-length halves; r has room for 2n limbs. */
static void mul_kara(uint32_t *r, const uint32_t *a, const uint32_t *b, int n) {
  if (n < 32) {
    mul_school(r, a, n, b, n);
    return;
  }
  int h = n / 2, hh = n - h;
  const uint32_t *a0 = a, *a1 = a + h, *b0 = b, *b1 = b + h;
  uint32_t *sa = xcalloc((size_t)hh + 1, sizeof(uint32_t));
  uint32_t *sb = xcalloc((size_t)hh + 1, sizeof(uint32_t));
  memcpy(sa, a1, (size_t)hh * sizeof(uint32_t));
  memcpy(sb, b1, (size_t)hh * sizeof(uint32_t));
  sa[hh] = limbs_add_into(sa, hh, a0, h);
  sb[hh] = limbs_add_into(sb, hh, b0, h);
  uint32_t *z1 = xcalloc(2 * ((size_t)hh + 1), sizeof(uint32_t));
  mul_kara(z1, sa, sb, hh + 1);
  memset(r, 0, 2 * (size_t)n * sizeof(uint32_t));
  mul_kara(r, a0, b0, h);              /* z0 in r[0..2h) */
  mul_kara(r + 2 * h, a1, b1, hh);     /* z2 in r[2h..2n) */
  int z1n = 2 * (hh + 1);
  limbs_sub_into(z1, z1n, r, 2 * h);
  limbs_sub_into(z1, z1n, r + 2 * h, 2 * hh);
  while (z1n > 0 && z1[z1n - 1] == 0) z1n--;
  limbs_add_into(r + h, 2 * n - h, z1, z1n);
  free(sa);
  free(sb);
  free(z1);
}

static void big_mul(Big *r, const Big *a, const Big *b) {
  if (!a->n || !b->n) {
    r->n = 0;
    r->neg = 0;
    return;
  }
  int n = a->n + b->n;
  uint32_t *out;
  if (a->n == b->n && a->n >= 32) {
    out = xmalloc(2 * (size_t)a->n * sizeof(uint32_t));
    mul_kara(out, a->d, b->d, a->n);
  } else {
    out = xmalloc((size_t)n * sizeof(uint32_t));
    mul_school(out, a->d, a->n, b->d, b->n);
  }
  int neg = a->neg != b->neg;
  free(r->d);
  r->d = out;
  r->cap = n;
  r->n = n;
  r->neg = neg;
  big_trim(r);
}

static uint32_t big_divmod_small(Big *q, const Big *a, uint32_t m) {
  big_reserve(q, a->n);
  uint64_t rem = 0;
  for (int i = a->n - 1; i >= 0; i--) {
    uint64_t cur = (rem << 32) | a->d[i];
    q->d[i] = (uint32_t)(cur / m);
    rem = cur % m;
  }
  q->n = a->n;
  q->neg = a->neg;
  big_trim(q);
  return (uint32_t)rem;
}

static int clz32(uint32_t x) {
  int n = 0;
  if (!x) return 32;
  while (!(x & 0x80000000u)) {
    x <<= 1;
    n++;
  }
  return n;
}

/* Truncating division: q = a / b, r = a % b (sign of a). b != 0. */
static void big_divmod(Big *q, Big *r, const Big *a, const Big *b) {
  if (cmp_mag(a, b) < 0) {
    Big rem;
    big_init(&rem);
    big_copy(&rem, a);
    if (q) {
      q->n = 0;
      q->neg = 0;
    }
    if (r) big_copy(r, &rem);
    big_free(&rem);
    return;
  }
  if (b->n == 1) {
    Big qq;
    big_init(&qq);
    uint32_t rem = big_divmod_small(&qq, a, b->d[0]);
    qq.neg = (a->neg != b->neg) && qq.n;
    if (r) {
      big_set_u64(r, rem);
      r->neg = a->neg && r->n;
    }
    if (q) {
      big_copy(q, &qq);
    }
    big_free(&qq);
    return;
  }
  /* Knuth, algorithm D: normalise so the divisor's top limb has its high bit set. */
  int s = clz32(b->d[b->n - 1]);
  int n = b->n, m = a->n - b->n;
  uint32_t *v = xcalloc((size_t)n, sizeof(uint32_t));
  uint32_t *u = xcalloc((size_t)a->n + 1, sizeof(uint32_t));
  for (int i = n - 1; i > 0; i--) v[i] = (b->d[i] << s) | (s ? b->d[i - 1] >> (32 - s) : 0);
  v[0] = b->d[0] << s;
  u[a->n] = s ? a->d[a->n - 1] >> (32 - s) : 0;
  for (int i = a->n - 1; i > 0; i--) u[i] = (a->d[i] << s) | (s ? a->d[i - 1] >> (32 - s) : 0);
  u[0] = a->d[0] << s;
  uint32_t *qd = xcalloc((size_t)m + 1, sizeof(uint32_t));
  for (int j = m; j >= 0; j--) {
    uint64_t num = ((uint64_t)u[j + n] << 32) | u[j + n - 1];
    uint64_t qhat = num / v[n - 1], rhat = num % v[n - 1];
    while (qhat >= ((uint64_t)1 << 32) ||
           qhat * v[n - 2] > ((rhat << 32) | u[j + n - 2])) {
      qhat--;
      rhat += v[n - 1];
      if (rhat >= ((uint64_t)1 << 32)) break;
    }
    int64_t borrow = 0;
    uint64_t carry = 0;
    for (int i = 0; i < n; i++) {
      uint64_t p = qhat * v[i] + carry;
      carry = p >> 32;
      int64_t t = (int64_t)u[i + j] - (int64_t)(uint32_t)p - borrow;
      borrow = t < 0;
      u[i + j] = (uint32_t)(t + (borrow << 32));
    }
    int64_t t = (int64_t)u[j + n] - (int64_t)carry - borrow;
    borrow = t < 0;
    u[j + n] = (uint32_t)(t + (borrow << 32));
    if (borrow) {
      qhat--;
      uint64_t c = 0;
      for (int i = 0; i < n; i++) {
        uint64_t s2 = (uint64_t)u[i + j] + v[i] + c;
        u[i + j] = (uint32_t)s2;
        c = s2 >> 32;
      }
      u[j + n] += (uint32_t)c;
    }
    qd[j] = (uint32_t)qhat;
  }
  if (q) {
    free(q->d);
    q->d = qd;
    q->cap = m + 1;
    q->n = m + 1;
    q->neg = a->neg != b->neg;
    big_trim(q);
  } else {
    free(qd);
  }
  if (r) {
    big_reserve(r, n);
    for (int i = 0; i < n; i++) r->d[i] = (u[i] >> s) | (s && i + 1 <= n ? (uint32_t)((uint64_t)u[i + 1] << (32 - s)) : 0);
    r->n = n;
    r->neg = a->neg;
    big_trim(r);
  }
  free(u);
  free(v);
}

static void big_from_str(Big *a, const char *s) {
  int neg = 0;
  if (*s == '-') {
    neg = 1;
    s++;
  }
  a->n = 0;
  a->neg = 0;
  for (; *s >= '0' && *s <= '9'; s++) {
    /* a = a * 10 + digit */
    uint64_t carry = (uint64_t)(*s - '0');
    for (int i = 0; i < a->n; i++) {
      uint64_t t = (uint64_t)a->d[i] * 10 + carry;
      a->d[i] = (uint32_t)t;
      carry = t >> 32;
    }
    if (carry) {
      big_reserve(a, a->n + 1);
      a->d[a->n++] = (uint32_t)carry;
    }
  }
  a->neg = neg && a->n;
}

static char *big_to_str(const Big *a) {
  if (!a->n) return xstrdup("0");
  Big t;
  big_init(&t);
  big_copy(&t, a);
  t.neg = 0;
  StrBuf digits;
  sb_init(&digits);
  while (t.n) {
    uint32_t chunk = big_divmod_small(&t, &t, 1000000000u);
    for (int k = 0; k < 9; k++) {
      sb_putc(&digits, (char)('0' + chunk % 10));
      chunk /= 10;
    }
  }
  while (digits.len > 1 && digits.data[digits.len - 1] == '0') digits.len--;
  if (a->neg) sb_putc(&digits, '-');
  for (size_t i = 0, j = digits.len - 1; i < j; i++, j--) {
    char c = digits.data[i];
    digits.data[i] = digits.data[j];
    digits.data[j] = c;
  }
  digits.data[digits.len] = 0;
  big_free(&t);
  return sb_take(&digits);
}

static void big_shl(Big *r, const Big *a, int bits) {
  int limbs = bits / 32, s = bits % 32;
  Big t;
  big_init(&t);
  big_reserve(&t, a->n + limbs + 1);
  memset(t.d, 0, (size_t)(a->n + limbs + 1) * sizeof(uint32_t));
  for (int i = 0; i < a->n; i++) {
    t.d[i + limbs] |= a->d[i] << s;
    if (s) t.d[i + limbs + 1] |= a->d[i] >> (32 - s);
  }
  t.n = a->n + limbs + 1;
  t.neg = a->neg;
  big_trim(&t);
  big_copy(r, &t);
  big_free(&t);
}

static void big_pow_u(Big *r, const Big *base, unsigned e) {
  Big acc, b;
  big_init(&acc);
  big_init(&b);
  big_set_u64(&acc, 1);
  big_copy(&b, base);
  while (e) {
    if (e & 1) big_mul(&acc, &acc, &b);
    e >>= 1;
    if (e) big_mul(&b, &b, &b);
  }
  big_copy(r, &acc);
  big_free(&acc);
  big_free(&b);
}

static void big_mod(Big *r, const Big *a, const Big *m) { big_divmod(NULL, r, a, m); }

static void big_modpow(Big *r, const Big *base, const Big *exp, const Big *m) {
  Big acc, b;
  big_init(&acc);
  big_init(&b);
  big_set_u64(&acc, 1);
  big_mod(&b, base, m);
  for (int i = exp->n * 32 - 1; i >= 0; i--) {
    big_mul(&acc, &acc, &acc);
    big_mod(&acc, &acc, m);
    if ((exp->d[i / 32] >> (i % 32)) & 1) {
      big_mul(&acc, &acc, &b);
      big_mod(&acc, &acc, m);
    }
  }
  big_copy(r, &acc);
  big_free(&acc);
  big_free(&b);
}

static void big_gcd(Big *r, const Big *a0, const Big *b0) {
  Big a, b, t;
  big_init(&a);
  big_init(&b);
  big_init(&t);
  big_copy(&a, a0);
  big_copy(&b, b0);
  a.neg = b.neg = 0;
  while (b.n) {
    big_mod(&t, &a, &b);
    big_copy(&a, &b);
    big_copy(&b, &t);
  }
  big_copy(r, &a);
  big_free(&a);
  big_free(&b);
  big_free(&t);
}

static bool miller_rabin(const Big *n, int rounds) {
  Big one, two, nm1, d, x, a;
  big_init(&one), big_init(&two), big_init(&nm1), big_init(&d), big_init(&x), big_init(&a);
  big_set_u64(&one, 1);
  big_set_u64(&two, 2);
  bool result = true;
  if (big_cmp(n, &two) < 0) {
    result = false;
    goto done;
  }
  if (n->d[0] % 2 == 0) {
    result = big_cmp(n, &two) == 0;
    goto done;
  }
  big_sub(&nm1, n, &one);
  big_copy(&d, &nm1);
  int s = 0;
  while (d.n && !(d.d[0] & 1)) {
    big_divmod_small(&d, &d, 2);
    s++;
  }
  static const uint32_t witnesses[] = {2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37};
  for (int k = 0; k < rounds && k < 12; k++) {
    big_set_u64(&a, witnesses[k]);
    if (big_cmp(&a, &nm1) >= 0) continue;
    big_modpow(&x, &a, &d, n);
    if (big_cmp(&x, &one) == 0 || big_cmp(&x, &nm1) == 0) continue;
    bool composite = true;
    for (int i = 1; i < s; i++) {
      big_mul(&x, &x, &x);
      big_mod(&x, &x, n);
      if (big_cmp(&x, &nm1) == 0) {
        composite = false;
        break;
      }
    }
    if (composite) {
      result = false;
      break;
    }
  }
done:
  big_free(&one), big_free(&two), big_free(&nm1), big_free(&d), big_free(&x), big_free(&a);
  return result;
}

/* arctan(1/x) * 10^digits, by its Taylor series in integers. */
static void arctan_inv(Big *r, uint32_t x, const Big *unity) {
  Big term, sum, t;
  big_init(&term), big_init(&sum), big_init(&t);
  big_divmod_small(&term, unity, x);
  big_copy(&sum, &term);
  uint64_t x2 = (uint64_t)x * x;
  for (uint32_t k = 1; term.n; k++) {
    big_divmod_small(&term, &term, (uint32_t)x2);
    big_divmod_small(&t, &term, 2 * k + 1);
    if (k & 1) {
      big_sub(&sum, &sum, &t);
    } else {
      big_add(&sum, &sum, &t);
    }
  }
  big_copy(r, &sum);
  big_free(&term), big_free(&sum), big_free(&t);
}

static char *pi_digits(int digits) {
  Big unity, ten, a, b, pi;
  big_init(&unity), big_init(&ten), big_init(&a), big_init(&b), big_init(&pi);
  big_set_u64(&ten, 10);
  big_pow_u(&unity, &ten, (unsigned)digits + 10);
  arctan_inv(&a, 5, &unity);
  arctan_inv(&b, 239, &unity);
  Big c16, c4;
  big_init(&c16), big_init(&c4);
  big_set_u64(&c16, 16);
  big_set_u64(&c4, 4);
  big_mul(&a, &a, &c16);
  big_mul(&b, &b, &c4);
  big_sub(&pi, &a, &b);
  char *s = big_to_str(&pi);
  s[digits + 1] = 0; /* drop the guard digits */
  big_free(&unity), big_free(&ten), big_free(&a), big_free(&b), big_free(&pi);
  big_free(&c16), big_free(&c4);
  return s;
}

static void random_big(Big *a, Rng *r, int limbs) {
  big_reserve(a, limbs);
  for (int i = 0; i < limbs; i++) a->d[i] = (uint32_t)rng_next(r);
  a->n = limbs;
  a->neg = (int)(rng_next(r) & 1);
  big_trim(a);
}

void suite_bigint(void) {
  Big a, b, c, q, r2;
  big_init(&a), big_init(&b), big_init(&c), big_init(&q), big_init(&r2);

  big_set_u64(&a, 2);
  big_pow_u(&b, &a, 128);
  char *s = big_to_str(&b);
  CHECK_STR(s, "340282366920938463463374607431768211456");
  free(s);

  /* 100! and its digit sum. */
  big_set_u64(&a, 1);
  for (uint32_t k = 2; k <= 100; k++) {
    big_set_u64(&c, k);
    big_mul(&a, &a, &c);
  }
  s = big_to_str(&a);
  int digit_sum = 0;
  for (char *p = s; *p; p++) digit_sum += *p - '0';
  CHECK_INT(strlen(s), 158);
  CHECK_INT(digit_sum, 648);
  free(s);

  /* Parsing and printing round trip, signs. */
  big_set_i64(&a, -5);
  big_set_i64(&b, 12);
  big_mul(&c, &a, &b);
  big_set_i64(&q, -60);
  CHECK(big_cmp(&c, &q) == 0 && c.neg);
  big_from_str(&a, "-123456789012345678901234567890");
  s = big_to_str(&a);
  CHECK_STR(s, "-123456789012345678901234567890");
  free(s);
  big_from_str(&b, "987654321098765432109876543210");
  big_add(&c, &a, &b);
  s = big_to_str(&c);
  CHECK_STR(s, "864197532086419753208641975320");
  free(s);
  big_mul(&c, &a, &b);
  s = big_to_str(&c);
  CHECK_STR(s, "-121932631137021795226185032733622923332237463801111263526900");
  free(s);
  big_divmod(&q, &r2, &b, &a);
  s = big_to_str(&q);
  CHECK_STR(s, "-8");
  free(s);
  s = big_to_str(&r2);
  CHECK_STR(s, "9000000000900000000090");
  free(s);

  /* Division identities and Karatsuba against schoolbook on random operands. */
  Rng rng;
  rng_seed(&rng, 31337);
  int identities = 0;
  for (int trial = 0; trial < 300; trial++) {
    random_big(&a, &rng, 1 + (int)rng_below(&rng, 60));
    random_big(&b, &rng, 1 + (int)rng_below(&rng, 30));
    if (!b.n) continue;
    big_divmod(&q, &r2, &a, &b);
    big_mul(&c, &q, &b);
    big_add(&c, &c, &r2);
    bool ok = big_cmp(&c, &a) == 0 && cmp_mag(&r2, &b) < 0;
    CHECK(ok);
    identities += ok;
  }
  for (int trial = 0; trial < 20; trial++) {
    int n = 32 + (int)rng_below(&rng, 100);
    random_big(&a, &rng, n);
    random_big(&b, &rng, n);
    if (a.n != n || b.n != n) continue;
    uint32_t *school = xmalloc(2 * (size_t)n * sizeof(uint32_t));
    mul_school(school, a.d, n, b.d, n);
    big_mul(&c, &a, &b);
    int cn = 2 * n;
    while (cn > 0 && school[cn - 1] == 0) cn--;
    CHECK(c.n == cn && memcmp(c.d, school, (size_t)cn * sizeof(uint32_t)) == 0);
    free(school);
  }

  /* Number theory. */
  big_from_str(&a, "2305843009213693951"); /* 2^61 - 1 */
  CHECK(miller_rabin(&a, 12));
  big_from_str(&a, "170141183460469231731687303715884105727"); /* 2^127 - 1 */
  CHECK(miller_rabin(&a, 12));
  big_from_str(&a, "170141183460469231731687303715884105729");
  CHECK(!miller_rabin(&a, 12));
  big_from_str(&a, "3215031751"); /* a strong pseudoprime to bases 2, 3, 5, 7 */
  CHECK(!miller_rabin(&a, 12));
  int primes = 0;
  for (uint32_t k = 2; k < 2000; k++) {
    big_set_u64(&a, k);
    primes += miller_rabin(&a, 12);
  }
  CHECK_INT(primes, 303);
  big_from_str(&a, "1071292029505993517027974728227441735014801995855195223534");
  big_from_str(&b, "1071292029505993517027974728227441735014801995855195223536");
  big_gcd(&c, &a, &b);
  s = big_to_str(&c);
  CHECK_STR(s, "2");
  free(s);
  big_set_u64(&a, 1ull << 40);
  big_set_u64(&b, 3ull << 38);
  big_gcd(&c, &a, &b);
  s = big_to_str(&c);
  CHECK_STR(s, "274877906944");
  free(s);
  big_set_u64(&a, 1);
  big_shl(&b, &a, 200);
  big_set_u64(&c, 2);
  big_pow_u(&a, &c, 200);
  CHECK(big_cmp(&a, &b) == 0);

  /* Fibonacci(1000) by iteration. */
  big_set_u64(&a, 0);
  big_set_u64(&b, 1);
  for (int i = 0; i < 1000; i++) {
    big_add(&c, &a, &b);
    big_copy(&a, &b);
    big_copy(&b, &c);
  }
  s = big_to_str(&a);
  CHECK_INT(strlen(s), 209);
  CHECK(strncmp(s, "43466557686937456435688527675040625802564660517371780402481729089536555417949051890403879840079255169295922593080322634775209689623239873322471161642996440906533187938298969649928516003704476137795166849228875", 60) == 0);
  free(s);

  char *pi = pi_digits(300);
  CHECK(strncmp(pi, "31415926535897932384626433832795028841971693993751058209749445923078164062862089986280348253421170679", 100) == 0);
  report("bigint", "100! ok, %d division identities, %d primes below 2000, pi = %.1s.%.40s...",
         identities, primes, pi, pi + 1);
  free(pi);
  big_free(&a), big_free(&b), big_free(&c), big_free(&q), big_free(&r2);
}
