/* test_httpd: the HTTP listener on a real loop.
 *
 * The loop runs in its own thread; the tests are blocking POSIX clients on
 * the main thread, so cmocka's assertions stay on the thread that runs
 * them. The last test closes the server from the loop thread (uv_async_t)
 * and checks that the loop closes cleanly.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

#include "base/blob.h"
#include "base/clock.h"
#include "base/log.h"
#include "net/httpd.h"

#define FEED_BODY  "hello world\n"
#define FEED_MTIME 1700000000 /* Tue, 14 Nov 2023 22:13:20 GMT */
#define HEADER_MS  200
#define IDLE_MS    300
#define MAX_CONNS  8
#define RECV_MS    3000
#define WRITE_MS   500
#define BIG_SIZE   (32u << 20) /* more than the socket buffers hold */

static uv_loop_t loop;
static uv_thread_t loop_thread;
static uv_async_t stop_async;
static struct httpd *srv, *adopted, *in_use;
static struct blob *feed_blob, *big_blob;
static int srv_port, adopted_port;
static int done_calls;
static bool stopped;
static char last_query[64];

/* ---- server side (loop thread) ------------------------------------------- */

static void feed_handler(const struct httpd_request *req, struct httpd_response *res, void *ud)
{
    snprintf(last_query, sizeof(last_query), "%s", req->query ? req->query : "(none)");
    res->content_type = "text/plain";
    res->etag = "\"abc\"";
    res->last_modified = FEED_MTIME;
    res->cache_control = "max-age=60";
    res->body = blob_ref(feed_blob);
}

static void empty_handler(const struct httpd_request *req, struct httpd_response *res, void *ud)
{
    res->content_type = "text/plain";
}

/* A prefix route that answers with the representation headers. */
static void prefix_handler(const struct httpd_request *req, struct httpd_response *res, void *ud)
{
    snprintf(last_query, sizeof(last_query), "%s", req->path);
    res->content_type = "text/plain";
    res->etag = "\"gz\"";
    res->content_encoding = "gzip";
    res->vary = "Accept-Encoding";
    res->allow_origin = "*";
    res->body = blob_ref(feed_blob);
}

/* Access control as app/admin.c does it: the handler sees the client's
 * address class and the Authorization header. */
static void who_handler(const struct httpd_request *req, struct httpd_response *res, void *ud)
{
    snprintf(last_query, sizeof(last_query), "%s %s", req->loopback ? "loopback" : "remote",
             req->authorization ? req->authorization : "(none)");
    res->content_type = "text/plain";
    if (!req->authorization || strcmp(req->authorization, "Bearer s3cret") != 0) {
        res->status = 401;
        res->www_authenticate = "Bearer";
    }
}

static void big_handler(const struct httpd_request *req, struct httpd_response *res, void *ud)
{
    res->body = blob_ref(big_blob);
}

static void on_done(void *ud)
{
    (*(int *)ud)++;
}

static void on_stop(uv_async_t *a)
{
    httpd_close(srv, on_done, &done_calls);
    httpd_close(srv, on_done, &done_calls); /* idempotent */
    httpd_close(adopted, on_done, &done_calls);
    uv_close((uv_handle_t *)a, NULL);
}

static void loop_main(void *arg)
{
    uv_run(&loop, UV_RUN_DEFAULT);
}

static int adopt_socket(struct httpd *h)
{
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 16) < 0)
        return -1;
    return httpd_adopt_fd(h, fd);
}

