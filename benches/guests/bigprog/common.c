#include "common.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int g_checks;
int g_failures;
int g_verbose;

void check_impl(bool ok, const char *what, const char *file, int line) {
  g_checks++;
  if (!ok) {
    g_failures++;
    printf("FAIL %s:%d: %s\n", file, line, what);
  }
}

void check_int(long long got, long long want, const char *what, const char *file,
               int line) {
  g_checks++;
  if (got != want) {
    g_failures++;
    printf("FAIL %s:%d: %s == %lld, want %lld\n", file, line, what, got, want);
  }
}

void check_str(const char *got, const char *want, const char *what, const char *file,
               int line) {
  g_checks++;
  if (got == NULL || strcmp(got, want) != 0) {
    g_failures++;
    printf("FAIL %s:%d: %s == \"%s\", want \"%s\"\n", file, line, what,
           got ? got : "(null)", want);
  }
}

void check_near(double got, double want, double tol, const char *what, const char *file,
                int line) {
  g_checks++;
  double d = got - want;
  if (d < 0) d = -d;
  if (!(d <= tol)) {
    g_failures++;
    printf("FAIL %s:%d: %s == %.17g, want %.17g (+-%g)\n", file, line, what, got, want,
           tol);
  }
}

void report(const char *suite, const char *fmt, ...) {
  va_list ap;
  printf("[%s] ", suite);
  va_start(ap, fmt);
  vprintf(fmt, ap);
  va_end(ap);
  putchar('\n');
}

/* ---- memory --------------------------------------------------------------------- */

static void out_of_memory(size_t n) {
  fprintf(stderr, "bigprog: out of memory (%zu bytes)\n", n);
  exit(3);
}

void *xmalloc(size_t n) {
  void *p = malloc(n ? n : 1);
  if (!p) out_of_memory(n);
  return p;
}

void *xcalloc(size_t count, size_t size) {
  void *p = calloc(count ? count : 1, size ? size : 1);
  if (!p) out_of_memory(count * size);
  return p;
}

void *xrealloc(void *p, size_t n) {
  void *q = realloc(p, n ? n : 1);
  if (!q) out_of_memory(n);
  return q;
}

char *xstrndup(const char *s, size_t n) {
  char *p = xmalloc(n + 1);
  memcpy(p, s, n);
  p[n] = 0;
  return p;
}

char *xstrdup(const char *s) { return xstrndup(s, strlen(s)); }

struct ArenaBlock {
  ArenaBlock *next;
  size_t used, cap;
  /* Payload follows, aligned to max_align_t. */
  _Alignas(16) unsigned char data[];
};

void arena_init(Arena *a) {
  a->head = NULL;
  a->total = 0;
}

void *arena_alloc(Arena *a, size_t n) {
  n = (n + 15) & ~(size_t)15;
  ArenaBlock *b = a->head;
  if (!b || b->cap - b->used < n) {
    size_t cap = n > 16384 ? n : 16384;
    b = xmalloc(sizeof(ArenaBlock) + cap);
    b->next = a->head;
    b->used = 0;
    b->cap = cap;
    a->head = b;
  }
  void *p = b->data + b->used;
  b->used += n;
  a->total += n;
  return p;
}

char *arena_strndup(Arena *a, const char *s, size_t n) {
  char *p = arena_alloc(a, n + 1);
  memcpy(p, s, n);
  p[n] = 0;
  return p;
}

void arena_free(Arena *a) {
  ArenaBlock *b = a->head;
  while (b) {
    ArenaBlock *next = b->next;
    free(b);
    b = next;
  }
  a->head = NULL;
  a->total = 0;
}

/* ---- growable buffers ------------------------------------------------------------ */

void sb_init(StrBuf *sb) {
  sb->data = NULL;
  sb->len = sb->cap = 0;
}

void sb_reserve(StrBuf *sb, size_t extra) {
  size_t need = sb->len + extra + 1;
  if (need <= sb->cap) return;
  size_t cap = sb->cap ? sb->cap : 32;
  while (cap < need) cap *= 2;
  sb->data = xrealloc(sb->data, cap);
  sb->cap = cap;
}

