// WASI benchmark: reads /data/big.bin (100 MiB, made by the harness) in 64 KiB chunks
// with read(2): 1,600 fd_read calls moving 64 KiB each. Prints a checksum.
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

static unsigned char buf[65536];

int main(void) {
  int fd = open("/data/big.bin", O_RDONLY);
  if (fd < 0) { perror("/data/big.bin"); return 1; }
  unsigned long long sum = 0, total = 0;
  ssize_t n;
  while ((n = read(fd, buf, sizeof buf)) > 0) {
    total += n;
    for (ssize_t i = 0; i < n; i += 4096) sum += buf[i];
  }
  close(fd);
  printf("%llu %llu\n", total, sum);
  return 0;
}