static int group_setup(void **state)
{
    struct httpd_limits lim = {
        .header_timeout_ms = HEADER_MS,
        .idle_timeout_ms = IDLE_MS,
        .write_timeout_ms = WRITE_MS,
        .max_connections = MAX_CONNS,
    };
    struct httpd_route routes[] = {
        {"/feed", feed_handler, NULL}, {"/empty", empty_handler, NULL},
        {"/big", big_handler, NULL},   {"/pre/*", prefix_handler, NULL},
        {"/who", who_handler, NULL},
    };
    char *data = strdup(FEED_BODY), *big = calloc(1, BIG_SIZE);

    log_init();
    signal(SIGPIPE, SIG_IGN);
    feed_blob = blob_new(data, strlen(FEED_BODY));
    big_blob = blob_new(big, BIG_SIZE);
    if (!data || !feed_blob || !big || !big_blob || uv_loop_init(&loop) != 0)
        return -1;
    if (httpd_new(&loop, &lim, &srv) != 0 || httpd_set_routes(srv, routes, 5) != 0 ||
        httpd_listen(srv, "127.0.0.1", 0) != 0 || (srv_port = httpd_port(srv)) <= 0)
        return -1;
    if (httpd_new(&loop, NULL, &adopted) != 0 || httpd_set_routes(adopted, routes, 1) != 0 ||
        adopt_socket(adopted) != 0 || (adopted_port = httpd_port(adopted)) <= 0)
        return -1;
    /* A port in use is reported by httpd_listen. */
    if (httpd_new(&loop, NULL, &in_use) != 0 ||
        httpd_listen(in_use, "localhost", srv_port) != UV_EADDRINUSE)
        return -1;
    httpd_close(in_use, on_done, &done_calls);
    if (uv_async_init(&loop, &stop_async, on_stop) != 0)
        return -1;
    return uv_thread_create(&loop_thread, loop_main, NULL) == 0 ? 0 : -1;
}

static void stop_server(void)
{
    if (stopped)
        return;
    stopped = true;
    uv_async_send(&stop_async);
    uv_thread_join(&loop_thread);
}

static int group_teardown(void **state)
{
    stop_server();
    blob_unref(feed_blob);
    blob_unref(big_blob);
    return 0;
}

/* ---- client side (main thread) ------------------------------------------- */

struct client {
    int fd;
    size_t len;
    char buf[65536];
};

struct response {
    int status;
    char head[4096];
    char body[4096];
    size_t body_len;
};

static int connect_port(int port)
{
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    struct timeval tv = {.tv_sec = RECV_MS / 1000};
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    assert_true(fd >= 0);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    return fd;
}

static struct client *client_open(void)
{
    struct client *cl = calloc(1, sizeof(*cl));

    assert_non_null(cl);
    cl->fd = connect_port(srv_port);
    return cl;
}

static void client_free(struct client *cl)
{
    close(cl->fd);
    free(cl);
}

static void send_bytes(struct client *cl, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = send(cl->fd, p, n, MSG_NOSIGNAL);

        assert_true(w > 0);
        p += w;
        n -= (size_t)w;
    }
}

static void send_str(struct client *cl, const char *s)
{
    send_bytes(cl, s, strlen(s));
}

/* Reads more into cl->buf; returns the count, 0 on EOF, -1 on error. */
static ssize_t fill(struct client *cl)
{
    ssize_t n;

    assert_true(cl->len < sizeof(cl->buf));
    n = recv(cl->fd, cl->buf + cl->len, sizeof(cl->buf) - cl->len, 0);
    if (n > 0)
        cl->len += (size_t)n;
    return n;
}

static const char *find_header(const struct response *r, const char *name, char *out, size_t size)
{
    const char *p = r->head;
    size_t n = strlen(name);

    while ((p = strstr(p, "\r\n")) != NULL) {
        p += 2;
        if (strncasecmp(p, name, n) == 0 && p[n] == ':') {
            const char *v = p + n + 1 + strspn(p + n + 1, " ");
            snprintf(out, size, "%.*s", (int)strcspn(v, "\r"), v);
            return out;
        }
    }
    return NULL;
}

/* Reads one response; the body length comes from Content-Length, except
 * for HEAD (head_only) and 304. Returns -1 on EOF before a full response. */
static int read_response(struct client *cl, bool head_only, struct response *r)
{
    char *end, cl_value[32];
    size_t head_len, body_len = 0;

    while (!(end = memmem(cl->buf, cl->len, "\r\n\r\n", 4))) {
        if (fill(cl) <= 0)
            return -1;
    }
    head_len = (size_t)(end - cl->buf) + 4;
    assert_true(head_len < sizeof(r->head));
    memcpy(r->head, cl->buf, head_len);
    r->head[head_len] = '\0';
    assert_int_equal(sscanf(r->head, "HTTP/1.1 %d ", &r->status), 1);
    if (!head_only && r->status != 304 && find_header(r, "Content-Length", cl_value, 32))
        body_len = strtoul(cl_value, NULL, 10);
    assert_true(body_len < sizeof(r->body));
    while (cl->len < head_len + body_len) {
        if (fill(cl) <= 0)
            return -1;
    }
    memcpy(r->body, cl->buf + head_len, body_len);
    r->body[body_len] = '\0';
    r->body_len = body_len;
    cl->len -= head_len + body_len;
    memmove(cl->buf, cl->buf + head_len + body_len, cl->len);
    return 0;
}

