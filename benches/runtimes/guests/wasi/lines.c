// WASI benchmark: 1,000,000 short lines to standard output (redirected to a file by the
// harness), through stdio's buffering: many fd_write calls of a few KiB.
#include <stdio.h>

int main(void) {
  for (int i = 0; i < 1000000; i++) printf("line %d\n", i);
  return 0;
}
