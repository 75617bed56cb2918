/* bigprog: a self-contained C program used as a benchmark input for Spindle.
 *
 * It bundles many small, real subsystems (containers, sorting, JSON, regular
 * expressions, compression, big integers, numerics, SHA-256, text processing and a
 * small scripting language with a bytecode VM) and a main that exercises every one of
 * them with self-checks. Everything here is written for this project. */
#ifndef BIGPROG_COMMON_H
#define BIGPROG_COMMON_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- self-checks ---------------------------------------------------------------- */

extern int g_checks;
extern int g_failures;
extern int g_verbose;

void check_impl(bool ok, const char *what, const char *file, int line);
void check_int(long long got, long long want, const char *what, const char *file,
               int line);
void check_str(const char *got, const char *want, const char *what, const char *file,
               int line);
void check_near(double got, double want, double tol, const char *what, const char *file,
                int line);

#define CHECK(cond) check_impl((cond), #cond, __FILE__, __LINE__)
#define CHECK_INT(got, want)                                                              \
  check_int((long long)(got), (long long)(want), #got, __FILE__, __LINE__)
#define CHECK_STR(got, want) check_str((got), (want), #got, __FILE__, __LINE__)
#define CHECK_NEAR(got, want, tol) check_near((got), (want), (tol), #got, __FILE__, __LINE__)

/* Prints one line of a suite's results: "[suite] message". */
void report(const char *suite, const char *fmt, ...);

/* ---- memory --------------------------------------------------------------------- */

void *xmalloc(size_t n);
void *xcalloc(size_t count, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);

typedef struct ArenaBlock ArenaBlock;
typedef struct {
  ArenaBlock *head;
  size_t total;
} Arena;

void arena_init(Arena *a);
void *arena_alloc(Arena *a, size_t n);
char *arena_strndup(Arena *a, const char *s, size_t n);
void arena_free(Arena *a);

/* ---- growable buffers ------------------------------------------------------------ */

typedef struct {
  char *data;
  size_t len, cap;
} StrBuf;

void sb_init(StrBuf *sb);
void sb_reserve(StrBuf *sb, size_t extra);
void sb_putc(StrBuf *sb, char c);
void sb_putn(StrBuf *sb, const char *s, size_t n);
void sb_puts(StrBuf *sb, const char *s);
void sb_printf(StrBuf *sb, const char *fmt, ...);
void sb_vprintf(StrBuf *sb, const char *fmt, va_list ap);
void sb_clear(StrBuf *sb);
char *sb_take(StrBuf *sb);
void sb_free(StrBuf *sb);

typedef struct {
  uint8_t *data;
  size_t len, cap;
} ByteVec;

void bv_push(ByteVec *v, uint8_t b);
void bv_append(ByteVec *v, const uint8_t *p, size_t n);
void bv_free(ByteVec *v);

/* ---- pseudo-random numbers (xoshiro256**) ---------------------------------------- */

typedef struct {
  uint64_t s[4];
} Rng;

void rng_seed(Rng *r, uint64_t seed);
uint64_t rng_next(Rng *r);
uint32_t rng_below(Rng *r, uint32_t n);
double rng_double(Rng *r);
void rng_shuffle_ints(Rng *r, int *xs, size_t n);

/* ---- checksums and hashes -------------------------------------------------------- */

uint32_t crc32_update(uint32_t crc, const void *data, size_t n);
uint32_t crc32_of(const void *data, size_t n);
uint32_t adler32_of(const void *data, size_t n);
uint64_t fnv1a64(const void *data, size_t n);
uint64_t fnv1a64_str(const char *s);
uint32_t mix32(uint32_t x);

/* ---- shared inputs --------------------------------------------------------------- */

const char *sample_text(void);
/* English-looking pseudo-random text of about `len` bytes; caller frees. */
char *make_corpus(size_t len, uint64_t seed);

/* ---- suites ---------------------------------------------------------------------- */

void suite_hashmap(void);
void suite_sort(void);
void suite_json(void);
void suite_regex(void);
void suite_lz(void);
void suite_bigint(void);
void suite_numeric(void);
void suite_sha256(void);
void suite_text(void);
void suite_script(void);

#endif