/* True when the server closed: EOF (or a reset) with no bytes pending. */
static bool at_eof(struct client *cl)
{
    ssize_t n;

    if (cl->len)
        return false;
    n = fill(cl);
    return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK);
}

static void expect_header(const struct response *r, const char *name, const char *value)
{
    char got[256];

    assert_non_null(find_header(r, name, got, sizeof(got)));
    assert_string_equal(got, value);
}

static void expect_no_header(const struct response *r, const char *name)
{
    char got[256];

    assert_null(find_header(r, name, got, sizeof(got)));
}

/* Sends req on cl and reads one response, which must have the status. */
static void exchange(struct client *cl, const char *req, int status, struct response *r)
{
    send_str(cl, req);
    assert_int_equal(read_response(cl, strncmp(req, "HEAD ", 5) == 0, r), 0);
    assert_int_equal(r->status, status);
}

/* One request on a fresh connection. */
static void request_once(const char *req, int status, struct response *r)
{
    struct client *cl = client_open();

    exchange(cl, req, status, r);
    client_free(cl);
}

static void expect_304(const char *cond_header)
{
    struct client *cl = client_open();
    struct response r;
    char req[512];

    snprintf(req, sizeof(req), "GET /feed HTTP/1.1\r\nHost: t\r\n%s\r\n\r\n", cond_header);
    exchange(cl, req, 304, &r);
    expect_header(&r, "ETag", "\"abc\"");
    expect_header(&r, "Cache-Control", "max-age=60");
    expect_header(&r, "Last-Modified", "Tue, 14 Nov 2023 22:13:20 GMT");
    expect_no_header(&r, "Content-Length");
    assert_non_null(strstr(r.head, "\r\nDate: "));
    /* No body went out: the next response starts right after. */
    exchange(cl, "GET /feed HTTP/1.1\r\nHost: t\r\n\r\n", 200, &r);
    assert_string_equal(r.body, FEED_BODY);
    client_free(cl);
}

static void expect_200(const char *cond_header)
{
    struct response r;
    char req[512];

    snprintf(req, sizeof(req), "GET /feed HTTP/1.1\r\nHost: t\r\n%s\r\n\r\n", cond_header);
    request_once(req, 200, &r);
    assert_string_equal(r.body, FEED_BODY);
}

/* Sends req and expects status, "Connection: close" and then EOF. */
static void expect_error_and_close(const char *req, size_t len, int status)
{
    struct client *cl = client_open();
    struct response r;

    send_bytes(cl, req, len);
    assert_int_equal(read_response(cl, false, &r), 0);
    assert_int_equal(r.status, status);
    expect_header(&r, "Connection", "close");
    assert_true(at_eof(cl));
    client_free(cl);
}

/* ---- tests --------------------------------------------------------------- */

static void test_get(void **state)
{
    struct response r;
    char date[64];

    request_once("GET /feed HTTP/1.1\r\nHost: t\r\n\r\n", 200, &r);
    assert_string_equal(r.body, FEED_BODY);
    expect_header(&r, "Content-Length", "12");
    expect_header(&r, "Content-Type", "text/plain");
    expect_header(&r, "ETag", "\"abc\"");
    expect_header(&r, "Last-Modified", "Tue, 14 Nov 2023 22:13:20 GMT");
    expect_header(&r, "Cache-Control", "max-age=60");
    expect_header(&r, "Server", "heraldd");
    expect_no_header(&r, "Connection");
    assert_non_null(find_header(&r, "Date", date, sizeof(date)));
    assert_int_equal(strlen(date), CLOCK_RFC1123_LEN - 1);
    assert_string_equal(last_query, "(none)");

    request_once("GET /empty HTTP/1.1\r\n\r\n", 200, &r);
    expect_header(&r, "Content-Length", "0");
    expect_no_header(&r, "ETag");
    expect_no_header(&r, "Last-Modified");
}

