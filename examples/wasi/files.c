// WASI preview-1 files, driven by the tests of crates/wasi and the CLI (run with a
// preopened directory, `spindle run --dir HOST::/data files.wasm ...`).
//
//   files write PATH TEXT   creates or truncates PATH and writes TEXT
//   files append PATH TEXT  appends TEXT
//   files cat PATH          prints PATH's contents
//   files ls DIR            prints DIR's entries, sorted, without . and ..
//   files mkdir PATH | rmdir PATH | rm PATH | mv FROM TO
//   files size PATH         prints PATH's size in bytes
//   files seek PATH N       prints the bytes of PATH from offset N
//   files try PATH          tries to open PATH for reading: "ok" or the error's name
//   files link FROM TO      makes a hard link
//   files alloc PATH N      makes PATH at least N bytes long (posix_fallocate)
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int fail(const char *what) {
  printf("%s: %s\n", what, strerror(errno));
  return 1;
}

static int cmp(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: files COMMAND PATH [ARG]\n");
    return 2;
  }
  const char *cmd = argv[1], *path = argv[2];
  if ((strcmp(cmd, "write") == 0 || strcmp(cmd, "append") == 0) && argc > 3) {
    FILE *f = fopen(path, cmd[0] == 'w' ? "w" : "a");
    if (!f) return fail(path);
    fputs(argv[3], f);
    if (fclose(f) != 0) return fail(path);
  } else if (strcmp(cmd, "cat") == 0) {
    FILE *f = fopen(path, "r");
    if (!f) return fail(path);
    char buf[256];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0) fwrite(buf, 1, n, stdout);
    fclose(f);
  } else if (strcmp(cmd, "ls") == 0) {
    DIR *d = opendir(path);
    if (!d) return fail(path);
    char *names[256];
    int count = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL && count < 256) {
      if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
      names[count++] = strdup(e->d_name);
    }
    closedir(d);
    qsort(names, count, sizeof names[0], cmp);
    for (int i = 0; i < count; i++) printf("%s\n", names[i]);
  } else if (strcmp(cmd, "mkdir") == 0) {
    if (mkdir(path, 0755) != 0) return fail(path);
  } else if (strcmp(cmd, "rmdir") == 0) {
    if (rmdir(path) != 0) return fail(path);
  } else if (strcmp(cmd, "rm") == 0) {
    if (unlink(path) != 0) return fail(path);
  } else if (strcmp(cmd, "mv") == 0 && argc > 3) {
    if (rename(path, argv[3]) != 0) return fail(path);
  } else if (strcmp(cmd, "size") == 0) {
    struct stat st;
    if (stat(path, &st) != 0) return fail(path);
    printf("%lld\n", (long long)st.st_size);
  } else if (strcmp(cmd, "seek") == 0 && argc > 3) {
    int fd = open(path, O_RDONLY);
    if (fd < 0) return fail(path);
    if (lseek(fd, atoi(argv[3]), SEEK_SET) < 0) return fail("lseek");
    char buf[256];
    ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0) return fail("read");
    fwrite(buf, 1, n, stdout);
    close(fd);
  } else if (strcmp(cmd, "link") == 0 && argc > 3) {
    if (link(path, argv[3]) != 0) return fail(path);
  } else if (strcmp(cmd, "alloc") == 0 && argc > 3) {
    int fd = open(path, O_WRONLY | O_CREAT, 0644);
    if (fd < 0) return fail(path);
    int err = posix_fallocate(fd, 0, atoi(argv[3]));
    if (err != 0) {
      errno = err;
      return fail("posix_fallocate");
    }
    close(fd);
  } else if (strcmp(cmd, "try") == 0) {
    int fd = open(path, O_RDONLY);
    if (fd < 0) {
      printf("%s\n", strerror(errno));
      return 1;
    }
    printf("ok\n");
    close(fd);
  } else {
    fprintf(stderr, "files: unknown command %s\n", cmd);
    return 2;
  }
  return 0;
}
