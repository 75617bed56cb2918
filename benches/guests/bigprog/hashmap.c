#include "hashmap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

/* ---- StrMap ----------------------------------------------------------------------- */

static uint64_t key_hash(const char *key, size_t n) {
  uint64_t h = fnv1a64(key, n);
  h ^= h >> 29;
  return h ? h : 1;
}

void strmap_init(StrMap *m) {
  m->slots = NULL;
  m->cap = m->len = 0;
}

void strmap_free(StrMap *m) {
  for (size_t i = 0; i < m->cap; i++)
    if (m->slots[i].dist) free(m->slots[i].key);
  free(m->slots);
  strmap_init(m);
}

static void strmap_place(StrMap *m, MapSlot s) {
  size_t mask = m->cap - 1;
  size_t i = s.hash & mask;
  s.dist = 1;
  for (;;) {
    MapSlot *cur = &m->slots[i];
    if (!cur->dist) {
      *cur = s;
      return;
    }
    if (cur->dist < s.dist) {
      MapSlot t = *cur;
      *cur = s;
      s = t;
    }
    s.dist++;
    i = (i + 1) & mask;
  }
}

static void strmap_grow(StrMap *m) {
  size_t old_cap = m->cap;
  MapSlot *old = m->slots;
  m->cap = old_cap ? old_cap * 2 : 16;
  m->slots = xcalloc(m->cap, sizeof(MapSlot));
  for (size_t i = 0; i < old_cap; i++)
    if (old[i].dist) strmap_place(m, old[i]);
  free(old);
}

static long strmap_find(const StrMap *m, const char *key, size_t n, uint64_t h) {
  if (!m->cap) return -1;
  size_t mask = m->cap - 1;
  size_t i = h & mask;
  for (uint32_t dist = 1;; dist++) {
    const MapSlot *s = &m->slots[i];
    if (!s->dist || s->dist < dist) return -1;
    if (s->hash == h && strncmp(s->key, key, n) == 0 && s->key[n] == 0) return (long)i;
    i = (i + 1) & mask;
  }
}

int64_t *strmap_get(const StrMap *m, const char *key, size_t n) {
  long i = strmap_find(m, key, n, key_hash(key, n));
  return i < 0 ? NULL : &m->slots[i].value;
}

int64_t *strmap_upsert(StrMap *m, const char *key, size_t n) {
  uint64_t h = key_hash(key, n);
  long i = strmap_find(m, key, n, h);
  if (i >= 0) return &m->slots[i].value;
  if ((m->len + 1) * 8 > m->cap * 7) strmap_grow(m);
  MapSlot s = {xstrndup(key, n), h, 0, 0};
  char *k = s.key;
  strmap_place(m, s);
  m->len++;
  /* The new entry may have been displaced: find it again by its key pointer. */
  size_t mask = m->cap - 1;
  for (size_t j = h & mask;; j = (j + 1) & mask)
    if (m->slots[j].key == k && m->slots[j].dist) return &m->slots[j].value;
}

bool strmap_remove(StrMap *m, const char *key, size_t n) {
  long found = strmap_find(m, key, n, key_hash(key, n));
  if (found < 0) return false;
  size_t mask = m->cap - 1;
  size_t i = (size_t)found;
  free(m->slots[i].key);
  /* Backward-shift deletion keeps probe sequences intact without tombstones. */
  for (;;) {
    size_t next = (i + 1) & mask;
    if (m->slots[next].dist <= 1) {
      m->slots[i].dist = 0;
      m->slots[i].key = NULL;
      break;
    }
    m->slots[i] = m->slots[next];
    m->slots[i].dist--;
    i = next;
  }
  m->len--;
  return true;
}

long strmap_next(const StrMap *m, long from) {
  for (size_t i = (size_t)from; i < m->cap; i++)
    if (m->slots[i].dist) return (long)i;
  return -1;
}

/* ---- IntMap ----------------------------------------------------------------------- */

