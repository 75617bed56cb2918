/* A filter that asks a second server before letting a request through: an HTTP callout
 * whose answer changes the request (or refuses it), pausing and resuming the stream; a
 * shared queue with its ready callback; a counter metric. Paths under /public pass. */
#include "proxy_abi.h"

static uint32_t events_queue, events_seen, callouts, refreshes;
/* The context a callout made from a tick (not from a stream) is remembered under. */
#define FROM_TICK 0xffffffffu

/* Which stream made which callout: the answer comes to the root context with the token. */
#define MAX_CALLS 1024
static struct {
  uint32_t token, ctx;
} pending[MAX_CALLS];

static void remember(uint32_t token, uint32_t ctx) {
  for (int i = 0; i < MAX_CALLS; i++)
    if (pending[i].token == 0) {
      pending[i].token = token;
      pending[i].ctx = ctx;
      return;
    }
}

static uint32_t recall(uint32_t token) {
  for (int i = 0; i < MAX_CALLS; i++)
    if (pending[i].token == token) {
      pending[i].token = 0;
      return pending[i].ctx;
    }
  return 0;
}

EXPORT(proxy_on_configure) int proxy_on_configure(uint32_t root, size_t size) {
  (void)root;
  (void)size;
  if (proxy_register_shared_queue(S("auth.events"), &events_queue) != OK) return 0;
  uint32_t again = 0;
  if (proxy_resolve_shared_queue(S(""), S("auth.events"), &again) != OK || again != events_queue) {
    /* the VM id is empty in this filter's configuration */
  }
  proxy_define_metric(METRIC_COUNTER, S("auth_events_seen"), &events_seen);
  proxy_define_metric(METRIC_COUNTER, S("auth_callouts"), &callouts);
  proxy_define_metric(METRIC_COUNTER, S("auth_refreshes"), &refreshes);
  /* Configured "refresh": ask the auth server every 50 ms from the root context. */
  char *config = NULL;
  size_t n = 0;
  if (size && proxy_get_buffer_bytes(BUF_PLUGIN_CONFIG, 0, size, &config, &n) == OK) {
    if (n == 7 && memcmp(config, "refresh", 7) == 0) proxy_set_tick_period_milliseconds(50);
    free(config);
  }
  return 1;
}

EXPORT(proxy_on_request_headers) int proxy_on_request_headers(uint32_t ctx, size_t n, int end) {
  (void)n;
  (void)end;
  char *path = header(MAP_REQUEST_HEADERS, ":path");
  int public = path && strncmp(path, "/public", 7) == 0;
  free(path);
  proxy_enqueue_shared_queue(events_queue, S("request"));
  if (public) return CONTINUE;

  char *token = header(MAP_REQUEST_HEADERS, "authorization");
  const char *kv[] = {":method", "GET", ":path", "/check", ":authority", "auth",
                      "x-token", token ? token : ""};
  size_t hlen = 0;
  char *hs = serialize(kv, 4, &hlen);
  uint32_t call = 0;
  status_t s = proxy_http_call(S("auth"), hs, hlen, NULL, 0, NULL, 0, 5000, &call);
  free(hs);
  free(token);
  if (s != OK) {
    proxy_send_local_response(500, S("callout failed"), S("auth callout failed\n"), NULL, 0, -1);
    return PAUSE;
  }
  proxy_increment_metric(callouts, 1);
  remember(call, ctx);
  return PAUSE;
}

EXPORT(proxy_on_tick) void proxy_on_tick(uint32_t root) {
  (void)root;
  const char *kv[] = {":method", "GET", ":path", "/check", ":authority", "auth", "x-token", "good"};
  size_t hlen = 0;
  char *hs = serialize(kv, 4, &hlen);
  uint32_t call = 0;
  if (proxy_http_call(S("auth"), hs, hlen, NULL, 0, NULL, 0, 1000, &call) == OK) remember(call, FROM_TICK);
  free(hs);
}

EXPORT(proxy_on_http_call_response)
void proxy_on_http_call_response(uint32_t root, uint32_t token, size_t headers, size_t body_size,
                                 size_t trailers) {
  (void)root;
  (void)trailers;
  uint32_t ctx = recall(token);
  if (ctx == FROM_TICK) {
    if (headers > 0) proxy_increment_metric(refreshes, 1);
    return;
  }
  if (ctx == 0 || proxy_set_effective_context(ctx) != OK) return;
  if (headers == 0) {
    proxy_send_local_response(502, S("auth unreachable"), S("auth unreachable\n"), NULL, 0, -1);
    return;
  }
  uint32_t code = 0;
  char *msg = NULL;
  size_t mlen = 0;
  proxy_get_status(&code, &msg, &mlen);
  free(msg);
  char *body = NULL;
  size_t n = 0;
  int deny = code != 200;
  if (body_size && proxy_get_buffer_bytes(BUF_CALL_RESPONSE_BODY, 0, body_size, &body, &n) == OK) {
    if (n == 4 && memcmp(body, "deny", 4) == 0) deny = 1;
    free(body);
  }
  if (deny) {
    const char *kv[] = {"www-authenticate", "spindle"};
    size_t hlen = 0;
    char *hs = serialize(kv, 1, &hlen);
    proxy_send_local_response(401, S("denied"), S("denied by auth\n"), hs, hlen, -1);
    free(hs);
    return;
  }
  char *user = header(MAP_CALL_RESPONSE_HEADERS, "x-auth-user");
  if (user) {
    set_header(MAP_REQUEST_HEADERS, "x-auth-user", user);
    /* For the other filters (and every VM): who got in last. */
    proxy_set_shared_data(S("auth.last_user"), user, strlen(user), 0);
    free(user);
  }
  proxy_continue_stream(STREAM_REQUEST);
}

EXPORT(proxy_on_queue_ready) void proxy_on_queue_ready(uint32_t root, uint32_t queue) {
  (void)root;
  char *v = NULL;
  size_t n = 0;
  while (proxy_dequeue_shared_queue(queue, &v, &n) == OK) {
    free(v);
    proxy_increment_metric(events_seen, 1);
  }
}

EXPORT(proxy_on_done) int proxy_on_done(uint32_t ctx) {
  (void)ctx;
  return 1;
}
