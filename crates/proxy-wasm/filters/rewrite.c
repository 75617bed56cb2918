/* A filter over every HTTP hook: header rewriting, properties, body inspection with a
 * local response, body rewriting, metrics of the three kinds, shared data with CAS, a
 * tick timer, logging, configuration; and a deliberate trap (`x-trap` request header). */
#include "proxy_abi.h"

static char config_value[256] = "none";
static uint32_t requests_total, last_body_size, body_sizes;

EXPORT(proxy_on_vm_start) int proxy_on_vm_start(uint32_t root, size_t vm_config_size) {
  (void)root;
  char *data = NULL;
  size_t n = 0;
  if (vm_config_size && proxy_get_buffer_bytes(BUF_VM_CONFIG, 0, vm_config_size, &data, &n) == OK) {
    proxy_log(LOG_INFO, data, n);
    free(data);
  }
  return 1;
}

EXPORT(proxy_on_configure) int proxy_on_configure(uint32_t root, size_t size) {
  (void)root;
  char *data = NULL;
  size_t n = 0;
  if (size && proxy_get_buffer_bytes(BUF_PLUGIN_CONFIG, 0, size, &data, &n) == OK) {
    if (n == 6 && memcmp(data, "refuse", 6) == 0) {
      free(data);
      return 0;
    }
    if (n >= 4 && memcmp(data, "tick", 4) == 0) proxy_set_tick_period_milliseconds(20);
    size_t c = n < sizeof config_value - 1 ? n : sizeof config_value - 1;
    memcpy(config_value, data, c);
    config_value[c] = 0;
    free(data);
  }
  proxy_define_metric(METRIC_COUNTER, S("rewrite_requests_total"), &requests_total);
  proxy_define_metric(METRIC_GAUGE, S("rewrite_last_body_size"), &last_body_size);
  proxy_define_metric(METRIC_HISTOGRAM, S("rewrite_body_sizes"), &body_sizes);
  int32_t level = -1;
  if (proxy_get_log_level(&level) != OK || level < 0) return 0;
  log_str(LOG_INFO, "rewrite filter configured");
  return 1;
}

EXPORT(proxy_on_tick) void proxy_on_tick(uint32_t root) {
  (void)root;
  shared_add("rewrite.ticks", 1);
}

EXPORT(proxy_on_context_create) void proxy_on_context_create(uint32_t id, uint32_t parent) {
  (void)id;
  (void)parent;
}

EXPORT(proxy_on_request_headers) int proxy_on_request_headers(uint32_t ctx, size_t n, int end) {
  (void)ctx;
  (void)end;
  proxy_increment_metric(requests_total, 1);
  char *trap = header(MAP_REQUEST_HEADERS, "x-trap");
  if (trap) __builtin_trap();
  char *close = header(MAP_REQUEST_HEADERS, "x-close");
  if (close) {
    free(close);
    proxy_close_stream(STREAM_REQUEST);
    return CONTINUE;
  }

  proxy_add_header_map_value(MAP_REQUEST_HEADERS, S("x-spindle"), S("rewrite"));
  set_header(MAP_REQUEST_HEADERS, "user-agent", "spindle-filter");
  proxy_remove_header_map_value(MAP_REQUEST_HEADERS, S("x-remove-me"));
  set_header(MAP_REQUEST_HEADERS, "x-config", config_value);

  char *path = NULL;
  size_t plen = 0;
  if (proxy_get_property(S("request\0path"), &path, &plen) == OK) {
    proxy_replace_header_map_value(MAP_REQUEST_HEADERS, S("x-path"), path, plen);
    free(path);
  }
  proxy_set_property(S("filter\0seen"), S("yes"));
  char *seen = NULL;
  size_t slen = 0;
  if (proxy_get_property(S("filter\0seen"), &seen, &slen) == OK) {
    proxy_replace_header_map_value(MAP_REQUEST_HEADERS, S("x-prop"), seen, slen);
    free(seen);
  }
  char count[24];
  u64_to_str(n, count);
  set_header(MAP_REQUEST_HEADERS, "x-header-count", count);

  /* The whole map at once: read it, add a field to the serialized form, write it back. */
  char *pairs = NULL;
  size_t plen2 = 0, size = 0;
  if (proxy_get_header_map_pairs(MAP_REQUEST_HEADERS, &pairs, &plen2) == OK &&
      proxy_get_header_map_size(MAP_REQUEST_HEADERS, &size) == OK && size == plen2) {
    uint32_t count32;
    memcpy(&count32, pairs, 4);
    const char *kv[] = {"x-map-rewritten", "1"};
    size_t extra_len = 0;
    char *extra = serialize(kv, 1, &extra_len);
    /* New map = count+1, old lengths, new lengths, old data, new data. */
    size_t lens_old = 8 * count32, data_old = plen2 - 4 - lens_old;
    size_t total = plen2 + extra_len - 4;
    char *map = malloc(total), *p = map;
    uint32_t c1 = count32 + 1;
    memcpy(p, &c1, 4);
    p += 4;
    memcpy(p, pairs + 4, lens_old);
    p += lens_old;
    memcpy(p, extra + 4, 8);
    p += 8;
    memcpy(p, pairs + 4 + lens_old, data_old);
    p += data_old;
    memcpy(p, extra + 12, extra_len - 12);
    proxy_set_header_map_pairs(MAP_REQUEST_HEADERS, map, total);
    free(map);
    free(extra);
  }
  free(pairs);

  uint64_t now = 0, total_requests = 0;
  if (proxy_get_current_time_nanoseconds(&now) == OK && now > 0)
    set_header(MAP_REQUEST_HEADERS, "x-clock", "ok");
  if (proxy_get_metric(requests_total, &total_requests) == OK) {
    u64_to_str(total_requests, count);
    set_header(MAP_REQUEST_HEADERS, "x-requests-so-far", count);
  }
  return CONTINUE;
}