void intmap_init(IntMap *m) { memset(m, 0, sizeof *m); }

void intmap_free(IntMap *m) {
  free(m->keys);
  free(m->values);
  free(m->state);
  intmap_init(m);
}

static size_t int_slot(uint64_t key, size_t mask) {
  key ^= key >> 33;
  key *= 0xff51afd7ed558ccdULL;
  key ^= key >> 33;
  return (size_t)key & mask;
}

static void intmap_rehash(IntMap *m, size_t cap) {
  IntMap old = *m;
  m->cap = cap;
  m->len = m->used = 0;
  m->keys = xcalloc(cap, sizeof(uint64_t));
  m->values = xcalloc(cap, sizeof(int64_t));
  m->state = xcalloc(cap, 1);
  for (size_t i = 0; i < old.cap; i++)
    if (old.state[i] == 1) intmap_put(m, old.keys[i], old.values[i]);
  free(old.keys);
  free(old.values);
  free(old.state);
}

void intmap_put(IntMap *m, uint64_t key, int64_t value) {
  if ((m->used + 1) * 4 > m->cap * 3) intmap_rehash(m, m->cap ? (m->len * 2 > m->cap / 2 ? m->cap * 2 : m->cap) : 16);
  size_t mask = m->cap - 1, i = int_slot(key, mask);
  long tomb = -1;
  while (m->state[i]) {
    if (m->state[i] == 1 && m->keys[i] == key) {
      m->values[i] = value;
      return;
    }
    if (m->state[i] == 2 && tomb < 0) tomb = (long)i;
    i = (i + 1) & mask;
  }
  if (tomb >= 0) {
    i = (size_t)tomb;
  } else {
    m->used++;
  }
  m->state[i] = 1;
  m->keys[i] = key;
  m->values[i] = value;
  m->len++;
}

bool intmap_get(const IntMap *m, uint64_t key, int64_t *value) {
  if (!m->cap) return false;
  size_t mask = m->cap - 1, i = int_slot(key, mask);
  while (m->state[i]) {
    if (m->state[i] == 1 && m->keys[i] == key) {
      if (value) *value = m->values[i];
      return true;
    }
    i = (i + 1) & mask;
  }
  return false;
}

bool intmap_del(IntMap *m, uint64_t key) {
  if (!m->cap) return false;
  size_t mask = m->cap - 1, i = int_slot(key, mask);
  while (m->state[i]) {
    if (m->state[i] == 1 && m->keys[i] == key) {
      m->state[i] = 2;
      m->len--;
      return true;
    }
    i = (i + 1) & mask;
  }
  return false;
}

/* ---- suite ------------------------------------------------------------------------ */

static int cmp_count_desc(const void *a, const void *b) {
  const MapSlot *x = *(const MapSlot *const *)a, *y = *(const MapSlot *const *)b;
  if (x->value != y->value) return x->value < y->value ? 1 : -1;
  return strcmp(x->key, y->key);
}

