// A hostile WASI 0.2 guest: it calls wasi:filesystem, wasi:io and wasi:random directly
// (C bindings by wit-bindgen in gen/) with paths that lead out of its preopened
// directory, fabricated and dropped handles, and huge lengths. The host must answer each
// with an error the guest sees, or a trap, and never reach outside or allocate without
// bound.
//
//   hostile open PATH          open PATH (following symlinks) beneath the first preopen
//                              and print its first line, or "error: <code>"
//   hostile nofollow PATH      the same without following a final symlink
//   hostile link OLD NEW       hard-link OLD to NEW beneath the preopen
//   hostile symlink TARGET NEW create symlink NEW -> TARGET, then open NEW
//   hostile readlink PATH      print a symlink's target
//   hostile race PATH N        open and read PATH N times; print how many reads saw "in"
//                              and how many failed (a host thread swaps PATH meanwhile)
//   hostile bad-handle         stat a descriptor handle that was never made (a trap)
//   hostile use-after-drop     stat the preopen after dropping it (a trap)
//   hostile huge-read          read 2^40 bytes through read and a stream (bounded)
//   hostile huge-random        ask for 2^40 random bytes (a trap)
//   hostile many-streams       open streams until the host refuses (a trap)
//
// Built as a reactor with its own `_start` (see ../sockets/sockets.c for why).

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gen/hostile.h"

typedef wasi_filesystem_types_borrow_descriptor_t dir_t;
typedef wasi_filesystem_types_error_code_t code_t;

static wasi_filesystem_types_own_descriptor_t preopen;

static dir_t root(void) {
  wasi_filesystem_preopens_list_tuple2_own_descriptor_string_t dirs;
  wasi_filesystem_preopens_get_directories(&dirs);
  if (dirs.len == 0) {
    printf("no preopen\n");
    exit(2);
  }
  preopen = dirs.ptr[0].f0;
  return wasi_filesystem_types_borrow_descriptor(preopen);
}

static hostile_string_t str(const char *s) {
  return (hostile_string_t){(uint8_t *)s, strlen(s)};
}

static int error(code_t code) {
  printf("error: %d\n", code);
  return 1;
}

// Opens `path` beneath `dir` for reading; false with `*code` on error.
static bool open_file(dir_t dir, const char *path, bool follow, wasi_filesystem_types_own_descriptor_t *out,
                      code_t *code) {
  hostile_string_t p = str(path);
  return wasi_filesystem_types_method_descriptor_open_at(
      dir, follow ? WASI_FILESYSTEM_TYPES_PATH_FLAGS_SYMLINK_FOLLOW : 0, &p, 0,
      WASI_FILESYSTEM_TYPES_DESCRIPTOR_FLAGS_READ, out, code);
}

// Reads up to 64 bytes of `file` from the start.
static bool read_start(wasi_filesystem_types_own_descriptor_t file, hostile_tuple2_list_u8_bool_t *got,
                       code_t *code) {
  return wasi_filesystem_types_method_descriptor_read(wasi_filesystem_types_borrow_descriptor(file), 64, 0,
                                                      got, code);
}

static int open_and_print(const char *path, bool follow) {
  dir_t dir = root();
  wasi_filesystem_types_own_descriptor_t file;
  code_t code;
  if (!open_file(dir, path, follow, &file, &code)) return error(code);
  hostile_tuple2_list_u8_bool_t got;
  if (!read_start(file, &got, &code)) return error(code);
  size_t len = 0;
  while (len < got.f0.len && got.f0.ptr[len] != '\n') len++;
  printf("%.*s\n", (int)len, (const char *)got.f0.ptr);
  wasi_filesystem_types_descriptor_drop_own(file);
  return 0;
}

static int race(const char *path, int n) {
  dir_t dir = root();
  int in = 0, failed = 0, other = 0;
  for (int i = 0; i < n; i++) {
    wasi_filesystem_types_own_descriptor_t file;
    code_t code;
    if (!open_file(dir, path, true, &file, &code)) {
      failed++;
      continue;
    }
    hostile_tuple2_list_u8_bool_t got;
    if (read_start(file, &got, &code) && got.f0.len >= 2 && memcmp(got.f0.ptr, "in", 2) == 0)
      in++;
    else
      other++;
    hostile_list_u8_free(&got.f0);
    wasi_filesystem_types_descriptor_drop_own(file);
  }
  printf("in %d failed %d other %d\n", in, failed, other);
  return 0;
}

