// The json-processor guest: `example:json-tools/formatter@1.0.0` over json.c.
//
// Ownership follows wit-bindgen's C conventions: the argument strings belong to us (freed
// here), the result strings are malloc'd and freed by the generated post-return functions.

#include <stdlib.h>

#include "json.h"
#include "json_processor.h"

static bool run(json_processor_string_t *input, const struct json_style *style,
                json_processor_string_t *ret, json_processor_string_t *err) {
  uint8_t *out;
  size_t out_len;
  bool ok = json_transform(input->ptr, input->len, style, &out, &out_len);
  json_processor_string_free(input);
  json_processor_string_t *dst = ok ? ret : err;
  dst->ptr = out;
  dst->len = out_len;
  return ok;
}

bool exports_example_json_tools_formatter_format(
    json_processor_string_t *input,
    exports_example_json_tools_formatter_format_options_t *maybe_options,
    json_processor_string_t *ret, json_processor_string_t *err) {
  struct json_style style = {.pretty = true, .indent = 2, .sort_keys = false};
  if (maybe_options) {
    style.indent = maybe_options->indent;
    style.sort_keys = maybe_options->sort_keys;
  }
  return run(input, &style, ret, err);
}

bool exports_example_json_tools_formatter_minify(json_processor_string_t *input,
                                                 json_processor_string_t *ret,
                                                 json_processor_string_t *err) {
  struct json_style style = {.pretty = false, .indent = 0, .sort_keys = false};
  return run(input, &style, ret, err);
}
