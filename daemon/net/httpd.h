/* httpd: the HTTP/1.1 listener (libuv TCP + http-parser).
 *
 * Serves GET and HEAD from a route table of exact paths (and prefixes). Handlers run on the
 * loop thread and answer synchronously with a reference-counted body blob,
 * so serving is a memory copy. The server itself answers: 304 for a matching
 * If-None-Match (weak comparison, "*" too) or If-Modified-Since (ignored when
 * If-None-Match is present), 404 for unknown paths, 405 (with Allow) for
 * other methods, 400 for malformed requests, 431 for a request line or
 * headers beyond the limit, 413 for request bodies. A client that does not
 * finish its request within header_timeout, or stays idle between requests
 * beyond idle_timeout, or does not drain a response within write_timeout, is
 * disconnected. Keep-alive and pipelining are supported; responses go out in
 * request order. Nothing here blocks the loop. A response that ends the
 * connection is followed by a lingering close (FIN, then unread input is
 * drained until the peer closes) so the peer is not reset before reading it.
 * The process must ignore SIGPIPE (libuv writes with plain write()).
 * Handlers see the Authorization header and whether the client connected
 * from a loopback address, for their own access control (app/admin.c).
 *
 * Depends on base/, libuv, http-parser and libcurl's curl_getdate(); knows
 * nothing of feeds or SQL.
 */
#ifndef HERALD_NET_HTTPD_H
#define HERALD_NET_HTTPD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "base/blob.h"

struct httpd;

/* Borrowed for the duration of the handler call only. Header values are
 * NULL when absent. */
struct httpd_request {
    const char *method; /* "GET" or "HEAD" (others never reach a handler) */
    const char *path;   /* percent-encoded path, query removed */
    const char *query;  /* after '?', or NULL */
    const char *if_none_match;
    const char *if_modified_since;
    const char *accept_encoding;
    const char *authorization; /* a credential: never log it */
    bool loopback;             /* the client connected from 127.0.0.0/8 or ::1 */
};

/* Filled by the handler; status defaults to 200. Strings are copied by the
 * server after the handler returns. The handler gives the server one
 * reference to body (NULL for an empty body). */
struct httpd_response {
    int status;
    const char *content_type;
    const char *etag;             /* full header value, quotes included, or NULL */
    int64_t last_modified;        /* epoch seconds, or TIME_NONE */
    const char *cache_control;    /* or NULL */
    const char *content_encoding; /* e.g. "gzip" (not sent with a 304), or NULL */
    const char *vary;             /* e.g. "Accept-Encoding", or NULL */
    const char *allow_origin;     /* Access-Control-Allow-Origin, or NULL */
    const char *www_authenticate; /* e.g. "Bearer" with a 401, or NULL */
    struct blob *body;
};

typedef void (*httpd_handler_cb)(const struct httpd_request *req, struct httpd_response *res,
                                 void *userdata);

struct httpd_route {
    const char *path; /* exact match; ending in '*': every path with that prefix */
    httpd_handler_cb handler;
    void *userdata;
};

struct httpd_limits {
    size_t max_header_bytes;    /* request line + headers; default 8192 */
    uint64_t header_timeout_ms; /* default 10000 */
    uint64_t idle_timeout_ms;   /* keep-alive idle; default 30000 */
    uint64_t write_timeout_ms;  /* default 30000 */
    unsigned max_connections;   /* beyond it new connections are closed; default 1024 */
};

/* limits may be NULL (defaults); zero fields take the default. Returns 0 or
 * -ENOMEM. */
int httpd_new(uv_loop_t *loop, const struct httpd_limits *limits, struct httpd **ret);

/* Replaces the route table (copied: paths too). Safe while serving. */
int httpd_set_routes(struct httpd *h, const struct httpd_route *routes, size_t n);

/* Binds and listens on host:port (IPv4 or IPv6 literal, or "localhost").
 * Returns 0 or a negative libuv error (UV_EADDRINUSE, UV_EACCES, ...). */
int httpd_listen(struct httpd *h, const char *host, int port);

/* Listens on an already bound and listening socket (systemd socket
 * activation); h owns fd from then on, even on failure. Returns 0 or a
 * negative libuv error. */
int httpd_adopt_fd(struct httpd *h, int fd);

/* The port actually bound (useful after listening on port 0), or -1. */
int httpd_port(const struct httpd *h);

/* Stops accepting, closes every connection (a response being written is
 * dropped), and calls done(userdata) from the last close callback, after
 * which h is freed. Idempotent: done runs once, for the first call.
 * done (which may be NULL) never runs from within httpd_close(), and h is
 * already freed when it runs. */
void httpd_close(struct httpd *h, void (*done)(void *userdata), void *userdata);

#endif