void suite_hashmap(void) {
  /* Word frequencies of a generated corpus. */
  char *text = make_corpus(200000, 42);
  StrMap words;
  strmap_init(&words);
  size_t total = 0;
  for (const char *p = text; *p;) {
    while (*p && !((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z'))) p++;
    const char *start = p;
    char lower[64];
    size_t n = 0;
    while ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')) {
      if (n < sizeof lower - 1) lower[n++] = (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
      p++;
    }
    if (p == start) continue;
    (*strmap_upsert(&words, lower, n))++;
    total++;
  }
  int64_t sum = 0;
  MapSlot **list = xmalloc(words.len * sizeof *list);
  size_t k = 0;
  for (long i = strmap_next(&words, 0); i >= 0; i = strmap_next(&words, i + 1)) {
    sum += words.slots[i].value;
    list[k++] = &words.slots[i];
  }
  CHECK_INT(k, words.len);
  CHECK_INT(sum, total);
  qsort(list, k, sizeof *list, cmp_count_desc);
  bool descending = true;
  for (size_t i = 1; i < k; i++)
    if (list[i - 1]->value < list[i]->value) descending = false;
  CHECK(descending);
  CHECK(*strmap_get(&words, "the", 3) > 500);
  report("hashmap", "%zu words, %zu distinct; top: %s=%lld %s=%lld %s=%lld", total, k,
         list[0]->key, (long long)list[0]->value, list[1]->key, (long long)list[1]->value,
         list[2]->key, (long long)list[2]->value);
  free(list);

  /* Removal keeps every other key reachable. */
  size_t before = words.len;
  CHECK(strmap_remove(&words, "the", 3));
  CHECK(!strmap_remove(&words, "the", 3));
  CHECK(strmap_get(&words, "the", 3) == NULL);
  CHECK_INT(words.len, before - 1);
  CHECK(strmap_get(&words, "module", 6) != NULL);
  strmap_free(&words);
  free(text);

  /* Many synthetic keys, inserted, probed, half removed, probed again. */
  StrMap m;
  strmap_init(&m);
  char key[32];
  for (int i = 0; i < 30000; i++) {
    int n = snprintf(key, sizeof key, "key-%d-%x", i, (unsigned)mix32((uint32_t)i));
    *strmap_upsert(&m, key, (size_t)n) = i;
  }
  CHECK_INT(m.len, 30000);
  int found = 0;
  for (int i = 0; i < 30000; i += 3) {
    int n = snprintf(key, sizeof key, "key-%d-%x", i, (unsigned)mix32((uint32_t)i));
    int64_t *v = strmap_get(&m, key, (size_t)n);
    if (v && *v == i) found++;
  }
  CHECK_INT(found, 10000);
  for (int i = 0; i < 30000; i += 2) {
    int n = snprintf(key, sizeof key, "key-%d-%x", i, (unsigned)mix32((uint32_t)i));
    CHECK(strmap_remove(&m, key, (size_t)n));
  }
  int present = 0, absent = 0;
  for (int i = 0; i < 30000; i++) {
    int n = snprintf(key, sizeof key, "key-%d-%x", i, (unsigned)mix32((uint32_t)i));
    int64_t *v = strmap_get(&m, key, (size_t)n);
    if (v && *v == i) present++;
    if (!v) absent++;
  }
  CHECK_INT(present, 15000);
  CHECK_INT(absent, 15000);
  strmap_free(&m);

  /* Integer map against a plain array. */
  IntMap im;
  intmap_init(&im);
  Rng r;
  rng_seed(&r, 7);
  enum { N = 50000 };
  static int64_t shadow[N];
  static bool live[N];
  memset(live, 0, sizeof live);
  for (int step = 0; step < 200000; step++) {
    uint32_t key = rng_below(&r, N);
    uint32_t op = rng_below(&r, 3);
    if (op < 2) {
      int64_t v = (int64_t)rng_next(&r);
      intmap_put(&im, (uint64_t)key * 0x9e3779b97f4a7c15ULL, v);
      shadow[key] = v;
      live[key] = true;
    } else {
      bool had = intmap_del(&im, (uint64_t)key * 0x9e3779b97f4a7c15ULL);
      if (had != live[key]) CHECK(!"intmap_del disagrees");
      live[key] = false;
    }
  }
  size_t live_count = 0, agree = 0;
  for (int i = 0; i < N; i++) {
    int64_t v;
    bool got = intmap_get(&im, (uint64_t)i * 0x9e3779b97f4a7c15ULL, &v);
    if (live[i]) live_count++;
    if (got == live[i] && (!got || v == shadow[i])) agree++;
  }
  CHECK_INT(agree, N);
  CHECK_INT(im.len, live_count);
  report("hashmap", "intmap: %zu live keys of %d after 200000 operations, capacity %zu",
         im.len, N, im.cap);
  intmap_free(&im);
}
