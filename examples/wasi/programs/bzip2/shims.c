// What wasi-libc lacks and bzip2.c calls to copy a file's owner and mode to its output:
// WASI has neither, so these succeed without doing anything.
#include <sys/types.h>
int fchmod(int fd, mode_t mode) { (void)fd; (void)mode; return 0; }
int fchown(int fd, uid_t owner, gid_t group) { (void)fd; (void)owner; (void)group; return 0; }