static void test_head(void **state)
{
    struct client *cl = client_open();
    struct response r;

    exchange(cl, "HEAD /feed HTTP/1.1\r\nHost: t\r\n\r\n", 200, &r);
    expect_header(&r, "Content-Length", "12");
    expect_header(&r, "ETag", "\"abc\"");
    exchange(cl, "HEAD /nope HTTP/1.1\r\nHost: t\r\n\r\n", 404, &r);
    /* No body after either head: the next response follows directly. */
    exchange(cl, "GET /feed HTTP/1.1\r\nHost: t\r\n\r\n", 200, &r);
    assert_string_equal(r.body, FEED_BODY);
    client_free(cl);
}

static void test_if_none_match(void **state)
{
    expect_304("If-None-Match: \"abc\"");
    expect_304("If-None-Match: W/\"abc\"");
    expect_304("If-None-Match: *");
    expect_304("If-None-Match: \"x\", W/\"y\",\"abc\"");
    expect_304("If-None-Match: \"x\"\r\nIf-None-Match: \"abc\""); /* repeated: one list */
    expect_304("if-none-match:   \"abc\"   ");
    expect_200("If-None-Match: \"abcd\"");
    expect_200("If-None-Match: \"x\", \"y\"");
    expect_200("If-None-Match: abc");
    expect_200("If-None-Match: \"abc");
}

static void test_if_modified_since(void **state)
{
    struct response r;

    expect_304("If-Modified-Since: Tue, 14 Nov 2023 22:13:20 GMT");
    expect_304("If-Modified-Since: Wed, 15 Nov 2023 00:00:00 GMT");
    expect_304("If-Modified-Since: Tuesday, 14-Nov-23 22:13:20 GMT"); /* RFC 850 */
    expect_200("If-Modified-Since: Tue, 14 Nov 2023 22:13:19 GMT");
    expect_200("If-Modified-Since: yesterday-ish");
    /* If-None-Match wins over If-Modified-Since. */
    expect_200("If-None-Match: \"zzz\"\r\nIf-Modified-Since: Wed, 15 Nov 2023 00:00:00 GMT");
    /* No Last-Modified: no 304 from a date. */
    request_once("GET /empty HTTP/1.1\r\nIf-Modified-Since: Wed, 15 Nov 2023 00:00:00 GMT\r\n\r\n",
                 200, &r);
}

static void test_routes(void **state)
{
    struct response r;

    request_once("GET /nope HTTP/1.1\r\nHost: t\r\n\r\n", 404, &r);
    assert_string_equal(r.body, "404 Not Found\n");
    expect_header(&r, "Content-Type", "text/plain; charset=utf-8");
    request_once("GET /feed/ HTTP/1.1\r\n\r\n", 404, &r);
    request_once("GET /FEED HTTP/1.1\r\n\r\n", 404, &r);
    request_once("GET /feed?x=1&y HTTP/1.1\r\n\r\n", 200, &r);
    assert_string_equal(last_query, "x=1&y");
    request_once("GET http://example.org/feed?a=b HTTP/1.1\r\nHost: example.org\r\n\r\n", 200, &r);
    assert_string_equal(last_query, "a=b");
    assert_string_equal(r.body, FEED_BODY);
    request_once("GET http://example.org HTTP/1.1\r\n\r\n", 404, &r);
}

static void test_peer_and_authorization(void **state)
{
    struct response r;

    request_once("GET /who HTTP/1.1\r\n\r\n", 401, &r);
    assert_string_equal(last_query, "loopback (none)");
    expect_header(&r, "WWW-Authenticate", "Bearer");
    request_once("GET /who HTTP/1.1\r\nauthorization: Bearer s3cret\r\n\r\n", 200, &r);
    assert_string_equal(last_query, "loopback Bearer s3cret");
    expect_no_header(&r, "WWW-Authenticate");
}

