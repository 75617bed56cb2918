// WASI 0.2 interfaces called directly (C bindings by wit-bindgen in gen/), for what
// wasi-libc through the preview-1 adapter does not reach: non-blocking reads, skip,
// check-write, write-zeroes, splice, subscribe and poll on a timer and a stream, the
// terminal interfaces, the wall clock, insecure randomness, and the filesystem's
// descriptor operations (streams at offsets and appending, read and write at offsets,
// stat, set-times, metadata hashes, is-same-object, advise, sync, set-size, flags and
// types, directory streams, create/rename/symlink/readlink/link/unlink/remove).
//
//   interfaces streams     stdin (read without blocking, skip) to stdout, then
//                          /data/in.txt spliced to stdout, then 3 zero bytes
//   interfaces poll        a 20 ms timer and stdin polled together, then the timer alone
//   interfaces terminal    whether each standard stream is a terminal
//   interfaces random      lengths and the seed's shape
//   interfaces fs          every descriptor operation beneath the first preopen
//
// Built as a reactor with its own `_start` (see ../sockets/sockets.c for why).

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gen/interfaces.h"

typedef wasi_filesystem_types_borrow_descriptor_t dir_t;
typedef wasi_filesystem_types_error_code_t code_t;

static void fail(const char *what, int code) {
  printf("error: %s %d\n", what, code);
  fflush(stdout);
  exit(1);
}

static interfaces_string_t str(const char *s) { return (interfaces_string_t){(uint8_t *)s, strlen(s)}; }

static void out(wasi_io_streams_borrow_output_stream_t o, const void *p, size_t n) {
  interfaces_list_u8_t l = {(uint8_t *)p, n};
  wasi_io_streams_stream_error_t err;
  if (!wasi_io_streams_method_output_stream_blocking_write_and_flush(o, &l, &err)) fail("write", err.tag);
}

static int streams(void) {
  wasi_io_streams_own_input_stream_t in = wasi_cli_stdin_get_stdin();
  wasi_io_streams_own_output_stream_t so = wasi_cli_stdout_get_stdout();
  wasi_io_streams_borrow_output_stream_t o = wasi_io_streams_borrow_output_stream(so);
  wasi_io_streams_borrow_input_stream_t i = wasi_io_streams_borrow_input_stream(in);
  wasi_io_streams_stream_error_t err;
  // Skip the first two bytes, then copy the rest in small non-blocking reads.
  uint64_t skipped;
  if (!wasi_io_streams_method_input_stream_skip(i, 2, &skipped, &err)) fail("skip", err.tag);
  size_t total = 0;
  for (;;) {
    interfaces_list_u8_t got;
    if (!wasi_io_streams_method_input_stream_read(i, 5, &got, &err)) {
      if (err.tag == WASI_IO_STREAMS_STREAM_ERROR_CLOSED) break;
      fail("read", err.tag);
    }
    uint64_t permit;
    if (!wasi_io_streams_method_output_stream_check_write(o, &permit, &err)) fail("check-write", err.tag);
    if (permit < got.len) fail("check-write permits too little", (int)permit);
    if (!wasi_io_streams_method_output_stream_write(o, &got, &err)) fail("write", err.tag);
    total += got.len;
    interfaces_list_u8_free(&got);
  }
  if (!wasi_io_streams_method_output_stream_flush(o, &err)) fail("flush", err.tag);
  // A file's stream spliced to stdout.
  wasi_filesystem_preopens_list_tuple2_own_descriptor_string_t dirs;
  wasi_filesystem_preopens_get_directories(&dirs);
  if (dirs.len == 0) fail("no preopen", 0);
  dir_t dir = wasi_filesystem_types_borrow_descriptor(dirs.ptr[0].f0);
  interfaces_string_t p = str("in.txt");
  wasi_filesystem_types_own_descriptor_t file;
  code_t code;
  if (!wasi_filesystem_types_method_descriptor_open_at(dir, 0, &p, 0, WASI_FILESYSTEM_TYPES_DESCRIPTOR_FLAGS_READ,
                                                       &file, &code))
    fail("open", code);
  wasi_io_streams_own_input_stream_t fin;
  if (!wasi_filesystem_types_method_descriptor_read_via_stream(wasi_filesystem_types_borrow_descriptor(file), 0, &fin,
                                                               &code))
    fail("read-via-stream", code);
  uint64_t spliced = 0, n;
  for (;;) {
    if (!wasi_io_streams_method_output_stream_blocking_splice(o, wasi_io_streams_borrow_input_stream(fin), 4, &n,
                                                              &err)) {
      if (err.tag == WASI_IO_STREAMS_STREAM_ERROR_CLOSED) break;
      fail("splice", err.tag);
    }
    spliced += n;
  }
  if (!wasi_io_streams_method_output_stream_blocking_write_zeroes_and_flush(o, 3, &err)) fail("write-zeroes", err.tag);
  char line[64];
  int len = snprintf(line, sizeof line, "\nskipped %llu, copied %zu, spliced %llu\n", (unsigned long long)skipped,
                     total, (unsigned long long)spliced);
  out(o, line, (size_t)len);
  wasi_io_streams_input_stream_drop_own(fin);
  wasi_filesystem_types_descriptor_drop_own(file);
  wasi_io_streams_input_stream_drop_own(in);
  wasi_io_streams_output_stream_drop_own(so);
  return 0;
}

