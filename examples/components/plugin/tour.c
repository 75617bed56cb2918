// A plugin that tours `host-api`: on-login(user) calls every host function once and
// emits the event "tour" whose data is one line per call, "<function>: <answer>" (answers
// of option type as "none" or the string; booleans as true/false), so a host test can
// check each function's real effect. Every other hook does nothing (filters: none).
//
// The calls, in order:
//   get-config("greeting"), set-data("user", user), get-data("user"), get-data("absent"),
//   get-post("hello"), db-execute(create table), db-begin, db-execute(insert, params),
//   db-rollback, db-execute(insert, params), db-commit, db-query(select, params),
//   db-query(bad sql), vfs-write("notes/a.txt"), vfs-exists, vfs-read, vfs-list("notes"),
//   vfs-stat (size only), vfs-write("../escape.txt"), vfs-read("../secret.txt"),
//   vfs-delete, vfs-exists, http-get(config "allowed-url"), http-post(same, body),
//   http-get(config "denied-url"), log("info", ...).

#include <stdlib.h>
#include <string.h>

#include "plugin_world.h"

typedef plugin_world_string_t str_t;

static char *out;
static size_t out_len;

static void put(const char *s, size_t n) {
  out = realloc(out, out_len + n + 1);
  if (!out) abort();
  memcpy(out + out_len, s, n);
  out_len += n;
  out[out_len] = 0;
}

static void line(const char *name, const char *value, size_t n) {
  put(name, strlen(name));
  put(": ", 2);
  put(value, n);
  put("\n", 1);
}

static str_t lit(const char *s) {
  str_t r;
  plugin_world_string_set(&r, s);
  return r;
}

static void opt(const char *name, bool some, str_t *v) {
  if (some) {
    line(name, (const char *)v->ptr, v->len);
    plugin_world_string_free(v);
  } else {
    line(name, "none", 4);
  }
}

static void flag(const char *name, bool b) { line(name, b ? "true" : "false", b ? 4 : 5); }

static void str(const char *name, str_t *v) {
  line(name, (const char *)v->ptr, v->len);
  plugin_world_string_free(v);
}

void exports_raisfast_plugin_wit_plugin_hooks_on_login(str_t *user_id) {
  str_t r, a, b;
  a = lit("greeting");
  opt("get-config", raisfast_plugin_wit_host_api_get_config(&a, &r), &r);
  a = lit("user");
  flag("set-data", raisfast_plugin_wit_host_api_set_data(&a, user_id));
  a = lit("user");
  opt("get-data", raisfast_plugin_wit_host_api_get_data(&a, &r), &r);
  a = lit("absent");
  opt("get-data absent", raisfast_plugin_wit_host_api_get_data(&a, &r), &r);
  a = lit("hello");
  opt("get-post", raisfast_plugin_wit_host_api_get_post(&a, &r), &r);
  a = lit("create table if not exists tour (n integer, who text)");
  raisfast_plugin_wit_host_api_db_execute(&a, NULL, &r);
  str("db-execute create", &r);
  raisfast_plugin_wit_host_api_db_begin(&r);
  str("db-begin", &r);
  a = lit("insert into tour values (?1, ?2)");
  b = lit("[1, \"rolled back\"]");
  raisfast_plugin_wit_host_api_db_execute(&a, &b, &r);
  str("db-execute insert", &r);
  raisfast_plugin_wit_host_api_db_rollback(&r);
  str("db-rollback", &r);
  raisfast_plugin_wit_host_api_db_begin(&r);
  plugin_world_string_free(&r);
  a = lit("insert into tour values (?1, ?2)");
  b = lit("[2, \"kept\"]");
  raisfast_plugin_wit_host_api_db_execute(&a, &b, &r);
  plugin_world_string_free(&r);
  raisfast_plugin_wit_host_api_db_commit(&r);
  str("db-commit", &r);
  a = lit("select n, who from tour where n >= ?1 order by n");
  b = lit("[0]");
  raisfast_plugin_wit_host_api_db_query(&a, &b, &r);
  str("db-query", &r);
  a = lit("select nonsense from");
  raisfast_plugin_wit_host_api_db_query(&a, NULL, &r);
  str("db-query bad", &r);
  a = lit("notes/a.txt");
  b = lit("hello, vfs");
  flag("vfs-write", raisfast_plugin_wit_host_api_vfs_write(&a, &b));
  a = lit("notes/a.txt");
  flag("vfs-exists", raisfast_plugin_wit_host_api_vfs_exists(&a));
  a = lit("notes/a.txt");
  opt("vfs-read", raisfast_plugin_wit_host_api_vfs_read(&a, &r), &r);
  a = lit("notes");
  opt("vfs-list", raisfast_plugin_wit_host_api_vfs_list(&a, &r), &r);
  a = lit("notes/a.txt");
  bool st = raisfast_plugin_wit_host_api_vfs_stat(&a, &r);
  if (st) {
    // {"is_dir":false,"modified":...,"size":10}: only the size is predictable.
    const char *size = strstr((const char *)r.ptr, "\"size\":");
    line("vfs-stat size", size ? size + 7 : "?", size ? strcspn(size + 7, "}") : 1);
    plugin_world_string_free(&r);
  } else {
    line("vfs-stat size", "none", 4);
  }
  a = lit("../escape.txt");
  b = lit("out");
  flag("vfs-write escape", raisfast_plugin_wit_host_api_vfs_write(&a, &b));
  a = lit("../secret.txt");
  opt("vfs-read escape", raisfast_plugin_wit_host_api_vfs_read(&a, &r), &r);
  a = lit("notes/a.txt");
  flag("vfs-delete", raisfast_plugin_wit_host_api_vfs_delete(&a));
  a = lit("notes/a.txt");
  flag("vfs-exists after", raisfast_plugin_wit_host_api_vfs_exists(&a));
  str_t url;
  a = lit("allowed-url");
  if (raisfast_plugin_wit_host_api_get_config(&a, &url)) {
    opt("http-get", raisfast_plugin_wit_host_api_http_get(&url, &r), &r);
    b = lit("posted body");
    opt("http-post", raisfast_plugin_wit_host_api_http_post(&url, &b, &r), &r);
    plugin_world_string_free(&url);
  }
  a = lit("denied-url");
  if (raisfast_plugin_wit_host_api_get_config(&a, &url)) {
    opt("http-get denied", raisfast_plugin_wit_host_api_http_get(&url, &r), &r);
    plugin_world_string_free(&url);
  }
  a = lit("info");
  b = lit("tour done");
  raisfast_plugin_wit_host_api_log(&a, &b);
  a = lit("tour");
  str_t data = {(uint8_t *)out, out_len};
  raisfast_plugin_wit_host_api_emit_event(&a, &data, &r);
  plugin_world_string_free(&r);
  plugin_world_string_free(user_id);
  out = NULL;
  out_len = 0;
}

