// The plugin guest: every hook of `raisfast:plugin-wit/plugin-hooks`, calling `host-api`.
//
// What each hook does (so that a host test can predict it exactly):
//
// Every hook first adds 1 to `calls`, a counter in this instance's memory: a pool of
// instances shows each instance counting its own calls. Log lines end in " [call N]".
//
// Filters (`some` = changed data, `none` = leave it):
// * on-post-creating: when `slug` is none or empty, fills it from the title (ASCII letters
//   and digits lowercased, every other run of characters one '-', no '-' at either end,
//   "post" if nothing is left), at most `get-config("slug-max-length")` bytes (a decimal;
//   default 64); logs info "on-post-creating: slug '<slug>' from the title [call N]";
//   returns some. A non-empty slug: none.
// * on-post-updating: when the title has leading or trailing spaces, returns it trimmed
//   (some); else none.
// * on-comment-creating: when `nickname` is none, sets it to "anonymous" (some); else none.
// * on-content-creating: when `id` is none, gives it "<content-type>-<n>", n from the host's
//   data key "next-content-id" (1 when absent), and stores n + 1 back with set-data; some.
//   Else none.
// * on-content-updating: when `data` has leading or trailing whitespace, trims it (some);
//   else none.
// * render-markdown: none for an empty input; else HTML: lines starting "# " / "## " /
//   "### " become <h1>..<h3>, other runs of non-blank lines one <p> (lines joined by a
//   space), text HTML-escaped (& < > "), blocks joined by "\n".
// * filter-html: removes every <script ...>...</script> element (tag names in any case; an
//   unclosed one runs to the end); some when something was removed, else none.
//
// Actions:
// * on-post-created / on-post-updated: emit-event("post.created" / "post.updated", id) and
//   set-data("last-post", id).
// * on-post-deleted(id): emit-event("post.deleted", id).
// * on-comment-created: log info "on-comment-created: comment by <nickname or anonymous>".
// * on-content-created / on-content-updated: emit-event("content.created" /
//   "content.updated", content-type).
// * on-content-deleted(t, id): emit-event("content.deleted", "<t>/<id>").
// * on-login(user): set-data("last-login", user); log info "on-login: <user>".
// * on-cron-tick(payload): set-data("calls", N) (this instance's call count, decimal);
//   emit-event("cron.tick", payload or ""); log info "on-cron-tick: tick T" (T counts this
//   instance's ticks).
//
// Ownership (wit-bindgen's C conventions): arguments are ours to free; a `some` result is
// freed by the generated post-return function, so a filter that returns its input moves it
// into the result; strings the host returns are ours to free.

#include <stdlib.h>
#include <string.h>

#include "plugin_world.h"

typedef plugin_world_string_t str_t;

static unsigned long long calls;
static unsigned long long ticks;

// ---------------------------------------------------------------------------------------
// Strings

struct buf {
  uint8_t *ptr;
  size_t len;
  size_t cap;
};

static void buf_put(struct buf *b, const void *p, size_t n) {
  if (b->len + n > b->cap) {
    size_t cap = b->cap ? b->cap * 2 : 32;
    while (cap < b->len + n) cap *= 2;
    b->ptr = realloc(b->ptr, cap);
    if (!b->ptr) abort();
    b->cap = cap;
  }
  if (n) memcpy(b->ptr + b->len, p, n);
  b->len += n;
}

static void buf_cstr(struct buf *b, const char *s) { buf_put(b, s, strlen(s)); }
static void buf_s(struct buf *b, const str_t *s) { buf_put(b, s->ptr, s->len); }

static void buf_uint(struct buf *b, unsigned long long v) {
  char tmp[24];
  size_t n = 0;
  do {
    tmp[n++] = (char)('0' + v % 10);
    v /= 10;
  } while (v);
  while (n) buf_put(b, &tmp[--n], 1);
}

// The buffer as a string (the buffer is given away; an empty one is freed).
static str_t buf_take(struct buf *b) {
  str_t s = {b->ptr, b->len};
  if (!b->len) {
    free(b->ptr);
    s.ptr = NULL;
  }
  *b = (struct buf){0};
  return s;
}

static str_t lit(const char *s) {
  str_t r;
  plugin_world_string_set(&r, s);
  return r;
}