void sb_putc(StrBuf *sb, char c) {
  sb_reserve(sb, 1);
  sb->data[sb->len++] = c;
  sb->data[sb->len] = 0;
}

void sb_putn(StrBuf *sb, const char *s, size_t n) {
  sb_reserve(sb, n);
  memcpy(sb->data + sb->len, s, n);
  sb->len += n;
  sb->data[sb->len] = 0;
}

void sb_puts(StrBuf *sb, const char *s) { sb_putn(sb, s, strlen(s)); }

void sb_vprintf(StrBuf *sb, const char *fmt, va_list ap) {
  va_list copy;
  va_copy(copy, ap);
  char small[128];
  int n = vsnprintf(small, sizeof small, fmt, copy);
  va_end(copy);
  if (n < 0) return;
  if ((size_t)n < sizeof small) {
    sb_putn(sb, small, (size_t)n);
    return;
  }
  sb_reserve(sb, (size_t)n);
  vsnprintf(sb->data + sb->len, (size_t)n + 1, fmt, ap);
  sb->len += (size_t)n;
}

void sb_printf(StrBuf *sb, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  sb_vprintf(sb, fmt, ap);
  va_end(ap);
}

void sb_clear(StrBuf *sb) {
  sb->len = 0;
  if (sb->data) sb->data[0] = 0;
}

char *sb_take(StrBuf *sb) {
  char *s = sb->data ? sb->data : xstrdup("");
  sb_init(sb);
  return s;
}

void sb_free(StrBuf *sb) {
  free(sb->data);
  sb_init(sb);
}

void bv_push(ByteVec *v, uint8_t b) {
  if (v->len == v->cap) {
    v->cap = v->cap ? v->cap * 2 : 64;
    v->data = xrealloc(v->data, v->cap);
  }
  v->data[v->len++] = b;
}

void bv_append(ByteVec *v, const uint8_t *p, size_t n) {
  if (v->len + n > v->cap) {
    size_t cap = v->cap ? v->cap : 64;
    while (cap < v->len + n) cap *= 2;
    v->data = xrealloc(v->data, cap);
    v->cap = cap;
  }
  memcpy(v->data + v->len, p, n);
  v->len += n;
}

void bv_free(ByteVec *v) {
  free(v->data);
  v->data = NULL;
  v->len = v->cap = 0;
}

/* ---- pseudo-random numbers ------------------------------------------------------- */

