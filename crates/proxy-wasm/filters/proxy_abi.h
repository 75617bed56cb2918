/* The proxy-wasm ABI (0.2.1) as C declarations, for the test filters: the host functions
 * a filter imports from "env", and a few helpers. Written for Spindle from the ABI's
 * specification (names, signatures and numbers are the ABI's). */
#ifndef PROXY_ABI_H
#define PROXY_ABI_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define EXPORT(name) __attribute__((export_name(#name)))
#define HOST(name) __attribute__((import_module("env"), import_name(#name)))

typedef int32_t status_t;
enum { OK = 0, NOT_FOUND = 1, BAD_ARGUMENT = 2, EMPTY = 7, CAS_MISMATCH = 8 };
enum { CONTINUE = 0, PAUSE = 1 };
enum { LOG_TRACE, LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR, LOG_CRITICAL };
enum {
  BUF_REQUEST_BODY = 0, BUF_RESPONSE_BODY = 1, BUF_CALL_RESPONSE_BODY = 4,
  BUF_VM_CONFIG = 6, BUF_PLUGIN_CONFIG = 7
};
enum {
  MAP_REQUEST_HEADERS = 0, MAP_REQUEST_TRAILERS = 1, MAP_RESPONSE_HEADERS = 2,
  MAP_RESPONSE_TRAILERS = 3, MAP_CALL_RESPONSE_HEADERS = 6
};
enum { STREAM_REQUEST = 0, STREAM_RESPONSE = 1 };
enum { METRIC_COUNTER = 0, METRIC_GAUGE = 1, METRIC_HISTOGRAM = 2 };

HOST(proxy_log) status_t proxy_log(int32_t level, const char *msg, size_t len);
HOST(proxy_get_log_level) status_t proxy_get_log_level(int32_t *level);
HOST(proxy_get_current_time_nanoseconds) status_t proxy_get_current_time_nanoseconds(uint64_t *t);
HOST(proxy_set_tick_period_milliseconds) status_t proxy_set_tick_period_milliseconds(uint32_t ms);
HOST(proxy_set_effective_context) status_t proxy_set_effective_context(uint32_t id);
HOST(proxy_done) status_t proxy_done(void);
HOST(proxy_get_buffer_bytes)
status_t proxy_get_buffer_bytes(int32_t type, size_t start, size_t max, char **data, size_t *size);
HOST(proxy_set_buffer_bytes)
status_t proxy_set_buffer_bytes(int32_t type, size_t start, size_t size, const char *data, size_t len);
HOST(proxy_get_buffer_status) status_t proxy_get_buffer_status(int32_t type, size_t *len, uint32_t *flags);
HOST(proxy_get_header_map_pairs) status_t proxy_get_header_map_pairs(int32_t map, char **data, size_t *size);
HOST(proxy_set_header_map_pairs) status_t proxy_set_header_map_pairs(int32_t map, const char *data, size_t size);
HOST(proxy_get_header_map_size) status_t proxy_get_header_map_size(int32_t map, size_t *size);
HOST(proxy_get_header_map_value)
status_t proxy_get_header_map_value(int32_t map, const char *key, size_t klen, char **value, size_t *vlen);
HOST(proxy_add_header_map_value)
status_t proxy_add_header_map_value(int32_t map, const char *key, size_t klen, const char *value, size_t vlen);
HOST(proxy_replace_header_map_value)
status_t proxy_replace_header_map_value(int32_t map, const char *key, size_t klen, const char *value, size_t vlen);
HOST(proxy_remove_header_map_value)
status_t proxy_remove_header_map_value(int32_t map, const char *key, size_t klen);
HOST(proxy_get_property) status_t proxy_get_property(const char *path, size_t len, char **value, size_t *vlen);
HOST(proxy_set_property) status_t proxy_set_property(const char *path, size_t len, const char *value, size_t vlen);
HOST(proxy_send_local_response)
status_t proxy_send_local_response(uint32_t code, const char *details, size_t dlen, const char *body,
                                   size_t blen, const char *headers, size_t hlen, int32_t grpc);
HOST(proxy_continue_stream) status_t proxy_continue_stream(int32_t stream);
HOST(proxy_close_stream) status_t proxy_close_stream(int32_t stream);
HOST(proxy_get_status) status_t proxy_get_status(uint32_t *code, char **msg, size_t *len);
HOST(proxy_http_call)
status_t proxy_http_call(const char *upstream, size_t ulen, const char *headers, size_t hlen,
                         const char *body, size_t blen, const char *trailers, size_t tlen,
                         uint32_t timeout_ms, uint32_t *token);