static bool is_space(uint8_t c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// Trims whitespace (spaces only when `spaces_only`) in place; true when something went.
static bool trim(str_t *s, bool spaces_only) {
  size_t a = 0, b = s->len;
  while (a < b && (spaces_only ? s->ptr[a] == ' ' : is_space(s->ptr[a]))) a++;
  while (b > a && (spaces_only ? s->ptr[b - 1] == ' ' : is_space(s->ptr[b - 1]))) b--;
  if (a == 0 && b == s->len) return false;
  struct buf out = {0};
  buf_put(&out, s->ptr + a, b - a);
  plugin_world_string_free(s);
  *s = buf_take(&out);
  return true;
}

// ---------------------------------------------------------------------------------------
// Host calls

static void log_line(const char *level, struct buf *msg) {
  buf_cstr(msg, " [call ");
  buf_uint(msg, calls);
  buf_cstr(msg, "]");
  str_t l = lit(level);
  str_t m = buf_take(msg);
  raisfast_plugin_wit_host_api_log(&l, &m);
  plugin_world_string_free(&m);
}

static void emit(const char *type, str_t *data) {
  str_t t = lit(type);
  str_t reply;
  raisfast_plugin_wit_host_api_emit_event(&t, data, &reply);
  plugin_world_string_free(&reply);
}

static void set_data(const char *key, str_t *value) {
  str_t k = lit(key);
  raisfast_plugin_wit_host_api_set_data(&k, value);
}

// A decimal from get-config/get-data, or `dflt` when absent or not a decimal.
static unsigned long long host_number(bool config, const char *key, unsigned long long dflt) {
  str_t k = lit(key);
  str_t v;
  bool some = config ? raisfast_plugin_wit_host_api_get_config(&k, &v)
                     : raisfast_plugin_wit_host_api_get_data(&k, &v);
  if (!some) return dflt;
  unsigned long long n = 0;
  bool ok = v.len > 0 && v.len <= 18;
  for (size_t i = 0; ok && i < v.len; i++) {
    if (v.ptr[i] < '0' || v.ptr[i] > '9') ok = false;
    n = n * 10 + (unsigned)(v.ptr[i] - '0');
  }
  plugin_world_string_free(&v);
  return ok ? n : dflt;
}

// ---------------------------------------------------------------------------------------
// Filters

static str_t slugify(const str_t *title, size_t max) {
  struct buf b = {0};
  bool dash = false;
  for (size_t i = 0; i < title->len; i++) {
    uint8_t c = title->ptr[i];
    if (c >= 'A' && c <= 'Z') c = (uint8_t)(c - 'A' + 'a');
    if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
      if (dash && b.len) buf_put(&b, "-", 1);
      dash = false;
      buf_put(&b, &c, 1);
    } else {
      dash = true;
    }
  }
  if (b.len > max) b.len = max;
  while (b.len && b.ptr[b.len - 1] == '-') b.len--;
  if (!b.len) buf_cstr(&b, "post");
  return buf_take(&b);
}

bool exports_raisfast_plugin_wit_plugin_hooks_on_post_creating(
    exports_raisfast_plugin_wit_plugin_hooks_post_input_t *input,
    exports_raisfast_plugin_wit_plugin_hooks_post_input_t *ret) {
  calls++;
  if (input->slug.is_some && input->slug.val.len > 0) {
    raisfast_plugin_wit_types_post_input_free(input);
    return false;
  }
  size_t max = (size_t)host_number(true, "slug-max-length", 64);
  if (max == 0) max = 64;
  plugin_world_option_string_free(&input->slug);
  input->slug.is_some = true;
  input->slug.val = slugify(&input->title, max);
  struct buf msg = {0};
  buf_cstr(&msg, "on-post-creating: slug '");
  buf_s(&msg, &input->slug.val);
  buf_cstr(&msg, "' from the title");
  log_line("info", &msg);
  *ret = *input;
  return true;
}

bool exports_raisfast_plugin_wit_plugin_hooks_on_post_updating(
    exports_raisfast_plugin_wit_plugin_hooks_post_input_t *input,
    exports_raisfast_plugin_wit_plugin_hooks_post_input_t *ret) {
  calls++;
  if (!trim(&input->title, true)) {
    raisfast_plugin_wit_types_post_input_free(input);
    return false;
  }
  *ret = *input;
  return true;
}

