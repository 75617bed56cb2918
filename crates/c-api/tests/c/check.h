/* Shared by the C tests: a checking macro and a file reader. Each test exits 0 when every
 * check holds and 1 at the first that does not, naming it. */
#ifndef CHECK_H
#define CHECK_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wasm.h"

#define CHECK(cond)                                                                    \
  do {                                                                                 \
    if (!(cond)) {                                                                     \
      fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);         \
      exit(1);                                                                         \
    }                                                                                  \
  } while (0)

/* Reads a whole file into an owned byte vector. */
static inline void read_file(const char *path, wasm_byte_vec_t *out) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    fprintf(stderr, "cannot open %s\n", path);
    exit(1);
  }
  fseek(f, 0, SEEK_END);
  long size = ftell(f);
  fseek(f, 0, SEEK_SET);
  wasm_byte_vec_new_uninitialized(out, (size_t)size);
  if (size > 0 && fread(out->data, (size_t)size, 1, f) != 1) {
    fprintf(stderr, "cannot read %s\n", path);
    exit(1);
  }
  fclose(f);
}

/* Whether an owned NUL-terminated message contains `needle`; frees the message. */
static inline int message_has(wasm_message_t *m, const char *needle) {
  int found = m->size > 0 && m->data[m->size - 1] == '\0' && strstr(m->data, needle) != NULL;
  wasm_byte_vec_delete(m);
  return found;
}

#endif
