// The json-processor guest's JSON core, independent of the component bindings.
#ifndef JSON_H
#define JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

// A larger indent is an error (it keeps a hostile indent from asking for gigabytes).
#define JSON_MAX_INDENT 64

struct json_style {
  bool pretty;       // one element per line, `indent` spaces per level; else no whitespace
  uint32_t indent;   // spaces per level when pretty (0: newlines without indentation)
  bool sort_keys;    // order every object's members by key
};

// Parses `in` (UTF-8 JSON text) and prints it in `style`. On success returns true and sets
// *out to the malloc'd text; on failure returns false and sets *out to a malloc'd message
// ("<what> at line L, column C (byte B)"). *out is never NUL-terminated for the caller's
// purposes: use *out_len.
bool json_transform(const uint8_t *in, size_t len, const struct json_style *style,
                    uint8_t **out, size_t *out_len);

#endif
