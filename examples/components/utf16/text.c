// The utf16 guest: `spindle:test-utf16/text` with every string in UTF-16 (wit-bindgen's
// `--string-encoding utf16`, so the canonical options say `string-encoding=utf16` and the
// lengths the runtime passes and receives count 16-bit code units).
//
// Ownership (wit-bindgen's C conventions): argument strings and lists are ours; returned
// strings are malloc'd and freed by the generated post-return functions; the string the
// host returns from `env.prefix` is ours.

#include <stdlib.h>
#include <string.h>

#include "utf16.h"

typedef utf16_string_t str_t;

static uint16_t *alloc_units(size_t n) {
  uint16_t *p = malloc(n ? n * 2 : 2);
  if (!p) abort();
  return p;
}

static bool is_high(uint16_t u) { return u >= 0xd800 && u <= 0xdbff; }
static bool is_low(uint16_t u) { return u >= 0xdc00 && u <= 0xdfff; }

void exports_spindle_test_utf16_text_reverse(str_t *s, str_t *ret) {
  size_t n = s->len;
  uint16_t *out = n ? alloc_units(n) : NULL;
  size_t o = 0;
  for (size_t i = n; i > 0;) {
    uint16_t u = s->ptr[i - 1];
    if (is_low(u) && i >= 2 && is_high(s->ptr[i - 2])) {
      out[o++] = s->ptr[i - 2];  // a surrogate pair stays in order
      out[o++] = u;
      i -= 2;
    } else {
      out[o++] = u;
      i -= 1;
    }
  }
  utf16_string_free(s);
  ret->ptr = out;
  ret->len = n;
}

uint32_t exports_spindle_test_utf16_text_count_units(str_t *s) {
  uint32_t n = (uint32_t)s->len;
  utf16_string_free(s);
  return n;
}

void exports_spindle_test_utf16_text_concat(utf16_list_string_t *parts, str_t *ret) {
  size_t total = 0;
  for (size_t i = 0; i < parts->len; i++) total += parts->ptr[i].len;
  uint16_t *out = total ? alloc_units(total) : NULL;
  size_t o = 0;
  for (size_t i = 0; i < parts->len; i++) {
    if (parts->ptr[i].len) memcpy(out + o, parts->ptr[i].ptr, parts->ptr[i].len * 2);
    o += parts->ptr[i].len;
  }
  utf16_list_string_free(parts);
  ret->ptr = out;
  ret->len = total;
}

void exports_spindle_test_utf16_text_prefixed(str_t *s, str_t *ret) {
  str_t prefix;
  spindle_test_utf16_env_prefix(&prefix);
  size_t total = prefix.len + s->len;
  uint16_t *out = total ? alloc_units(total) : NULL;
  if (prefix.len) memcpy(out, prefix.ptr, prefix.len * 2);
  if (s->len) memcpy(out + prefix.len, s->ptr, s->len * 2);
  utf16_string_free(&prefix);
  utf16_string_free(s);
  ret->ptr = out;
  ret->len = total;
  spindle_test_utf16_env_note(ret);
}
