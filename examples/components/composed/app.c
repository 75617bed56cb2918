// The composed guests' app: imports `spindle:test-compose/math`, exports
// `run(name, a, b) = greet(name) + " " + decimal(add(a, b))`.
// Ownership (wit-bindgen's C conventions): `name` is ours, and so is the string `greet`
// returns; the result is freed by the generated post-return function.

#include <stdlib.h>
#include <string.h>

#include "app.h"

void exports_app_run(app_string_t *name, int32_t a, int32_t b, app_string_t *ret) {
  app_string_t greeting;
  spindle_test_compose_math_greet(name, &greeting);
  app_string_free(name);
  int32_t sum = spindle_test_compose_math_add(a, b);

  char digits[12];
  size_t n = 0;
  uint32_t mag = sum < 0 ? 0u - (uint32_t)sum : (uint32_t)sum;
  do {
    digits[n++] = (char)('0' + mag % 10);
    mag /= 10;
  } while (mag);
  if (sum < 0) digits[n++] = '-';

  ret->len = greeting.len + 1 + n;
  ret->ptr = malloc(ret->len);
  if (!ret->ptr) abort();
  if (greeting.len) memcpy(ret->ptr, greeting.ptr, greeting.len);
  ret->ptr[greeting.len] = ' ';
  for (size_t i = 0; i < n; i++) ret->ptr[greeting.len + 1 + i] = (uint8_t)digits[n - 1 - i];
  app_string_free(&greeting);
}