static int poll(void) {
  wasi_io_streams_own_input_stream_t in = wasi_cli_stdin_get_stdin();
  uint64_t start = wasi_clocks_monotonic_clock_now();
  wasi_io_poll_own_pollable_t timer = wasi_clocks_monotonic_clock_subscribe_duration(20000000);
  wasi_io_poll_own_pollable_t ready = wasi_io_streams_method_input_stream_subscribe(wasi_io_streams_borrow_input_stream(in));
  wasi_io_poll_borrow_pollable_t both[2] = {wasi_io_poll_borrow_pollable(timer), wasi_io_poll_borrow_pollable(ready)};
  wasi_io_poll_list_borrow_pollable_t list = {both, 2};
  interfaces_list_u32_t got;
  wasi_io_poll_poll(&list, &got);
  printf("ready:");
  for (size_t k = 0; k < got.len; k++) printf(" %u", got.ptr[k]);
  printf("\n");
  printf("timer ready at once: %s\n", wasi_io_poll_method_pollable_ready(both[0]) ? "yes" : "no");
  wasi_io_poll_list_borrow_pollable_t one = {both, 1};
  wasi_io_poll_poll(&one, &got);
  uint64_t waited = wasi_clocks_monotonic_clock_now() - start;
  printf("timer: index %u, waited >= 20 ms: %s\n", got.ptr[0], waited >= 20000000 ? "yes" : "no");
  wasi_io_poll_pollable_drop_own(timer);
  wasi_io_poll_pollable_drop_own(ready);
  wasi_io_streams_input_stream_drop_own(in);
  return 0;
}

static int terminal(void) {
  wasi_cli_terminal_stdin_own_terminal_input_t ti;
  wasi_cli_terminal_stdout_own_terminal_output_t to;
  bool a = wasi_cli_terminal_stdin_get_terminal_stdin(&ti);
  bool b = wasi_cli_terminal_stdout_get_terminal_stdout(&to);
  if (a) wasi_cli_terminal_input_terminal_input_drop_own(ti);
  if (b) wasi_cli_terminal_output_terminal_output_drop_own(to);
  bool c = wasi_cli_terminal_stderr_get_terminal_stderr(&to);
  if (c) wasi_cli_terminal_output_terminal_output_drop_own(to);
  printf("terminals: stdin %s, stdout %s, stderr %s\n", a ? "yes" : "no", b ? "yes" : "no", c ? "yes" : "no");
  return 0;
}

static int random_(void) {
  interfaces_list_u8_t bytes;
  wasi_random_random_get_random_bytes(16, &bytes);
  printf("random: %zu bytes\n", bytes.len);
  wasi_random_insecure_get_insecure_random_bytes(5, &bytes);
  printf("insecure: %zu bytes\n", bytes.len);
  interfaces_tuple2_u64_u64_t seed;
  wasi_random_insecure_seed_insecure_seed(&seed);
  printf("seed: %s\n", seed.f0 != 0 || seed.f1 != 0 ? "nonzero" : "zero");
  wasi_clocks_wall_clock_datetime_t now;
  wasi_clocks_wall_clock_now(&now);
  printf("wall clock after 2020: %s\n", now.seconds > 1577836800ull ? "yes" : "no");
  return 0;
}

#define CHECK(call, what) \
  do {                    \
    if (!(call)) fail(what, code); \
  } while (0)