static void test_prefix_route_and_representation_headers(void **state)
{
    struct response r;

    request_once("GET /pre/a/b.x HTTP/1.1\r\n\r\n", 200, &r);
    assert_string_equal(last_query, "/pre/a/b.x");
    expect_header(&r, "Content-Encoding", "gzip");
    expect_header(&r, "Vary", "Accept-Encoding");
    expect_header(&r, "Access-Control-Allow-Origin", "*");
    request_once("GET /pre/ HTTP/1.1\r\n\r\n", 200, &r);
    request_once("GET /pre HTTP/1.1\r\n\r\n", 404, &r);
    request_once("GET /prefix HTTP/1.1\r\n\r\n", 404, &r);
    /* A 304 keeps ETag and Vary, and has no Content-Encoding. */
    request_once("GET /pre/x HTTP/1.1\r\nIf-None-Match: \"gz\"\r\n\r\n", 304, &r);
    expect_header(&r, "ETag", "\"gz\"");
    expect_header(&r, "Vary", "Accept-Encoding");
    expect_no_header(&r, "Content-Encoding");
}

static void test_method_not_allowed(void **state)
{
    static const char post[] = "POST /feed HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc";
    struct client *cl = client_open();
    struct response r;

    exchange(cl, "POST /feed HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n", 405, &r);
    expect_header(&r, "Allow", "GET, HEAD");
    expect_no_header(&r, "Connection");
    exchange(cl, "DELETE /nope HTTP/1.1\r\n\r\n", 405, &r);
    exchange(cl, "GET /feed HTTP/1.1\r\n\r\n", 200, &r); /* still open */
    client_free(cl);
    /* With a body we do not read, the connection cannot continue. */
    expect_error_and_close(post, sizeof(post) - 1, 405);
}

static void test_body_rejected(void **state)
{
    static const char cl_req[] = "GET /feed HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello";
    static const char chunked[] = "GET /feed HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
                                  "5\r\nhello\r\n0\r\n\r\n";

    expect_error_and_close(cl_req, sizeof(cl_req) - 1, 413);
    /* Transfer-Encoding on a request is refused as a smuggling vector. */
    expect_error_and_close(chunked, sizeof(chunked) - 1, 400);
}

/* A request whose line and headers are exactly `size` bytes. */
static char *request_of_size(size_t size)
{
    static const char start[] = "GET /feed HTTP/1.1\r\nX-Pad: ";
    char *req = malloc(size + 1);

    assert_non_null(req);
    assert_true(size > sizeof(start) + 4);
    memcpy(req, start, sizeof(start) - 1);
    memset(req + sizeof(start) - 1, 'a', size - (sizeof(start) - 1) - 4);
    memcpy(req + size - 4, "\r\n\r\n", 5);
    return req;
}

static void test_header_limit(void **state)
{
    struct response r;
    char *req;

    req = request_of_size(8192); /* the default limit: allowed */
    request_once(req, 200, &r);
    free(req);
    req = request_of_size(8193);
    expect_error_and_close(req, 8193, 431);
    free(req);
    req = request_of_size(20 * 1024);
    expect_error_and_close(req, 20 * 1024, 431);
    free(req);
    /* A client still sending when the 431 goes out is not reset: the
     * server drains its input until it closes (lingering close). */
    req = calloc(1, 1 << 24);
    assert_non_null(req);
    memset(req, 'a', 1 << 24);
    memcpy(req, "GET /feed HTTP/1.1\r\nX-Pad: ", 27);
    expect_error_and_close(req, 1 << 24, 431);
    free(req);
}

static void test_malformed(void **state)
{
    static const char garbage[] = "\x01\x02 garbage\r\n\r\n";
    static const char bad_version[] = "GET /feed HTTP/x.y\r\n\r\n";
    static const char bad_header[] = "GET /feed HTTP/1.1\r\nNo colon here\r\n\r\n";
    static const char bad_target[] = "GET * HTTP/1.1\r\n\r\n";

    expect_error_and_close(garbage, sizeof(garbage) - 1, 400);
    expect_error_and_close(bad_version, sizeof(bad_version) - 1, 400);
    expect_error_and_close(bad_header, sizeof(bad_header) - 1, 400);
    expect_error_and_close(bad_target, sizeof(bad_target) - 1, 400);
}

