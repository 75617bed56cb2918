/* Sorting and searching: several algorithms checked against each other. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

typedef void (*IntSort)(int *xs, size_t n);

static void insertion_sort(int *xs, size_t n) {
  for (size_t i = 1; i < n; i++) {
    int v = xs[i];
    size_t j = i;
    while (j > 0 && xs[j - 1] > v) {
      xs[j] = xs[j - 1];
      j--;
    }
    xs[j] = v;
  }
}

static void shell_sort(int *xs, size_t n) {
  /* Ciura's gap sequence, extended by 2.25x. */
  size_t gaps[32];
  int ngaps = 0;
  static const size_t base[] = {1, 4, 10, 23, 57, 132, 301, 701};
  for (int i = 0; i < 8 && base[i] < n; i++) gaps[ngaps++] = base[i];
  while (ngaps > 0 && ngaps < 32 && gaps[ngaps - 1] * 9 / 4 < n)
    gaps[ngaps] = gaps[ngaps - 1] * 9 / 4, ngaps++;
  for (int g = ngaps - 1; g >= 0; g--) {
    size_t gap = gaps[g];
    for (size_t i = gap; i < n; i++) {
      int v = xs[i];
      size_t j = i;
      while (j >= gap && xs[j - gap] > v) {
        xs[j] = xs[j - gap];
        j -= gap;
      }
      xs[j] = v;
    }
  }
}

static void sift_down(int *xs, size_t root, size_t n) {
  for (;;) {
    size_t child = 2 * root + 1;
    if (child >= n) return;
    if (child + 1 < n && xs[child + 1] > xs[child]) child++;
    if (xs[root] >= xs[child]) return;
    int t = xs[root];
    xs[root] = xs[child];
    xs[child] = t;
    root = child;
  }
}

static void heap_sort(int *xs, size_t n) {
  if (n < 2) return;
  for (size_t i = n / 2; i-- > 0;) sift_down(xs, i, n);
  for (size_t end = n - 1; end > 0; end--) {
    int t = xs[0];
    xs[0] = xs[end];
    xs[end] = t;
    sift_down(xs, 0, end);
  }
}

static void merge_rec(int *xs, int *tmp, size_t lo, size_t hi) {
  if (hi - lo < 24) {
    insertion_sort(xs + lo, hi - lo);
    return;
  }
  size_t mid = lo + (hi - lo) / 2;
  merge_rec(xs, tmp, lo, mid);
  merge_rec(xs, tmp, mid, hi);
  if (xs[mid - 1] <= xs[mid]) return;
  size_t i = lo, j = mid, k = lo;
  while (i < mid && j < hi) tmp[k++] = xs[j] < xs[i] ? xs[j++] : xs[i++];
  while (i < mid) tmp[k++] = xs[i++];
  while (j < hi) tmp[k++] = xs[j++];
  memcpy(xs + lo, tmp + lo, (hi - lo) * sizeof(int));
}

static void merge_sort(int *xs, size_t n) {
  int *tmp = xmalloc(n * sizeof(int));
  merge_rec(xs, tmp, 0, n);
  free(tmp);
}

static void bottom_up_merge_sort(int *xs, size_t n) {
  int *a = xs, *b = xmalloc(n * sizeof(int));
  for (size_t width = 1; width < n; width *= 2) {
    for (size_t lo = 0; lo < n; lo += 2 * width) {
      size_t mid = lo + width < n ? lo + width : n;
      size_t hi = lo + 2 * width < n ? lo + 2 * width : n;
      size_t i = lo, j = mid, k = lo;
      while (i < mid && j < hi) b[k++] = a[j] < a[i] ? a[j++] : a[i++];
      while (i < mid) b[k++] = a[i++];
      while (j < hi) b[k++] = a[j++];
    }
    int *t = a;
    a = b;
    b = t;
  }
  if (a != xs) {
    memcpy(xs, a, n * sizeof(int));
    free(a);
  } else {
    free(b);
  }
}

static int median3(int a, int b, int c) {
  if (a < b) {
    if (b < c) return b;
    return a < c ? c : a;
  }
  if (a < c) return a;
  return b < c ? c : b;
}

static void intro_rec(int *xs, size_t n, int depth) {
  while (n > 16) {
    if (depth-- == 0) {
      heap_sort(xs, n);
      return;
    }
    int pivot = median3(xs[0], xs[n / 2], xs[n - 1]);
    /* Three-way partition: < pivot | == pivot | > pivot. */
    size_t lt = 0, i = 0, gt = n;
    while (i < gt) {
      if (xs[i] < pivot) {
        int t = xs[lt];
        xs[lt++] = xs[i];
        xs[i++] = t;
      } else if (xs[i] > pivot) {
        int t = xs[--gt];
        xs[gt] = xs[i];
        xs[i] = t;
      } else {
        i++;
      }
    }
    /* Recurse into the smaller side, loop on the larger. */
    if (lt < n - gt) {
      intro_rec(xs, lt, depth);
      xs += gt;
      n -= gt;
    } else {
      intro_rec(xs + gt, n - gt, depth);
      n = lt;
    }
  }
  insertion_sort(xs, n);
}