int __main_void(void);

__attribute__((export_name("_start"))) void start(void) { exit(__main_void()); }

int main(int argc, char **argv) {
  if (argc < 2) return 2;
  const char *cmd = argv[1];
  code_t code;
  if (strcmp(cmd, "open") == 0 && argc == 3) return open_and_print(argv[2], true);
  if (strcmp(cmd, "nofollow") == 0 && argc == 3) return open_and_print(argv[2], false);
  if (strcmp(cmd, "link") == 0 && argc == 4) {
    dir_t dir = root();
    hostile_string_t old = str(argv[2]), new = str(argv[3]);
    if (!wasi_filesystem_types_method_descriptor_link_at(dir, 0, &old, dir, &new, &code)) return error(code);
    printf("ok\n");
    return 0;
  }
  if (strcmp(cmd, "symlink") == 0 && argc == 4) {
    dir_t dir = root();
    hostile_string_t target = str(argv[2]), new = str(argv[3]);
    if (!wasi_filesystem_types_method_descriptor_symlink_at(dir, &target, &new, &code)) return error(code);
    return open_and_print(argv[3], true);
  }
  if (strcmp(cmd, "readlink") == 0 && argc == 3) {
    dir_t dir = root();
    hostile_string_t p = str(argv[2]), target;
    if (!wasi_filesystem_types_method_descriptor_readlink_at(dir, &p, &target, &code)) return error(code);
    printf("%.*s\n", (int)target.len, (const char *)target.ptr);
    return 0;
  }
  if (strcmp(cmd, "race") == 0 && argc == 4) return race(argv[2], atoi(argv[3]));
  if (strcmp(cmd, "bad-handle") == 0) {
    wasi_filesystem_types_descriptor_stat_t st;
    wasi_filesystem_types_method_descriptor_stat((dir_t){12345}, &st, &code);
    printf("survived\n");
    return 0;
  }
  if (strcmp(cmd, "use-after-drop") == 0) {
    dir_t dir = root();
    wasi_filesystem_types_descriptor_drop_own(preopen);
    wasi_filesystem_types_descriptor_stat_t st;
    wasi_filesystem_types_method_descriptor_stat(dir, &st, &code);
    printf("survived\n");
    return 0;
  }
  if (strcmp(cmd, "huge-read") == 0) {
    dir_t dir = root();
    wasi_filesystem_types_own_descriptor_t file;
    if (!open_file(dir, "inside.txt", true, &file, &code)) return error(code);
    hostile_tuple2_list_u8_bool_t got;
    if (!wasi_filesystem_types_method_descriptor_read(wasi_filesystem_types_borrow_descriptor(file), 1ull << 40,
                                                      0, &got, &code))
      return error(code);
    printf("read %zu eof %d\n", got.f0.len, got.f1);
    wasi_filesystem_types_own_input_stream_t in;
    if (!wasi_filesystem_types_method_descriptor_read_via_stream(wasi_filesystem_types_borrow_descriptor(file), 0,
                                                                 &in, &code))
      return error(code);
    hostile_list_u8_t bytes;
    wasi_io_streams_stream_error_t err;
    if (!wasi_io_streams_method_input_stream_read(wasi_io_streams_borrow_input_stream(in), 1ull << 40, &bytes, &err))
      return error(err.tag);
    printf("stream %zu\n", bytes.len);
    return 0;
  }
  if (strcmp(cmd, "huge-random") == 0) {
    hostile_list_u8_t bytes;
    wasi_random_random_get_random_bytes(1ull << 40, &bytes);
    printf("got %zu random bytes\n", bytes.len);
    return 0;
  }
  if (strcmp(cmd, "many-streams") == 0) {
    dir_t dir = root();
    wasi_filesystem_types_own_descriptor_t file;
    if (!open_file(dir, "inside.txt", true, &file, &code)) return error(code);
    for (int i = 0; i < 1000000; i++) {
      wasi_filesystem_types_own_input_stream_t in;
      if (!wasi_filesystem_types_method_descriptor_read_via_stream(wasi_filesystem_types_borrow_descriptor(file),
                                                                   0, &in, &code))
        return error(code);
    }
    printf("a million streams\n");
    return 0;
  }
  fprintf(stderr, "hostile: unknown command\n");
  return 2;
}