static void test_pipelining(void **state)
{
    struct client *cl = client_open();
    struct response r;

    send_str(cl, "GET /feed HTTP/1.1\r\nHost: t\r\n\r\n"
                 "GET /nope HTTP/1.1\r\nHost: t\r\n\r\n"
                 "GET /feed HTTP/1.1\r\nIf-None-Match: \"abc\"\r\n\r\n"
                 "GET /feed?last HTTP/1.1\r\nConnection: close\r\n\r\n");
    assert_int_equal(read_response(cl, false, &r), 0);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, FEED_BODY);
    assert_int_equal(read_response(cl, false, &r), 0);
    assert_int_equal(r.status, 404);
    assert_int_equal(read_response(cl, false, &r), 0);
    assert_int_equal(r.status, 304);
    assert_int_equal(read_response(cl, false, &r), 0);
    assert_int_equal(r.status, 200);
    expect_header(&r, "Connection", "close");
    assert_string_equal(last_query, "last");
    assert_true(at_eof(cl));
    client_free(cl);
}

static void test_keep_alive(void **state)
{
    struct client *cl = client_open();
    struct response r;

    for (int i = 0; i < 3; i++)
        exchange(cl, "GET /feed HTTP/1.1\r\nHost: t\r\n\r\n", 200, &r);
    /* A request split over several writes. */
    send_str(cl, "GET /fe");
    send_str(cl, "ed HTTP/1.1\r\nIf-None-");
    send_str(cl, "Match: W/\"a");
    exchange(cl, "bc\"\r\n\r\n", 304, &r);
    exchange(cl, "GET /feed HTTP/1.1\r\nConnection: close\r\n\r\n", 200, &r);
    expect_header(&r, "Connection", "close");
    assert_true(at_eof(cl));
    client_free(cl);

    cl = client_open(); /* HTTP/1.0 closes by default */
    exchange(cl, "GET /feed HTTP/1.0\r\n\r\n", 200, &r);
    expect_header(&r, "Connection", "close");
    assert_true(at_eof(cl));
    client_free(cl);

    cl = client_open(); /* unless asked */
    exchange(cl, "GET /feed HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", 200, &r);
    expect_header(&r, "Connection", "keep-alive");
    exchange(cl, "GET /feed HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", 200, &r);
    client_free(cl);
}

static void test_header_timeout(void **state)
{
    struct client *cl = client_open();
    struct response r;
    int64_t t0 = clock_mono_ms(), elapsed;

    send_str(cl, "GET /feed HTTP/1.1\r\nHost: t\r\n");
    assert_int_equal(read_response(cl, false, &r), 0);
    elapsed = clock_mono_ms() - t0;
    assert_int_equal(r.status, 408);
    expect_header(&r, "Connection", "close");
    assert_true(at_eof(cl));
    assert_true(elapsed >= HEADER_MS - 20 && elapsed < HEADER_MS + 1000);
    client_free(cl);

    /* A connection that never sends anything is closed silently. */
    cl = client_open();
    t0 = clock_mono_ms();
    assert_true(at_eof(cl));
    elapsed = clock_mono_ms() - t0;
    assert_true(elapsed >= HEADER_MS - 20 && elapsed < HEADER_MS + 1000);
    client_free(cl);
}

/* One byte every 20 ms: the deadline is per request, not per byte. */
static void test_slow_loris(void **state)
{
    static const char req[] =
        "GET /feed HTTP/1.1\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n";
    struct client *cl = client_open();
    struct pollfd pfd = {.fd = cl->fd, .events = POLLIN};
    int64_t t0 = clock_mono_ms(), elapsed;
    struct response r;
    size_t i;

    for (i = 0; i < sizeof(req) - 1; i++) {
        if (send(cl->fd, req + i, 1, MSG_NOSIGNAL) != 1 || poll(&pfd, 1, 20) != 0)
            break;
    }
    assert_true(i < sizeof(req) - 1);
    assert_int_equal(read_response(cl, false, &r), 0);
    elapsed = clock_mono_ms() - t0;
    assert_int_equal(r.status, 408);
    assert_true(at_eof(cl));
    assert_true(elapsed < HEADER_MS + 1000);
    client_free(cl);
}

static void test_idle_timeout(void **state)
{
    struct client *cl = client_open();
    struct response r;
    int64_t t0, elapsed;

    exchange(cl, "GET /feed HTTP/1.1\r\n\r\n", 200, &r);
    t0 = clock_mono_ms();
    assert_true(at_eof(cl));
    elapsed = clock_mono_ms() - t0;
    assert_true(elapsed >= IDLE_MS - 20 && elapsed < IDLE_MS + 1000);
    client_free(cl);
}