static void intro_sort(int *xs, size_t n) {
  int depth = 0;
  for (size_t m = n; m > 1; m >>= 1) depth += 2;
  intro_rec(xs, n, depth);
}

static void radix_sort(int *xs, size_t n) {
  uint32_t *a = xmalloc(n * sizeof(uint32_t)), *b = xmalloc(n * sizeof(uint32_t));
  for (size_t i = 0; i < n; i++) a[i] = (uint32_t)xs[i] ^ 0x80000000u;
  for (int shift = 0; shift < 32; shift += 8) {
    size_t count[257] = {0};
    for (size_t i = 0; i < n; i++) count[((a[i] >> shift) & 0xff) + 1]++;
    for (int d = 0; d < 256; d++) count[d + 1] += count[d];
    for (size_t i = 0; i < n; i++) b[count[(a[i] >> shift) & 0xff]++] = a[i];
    uint32_t *t = a;
    a = b;
    b = t;
  }
  for (size_t i = 0; i < n; i++) xs[i] = (int)(a[i] ^ 0x80000000u);
  free(a);
  free(b);
}

static int cmp_int(const void *a, const void *b) {
  int x = *(const int *)a, y = *(const int *)b;
  return (x > y) - (x < y);
}

static void libc_qsort(int *xs, size_t n) { qsort(xs, n, sizeof(int), cmp_int); }

/* Quickselect: the k-th smallest element (0-based); reorders xs. */
static int nth_element(int *xs, size_t n, size_t k) {
  size_t lo = 0, hi = n;
  while (hi - lo > 1) {
    int pivot = median3(xs[lo], xs[lo + (hi - lo) / 2], xs[hi - 1]);
    size_t lt = lo, i = lo, gt = hi;
    while (i < gt) {
      if (xs[i] < pivot) {
        int t = xs[lt];
        xs[lt++] = xs[i];
        xs[i++] = t;
      } else if (xs[i] > pivot) {
        int t = xs[--gt];
        xs[gt] = xs[i];
        xs[i] = t;
      } else {
        i++;
      }
    }
    if (k < lt) {
      hi = lt;
    } else if (k >= gt) {
      lo = gt;
    } else {
      return pivot;
    }
  }
  return xs[lo];
}

static size_t lower_bound(const int *xs, size_t n, int v) {
  size_t lo = 0, hi = n;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (xs[mid] < v) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  return lo;
}

/* A generic, stable merge sort over records of any size. */
typedef int (*Cmp)(const void *, const void *);

static void stable_sort(void *base, size_t n, size_t size, Cmp cmp) {
  if (n < 2) return;
  unsigned char *a = base, *tmp = xmalloc(n * size);
  for (size_t width = 1; width < n; width *= 2) {
    for (size_t lo = 0; lo < n; lo += 2 * width) {
      size_t mid = lo + width < n ? lo + width : n;
      size_t hi = lo + 2 * width < n ? lo + 2 * width : n;
      size_t i = lo, j = mid, k = lo;
      while (i < mid && j < hi) {
        if (cmp(a + j * size, a + i * size) < 0) {
          memcpy(tmp + k++ * size, a + j++ * size, size);
        } else {
          memcpy(tmp + k++ * size, a + i++ * size, size);
        }
      }
      memcpy(tmp + k * size, a + i * size, (mid - i) * size);
      k += mid - i;
      memcpy(tmp + k * size, a + j * size, (hi - j) * size);
    }
    memcpy(a, tmp, n * size);
  }
  free(tmp);
}

typedef struct {
  char name[12];
  int group;
  int order;
} Record;

static int cmp_record_group(const void *a, const void *b) {
  const Record *x = a, *y = b;
  return (x->group > y->group) - (x->group < y->group);
}