static uint64_t rotl64(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

static uint64_t splitmix(uint64_t *state) {
  uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

void rng_seed(Rng *r, uint64_t seed) {
  for (int i = 0; i < 4; i++) r->s[i] = splitmix(&seed);
}

uint64_t rng_next(Rng *r) {
  uint64_t *s = r->s;
  uint64_t result = rotl64(s[1] * 5, 7) * 9;
  uint64_t t = s[1] << 17;
  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = rotl64(s[3], 45);
  return result;
}

uint32_t rng_below(Rng *r, uint32_t n) {
  return (uint32_t)(((rng_next(r) >> 32) * (uint64_t)n) >> 32);
}

double rng_double(Rng *r) { return (double)(rng_next(r) >> 11) * (1.0 / 9007199254740992.0); }

void rng_shuffle_ints(Rng *r, int *xs, size_t n) {
  for (size_t i = n; i > 1; i--) {
    size_t j = rng_below(r, (uint32_t)i);
    int t = xs[i - 1];
    xs[i - 1] = xs[j];
    xs[j] = t;
  }
}

/* ---- checksums and hashes -------------------------------------------------------- */

static uint32_t crc_table[256];
static bool crc_ready;

static void crc_init(void) {
  for (uint32_t i = 0; i < 256; i++) {
    uint32_t c = i;
    for (int k = 0; k < 8; k++) c = (c & 1) ? 0xedb88320u ^ (c >> 1) : c >> 1;
    crc_table[i] = c;
  }
  crc_ready = true;
}

uint32_t crc32_update(uint32_t crc, const void *data, size_t n) {
  if (!crc_ready) crc_init();
  const uint8_t *p = data;
  crc = ~crc;
  for (size_t i = 0; i < n; i++) crc = crc_table[(crc ^ p[i]) & 0xff] ^ (crc >> 8);
  return ~crc;
}

uint32_t crc32_of(const void *data, size_t n) { return crc32_update(0, data, n); }

uint32_t adler32_of(const void *data, size_t n) {
  const uint8_t *p = data;
  uint32_t a = 1, b = 0;
  while (n > 0) {
    size_t chunk = n < 5552 ? n : 5552;
    n -= chunk;
    while (chunk--) {
      a += *p++;
      b += a;
    }
    a %= 65521;
    b %= 65521;
  }
  return (b << 16) | a;
}

uint64_t fnv1a64(const void *data, size_t n) {
  const uint8_t *p = data;
  uint64_t h = 0xcbf29ce484222325ULL;
  for (size_t i = 0; i < n; i++) {
    h ^= p[i];
    h *= 0x100000001b3ULL;
  }
  return h;
}

uint64_t fnv1a64_str(const char *s) { return fnv1a64(s, strlen(s)); }

uint32_t mix32(uint32_t x) {
  x ^= x >> 16;
  x *= 0x7feb352du;
  x ^= x >> 15;
  x *= 0x846ca68bu;
  x ^= x >> 16;
  return x;
}

/* ---- shared inputs --------------------------------------------------------------- */

const char *sample_text(void) {
  return "The spindle turns and the thread runs out; a loom takes what the wheel gives. "
         "Every module that reaches the runtime is read once, checked once, and then run "
         "many times, so the reading and the checking had better be quick. A careful "
         "validator walks each function body exactly once, keeping a stack of operand "
         "types and a stack of control frames, and it rejects the first instruction that "
         "does not fit. The quick brown fox jumps over the lazy dog 1234567890 times.";
}

static const char *const corpus_words[] = {
    "the",      "of",      "and",     "to",       "in",      "a",        "is",
    "that",     "for",     "it",      "as",       "was",     "with",     "be",
    "by",       "on",      "not",     "he",       "this",    "are",      "or",
    "his",      "from",    "at",      "which",    "but",     "have",     "an",
    "had",      "they",    "you",     "were",     "their",   "one",      "all",
    "we",       "can",     "her",     "has",      "there",   "been",     "if",
    "more",     "when",    "will",    "would",    "who",     "so",       "no",
    "module",   "function", "value",  "stack",    "memory",  "table",    "global",
    "import",   "export",  "section", "validate", "decode",  "runtime",  "thread",
    "spindle",  "compiler", "engine", "instruction", "branch", "loop",    "block",
    "integer",  "float",   "vector",  "reference", "type",   "signature", "result",
    "parameter", "local",  "constant", "offset",  "alignment", "page",   "limit",
    "river",    "mountain", "window", "garden",   "letter",  "morning",  "silver",
    "harbor",   "lantern", "meadow",  "quiet",    "bright",  "ancient",  "hollow",
};

char *make_corpus(size_t len, uint64_t seed) {
  Rng r;
  rng_seed(&r, seed);
  StrBuf sb;
  sb_init(&sb);
  size_t nwords = sizeof corpus_words / sizeof corpus_words[0];
  bool start = true;
  while (sb.len < len) {
    /* Zipf-ish: favour the early (common) words. */
    uint32_t a = rng_below(&r, (uint32_t)nwords), b = rng_below(&r, (uint32_t)nwords);
    const char *w = corpus_words[a < b ? a : b];
    if (start) {
      sb_putc(&sb, (char)(w[0] >= 'a' && w[0] <= 'z' ? w[0] - 32 : w[0]));
      sb_puts(&sb, w + 1);
      start = false;
    } else {
      sb_puts(&sb, w);
    }
    uint32_t p = rng_below(&r, 100);
    if (p < 6) {
      sb_puts(&sb, ". ");
      start = true;
    } else if (p < 10) {
      sb_puts(&sb, ", ");
    } else if (p < 11) {
      sb_puts(&sb, ".\n");
      start = true;
    } else {
      sb_putc(&sb, ' ');
    }
  }
  return sb_take(&sb);
}
