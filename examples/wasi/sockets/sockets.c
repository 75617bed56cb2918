// WASI 0.2 sockets from C: wasi-libc (preview 1, through the adapter) for stdio and
// arguments, and the wasi:sockets interfaces called directly through the bindings
// wit-bindgen generated into gen/ (preview 1 has no sockets).
//
//   sockets server PORT          listen on 127.0.0.1:PORT (0: any), print "listening
//                                on N", echo one connection back, print the byte count
//   sockets client PORT MESSAGE  connect to 127.0.0.1:PORT, send MESSAGE, print the reply
//   sockets udp PORT MESSAGE     send MESSAGE in a datagram to 127.0.0.1:PORT from an
//                                ephemeral port, print the datagram that comes back
//   sockets lookup NAME          resolve NAME, print each address
//
// Errors print "error: <what> <code>" (the wasi:sockets error code number) and exit 1.
//
// Built as a reactor with its own `_start`: in a command, wasm-ld wraps every export in
// constructor and destructor calls, `cabi_realloc` too, and the destructors (stdio's
// flush) would then run inside every realloc the host makes while lowering a result,
// where the canonical ABI forbids calls out of the component (a trap). A reactor's
// exports are not wrapped; its constructors run once, from `_initialize`.

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gen/sockets.h"

static void fail(const char *what, int code) {
  printf("error: %s %d\n", what, code);
  fflush(stdout);
  exit(1);
}

static wasi_sockets_network_ip_socket_address_t loopback(uint16_t port) {
  wasi_sockets_network_ip_socket_address_t a;
  a.tag = WASI_SOCKETS_NETWORK_IP_SOCKET_ADDRESS_IPV4;
  a.val.ipv4.port = port;
  a.val.ipv4.address = (wasi_sockets_network_ipv4_address_t){127, 0, 0, 1};
  return a;
}

static void block_on(wasi_io_poll_own_pollable_t p) {
  wasi_io_poll_method_pollable_block(wasi_io_poll_borrow_pollable(p));
  wasi_io_poll_pollable_drop_own(p);
}

// Writes all of buf to out (in chunks check-write allows).
static void write_all(wasi_io_streams_own_output_stream_t out, const uint8_t *buf, size_t len) {
  wasi_io_streams_borrow_output_stream_t o = wasi_io_streams_borrow_output_stream(out);
  while (len > 0) {
    size_t n = len < 4096 ? len : 4096;
    sockets_list_u8_t chunk = {(uint8_t *)buf, n};
    wasi_io_streams_stream_error_t err;
    if (!wasi_io_streams_method_output_stream_blocking_write_and_flush(o, &chunk, &err))
      fail("write", err.tag);
    buf += n;
    len -= n;
  }
}

static int server(uint16_t port) {
  wasi_sockets_network_own_network_t net = wasi_sockets_instance_network_instance_network();
  wasi_sockets_tcp_own_tcp_socket_t sock;
  wasi_sockets_network_error_code_t code;
  if (!wasi_sockets_tcp_create_socket_create_tcp_socket(WASI_SOCKETS_NETWORK_IP_ADDRESS_FAMILY_IPV4, &sock, &code))
    fail("create", code);
  wasi_sockets_tcp_borrow_tcp_socket_t s = wasi_sockets_tcp_borrow_tcp_socket(sock);
  wasi_sockets_network_ip_socket_address_t local = loopback(port);
  if (!wasi_sockets_tcp_method_tcp_socket_start_bind(s, wasi_sockets_network_borrow_network(net), &local, &code))
    fail("bind", code);
  if (!wasi_sockets_tcp_method_tcp_socket_finish_bind(s, &code)) fail("bind", code);
  if (!wasi_sockets_tcp_method_tcp_socket_start_listen(s, &code)) fail("listen", code);
  if (!wasi_sockets_tcp_method_tcp_socket_finish_listen(s, &code)) fail("listen", code);
  wasi_sockets_network_ip_socket_address_t bound;
  if (!wasi_sockets_tcp_method_tcp_socket_local_address(s, &bound, &code)) fail("local-address", code);
  printf("listening on %u\n", bound.val.ipv4.port);
  fflush(stdout);

  wasi_sockets_tcp_tuple3_own_tcp_socket_own_input_stream_own_output_stream_t conn;
  for (;;) {
    if (wasi_sockets_tcp_method_tcp_socket_accept(s, &conn, &code)) break;
    if (code != WASI_SOCKETS_NETWORK_ERROR_CODE_WOULD_BLOCK) fail("accept", code);
    block_on(wasi_sockets_tcp_method_tcp_socket_subscribe(s));
  }
  wasi_io_streams_borrow_input_stream_t in = wasi_io_streams_borrow_input_stream(conn.f1);
  size_t total = 0;
  for (;;) {
    sockets_list_u8_t data;
    wasi_io_streams_stream_error_t err;
    if (!wasi_io_streams_method_input_stream_blocking_read(in, 65536, &data, &err)) {
      if (err.tag == WASI_IO_STREAMS_STREAM_ERROR_CLOSED) break;
      fail("read", err.tag);
    }
    total += data.len;
    write_all(conn.f2, data.ptr, data.len);
    sockets_list_u8_free(&data);
  }
  printf("echoed %zu bytes\n", total);
  wasi_io_streams_input_stream_drop_own(conn.f1);
  wasi_io_streams_output_stream_drop_own(conn.f2);
  wasi_sockets_tcp_tcp_socket_drop_own(conn.f0);
  wasi_sockets_tcp_tcp_socket_drop_own(sock);
  wasi_sockets_network_network_drop_own(net);
  return 0;
}

