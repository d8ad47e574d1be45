/* fuzz_http: libFuzzer target over the daemon's HTTP server (net/httpd.h),
 * end to end on a real loopback socket.
 *
 * LLVMFuzzerInitialize() creates a uv loop and an httpd listening on
 * 127.0.0.1:0 with small limits (timeouts of a few ms, so no input can be
 * slow) and a route table like the daemon's: exact paths ("/feed", "/who")
 * and a prefix route ("/pre/" and a star). Each input: byte 0 picks where
 * the rest is split in two writes (so the server sees partial reads); a
 * client socket connects, writes both parts (running the loop in between),
 * shuts down its write side (unless byte 0 is 0: then the server's timers
 * end the connection), then reads and discards the response while the loop
 * runs, until it reads EOF and the server has freed the connection.
 * Whatever came back must start with "HTTP/1.1 ". Every connection is
 * freed before the input ends, so LeakSanitizer sees nothing carried
 * across inputs; a connection still open after 5 s is reported as a hang
 * (abort).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>

#include "base/blob.h"
#include "base/clock.h"
#include "base/log.h"
#include "net/httpd.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define HANG_MS   5000 /* far beyond every limit below: a connection left open is a bug */
#define BODY_TEXT "hello world\n"

static uv_loop_t loop;
static struct httpd *srv;
static struct blob *feed_blob;
static int srv_port;
static int baseline_handles;

static void feed_handler(const struct httpd_request *req, struct httpd_response *res, void *ud)
{
    res->content_type = "text/plain";
    res->etag = "\"abc\"";
    res->last_modified = 1700000000;
    res->cache_control = "max-age=60";
    res->body = blob_ref(feed_blob);
}

/* Echoes the path and query into a fresh body (freed by the server once
 * written); "?bad" makes an invalid response (a 500 from the server). */
static void prefix_handler(const struct httpd_request *req, struct httpd_response *res, void *ud)
{
    size_t n = strlen(req->path) + (req->query ? strlen(req->query) : 0) + 2;
    char *text = malloc(n);

    res->content_type = "text/plain";
    res->etag = "W/\"gz\"";
    res->content_encoding = "gzip";
    res->vary = "Accept-Encoding";
    res->allow_origin = "*";
    if (req->query && strncmp(req->query, "bad", 3) == 0)
        res->content_type = "text/plain\r\nX-Injected: 1";
    if (text) {
        snprintf(text, n, "%s?%s", req->path, req->query ? req->query : "");
        res->body = blob_new(text, strlen(text)); /* takes text, even on failure */
    }
}

static void who_handler(const struct httpd_request *req, struct httpd_response *res, void *ud)
{
    res->content_type = "text/plain";
    if (!req->loopback || !req->authorization || strcmp(req->authorization, "Bearer s3cret") != 0) {
        res->status = 401;
        res->www_authenticate = "Bearer";
    } else if (req->accept_encoding) {
        res->status = 204;
    }
}

static void count_handle(uv_handle_t *h, void *arg)
{
    (*(int *)arg)++;
}

static int loop_handles(void)
{
    int n = 0;

    uv_walk(&loop, count_handle, &n);
    return n;
}

static int64_t now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    struct httpd_limits lim = {
        .max_header_bytes = 4096,
        .header_timeout_ms = 20,
        .idle_timeout_ms = 20,
        .write_timeout_ms = 50,
        .max_connections = 4,
    };
    static const struct httpd_route routes[] = {
        {"/feed", feed_handler, NULL},
        {"/who", who_handler, NULL},
        {"/pre/*", prefix_handler, NULL},
    };
    char *text = strdup(BODY_TEXT);

    log_init();
    log_max_level = 0; /* quiet: the fuzzer's output is the report */
    signal(SIGPIPE, SIG_IGN);
    feed_blob = text ? blob_new(text, strlen(text)) : NULL;
    if (!feed_blob || uv_loop_init(&loop) != 0 || httpd_new(&loop, &lim, &srv) != 0 ||
        httpd_set_routes(srv, routes, sizeof(routes) / sizeof(routes[0])) != 0 ||
        httpd_listen(srv, "127.0.0.1", 0) != 0 || (srv_port = httpd_port(srv)) <= 0) {
        fprintf(stderr, "fuzz_http: cannot start the server\n");
        abort();
    }
    baseline_handles = loop_handles();
    return 0;
}

/* Waits (at most 10 ms) for the client socket or the loop, then runs the
 * loop once without blocking. */
