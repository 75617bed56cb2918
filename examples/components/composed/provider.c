// The composed guests' provider: `spindle:test-compose/math`.
// Ownership (wit-bindgen's C conventions): `name` is ours; the result is freed by the
// generated post-return function.

#include <stdlib.h>
#include <string.h>

#include "provider.h"

// Wrapping, as i32.add.
int32_t exports_spindle_test_compose_math_add(int32_t a, int32_t b) {
  return (int32_t)((uint32_t)a + (uint32_t)b);
}

void exports_spindle_test_compose_math_greet(provider_string_t *name, provider_string_t *ret) {
  static const char hello[] = "Hello, ";
  size_t h = sizeof hello - 1;
  ret->len = h + name->len + 1;
  ret->ptr = malloc(ret->len);
  if (!ret->ptr) abort();
  memcpy(ret->ptr, hello, h);
  if (name->len) memcpy(ret->ptr + h, name->ptr, name->len);
  ret->ptr[ret->len - 1] = '!';
  provider_string_free(name);
}