static int client(uint16_t port, const char *message) {
  wasi_sockets_network_own_network_t net = wasi_sockets_instance_network_instance_network();
  wasi_sockets_tcp_own_tcp_socket_t sock;
  wasi_sockets_network_error_code_t code;
  if (!wasi_sockets_tcp_create_socket_create_tcp_socket(WASI_SOCKETS_NETWORK_IP_ADDRESS_FAMILY_IPV4, &sock, &code))
    fail("create", code);
  wasi_sockets_tcp_borrow_tcp_socket_t s = wasi_sockets_tcp_borrow_tcp_socket(sock);
  wasi_sockets_network_ip_socket_address_t remote = loopback(port);
  if (!wasi_sockets_tcp_method_tcp_socket_start_connect(s, wasi_sockets_network_borrow_network(net), &remote, &code))
    fail("connect", code);
  wasi_sockets_tcp_tuple2_own_input_stream_own_output_stream_t io;
  for (;;) {
    if (wasi_sockets_tcp_method_tcp_socket_finish_connect(s, &io, &code)) break;
    if (code != WASI_SOCKETS_NETWORK_ERROR_CODE_WOULD_BLOCK) fail("connect", code);
    block_on(wasi_sockets_tcp_method_tcp_socket_subscribe(s));
  }
  write_all(io.f1, (const uint8_t *)message, strlen(message));
  if (!wasi_sockets_tcp_method_tcp_socket_shutdown(s, WASI_SOCKETS_TCP_SHUTDOWN_TYPE_SEND, &code))
    fail("shutdown", code);
  wasi_io_streams_borrow_input_stream_t in = wasi_io_streams_borrow_input_stream(io.f0);
  printf("reply: ");
  for (;;) {
    sockets_list_u8_t data;
    wasi_io_streams_stream_error_t err;
    if (!wasi_io_streams_method_input_stream_blocking_read(in, 65536, &data, &err)) {
      if (err.tag == WASI_IO_STREAMS_STREAM_ERROR_CLOSED) break;
      fail("read", err.tag);
    }
    fwrite(data.ptr, 1, data.len, stdout);
    sockets_list_u8_free(&data);
  }
  printf("\n");
  wasi_io_streams_input_stream_drop_own(io.f0);
  wasi_io_streams_output_stream_drop_own(io.f1);
  wasi_sockets_tcp_tcp_socket_drop_own(sock);
  wasi_sockets_network_network_drop_own(net);
  return 0;
}