bool exports_raisfast_plugin_wit_plugin_hooks_on_comment_creating(
    exports_raisfast_plugin_wit_plugin_hooks_comment_input_t *input,
    exports_raisfast_plugin_wit_plugin_hooks_comment_input_t *ret) {
  calls++;
  if (input->nickname.is_some) {
    raisfast_plugin_wit_types_comment_input_free(input);
    return false;
  }
  input->nickname.is_some = true;
  plugin_world_string_dup(&input->nickname.val, "anonymous");
  *ret = *input;
  return true;
}

bool exports_raisfast_plugin_wit_plugin_hooks_on_content_creating(
    exports_raisfast_plugin_wit_plugin_hooks_content_event_t *input,
    exports_raisfast_plugin_wit_plugin_hooks_content_event_t *ret) {
  calls++;
  if (input->id.is_some) {
    raisfast_plugin_wit_types_content_event_free(input);
    return false;
  }
  unsigned long long n = host_number(false, "next-content-id", 1);
  struct buf next = {0};
  buf_uint(&next, n + 1);
  str_t next_s = buf_take(&next);
  set_data("next-content-id", &next_s);
  plugin_world_string_free(&next_s);
  struct buf id = {0};
  buf_s(&id, &input->content_type);
  buf_cstr(&id, "-");
  buf_uint(&id, n);
  input->id.is_some = true;
  input->id.val = buf_take(&id);
  *ret = *input;
  return true;
}

bool exports_raisfast_plugin_wit_plugin_hooks_on_content_updating(
    exports_raisfast_plugin_wit_plugin_hooks_content_event_t *input,
    exports_raisfast_plugin_wit_plugin_hooks_content_event_t *ret) {
  calls++;
  if (!trim(&input->data, false)) {
    raisfast_plugin_wit_types_content_event_free(input);
    return false;
  }
  *ret = *input;
  return true;
}

static void escape_html(struct buf *b, const uint8_t *p, size_t n) {
  for (size_t i = 0; i < n; i++) {
    switch (p[i]) {
      case '&': buf_cstr(b, "&amp;"); break;
      case '<': buf_cstr(b, "&lt;"); break;
      case '>': buf_cstr(b, "&gt;"); break;
      case '"': buf_cstr(b, "&quot;"); break;
      default: buf_put(b, &p[i], 1);
    }
  }
}

bool exports_raisfast_plugin_wit_plugin_hooks_render_markdown(str_t *input, str_t *ret) {
  calls++;
  if (input->len == 0) {
    plugin_world_string_free(input);
    return false;
  }
  struct buf out = {0};
  bool in_para = false;
  size_t i = 0;
  while (i < input->len) {
    size_t end = i;
    while (end < input->len && input->ptr[end] != '\n') end++;
    const uint8_t *line = input->ptr + i;
    size_t len = end - i;
    if (len && line[len - 1] == '\r') len--;
    i = end + 1;
    size_t blank = 0;
    while (blank < len && is_space(line[blank])) blank++;
    if (blank == len) {  // a blank line ends a paragraph
      if (in_para) buf_cstr(&out, "</p>");
      in_para = false;
      continue;
    }
    int level = 0;
    while (level < 3 && level < (int)len && line[level] == '#') level++;
    if (level > 0 && level < (int)len && line[level] == ' ') {
      if (in_para) buf_cstr(&out, "</p>");
      in_para = false;
      if (out.len) buf_cstr(&out, "\n");
      char open[] = "<h0>", close[] = "</h0>";
      open[2] = close[3] = (char)('0' + level);
      buf_cstr(&out, open);
      escape_html(&out, line + level + 1, len - (size_t)level - 1);
      buf_cstr(&out, close);
      continue;
    }
    if (in_para) {
      buf_cstr(&out, " ");
    } else {
      if (out.len) buf_cstr(&out, "\n");
      buf_cstr(&out, "<p>");
      in_para = true;
    }
    escape_html(&out, line, len);
  }
  if (in_para) buf_cstr(&out, "</p>");
  plugin_world_string_free(input);
  *ret = buf_take(&out);
  return true;
}

static bool starts_with_ci(const uint8_t *p, size_t n, const char *word) {
  size_t w = strlen(word);
  if (n < w) return false;
  for (size_t i = 0; i < w; i++) {
    uint8_t c = p[i];
    if (c >= 'A' && c <= 'Z') c = (uint8_t)(c - 'A' + 'a');
    if (c != (uint8_t)word[i]) return false;
  }
  return true;
}

