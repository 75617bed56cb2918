#ifndef BIGPROG_HASHMAP_H
#define BIGPROG_HASHMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* String-keyed map with Robin Hood open addressing; keys are copied. */
typedef struct {
  char *key;
  uint64_t hash;
  int64_t value;
  uint32_t dist; /* probe distance + 1; 0 marks an empty slot */
} MapSlot;

typedef struct {
  MapSlot *slots;
  size_t cap, len;
} StrMap;

void strmap_init(StrMap *m);
void strmap_free(StrMap *m);
/* Returns a pointer to the value for `key`, inserting 0 when absent. */
int64_t *strmap_upsert(StrMap *m, const char *key, size_t keylen);
int64_t *strmap_get(const StrMap *m, const char *key, size_t keylen);
bool strmap_remove(StrMap *m, const char *key, size_t keylen);
/* Iteration: start at 0; returns the next occupied slot index or -1. */
long strmap_next(const StrMap *m, long from);

/* Integer set/map with 64-bit keys, linear probing and tombstones. */
typedef struct {
  uint64_t *keys;
  int64_t *values;
  uint8_t *state; /* 0 empty, 1 full, 2 deleted */
  size_t cap, len, used;
} IntMap;

void intmap_init(IntMap *m);
void intmap_free(IntMap *m);
void intmap_put(IntMap *m, uint64_t key, int64_t value);
bool intmap_get(const IntMap *m, uint64_t key, int64_t *value);
bool intmap_del(IntMap *m, uint64_t key);

#endif