static int udp(uint16_t port, const char *message) {
  wasi_sockets_network_own_network_t net = wasi_sockets_instance_network_instance_network();
  wasi_sockets_udp_own_udp_socket_t sock;
  wasi_sockets_network_error_code_t code;
  if (!wasi_sockets_udp_create_socket_create_udp_socket(WASI_SOCKETS_NETWORK_IP_ADDRESS_FAMILY_IPV4, &sock, &code))
    fail("create", code);
  wasi_sockets_udp_borrow_udp_socket_t s = wasi_sockets_udp_borrow_udp_socket(sock);
  wasi_sockets_network_ip_socket_address_t local = loopback(0);
  if (!wasi_sockets_udp_method_udp_socket_start_bind(s, wasi_sockets_network_borrow_network(net), &local, &code))
    fail("bind", code);
  if (!wasi_sockets_udp_method_udp_socket_finish_bind(s, &code)) fail("bind", code);
  wasi_sockets_network_ip_socket_address_t remote = loopback(port);
  wasi_sockets_udp_tuple2_own_incoming_datagram_stream_own_outgoing_datagram_stream_t streams;
  if (!wasi_sockets_udp_method_udp_socket_stream(s, &remote, &streams, &code)) fail("stream", code);
  wasi_sockets_udp_outgoing_datagram_t d;
  d.data.ptr = (uint8_t *)message;
  d.data.len = strlen(message);
  d.remote_address.is_some = false;
  wasi_sockets_udp_list_outgoing_datagram_t list = {&d, 1};
  uint64_t sent;
  wasi_sockets_udp_borrow_outgoing_datagram_stream_t out =
      wasi_sockets_udp_borrow_outgoing_datagram_stream(streams.f1);
  uint64_t permitted;
  if (!wasi_sockets_udp_method_outgoing_datagram_stream_check_send(out, &permitted, &code)) fail("check-send", code);
  if (!wasi_sockets_udp_method_outgoing_datagram_stream_send(out, &list, &sent, &code)) fail("send", code);
  wasi_sockets_udp_borrow_incoming_datagram_stream_t in =
      wasi_sockets_udp_borrow_incoming_datagram_stream(streams.f0);
  for (;;) {
    wasi_sockets_udp_list_incoming_datagram_t got;
    if (!wasi_sockets_udp_method_incoming_datagram_stream_receive(in, 1, &got, &code)) fail("receive", code);
    if (got.len > 0) {
      printf("datagram: %.*s\n", (int)got.ptr[0].data.len, (const char *)got.ptr[0].data.ptr);
      wasi_sockets_udp_list_incoming_datagram_free(&got);
      break;
    }
    wasi_sockets_udp_list_incoming_datagram_free(&got);
    block_on(wasi_sockets_udp_method_incoming_datagram_stream_subscribe(in));
  }
  wasi_sockets_udp_incoming_datagram_stream_drop_own(streams.f0);
  wasi_sockets_udp_outgoing_datagram_stream_drop_own(streams.f1);
  wasi_sockets_udp_udp_socket_drop_own(sock);
  wasi_sockets_network_network_drop_own(net);
  return 0;
}

static int lookup(const char *name) {
  wasi_sockets_network_own_network_t net = wasi_sockets_instance_network_instance_network();
  sockets_string_t n = {(uint8_t *)name, strlen(name)};
  wasi_sockets_ip_name_lookup_own_resolve_address_stream_t stream;
  wasi_sockets_network_error_code_t code;
  if (!wasi_sockets_ip_name_lookup_resolve_addresses(wasi_sockets_network_borrow_network(net), &n, &stream, &code))
    fail("lookup", code);
  wasi_sockets_ip_name_lookup_borrow_resolve_address_stream_t s =
      wasi_sockets_ip_name_lookup_borrow_resolve_address_stream(stream);
  for (;;) {
    wasi_sockets_ip_name_lookup_option_ip_address_t a;
    if (!wasi_sockets_ip_name_lookup_method_resolve_address_stream_resolve_next_address(s, &a, &code)) {
      if (code != WASI_SOCKETS_NETWORK_ERROR_CODE_WOULD_BLOCK) fail("lookup", code);
      block_on(wasi_sockets_ip_name_lookup_method_resolve_address_stream_subscribe(s));
      continue;
    }
    if (!a.is_some) break;
    if (a.val.tag == WASI_SOCKETS_NETWORK_IP_ADDRESS_IPV4) {
      wasi_sockets_network_ipv4_address_t v = a.val.val.ipv4;
      printf("%u.%u.%u.%u\n", v.f0, v.f1, v.f2, v.f3);
    } else {
      printf("ipv6\n");
    }
  }
  wasi_sockets_ip_name_lookup_resolve_address_stream_drop_own(stream);
  wasi_sockets_network_network_drop_own(net);
  return 0;
}

int __main_void(void);

__attribute__((export_name("_start"))) void start(void) { exit(__main_void()); }

int main(int argc, char **argv) {
  if (argc >= 3 && strcmp(argv[1], "server") == 0) return server((uint16_t)atoi(argv[2]));
  if (argc >= 4 && strcmp(argv[1], "client") == 0) return client((uint16_t)atoi(argv[2]), argv[3]);
  if (argc >= 4 && strcmp(argv[1], "udp") == 0) return udp((uint16_t)atoi(argv[2]), argv[3]);
  if (argc >= 3 && strcmp(argv[1], "lookup") == 0) return lookup(argv[2]);
  fprintf(stderr, "usage: sockets server PORT | client PORT MESSAGE | udp PORT MESSAGE | lookup NAME\n");
  return 2;
}
