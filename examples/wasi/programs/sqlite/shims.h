/* Declarations of what shims.c supplies (WASI's libc lacks them). */
#include <sys/types.h>
int chmod(const char *path, mode_t mode);
