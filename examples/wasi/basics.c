// WASI preview-1 basics, driven by the tests of crates/wasi: arguments, environment,
// standard input to output, standard error, clocks, randomness and the exit status.
//
//   basics args A B      prints each argument on its own line
//   basics env NAME      prints NAME's value, or "(unset)"
//   basics upper         copies stdin to stdout in upper case
//   basics stderr TEXT   writes TEXT to stderr
//   basics clock         prints whether the monotonic clock advances and the wall clock
//                        is after 2020
//   basics random        prints 8 random bytes in hex
//   basics exit N        exits with status N
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: basics COMMAND [ARGS]\n");
    return 2;
  }
  const char *cmd = argv[1];
  if (strcmp(cmd, "args") == 0) {
    for (int i = 0; i < argc; i++) printf("%s\n", argv[i]);
  } else if (strcmp(cmd, "env") == 0 && argc > 2) {
    const char *v = getenv(argv[2]);
    printf("%s\n", v ? v : "(unset)");
  } else if (strcmp(cmd, "upper") == 0) {
    int c;
    while ((c = getchar()) != EOF) putchar(toupper(c));
  } else if (strcmp(cmd, "stderr") == 0 && argc > 2) {
    fprintf(stderr, "%s\n", argv[2]);
  } else if (strcmp(cmd, "clock") == 0) {
    struct timespec a, b, w;
    clock_gettime(CLOCK_MONOTONIC, &a);
    clock_gettime(CLOCK_MONOTONIC, &b);
    clock_gettime(CLOCK_REALTIME, &w);
    int advances = b.tv_sec > a.tv_sec || (b.tv_sec == a.tv_sec && b.tv_nsec > a.tv_nsec);
    printf("monotonic advances: %s\nafter 2020: %s\n", advances ? "yes" : "no",
           w.tv_sec > 1577836800 ? "yes" : "no");
  } else if (strcmp(cmd, "random") == 0) {
    unsigned char buf[8];
    if (getentropy(buf, sizeof buf) != 0) return 3;
    for (int i = 0; i < 8; i++) printf("%02x", buf[i]);
    printf("\n");
  } else if (strcmp(cmd, "exit") == 0 && argc > 2) {
    fflush(stdout);
    exit(atoi(argv[2]));
  } else {
    fprintf(stderr, "basics: unknown command %s\n", cmd);
    return 2;
  }
  return 0;
}
