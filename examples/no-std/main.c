/* Links the no_std Spindle library (src/lib.rs) and runs guest.wasm through it: fib(0..20)
   written to the guest's memory, reported through a host function, checked here. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int32_t spindle_run(const uint8_t *bytes, size_t len, int32_t n, int32_t *result,
                    int32_t *out, size_t out_len);

static int reports;
static int bad_reports;

void report(int32_t index, int32_t value) {
  int32_t a = 0, b = 1;
  for (int32_t i = 0; i < index; i++) {
    int32_t t = a + b;
    a = b;
    b = t;
  }
  if (value != a) bad_reports++;
  reports++;
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s guest.wasm\n", argv[0]);
    return 2;
  }
  FILE *f = fopen(argv[1], "rb");
  if (!f) return 2;
  static uint8_t bytes[1 << 16];
  size_t len = fread(bytes, 1, sizeof bytes, f);
  fclose(f);

  int32_t result = 0, words[21] = {0};
  int32_t status = spindle_run(bytes, len, 20, &result, words, 21);
  int ok = status == 0 && result == 6765 && words[20] == 6765 && words[10] == 55 &&
           reports == 42 && bad_reports == 0;
  printf("status %d, fib(20) = %d, memory[10] = %d, %d reports (%d wrong): %s\n", status,
         result, words[10], reports, bad_reports, ok ? "ok" : "FAILED");

  /* An invalid module is an error, not a crash. */
  uint8_t junk[] = {0, 'a', 's', 'm', 1, 0, 0, 0, 0x7f};
  int32_t bad = spindle_run(junk, sizeof junk, 1, &result, words, 0);
  printf("invalid module: status %d: %s\n", bad, bad == 1 ? "ok" : "FAILED");
  return ok && bad == 1 ? 0 : 1;
}
