/* What the SQLite shell calls that WASI's libc lacks: file modes do not exist (chmod
 * succeeds doing nothing, as wasi-libc's own fchmod-less world implies) and there are no
 * processes (system fails, so .system and .shell report an error). */
#include <sys/types.h>

int chmod(const char *path, mode_t mode) {
  (void)path;
  (void)mode;
  return 0;
}

int system(const char *command) {
  (void)command;
  return -1;
}