HOST(proxy_get_shared_data)
status_t proxy_get_shared_data(const char *key, size_t klen, char **value, size_t *vlen, uint32_t *cas);
HOST(proxy_set_shared_data)
status_t proxy_set_shared_data(const char *key, size_t klen, const char *value, size_t vlen, uint32_t cas);
HOST(proxy_register_shared_queue) status_t proxy_register_shared_queue(const char *name, size_t len, uint32_t *id);
HOST(proxy_resolve_shared_queue)
status_t proxy_resolve_shared_queue(const char *vm, size_t vlen, const char *name, size_t nlen, uint32_t *id);
HOST(proxy_enqueue_shared_queue) status_t proxy_enqueue_shared_queue(uint32_t id, const char *value, size_t len);
HOST(proxy_dequeue_shared_queue) status_t proxy_dequeue_shared_queue(uint32_t id, char **value, size_t *len);
HOST(proxy_define_metric) status_t proxy_define_metric(int32_t type, const char *name, size_t len, uint32_t *id);
HOST(proxy_increment_metric) status_t proxy_increment_metric(uint32_t id, int64_t delta);
HOST(proxy_record_metric) status_t proxy_record_metric(uint32_t id, uint64_t value);
HOST(proxy_get_metric) status_t proxy_get_metric(uint32_t id, uint64_t *value);

/* Buffers the host hands over are allocated here. */
EXPORT(proxy_on_memory_allocate) void *proxy_on_memory_allocate(size_t size) { return malloc(size); }
EXPORT(proxy_abi_version_0_2_1) void proxy_abi_version_0_2_1(void) {}

#define S(lit) lit, sizeof(lit) - 1

static inline void log_str(int level, const char *s) { proxy_log(level, s, strlen(s)); }

/* A header's value as a NUL-terminated string the caller frees, or NULL. */
static inline char *header(int map, const char *key) {
  char *v = NULL;
  size_t n = 0;
  if (proxy_get_header_map_value(map, key, strlen(key), &v, &n) != OK) return NULL;
  char *s = malloc(n + 1);
  memcpy(s, v, n);
  s[n] = 0;
  free(v);
  return s;
}

static inline void set_header(int map, const char *key, const char *value) {
  proxy_replace_header_map_value(map, key, strlen(key), value, strlen(value));
}

/* Serializes `n` key/value pairs into a fresh buffer (the ABI's map format). */
static inline char *serialize(const char *const *kv, size_t n, size_t *out_len) {
  size_t len = 4 + 8 * n;
  for (size_t i = 0; i < 2 * n; i++) len += strlen(kv[i]) + 1;
  char *buf = malloc(len), *p = buf;
  uint32_t count = (uint32_t)n;
  memcpy(p, &count, 4);
  p += 4;
  for (size_t i = 0; i < 2 * n; i++) {
    uint32_t l = (uint32_t)strlen(kv[i]);
    memcpy(p, &l, 4);
    p += 4;
  }
  for (size_t i = 0; i < 2 * n; i++) {
    size_t l = strlen(kv[i]);
    memcpy(p, kv[i], l);
    p[l] = 0;
    p += l + 1;
  }
  *out_len = len;
  return buf;
}

/* The shared counter `key` (0 if unset), and its compare-and-swap number. */
static inline uint64_t shared_get_cas(const char *key, uint32_t *cas) {
  char *v = NULL;
  size_t n = 0;
  uint64_t cur = 0;
  *cas = 0;
  if (proxy_get_shared_data(key, strlen(key), &v, &n, cas) == OK && n == 8) memcpy(&cur, v, 8);
  free(v);
  return cur;
}

static inline uint64_t shared_get(const char *key) {
  uint32_t cas;
  return shared_get_cas(key, &cas);
}

/* Adds `delta` to the shared counter `key` with a compare-and-swap loop; the new value. */
static inline uint64_t shared_add(const char *key, uint64_t delta) {
  for (;;) {
    uint32_t cas;
    uint64_t next = shared_get_cas(key, &cas) + delta;
    status_t s = proxy_set_shared_data(key, strlen(key), (const char *)&next, 8, cas);
    if (s == OK) return next;
    if (s != CAS_MISMATCH) return 0;
  }
}

static inline void u64_to_str(uint64_t v, char *out) {
  char tmp[24];
  int n = 0;
  do {
    tmp[n++] = (char)('0' + v % 10);
    v /= 10;
  } while (v);
  for (int i = 0; i < n; i++) out[i] = tmp[n - 1 - i];
  out[n] = 0;
}

#endif