static int cmp_string_ptr(const void *a, const void *b) {
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

enum { SHAPE_RANDOM, SHAPE_SORTED, SHAPE_REVERSED, SHAPE_FEW, SHAPE_ORGAN, SHAPE_COUNT };
static const char *const shape_names[] = {"random", "sorted", "reversed", "few-unique",
                                          "organ-pipe"};

static void fill(int *xs, size_t n, int shape, Rng *r) {
  for (size_t i = 0; i < n; i++) {
    switch (shape) {
    case SHAPE_RANDOM: xs[i] = (int)rng_next(r); break;
    case SHAPE_SORTED: xs[i] = (int)i * 3 - 1000; break;
    case SHAPE_REVERSED: xs[i] = (int)(n - i) * 7; break;
    case SHAPE_FEW: xs[i] = (int)rng_below(r, 5) - 2; break;
    default: xs[i] = (int)(i < n / 2 ? i : n - i); break;
    }
  }
}

static bool is_sorted(const int *xs, size_t n) {
  for (size_t i = 1; i < n; i++)
    if (xs[i - 1] > xs[i]) return false;
  return true;
}

void suite_sort(void) {
  static const struct {
    const char *name;
    IntSort sort;
    size_t max_n;
  } algos[] = {
      {"insertion", insertion_sort, 3000}, {"shell", shell_sort, 1 << 20},
      {"heap", heap_sort, 1 << 20},        {"merge", merge_sort, 1 << 20},
      {"bottom-up", bottom_up_merge_sort, 1 << 20},
      {"intro", intro_sort, 1 << 20},      {"radix", radix_sort, 1 << 20},
      {"qsort", libc_qsort, 1 << 20},
  };
  const size_t nalgos = sizeof algos / sizeof algos[0];
  const size_t n = 40000;
  int *input = xmalloc(n * sizeof(int)), *ref = xmalloc(n * sizeof(int)),
      *work = xmalloc(n * sizeof(int));
  Rng r;
  rng_seed(&r, 2024);
  uint32_t digest = 0;
  int runs = 0;
  for (int shape = 0; shape < SHAPE_COUNT; shape++) {
    fill(input, n, shape, &r);
    memcpy(ref, input, n * sizeof(int));
    intro_sort(ref, n);
    CHECK(is_sorted(ref, n));
    digest = crc32_update(digest, ref, n * sizeof(int));
    for (size_t a = 0; a < nalgos; a++) {
      size_t m = n < algos[a].max_n ? n : algos[a].max_n;
      memcpy(work, input, m * sizeof(int));
      algos[a].sort(work, m);
      if (m == n) {
        if (memcmp(work, ref, n * sizeof(int)) != 0) {
          printf("FAIL sort %s on %s\n", algos[a].name, shape_names[shape]);
          g_failures++;
        }
        g_checks++;
      } else {
        CHECK(is_sorted(work, m));
      }
      runs++;
    }
    /* Selection and search agree with the sorted reference. */
    for (size_t k = 0; k < n; k += n / 7) {
      memcpy(work, input, n * sizeof(int));
      CHECK_INT(nth_element(work, n, k), ref[k]);
    }
    for (int probe = 0; probe < 100; probe++) {
      int v = ref[rng_below(&r, (uint32_t)n)];
      size_t at = lower_bound(ref, n, v);
      CHECK(at < n && ref[at] == v && (at == 0 || ref[at - 1] < v));
    }
  }
  report("sort", "%d runs of %zu algorithms over %d input shapes, %zu ints; digest %08x",
         runs, nalgos, SHAPE_COUNT, n, digest);

  /* Stability: records sorted by group keep their original order within a group. */
  size_t nrec = 5000;
  Record *recs = xmalloc(nrec * sizeof(Record));
  for (size_t i = 0; i < nrec; i++) {
    snprintf(recs[i].name, sizeof recs[i].name, "r%zu", i);
    recs[i].group = (int)rng_below(&r, 17);
    recs[i].order = (int)i;
  }
  stable_sort(recs, nrec, sizeof(Record), cmp_record_group);
  bool stable = true;
  for (size_t i = 1; i < nrec; i++) {
    if (recs[i - 1].group > recs[i].group) stable = false;
    if (recs[i - 1].group == recs[i].group && recs[i - 1].order > recs[i].order)
      stable = false;
  }
  CHECK(stable);
  free(recs);

  /* Strings. */
  char *text = make_corpus(20000, 5);
  const char *words[4096];
  size_t nw = 0;
  for (char *tok = strtok(text, " ,.\n"); tok && nw < 4096; tok = strtok(NULL, " ,.\n"))
    words[nw++] = tok;
  stable_sort(words, nw, sizeof(char *), cmp_string_ptr);
  bool ordered = true;
  for (size_t i = 1; i < nw; i++)
    if (strcmp(words[i - 1], words[i]) > 0) ordered = false;
  CHECK(ordered);
  report("sort", "stable sort of %zu records and %zu words: first \"%s\", last \"%s\"", nrec,
         nw, words[0], words[nw - 1]);
  free(text);
  free(input);
  free(ref);
  free(work);
}
