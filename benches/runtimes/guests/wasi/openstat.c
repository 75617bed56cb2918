// WASI benchmark: 100,000 open/fstat/close cycles over 100 small files
// (/data/small/f0 .. f99, made by the harness): path resolution and descriptor churn.
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

int main(void) {
  char path[64];
  unsigned long long size = 0;
  for (int i = 0; i < 100000; i++) {
    snprintf(path, sizeof path, "/data/small/f%d", i % 100);
    int fd = open(path, O_RDONLY);
    if (fd < 0) { perror(path); return 1; }
    struct stat st;
    if (fstat(fd, &st) != 0) { perror("fstat"); return 1; }
    size += st.st_size;
    close(fd);
  }
  printf("%llu\n", size);
  return 0;
}