static int fs(void) {
  wasi_filesystem_preopens_list_tuple2_own_descriptor_string_t dirs;
  wasi_filesystem_preopens_get_directories(&dirs);
  if (dirs.len == 0) fail("no preopen", 0);
  dir_t dir = wasi_filesystem_types_borrow_descriptor(dirs.ptr[0].f0);
  printf("preopen %.*s\n", (int)dirs.ptr[0].f1.len, (const char *)dirs.ptr[0].f1.ptr);
  code_t code;
  interfaces_string_t name = str("t.txt");
  wasi_filesystem_types_own_descriptor_t f;
  CHECK(wasi_filesystem_types_method_descriptor_open_at(
            dir, 0, &name, WASI_FILESYSTEM_TYPES_OPEN_FLAGS_CREATE | WASI_FILESYSTEM_TYPES_OPEN_FLAGS_TRUNCATE,
            WASI_FILESYSTEM_TYPES_DESCRIPTOR_FLAGS_READ | WASI_FILESYSTEM_TYPES_DESCRIPTOR_FLAGS_WRITE, &f, &code),
        "open-at");
  dir_t fb = wasi_filesystem_types_borrow_descriptor(f);
  // A stream at offset 0, one at offset 6, and an appending one.
  wasi_io_streams_own_output_stream_t s;
  CHECK(wasi_filesystem_types_method_descriptor_write_via_stream(fb, 0, &s, &code), "write-via-stream");
  out(wasi_io_streams_borrow_output_stream(s), "hello world", 11);
  wasi_io_streams_output_stream_drop_own(s);
  CHECK(wasi_filesystem_types_method_descriptor_write_via_stream(fb, 6, &s, &code), "write-via-stream");
  out(wasi_io_streams_borrow_output_stream(s), "WASI!", 5);
  wasi_io_streams_output_stream_drop_own(s);
  CHECK(wasi_filesystem_types_method_descriptor_append_via_stream(fb, &s, &code), "append-via-stream");
  out(wasi_io_streams_borrow_output_stream(s), " +", 2);
  wasi_io_streams_output_stream_drop_own(s);
  // Direct write and read at offsets.
  interfaces_list_u8_t buf = {(uint8_t *)"J", 1};
  wasi_filesystem_types_filesize_t written;
  CHECK(wasi_filesystem_types_method_descriptor_write(fb, &buf, 0, &written, &code), "write");
  interfaces_tuple2_list_u8_bool_t got;
  CHECK(wasi_filesystem_types_method_descriptor_read(fb, 100, 0, &got, &code), "read");
  printf("contents: %.*s (eof %d)\n", (int)got.f0.len, (const char *)got.f0.ptr, got.f1);
  wasi_filesystem_types_descriptor_stat_t st;
  CHECK(wasi_filesystem_types_method_descriptor_stat(fb, &st, &code), "stat");
  printf("size %llu, type %d, links %llu\n", (unsigned long long)st.size, st.type, (unsigned long long)st.link_count);
  wasi_filesystem_types_descriptor_flags_t flags;
  CHECK(wasi_filesystem_types_method_descriptor_get_flags(fb, &flags, &code), "get-flags");
  wasi_filesystem_types_descriptor_type_t type;
  CHECK(wasi_filesystem_types_method_descriptor_get_type(fb, &type, &code), "get-type");
  printf("flags %d, type %d\n", flags, type);
  CHECK(wasi_filesystem_types_method_descriptor_advise(fb, 0, 10, WASI_FILESYSTEM_TYPES_ADVICE_SEQUENTIAL, &code),
        "advise");
  CHECK(wasi_filesystem_types_method_descriptor_sync_data(fb, &code), "sync-data");
  CHECK(wasi_filesystem_types_method_descriptor_sync(fb, &code), "sync");
  CHECK(wasi_filesystem_types_method_descriptor_set_size(fb, 5, &code), "set-size");
  // Times: set, then read back through stat-at.
  wasi_filesystem_types_new_timestamp_t at = {.tag = WASI_FILESYSTEM_TYPES_NEW_TIMESTAMP_TIMESTAMP};
  at.val.timestamp.seconds = 1000000000;
  at.val.timestamp.nanoseconds = 0;
  wasi_filesystem_types_new_timestamp_t keep = {.tag = WASI_FILESYSTEM_TYPES_NEW_TIMESTAMP_NO_CHANGE};
  CHECK(wasi_filesystem_types_method_descriptor_set_times(fb, &keep, &at, &code), "set-times");
  CHECK(wasi_filesystem_types_method_descriptor_stat_at(dir, 0, &name, &st, &code), "stat-at");
  printf("size %llu, mtime %llu\n", (unsigned long long)st.size,
         (unsigned long long)st.data_modification_timestamp.val.seconds);
  interfaces_string_t dname = str("sub");
  CHECK(wasi_filesystem_types_method_descriptor_create_directory_at(dir, &dname, &code), "create-directory-at");
  interfaces_string_t moved = str("sub/t2.txt");
  CHECK(wasi_filesystem_types_method_descriptor_rename_at(dir, &name, dir, &moved, &code), "rename-at");
  interfaces_string_t link = str("t-link");
  CHECK(wasi_filesystem_types_method_descriptor_link_at(dir, 0, &moved, dir, &link, &code), "link-at");
  interfaces_string_t sym = str("t-sym");
  CHECK(wasi_filesystem_types_method_descriptor_symlink_at(dir, &moved, &sym, &code), "symlink-at");
  interfaces_string_t target;
  CHECK(wasi_filesystem_types_method_descriptor_readlink_at(dir, &sym, &target, &code), "readlink-at");
  printf("t-sym -> %.*s\n", (int)target.len, (const char *)target.ptr);
  // The hard link, the symlink (followed) and the moved file are the same object.
  wasi_filesystem_types_own_descriptor_t a, b;
  CHECK(wasi_filesystem_types_method_descriptor_open_at(dir, 0, &link, 0, WASI_FILESYSTEM_TYPES_DESCRIPTOR_FLAGS_READ,
                                                        &a, &code),
        "open-at link");
  CHECK(wasi_filesystem_types_method_descriptor_open_at(dir, WASI_FILESYSTEM_TYPES_PATH_FLAGS_SYMLINK_FOLLOW, &sym, 0,
                                                        WASI_FILESYSTEM_TYPES_DESCRIPTOR_FLAGS_READ, &b, &code),
        "open-at symlink");
  wasi_filesystem_types_metadata_hash_value_t ha, hb, hc;
  CHECK(wasi_filesystem_types_method_descriptor_metadata_hash(wasi_filesystem_types_borrow_descriptor(a), &ha, &code),
        "metadata-hash");
  CHECK(wasi_filesystem_types_method_descriptor_metadata_hash_at(dir, WASI_FILESYSTEM_TYPES_PATH_FLAGS_SYMLINK_FOLLOW,
                                                                 &sym, &hb, &code),
        "metadata-hash-at");
  CHECK(wasi_filesystem_types_method_descriptor_metadata_hash(dir, &hc, &code), "metadata-hash dir");
  printf("same object: %s, same hash: %s, directory's differs: %s\n",
         wasi_filesystem_types_method_descriptor_is_same_object(wasi_filesystem_types_borrow_descriptor(a),
                                                                wasi_filesystem_types_borrow_descriptor(b))
             ? "yes"
             : "no",
         ha.lower == hb.lower && ha.upper == hb.upper ? "yes" : "no",
         ha.lower != hc.lower || ha.upper != hc.upper ? "yes" : "no");
  wasi_filesystem_types_descriptor_drop_own(a);
  wasi_filesystem_types_descriptor_drop_own(b);
  wasi_filesystem_types_descriptor_drop_own(f);
  // The directory through its entry stream.
  wasi_filesystem_types_own_directory_entry_stream_t entries;
  CHECK(wasi_filesystem_types_method_descriptor_read_directory(dir, &entries, &code), "read-directory");
  printf("entries:");
  for (;;) {
    wasi_filesystem_types_option_directory_entry_t e;
    CHECK(wasi_filesystem_types_method_directory_entry_stream_read_directory_entry(
              wasi_filesystem_types_borrow_directory_entry_stream(entries), &e, &code),
          "read-directory-entry");
    if (!e.is_some) break;
    printf(" %.*s(%d)", (int)e.val.name.len, (const char *)e.val.name.ptr, e.val.type);
  }
  printf("\n");
  wasi_filesystem_types_directory_entry_stream_drop_own(entries);
  CHECK(wasi_filesystem_types_method_descriptor_unlink_file_at(dir, &sym, &code), "unlink sym");
  CHECK(wasi_filesystem_types_method_descriptor_unlink_file_at(dir, &link, &code), "unlink link");
  CHECK(wasi_filesystem_types_method_descriptor_unlink_file_at(dir, &moved, &code), "unlink file");
  CHECK(wasi_filesystem_types_method_descriptor_remove_directory_at(dir, &dname, &code), "remove-directory-at");
  // Errors: the directory is gone, and a file is not a directory.
  bool ok = wasi_filesystem_types_method_descriptor_remove_directory_at(dir, &dname, &code);
  printf("remove again: %s %d\n", ok ? "ok" : "error", code);
  return 0;
}

int __main_void(void);

__attribute__((export_name("_start"))) void start(void) { exit(__main_void()); }

int main(int argc, char **argv) {
  if (argc < 2) return 2;
  if (strcmp(argv[1], "streams") == 0) return streams();
  if (strcmp(argv[1], "poll") == 0) return poll();
  if (strcmp(argv[1], "terminal") == 0) return terminal();
  if (strcmp(argv[1], "random") == 0) return random_();
  if (strcmp(argv[1], "fs") == 0) return fs();
  fprintf(stderr, "interfaces: unknown command %s\n", argv[1]);
  return 2;
}