static void step(int fd, short events)
{
    struct pollfd p[2] = {{.fd = fd, .events = events},
                          {.fd = uv_backend_fd(&loop), .events = POLLIN}};
    int t = uv_backend_timeout(&loop);

    if (t < 0 || t > 10)
        t = 10;
    (void)poll(p, 2, t);
    uv_run(&loop, UV_RUN_NOWAIT);
}

/* Connects without blocking (a signal, such as libFuzzer's timer, must not
 * make a blocking connect() fail with EINTR), running the loop meanwhile. */
static int client_connect(int64_t deadline)
{
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)srv_port)};
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0), err = 0;
    socklen_t len = sizeof(err);

    if (fd < 0)
        abort();
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
        return fd;
    if (errno != EINPROGRESS && errno != EINTR) {
        perror("fuzz_http: connect");
        abort();
    }
    for (;;) {
        struct pollfd p = {.fd = fd, .events = POLLOUT};

        if (poll(&p, 1, 0) == 1)
            break;
        if (now_ms() > deadline) {
            fprintf(stderr, "fuzz_http: connect did not complete\n");
            abort();
        }
        step(fd, POLLOUT);
    }
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0 || err != 0) {
        fprintf(stderr, "fuzz_http: connect: %s\n", strerror(err));
        abort();
    }
    return fd;
}

struct client_state {
    int fd;
    bool eof;
    size_t got;
    char head[16];
};

/* Reads what is there; sets eof on EOF or a reset. */
static void drain(struct client_state *cs)
{
    char buf[16384];

    while (!cs->eof) {
        ssize_t n = recv(cs->fd, buf, sizeof(buf), 0);

        if (n > 0) {
            if (cs->got < sizeof(cs->head)) {
                size_t k =
                    sizeof(cs->head) - cs->got < (size_t)n ? sizeof(cs->head) - cs->got : (size_t)n;
                memcpy(cs->head + cs->got, buf, k);
            }
            cs->got += (size_t)n;
        } else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
            cs->eof = true; /* EOF, or ECONNRESET after a close with unread input */
        } else {
            return;
        }
    }
}

/* Writes p[0..n) while the loop runs (the server stops reading while it
 * answers, so a long input may not fit in the socket buffers at once). */
static void send_all(struct client_state *cs, const uint8_t *p, size_t n, int64_t deadline)
{
    while (n > 0 && !cs->eof) {
        ssize_t w = send(cs->fd, p, n, MSG_NOSIGNAL);

        if (w > 0) {
            p += w;
            n -= (size_t)w;
            continue;
        }
        if (w < 0 && errno != EAGAIN && errno != EINTR)
            return; /* the server closed: EPIPE / ECONNRESET */
        drain(cs);
        if (now_ms() > deadline)
            return;
        step(cs->fd, POLLOUT | POLLIN);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct client_state cs = {0};
    int64_t deadline = now_ms() + HANG_MS;
    size_t split;
    bool half_close;

    if (size < 1)
        return 0;
    half_close = data[0] != 0;
    split = (size_t)data[0] * (size - 1) / 255;
    data++;
    size--;

    cs.fd = client_connect(deadline);
    send_all(&cs, data, split, deadline);
    /* Let the server read the first part on its own. */
    for (int i = 0; i < 2; i++)
        uv_run(&loop, UV_RUN_NOWAIT);
    send_all(&cs, data + split, size - split, deadline);
    /* Byte 0 == 0 (rare): the client keeps its side open, so the server's
     * header and idle timers (20 ms) end the connection, with a 408 when a
     * request was started. */
    if (half_close)
        shutdown(cs.fd, SHUT_WR);

    while (!cs.eof && now_ms() < deadline) {
        drain(&cs);
        if (!cs.eof)
            step(cs.fd, POLLIN);
    }
    /* Closed with a reset, not into TIME_WAIT: a million connections would
     * otherwise exhaust the ephemeral ports (and slow connect() down). */
    setsockopt(cs.fd, SOL_SOCKET, SO_LINGER, &(struct linger){.l_onoff = 1, .l_linger = 0},
               sizeof(struct linger));
    close(cs.fd);
    /* Until the server has freed the connection (close callbacks run). */
    while (loop_handles() > baseline_handles && now_ms() < deadline)
        step(-1, 0);
    if (loop_handles() > baseline_handles) {
        fprintf(stderr, "fuzz_http: a connection was still open %d ms after the request\n",
                HANG_MS);
        abort();
    }
    if (cs.got > 0 && memcmp(cs.head, "HTTP/1.1 ", cs.got < 9 ? cs.got : 9) != 0) {
        fprintf(stderr, "fuzz_http: the response does not start with \"HTTP/1.1 \"\n");
        abort();
    }
    return 0;
}