/* Total bytes read until EOF or a reset. */
static size_t drain(struct client *cl)
{
    size_t total = cl->len;
    ssize_t n;

    cl->len = 0;
    while ((n = fill(cl)) > 0) {
        total += (size_t)n;
        cl->len = 0;
    }
    return total;
}

/* A client that does not read its response is cut off after write_timeout,
 * and the body's reference is dropped with the cancelled write. */
static void test_write_timeout(void **state)
{
    struct client *cl = client_open();

    send_str(cl, "GET /big HTTP/1.1\r\n\r\n");
    usleep((WRITE_MS + 300) * 1000);
    assert_true(drain(cl) < BIG_SIZE);
    assert_int_equal(big_blob->refs, 1);
    client_free(cl);
}

static void test_max_connections(void **state)
{
    static const char req[] = "GET /feed HTTP/1.1\r\n\r\n";
    struct client *cl[MAX_CONNS + 1];
    struct response r;
    int64_t t0;

    usleep(100 * 1000); /* let the server see the earlier tests' closes */
    for (int i = 0; i < MAX_CONNS; i++) {
        cl[i] = client_open();
        exchange(cl[i], "GET /feed HTTP/1.1\r\n\r\n", 200, &r);
    }
    /* One too many: the oldest idle connection makes room for it, at once. */
    t0 = clock_mono_ms();
    cl[MAX_CONNS] = client_open();
    exchange(cl[MAX_CONNS], req, 200, &r);
    assert_true(clock_mono_ms() - t0 < HEADER_MS / 2);
    assert_true(at_eof(cl[0]));
    for (int i = 1; i < MAX_CONNS; i++) /* the others are untouched */
        exchange(cl[i], req, 200, &r);
    client_free(cl[0]);
    /* Again: the next oldest waiting connection goes. */
    cl[0] = client_open();
    exchange(cl[0], req, 200, &r);
    assert_true(at_eof(cl[1]));
    for (int i = 0; i <= MAX_CONNS; i++)
        client_free(cl[i]);
}

static void test_adopted_fd(void **state)
{
    struct client cl = {.fd = connect_port(adopted_port)};
    struct response r;

    exchange(&cl, "GET /feed HTTP/1.1\r\n\r\n", 200, &r);
    assert_string_equal(r.body, FEED_BODY);
    close(cl.fd);
}

/* Closing with connections open (one mid-request, one idle, one with a
 * response being written) frees all: done runs once per server, the loop
 * has no handle left, and every body reference is dropped. */
static void test_close(void **state)
{
    struct client *partial = client_open(), *idle = client_open(), *writing = client_open();
    struct response r;

    exchange(idle, "GET /feed HTTP/1.1\r\n\r\n", 200, &r);
    send_str(partial, "GET /feed HTTP/1.1\r\n");
    send_str(writing, "GET /big HTTP/1.1\r\n\r\n");
    usleep(50 * 1000);
    assert_int_equal(big_blob->refs, 2); /* still being written */
    stop_server();
    assert_int_equal(done_calls, 3); /* srv, adopted, in_use */
    assert_int_equal(uv_loop_close(&loop), 0);
    assert_true(at_eof(idle));
    assert_true(at_eof(partial));
    assert_true(drain(writing) < BIG_SIZE);
    assert_int_equal(feed_blob->refs, 1);
    assert_int_equal(big_blob->refs, 1);
    client_free(partial);
    client_free(idle);
    client_free(writing);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_get),
        cmocka_unit_test(test_head),
        cmocka_unit_test(test_if_none_match),
        cmocka_unit_test(test_if_modified_since),
        cmocka_unit_test(test_routes),
        cmocka_unit_test(test_peer_and_authorization),
        cmocka_unit_test(test_prefix_route_and_representation_headers),
        cmocka_unit_test(test_method_not_allowed),
        cmocka_unit_test(test_body_rejected),
        cmocka_unit_test(test_header_limit),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_pipelining),
        cmocka_unit_test(test_keep_alive),
        cmocka_unit_test(test_header_timeout),
        cmocka_unit_test(test_slow_loris),
        cmocka_unit_test(test_idle_timeout),
        cmocka_unit_test(test_write_timeout),
        cmocka_unit_test(test_max_connections),
        cmocka_unit_test(test_adopted_fd),
        cmocka_unit_test(test_close),
    };

    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