// Every other hook: nothing.
bool exports_raisfast_plugin_wit_plugin_hooks_on_post_creating(
    exports_raisfast_plugin_wit_plugin_hooks_post_input_t *input,
    exports_raisfast_plugin_wit_plugin_hooks_post_input_t *ret) {
  (void)ret;
  exports_raisfast_plugin_wit_plugin_hooks_post_input_free(input);
  return false;
}
bool exports_raisfast_plugin_wit_plugin_hooks_on_post_updating(
    exports_raisfast_plugin_wit_plugin_hooks_post_input_t *input,
    exports_raisfast_plugin_wit_plugin_hooks_post_input_t *ret) {
  (void)ret;
  exports_raisfast_plugin_wit_plugin_hooks_post_input_free(input);
  return false;
}
bool exports_raisfast_plugin_wit_plugin_hooks_on_comment_creating(
    exports_raisfast_plugin_wit_plugin_hooks_comment_input_t *input,
    exports_raisfast_plugin_wit_plugin_hooks_comment_input_t *ret) {
  (void)ret;
  exports_raisfast_plugin_wit_plugin_hooks_comment_input_free(input);
  return false;
}
bool exports_raisfast_plugin_wit_plugin_hooks_on_content_creating(
    exports_raisfast_plugin_wit_plugin_hooks_content_event_t *input,
    exports_raisfast_plugin_wit_plugin_hooks_content_event_t *ret) {
  (void)ret;
  exports_raisfast_plugin_wit_plugin_hooks_content_event_free(input);
  return false;
}
bool exports_raisfast_plugin_wit_plugin_hooks_on_content_updating(
    exports_raisfast_plugin_wit_plugin_hooks_content_event_t *input,
    exports_raisfast_plugin_wit_plugin_hooks_content_event_t *ret) {
  (void)ret;
  exports_raisfast_plugin_wit_plugin_hooks_content_event_free(input);
  return false;
}
bool exports_raisfast_plugin_wit_plugin_hooks_render_markdown(str_t *input, str_t *ret) {
  (void)ret;
  plugin_world_string_free(input);
  return false;
}
bool exports_raisfast_plugin_wit_plugin_hooks_filter_html(str_t *input, str_t *ret) {
  (void)ret;
  plugin_world_string_free(input);
  return false;
}
void exports_raisfast_plugin_wit_plugin_hooks_on_post_created(
    exports_raisfast_plugin_wit_plugin_hooks_post_output_t *output) {
  exports_raisfast_plugin_wit_plugin_hooks_post_output_free(output);
}
void exports_raisfast_plugin_wit_plugin_hooks_on_post_updated(
    exports_raisfast_plugin_wit_plugin_hooks_post_output_t *output) {
  exports_raisfast_plugin_wit_plugin_hooks_post_output_free(output);
}
void exports_raisfast_plugin_wit_plugin_hooks_on_post_deleted(str_t *id) { plugin_world_string_free(id); }
void exports_raisfast_plugin_wit_plugin_hooks_on_comment_created(
    exports_raisfast_plugin_wit_plugin_hooks_comment_input_t *input) {
  exports_raisfast_plugin_wit_plugin_hooks_comment_input_free(input);
}
void exports_raisfast_plugin_wit_plugin_hooks_on_content_created(
    exports_raisfast_plugin_wit_plugin_hooks_content_event_t *input) {
  exports_raisfast_plugin_wit_plugin_hooks_content_event_free(input);
}
void exports_raisfast_plugin_wit_plugin_hooks_on_content_updated(
    exports_raisfast_plugin_wit_plugin_hooks_content_event_t *input) {
  exports_raisfast_plugin_wit_plugin_hooks_content_event_free(input);
}
void exports_raisfast_plugin_wit_plugin_hooks_on_content_deleted(str_t *content_type, str_t *id) {
  plugin_world_string_free(content_type);
  plugin_world_string_free(id);
}
void exports_raisfast_plugin_wit_plugin_hooks_on_cron_tick(str_t *maybe_payload) {
  if (maybe_payload) plugin_world_string_free(maybe_payload);
}