EXPORT(proxy_on_request_body) int proxy_on_request_body(uint32_t ctx, size_t size, int end) {
  (void)ctx;
  if (!end) return PAUSE; /* wait for the whole body */
  proxy_record_metric(last_body_size, size);
  proxy_record_metric(body_sizes, size);
  char *body = NULL;
  size_t n = 0;
  if (size == 0 || proxy_get_buffer_bytes(BUF_REQUEST_BODY, 0, size, &body, &n) != OK) return CONTINUE;
  int forbidden = 0, lower = 0;
  for (size_t i = 0; i + 9 <= n; i++)
    if (memcmp(body + i, "forbidden", 9) == 0) forbidden = 1;
  for (size_t i = 0; i + 5 <= n; i++)
    if (memcmp(body + i, "shout", 5) == 0) lower = 1;
  if (forbidden) {
    const char *kv[] = {"x-blocked", "1", "content-type", "text/plain"};
    size_t hlen = 0;
    char *hs = serialize(kv, 2, &hlen);
    proxy_send_local_response(403, S("blocked by filter"), S("blocked: forbidden word\n"), hs, hlen, -1);
    free(hs);
    free(body);
    return PAUSE;
  }
  if (lower) {
    for (size_t i = 0; i < n; i++)
      if (body[i] >= 'a' && body[i] <= 'z') body[i] = (char)(body[i] - 32);
    proxy_set_buffer_bytes(BUF_REQUEST_BODY, 0, n, body, n);
  }
  free(body);
  return CONTINUE;
}

EXPORT(proxy_on_request_trailers) int proxy_on_request_trailers(uint32_t ctx, size_t n) {
  (void)ctx;
  char count[24];
  u64_to_str(n, count);
  set_header(MAP_REQUEST_TRAILERS, "x-trailers-seen", count);
  return CONTINUE;
}

EXPORT(proxy_on_response_trailers) int proxy_on_response_trailers(uint32_t ctx, size_t n) {
  (void)ctx;
  (void)n;
  char *grpc = header(MAP_RESPONSE_TRAILERS, "grpc-status");
  if (grpc) {
    set_header(MAP_RESPONSE_TRAILERS, "x-grpc-status-seen", grpc);
    free(grpc);
  }
  return CONTINUE;
}

EXPORT(proxy_on_response_headers) int proxy_on_response_headers(uint32_t ctx, size_t n, int end) {
  (void)ctx;
  (void)n;
  (void)end;
  char num[24];
  proxy_add_header_map_value(MAP_RESPONSE_HEADERS, S("x-filter-response"), S("rewrite"));
  u64_to_str(shared_add("rewrite.hits", 1), num);
  set_header(MAP_RESPONSE_HEADERS, "x-hits", num);
  u64_to_str(shared_get("rewrite.ticks"), num);
  set_header(MAP_RESPONSE_HEADERS, "x-ticks", num);
  /* Written by the auth filter's VMs. */
  char *user = NULL;
  size_t ulen = 0;
  uint32_t cas = 0;
  if (proxy_get_shared_data(S("auth.last_user"), &user, &ulen, &cas) == OK) {
    proxy_replace_header_map_value(MAP_RESPONSE_HEADERS, S("x-last-user"), user, ulen);
    free(user);
  }
  return CONTINUE;
}

EXPORT(proxy_on_response_body) int proxy_on_response_body(uint32_t ctx, size_t size, int end) {
  (void)ctx;
  if (!end) return PAUSE;
  size_t len = 0;
  uint32_t flags = 0;
  if (proxy_get_buffer_status(BUF_RESPONSE_BODY, &len, &flags) != OK || len != size) return CONTINUE;
  char *status = header(MAP_RESPONSE_HEADERS, "x-append");
  if (status) {
    proxy_set_buffer_bytes(BUF_RESPONSE_BODY, len, 0, S("\n-- appended by rewrite"));
    free(status);
  }
  return CONTINUE;
}

EXPORT(proxy_on_done) int proxy_on_done(uint32_t ctx) {
  (void)ctx;
  return 1;
}

EXPORT(proxy_on_log) void proxy_on_log(uint32_t ctx) {
  (void)ctx;
  char *path = NULL;
  size_t n = 0;
  /* Request headers stay readable in on_log. */
  if (proxy_get_header_map_value(MAP_REQUEST_HEADERS, S("x-path"), &path, &n) == OK) {
    if ((n == 4 && memcmp(path, "/log", 4) == 0) || (n >= 11 && memcmp(path, "/public/log", 11) == 0))
      proxy_log(LOG_INFO, path, n);
    free(path);
  }
}

EXPORT(proxy_on_delete) void proxy_on_delete(uint32_t ctx) { (void)ctx; }