bool exports_raisfast_plugin_wit_plugin_hooks_filter_html(str_t *input, str_t *ret) {
  calls++;
  struct buf out = {0};
  bool removed = false;
  size_t i = 0;
  while (i < input->len) {
    const uint8_t *p = input->ptr + i;
    size_t n = input->len - i;
    // "<script" followed by '>', whitespace or '/'
    if (starts_with_ci(p, n, "<script") &&
        (n == 7 || p[7] == '>' || p[7] == '/' || is_space(p[7]))) {
      removed = true;
      size_t j = i + 7;
      while (j < input->len && !starts_with_ci(input->ptr + j, input->len - j, "</script"))
        j++;
      while (j < input->len && input->ptr[j] != '>') j++;
      i = j < input->len ? j + 1 : j;
      continue;
    }
    buf_put(&out, p, 1);
    i++;
  }
  plugin_world_string_free(input);
  if (!removed) {
    free(out.ptr);
    return false;
  }
  *ret = buf_take(&out);
  return true;
}

// ---------------------------------------------------------------------------------------
// Actions

static void post_event(const char *type,
                       exports_raisfast_plugin_wit_plugin_hooks_post_output_t *output) {
  calls++;
  emit(type, &output->id);
  set_data("last-post", &output->id);
  raisfast_plugin_wit_types_post_output_free(output);
}

void exports_raisfast_plugin_wit_plugin_hooks_on_post_created(
    exports_raisfast_plugin_wit_plugin_hooks_post_output_t *output) {
  post_event("post.created", output);
}

void exports_raisfast_plugin_wit_plugin_hooks_on_post_updated(
    exports_raisfast_plugin_wit_plugin_hooks_post_output_t *output) {
  post_event("post.updated", output);
}

void exports_raisfast_plugin_wit_plugin_hooks_on_post_deleted(str_t *id) {
  calls++;
  emit("post.deleted", id);
  plugin_world_string_free(id);
}

void exports_raisfast_plugin_wit_plugin_hooks_on_comment_created(
    exports_raisfast_plugin_wit_plugin_hooks_comment_input_t *input) {
  calls++;
  struct buf msg = {0};
  buf_cstr(&msg, "on-comment-created: comment by ");
  if (input->nickname.is_some) {
    buf_s(&msg, &input->nickname.val);
  } else {
    buf_cstr(&msg, "anonymous");
  }
  log_line("info", &msg);
  raisfast_plugin_wit_types_comment_input_free(input);
}

static void content_event(const char *type,
                          exports_raisfast_plugin_wit_plugin_hooks_content_event_t *input) {
  calls++;
  emit(type, &input->content_type);
  raisfast_plugin_wit_types_content_event_free(input);
}

void exports_raisfast_plugin_wit_plugin_hooks_on_content_created(
    exports_raisfast_plugin_wit_plugin_hooks_content_event_t *input) {
  content_event("content.created", input);
}

void exports_raisfast_plugin_wit_plugin_hooks_on_content_updated(
    exports_raisfast_plugin_wit_plugin_hooks_content_event_t *input) {
  content_event("content.updated", input);
}

void exports_raisfast_plugin_wit_plugin_hooks_on_content_deleted(str_t *content_type,
                                                                 str_t *id) {
  calls++;
  struct buf data = {0};
  buf_s(&data, content_type);
  buf_cstr(&data, "/");
  buf_s(&data, id);
  str_t d = buf_take(&data);
  emit("content.deleted", &d);
  plugin_world_string_free(&d);
  plugin_world_string_free(content_type);
  plugin_world_string_free(id);
}

void exports_raisfast_plugin_wit_plugin_hooks_on_login(str_t *user_id) {
  calls++;
  set_data("last-login", user_id);
  struct buf msg = {0};
  buf_cstr(&msg, "on-login: ");
  buf_s(&msg, user_id);
  log_line("info", &msg);
  plugin_world_string_free(user_id);
}

void exports_raisfast_plugin_wit_plugin_hooks_on_cron_tick(str_t *maybe_payload) {
  calls++;
  ticks++;
  struct buf n = {0};
  buf_uint(&n, calls);
  str_t count = buf_take(&n);
  set_data("calls", &count);
  plugin_world_string_free(&count);
  str_t empty = {NULL, 0};
  emit("cron.tick", maybe_payload ? maybe_payload : &empty);
  struct buf msg = {0};
  buf_cstr(&msg, "on-cron-tick: tick ");
  buf_uint(&msg, ticks);
  log_line("info", &msg);
  if (maybe_payload) plugin_world_string_free(maybe_payload);
}
