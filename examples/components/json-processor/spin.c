// A json-processor guest that never answers: both functions loop forever. The host's fuel
// budget ends the call with an out-of-fuel trap (examples/json-processor's tests).

#include "json_processor.h"

static void spin(void) {
  volatile unsigned long n = 0;
  for (;;) n++;
}

bool exports_example_json_tools_formatter_format(
    json_processor_string_t *input,
    exports_example_json_tools_formatter_format_options_t *maybe_options,
    json_processor_string_t *ret, json_processor_string_t *err) {
  (void)input;
  (void)maybe_options;
  (void)ret;
  (void)err;
  spin();
  return false;
}

bool exports_example_json_tools_formatter_minify(json_processor_string_t *input,
                                                 json_processor_string_t *ret,
                                                 json_processor_string_t *err) {
  (void)input;
  (void)ret;
  (void)err;
  spin();
  return false;
}
