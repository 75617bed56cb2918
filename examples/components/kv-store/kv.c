// The kv-store guest: `spindle:test-kv/kv` (see wit/kv.wit for what each function does).
//
// Handles, as the canonical ABI hands them to a component that defines a resource: an
// exported `borrow<store>` arrives as our own representation (a pointer), an `own<store>`
// as a handle in our table, which `store_rep` turns into the pointer and `store_drop_own`
// drops (the runtime then calls our destructor). The imported `logger` arrives as a
// handle; a borrowed one must be dropped before the call returns (these bindings do not
// drop borrows on their own), which `dump` does.
//
// Ownership (wit-bindgen's C conventions): argument strings are ours; returned strings are
// malloc'd and freed by the generated post-return functions.

#include <stdlib.h>
#include <string.h>

#include "kv_store.h"

typedef kv_store_string_t str_t;

struct entry {
  str_t key;
  str_t value;
};

struct exports_spindle_test_kv_kv_store_t {
  struct entry *entries;
  size_t len;
  size_t cap;
};

typedef exports_spindle_test_kv_kv_store_t store_t;

static uint32_t live;
static uint32_t destroyed;

static str_t copy(const str_t *s) {
  str_t r = {NULL, 0};
  if (s->len) kv_store_string_dup_n(&r, (const char *)s->ptr, s->len);
  return r;
}

static bool same(const str_t *a, const str_t *b) {
  return a->len == b->len && (a->len == 0 || memcmp(a->ptr, b->ptr, a->len) == 0);
}

static struct entry *find(store_t *s, const str_t *key) {
  for (size_t i = 0; i < s->len; i++) {
    if (same(&s->entries[i].key, key)) return &s->entries[i];
  }
  return NULL;
}

static store_t *new_store(void) {
  store_t *s = calloc(1, sizeof *s);
  if (!s) abort();
  live++;
  return s;
}

// Takes ownership of key and value.
static void put(store_t *s, str_t key, str_t value) {
  struct entry *e = find(s, &key);
  if (e) {
    kv_store_string_free(&key);
    kv_store_string_free(&e->value);
    e->value = value;
    return;
  }
  if (s->len == s->cap) {
    s->cap = s->cap ? s->cap * 2 : 4;
    s->entries = realloc(s->entries, s->cap * sizeof *s->entries);
    if (!s->entries) abort();
  }
  s->entries[s->len++] = (struct entry){key, value};
}

exports_spindle_test_kv_kv_own_store_t exports_spindle_test_kv_kv_constructor_store(void) {
  return exports_spindle_test_kv_kv_store_new(new_store());
}

void exports_spindle_test_kv_kv_store_destructor(store_t *s) {
  for (size_t i = 0; i < s->len; i++) {
    kv_store_string_free(&s->entries[i].key);
    kv_store_string_free(&s->entries[i].value);
  }
  free(s->entries);
  free(s);
  live--;
  destroyed++;
}

bool exports_spindle_test_kv_kv_method_store_get(store_t *self, str_t *key, str_t *ret) {
  struct entry *e = find(self, key);
  kv_store_string_free(key);
  if (!e) return false;
  *ret = copy(&e->value);
  return true;
}

void exports_spindle_test_kv_kv_method_store_set(store_t *self, str_t *key, str_t *value) {
  put(self, *key, *value);
}

bool exports_spindle_test_kv_kv_method_store_delete(store_t *self, str_t *key) {
  struct entry *e = find(self, key);
  kv_store_string_free(key);
  if (!e) return false;
  kv_store_string_free(&e->key);
  kv_store_string_free(&e->value);
  size_t i = (size_t)(e - self->entries);
  memmove(e, e + 1, (self->len - i - 1) * sizeof *e);
  self->len--;
  return true;
}

uint32_t exports_spindle_test_kv_kv_method_store_len(store_t *self) {
  return (uint32_t)self->len;
}

exports_spindle_test_kv_kv_own_store_t exports_spindle_test_kv_kv_static_store_merge(store_t *a,
                                                                                     store_t *b) {
  store_t *s = new_store();
  for (size_t i = 0; i < a->len; i++) put(s, copy(&a->entries[i].key), copy(&a->entries[i].value));
  for (size_t i = 0; i < b->len; i++) put(s, copy(&b->entries[i].key), copy(&b->entries[i].value));
  return exports_spindle_test_kv_kv_store_new(s);
}

uint32_t exports_spindle_test_kv_kv_method_store_dump(store_t *self,
                                                      exports_spindle_test_kv_kv_borrow_logger_t log) {
  for (size_t i = 0; i < self->len; i++) {
    const struct entry *e = &self->entries[i];
    str_t line = {NULL, e->key.len + 1 + e->value.len};
    line.ptr = malloc(line.len);
    if (!line.ptr) abort();
    if (e->key.len) memcpy(line.ptr, e->key.ptr, e->key.len);
    line.ptr[e->key.len] = '=';
    if (e->value.len) memcpy(line.ptr + e->key.len + 1, e->value.ptr, e->value.len);
    spindle_test_kv_logging_method_logger_log(log, &line);
    kv_store_string_free(&line);
  }
  spindle_test_kv_logging_logger_drop_borrow(log);
  return (uint32_t)self->len;
}

uint32_t exports_spindle_test_kv_kv_consume(exports_spindle_test_kv_kv_own_store_t s) {
  uint32_t len = (uint32_t)exports_spindle_test_kv_kv_store_rep(s)->len;
  exports_spindle_test_kv_kv_store_drop_own(s);  // runs the destructor
  return len;
}

uint32_t exports_spindle_test_kv_kv_live_stores(void) { return live; }

uint32_t exports_spindle_test_kv_kv_destroyed_stores(void) { return destroyed; }

void exports_spindle_test_kv_kv_log_once(str_t *prefix, str_t *msg) {
  spindle_test_kv_logging_own_logger_t logger = spindle_test_kv_logging_constructor_logger(prefix);
  spindle_test_kv_logging_method_logger_log(spindle_test_kv_logging_borrow_logger(logger), msg);
  spindle_test_kv_logging_logger_drop_own(logger);
  kv_store_string_free(prefix);
  kv_store_string_free(msg);
}
