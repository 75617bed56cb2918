/* bigprog's entry point: runs every suite (or those named on the command line) and
 * exits with status 0 only if every check passed. `-v` prints more. */
#include <stdio.h>
#include <string.h>

#include "common.h"

static const struct {
  const char *name;
  void (*run)(void);
} suites[] = {
    {"hashmap", suite_hashmap}, {"sort", suite_sort},       {"json", suite_json},
    {"regex", suite_regex},     {"lz", suite_lz},           {"bigint", suite_bigint},
    {"numeric", suite_numeric}, {"sha256", suite_sha256},   {"text", suite_text},
    {"script", suite_script},
};
enum { NSUITES = sizeof suites / sizeof suites[0] };

int main(int argc, char **argv) {
  bool selected[NSUITES] = {false};
  bool any = false;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "-v") == 0) {
      g_verbose = 1;
      continue;
    }
    if (strcmp(argv[i], "-l") == 0) {
      for (int s = 0; s < NSUITES; s++) printf("%s\n", suites[s].name);
      return 0;
    }
    bool found = false;
    for (int s = 0; s < NSUITES; s++) {
      if (strcmp(argv[i], suites[s].name) == 0) {
        selected[s] = found = any = true;
      }
    }
    if (!found) {
      fprintf(stderr, "bigprog: unknown suite '%s' (-l lists them)\n", argv[i]);
      return 2;
    }
  }
  int ran = 0;
  for (int s = 0; s < NSUITES; s++) {
    if (any && !selected[s]) continue;
    int before = g_failures;
    suites[s].run();
    ran++;
    if (g_failures != before) printf("[%s] %d failures\n", suites[s].name, g_failures - before);
  }
  printf("bigprog: %d suites, %d checks, %d failures\n", ran, g_checks, g_failures);
  return g_failures ? 1 : 0;
}
