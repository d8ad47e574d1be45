/* test_fetch: the fetcher on a real loop against a scripted HTTP server.
 *
 * The server runs on threads with blocking sockets (one thread per
 * connection, every response "Connection: close"), listening on 127.0.0.1
 * and 127.0.0.2: two sites. Per path it records request start times and
 * the most connections open at once. The loop and every assertion stay on
 * the main thread. Each test builds its own loop and fetcher and ends with
 * fetcher_close() and uv_loop_close() == 0.
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
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

#include "base/clock.h"
#include "base/log.h"
#include "net/fetch.h"
#include "net/site.h"

/* ---- scripted server (its own threads) ------------------------------------------ */

#define MAX_PATHS 32
#define MAX_TIMES 32
#define HOLD_MS   300

struct path_stats {
    char path[64];
    int count, open, max_open;
    int64_t start_ms[MAX_TIMES];
};

static pthread_mutex_t stats_lock = PTHREAD_MUTEX_INITIALIZER;
static struct path_stats stats[MAX_PATHS];
static int listen_fd[2];
static int port[2];
static pthread_t accept_thread[2];
static volatile int conns_alive;

static struct path_stats *stats_for(const char *path)
{
    for (int i = 0; i < MAX_PATHS; i++) {
        if (strcmp(stats[i].path, path) == 0)
            return &stats[i];
        if (!stats[i].path[0]) {
            snprintf(stats[i].path, sizeof(stats[i].path), "%s", path);
            return &stats[i];
        }
    }
    abort();
}

static void stats_reset(void)
{
    pthread_mutex_lock(&stats_lock);
    memset(stats, 0, sizeof(stats));
    pthread_mutex_unlock(&stats_lock);
}

static struct path_stats stats_get(const char *path)
{
    struct path_stats s;

    pthread_mutex_lock(&stats_lock);
    s = *stats_for(path);
    pthread_mutex_unlock(&stats_lock);
    return s;
}

static void send_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);

        if (w <= 0)
            return;
        p += w;
        n -= (size_t)w;
    }
}

static void reply(int fd, const char *status, const char *headers, const char *body)
{
    char head[1024];

    snprintf(head, sizeof(head),
             "HTTP/1.1 %s\r\nConnection: close\r\nContent-Length: %zu\r\n%s\r\n", status,
             strlen(body), headers);
    send_all(fd, head, strlen(head));
    send_all(fd, body, strlen(body));
}

/* Waits until the client closes (or 5 s). */
static void wait_for_close(int fd)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};
    char c[256];

    while (poll(&p, 1, 5000) > 0 && recv(fd, c, sizeof(c), 0) > 0)
        ;
}

static __thread bool uncounted;

static void uncount(const char *path)
{
    pthread_mutex_lock(&stats_lock);
    stats_for(path)->open--;
    uncounted = true;
    pthread_mutex_unlock(&stats_lock);
}

static void respond(int fd, int which, const char *path, const char *req)
{
    char hdr[512], body[1024];

    if (strcmp(path, "/ok") == 0 || strcmp(path, "/after") == 0 || strcmp(path, "/other") == 0 ||
        strcmp(path, "/gap") == 0 || strcmp(path, "/final") == 0) {
        reply(fd, "200 OK",
              "ETag: \"v1\"\r\nLast-Modified: Tue, 14 Nov 2023 22:13:20 GMT\r\n"
              "Content-Type: application/atom+xml\r\nCache-Control: public, max-age=300\r\n",
              strcmp(path, "/final") == 0 ? "final" : "hello");
    } else if (strcmp(path, "/cond") == 0) {
        if (strstr(req, "If-None-Match: \"v1\""))
            reply(fd, "304 Not Modified", "ETag: \"v1\"\r\n", "");
        else
            reply(fd, "200 OK", "ETag: \"v1\"\r\n", "fresh");
    } else if (strncmp(path, "/hold", 5) == 0) {
        usleep(HOLD_MS * 1000);
        /* The request stops counting as open before its answer is sent:
         * once the client has the answer it may start the next request,
         * possibly before this thread runs again. */
        uncount(path);
        reply(fd, "200 OK", "", "held");
    } else if (strcmp(path, "/429") == 0) {
        reply(fd, "429 Too Many Requests", "Retry-After: 2\r\n", "slow down");
    } else if (strcmp(path, "/r301") == 0) {
        reply(fd, "301 Moved Permanently", "Location: /r308\r\n", "");
    } else if (strcmp(path, "/r308") == 0) {
        reply(fd, "308 Permanent Redirect", "Location: /final\r\n", "");
    } else if (strcmp(path, "/m301") == 0) {
        reply(fd, "301 Moved Permanently", "Location: /m302\r\n", "");
    } else if (strcmp(path, "/m302") == 0) {
        reply(fd, "302 Found", "Location: /final\r\n", "");
    } else if (strcmp(path, "/loop") == 0) {
        reply(fd, "301 Moved Permanently", "Location: /loop\r\n", "");
    } else if (strcmp(path, "/tofile") == 0) {
        reply(fd, "302 Found", "Location: file:///etc/passwd\r\n", "");
    } else if (strcmp(path, "/to2") == 0) {
        snprintf(hdr, sizeof(hdr), "Location: http://127.0.0.2:%d/final\r\n", port[1]);
        reply(fd, "302 Found", hdr, "");
    } else if (strcmp(path, "/big") == 0) {
        /* No Content-Length: only the write callback can stop it. */
        const char *h = "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n";

        send_all(fd, h, strlen(h));
        memset(body, 'x', sizeof(body));
        for (int i = 0; i < 64; i++)
            send_all(fd, body, sizeof(body));
    } else if (strcmp(path, "/bigcl") == 0) {
        /* Announced: 64 KiB, past a 16 KiB limit. */
        const char *h = "HTTP/1.1 200 OK\r\nContent-Length: 65536\r\nConnection: close\r\n\r\n";

        send_all(fd, h, strlen(h));
        memset(body, 'y', sizeof(body));
        for (int i = 0; i < 64; i++)
            send_all(fd, body, sizeof(body));
    } else if (strcmp(path, "/stall") == 0) {
        const char *h = "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nabc";

        send_all(fd, h, strlen(h));
        wait_for_close(fd);
    } else if (strcmp(path, "/echo") == 0) {
        snprintf(body, sizeof(body), "%.1000s", req);
        reply(fd, "200 OK", "", body);
    } else {
        (void)which;
        reply(fd, "404 Not Found", "", "no");
    }
}

static void *on_conn(void *arg)
{
    int fd = (int)(intptr_t)arg;
    char req[4096], path[64] = "";
    size_t n = 0;
    ssize_t r;
    struct path_stats *s;

    while (n < sizeof(req) - 1 && (r = recv(fd, req + n, sizeof(req) - 1 - n, 0)) > 0) {
        n += (size_t)r;
        req[n] = '\0';
        if (strstr(req, "\r\n\r\n"))
            break;
    }
    req[n] = '\0';
    if (sscanf(req, "GET %63s", path) == 1) {
        char *q = strchr(path, '?');

        if (q)
            *q = '\0';
        pthread_mutex_lock(&stats_lock);
        s = stats_for(path);
        if (s->count < MAX_TIMES)
            s->start_ms[s->count] = clock_mono_ms();
        s->count++;
        if (++s->open > s->max_open)
            s->max_open = s->open;
        pthread_mutex_unlock(&stats_lock);
        uncounted = false;
        respond(fd, 0, path, req);
        pthread_mutex_lock(&stats_lock);
        if (!uncounted)
            s->open--;
        pthread_mutex_unlock(&stats_lock);
    }
    close(fd);
    __atomic_sub_fetch(&conns_alive, 1, __ATOMIC_SEQ_CST);
    return NULL;
}

static void *on_accept(void *arg)
{
    int lfd = (int)(intptr_t)arg;

    for (;;) {
        int fd = accept(lfd, NULL, NULL);
        pthread_t th;

        if (fd < 0)
            return NULL;
        __atomic_add_fetch(&conns_alive, 1, __ATOMIC_SEQ_CST);
        if (pthread_create(&th, NULL, on_conn, (void *)(intptr_t)fd) != 0) {
            close(fd);
            __atomic_sub_fetch(&conns_alive, 1, __ATOMIC_SEQ_CST);
            continue;
        }
        pthread_detach(th);
    }
}

static int listen_on(const char *ip, int *ret_port)
{
    struct sockaddr_in a = {.sin_family = AF_INET};
    socklen_t len = sizeof(a);
    int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;

    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    inet_pton(AF_INET, ip, &a.sin_addr);
    if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(fd, 64) < 0)
        return -1;
    getsockname(fd, (struct sockaddr *)&a, &len);
    *ret_port = ntohs(a.sin_port);
    return fd;
}

static int server_up(void **state)
{
    (void)state;
    signal(SIGPIPE, SIG_IGN);
    log_init();
    listen_fd[0] = listen_on("127.0.0.1", &port[0]);
    listen_fd[1] = listen_on("127.0.0.2", &port[1]);
    if (listen_fd[0] < 0 || listen_fd[1] < 0)
        return -1;
    for (int i = 0; i < 2; i++)
        pthread_create(&accept_thread[i], NULL, on_accept, (void *)(intptr_t)listen_fd[i]);
    return 0;
}

static int server_down(void **state)
{
    (void)state;
    for (int i = 0; i < 2; i++) {
        shutdown(listen_fd[i], SHUT_RDWR);
        pthread_join(accept_thread[i], NULL);
        close(listen_fd[i]);
    }
    for (int i = 0; i < 100 && __atomic_load_n(&conns_alive, __ATOMIC_SEQ_CST) > 0; i++)
        usleep(50 * 1000);
    return 0;
}

/* ---- client side (main thread) ---------------------------------------------------- */

struct outcome {
    bool done;
    enum fetch_error error;
    long status;
    char errmsg[512];
    char etag[64], content_type[64], permanent_url[256], effective_url[256];
    char body[2048];
    size_t body_len;
    int64_t max_age, elapsed_ms, done_ms;
};

#define MAX_FETCHES 16

static uv_loop_t loop;
static struct fetcher *fetcher;
static struct outcome out[MAX_FETCHES];
static int ndone, nwant;
static uv_timer_t guard;
static bool closed;

static void copy(char *dst, size_t n, const char *src)
{
    snprintf(dst, n, "%s", src ? src : "");
}

static void on_done(const struct fetch_result *res, void *ud)
{
    struct outcome *o = &out[(intptr_t)ud];

    o->done = true;
    o->error = res->error;
    o->status = res->status;
    copy(o->errmsg, sizeof(o->errmsg), res->errmsg);
    copy(o->etag, sizeof(o->etag), res->etag);
    copy(o->content_type, sizeof(o->content_type), res->content_type);
    copy(o->permanent_url, sizeof(o->permanent_url), res->permanent_url);
    copy(o->effective_url, sizeof(o->effective_url), res->effective_url);
    o->body_len = res->body_len;
    copy(o->body, sizeof(o->body), res->body);
    o->max_age = res->max_age;
    o->elapsed_ms = res->elapsed_ms;
    o->done_ms = clock_mono_ms();
    if (++ndone == nwant)
        uv_stop(&loop);
}

static void on_guard(uv_timer_t *t)
{
    (void)t;
    uv_stop(&loop);
}

static void begin(const struct fetch_options *o)
{
    assert_int_equal(uv_loop_init(&loop), 0);
    assert_int_equal(fetcher_new(&loop, o, &fetcher), 0);
    uv_timer_init(&loop, &guard);
    memset(out, 0, sizeof(out));
    ndone = nwant = 0;
    closed = false;
    stats_reset();
}

static void on_closed(void *ud)
{
    (void)ud;
    closed = true;
}

static void end(void)
{
    fetcher_close(fetcher, on_closed, NULL);
    uv_close((uv_handle_t *)&guard, NULL);
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_true(closed);
    assert_int_equal(uv_loop_close(&loop), 0);
}

static char *url(int which, const char *path)
{
    static char bufs[MAX_FETCHES][128];
    static int next;
    char *b = bufs[next++ % MAX_FETCHES];

    snprintf(b, sizeof(bufs[0]), "http://127.0.0.%d:%d%s", which + 1, port[which], path);
    return b;
}

static void start(int i, const struct fetch_request *req)
{
    assert_int_equal(fetch_start(fetcher, req, on_done, (void *)(intptr_t)i), 0);
    nwant++;
}

static void get(int i, const char *u)
{
    struct fetch_request req = {.url = u};

    start(i, &req);
}

/* Runs the loop until every fetch started is done (20 s at most). */
static void wait_all(void)
{
    uv_timer_start(&guard, on_guard, 20000, 0);
    if (ndone < nwant)
        uv_run(&loop, UV_RUN_DEFAULT);
    uv_timer_stop(&guard);
    assert_int_equal(ndone, nwant);
}

static const struct fetch_options fast = {.site_gap_ms = -1, .timeout_ms = 5000};

/* ---- cases --------------------------------------------------------------------------- */

static void test_ok_headers(void **state)
{
    (void)state;
    begin(&fast);
    get(0, url(0, "/ok"));
    assert_int_equal(ndone, 0); /* never before fetch_start() returns */
    wait_all();
    assert_int_equal(out[0].error, FETCH_OK);
    assert_int_equal(out[0].status, 200);
    assert_string_equal(out[0].etag, "\"v1\"");
    assert_string_equal(out[0].content_type, "application/atom+xml");
    assert_int_equal(out[0].max_age, 300);
    assert_string_equal(out[0].body, "hello");
    assert_string_equal(out[0].effective_url, url(0, "/ok"));
    assert_string_equal(out[0].permanent_url, "");
    end();
}

/* A done callback that starts the next fetch (the poller and the webhook
 * dispatcher do): with no site gap nothing but the wake timer starts it,
 * and the admission that follows the callback must not stop that timer. */
static void on_done_then_next(const struct fetch_result *res, void *ud)
{
    intptr_t i = (intptr_t)ud;

    if (i < 5) {
        struct fetch_request req = {.url = url(0, "/ok")};

        assert_int_equal(fetch_start(fetcher, &req, on_done_then_next, (void *)(i + 1)), 0);
        nwant++;
    }
    on_done(res, ud);
}

static void test_start_from_done_callback(void **state)
{
    struct fetch_request req;

    (void)state;
    begin(&fast);
    req = (struct fetch_request){.url = url(0, "/ok")};
    assert_int_equal(fetch_start(fetcher, &req, on_done_then_next, (void *)0), 0);
    nwant++;
    wait_all();
    assert_int_equal(ndone, 6);
    for (int i = 0; i < 6; i++)
        assert_int_equal(out[i].status, 200);
    end();
}

/* The body taken in the callback is the caller's: the same bytes, a NUL
 * after them, and freed by the caller (ASan would see a double free or a
 * leak); a second take has nothing left. */
static char *taken;
static size_t taken_len;
static bool taken_twice;

static void on_done_take(const struct fetch_result *res, void *ud)
{
    taken = fetch_take_body(res);
    taken_len = res->body_len;
    taken_twice = fetch_take_body(res) != NULL;
    if (taken)
        assert_ptr_equal(taken, res->body);
    on_done(res, ud);
}

static void test_take_body(void **state)
{
    struct fetch_request req = {.url = url(0, "/ok")};

    (void)state;
    begin(&fast);
    assert_int_equal(fetch_start(fetcher, &req, on_done_take, (void *)0), 0);
    nwant++;
    wait_all();
    assert_non_null(taken);
    assert_false(taken_twice);
    assert_int_equal(taken_len, 5);
    assert_memory_equal(taken, "hello", 6);
    assert_string_equal(out[0].body, "hello");
    free(taken);
    taken = NULL;
    end();
}

static void test_not_modified(void **state)
{
    struct fetch_request req = {.url = url(0, "/cond"), .etag = "\"v1\""};

    (void)state;
    begin(&fast);
    start(0, &req);
    get(1, url(0, "/cond"));
    wait_all();
    assert_int_equal(out[0].error, FETCH_OK);
    assert_int_equal(out[0].status, 304);
    assert_int_equal(out[0].body_len, 0);
    assert_string_equal(out[0].etag, "\"v1\"");
    assert_int_equal(out[1].status, 200);
    assert_string_equal(out[1].body, "fresh");
    end();
}

static void test_bad_scheme_is_deferred(void **state)
{
    (void)state;
    begin(&fast);
    get(0, "ftp://127.0.0.1/feed");
    get(1, "file:///etc/hostname"); /* allow_file not set */
    assert_int_equal(ndone, 0);
    wait_all();
    assert_int_equal(out[0].error, FETCH_ERR_PROTOCOL);
    assert_int_equal(out[1].error, FETCH_ERR_PROTOCOL);
    end();
}

static void test_per_site_limit(void **state)
{
    struct fetch_options o = fast;
    struct path_stats a, b;

    (void)state;
    o.per_site = 2;
    begin(&o);
    for (int i = 0; i < 6; i++)
        get(i, url(0, "/hold"));
    for (int i = 6; i < 8; i++)
        get(i, url(1, "/holdb"));
    wait_all();
    for (int i = 0; i < 8; i++)
        assert_int_equal(out[i].error, FETCH_OK);
    a = stats_get("/hold");
    b = stats_get("/holdb");
    assert_int_equal(a.count, 6);
    /* Never more than per_site at once. (Reaching exactly 2 depends on
     * the scheduler of a loaded machine: CI runs this under ASan next to
     * other tests, so only the bound is asserted.) */
    if (a.max_open < 1 || a.max_open > 2)
        fail_msg("%d requests to one site at once, per_site is 2", a.max_open);
    assert_int_equal(b.count, 2);
    /* The other site was not held up behind the first one's queue. */
    assert_true(b.start_ms[0] < a.start_ms[2] && b.start_ms[1] < a.start_ms[2]);
    /* Three waves of two on the first site. */
    assert_true(a.start_ms[4] - a.start_ms[0] >= 2 * HOLD_MS - 50);
    end();
}

/* The global cap: at most max_inflight transfers at once over all sites
 * (127.0.0.1 and 127.0.0.2 are two sites; both count their requests under
 * one path, so max_open is the number open at once on both). */
static void test_global_cap(void **state)
{
    struct fetch_options o = fast;
    struct path_stats a;

    (void)state;
    o.max_inflight = 3;
    o.per_site = 10;
    begin(&o);
    for (int i = 0; i < 8; i++)
        get(i, url(i % 2, "/holdall"));
    wait_all();
    for (int i = 0; i < 8; i++)
        assert_int_equal(out[i].error, FETCH_OK);
    a = stats_get("/holdall");
    assert_int_equal(a.count, 8);
    if (a.max_open < 1 || a.max_open > 3)
        fail_msg("%d requests at once, max_inflight is 3", a.max_open);
    /* Eight at three at once: at least three waves. */
    assert_true(a.start_ms[7] - a.start_ms[0] >= 2 * HOLD_MS - 50);
    end();
}

static void test_site_gap(void **state)
{
    struct fetch_options o = {.site_gap_ms = 200, .per_site = 4};
    struct path_stats s;

    (void)state;
    begin(&o);
    for (int i = 0; i < 4; i++)
        get(i, url(0, "/gap"));
    wait_all();
    s = stats_get("/gap");
    assert_int_equal(s.count, 4);
    for (int i = 1; i < 4; i++)
        assert_true(s.start_ms[i] - s.start_ms[i - 1] >= 180);
    end();
}

static void test_429_pauses_site(void **state)
{
    int64_t t0;
    struct path_stats after, other;

    (void)state;
    begin(&fast);
    get(0, url(0, "/429"));
    wait_all();
    assert_int_equal(out[0].error, FETCH_OK);
    assert_int_equal(out[0].status, 429);
    t0 = out[0].done_ms;
    get(1, url(0, "/after"));
    get(2, url(1, "/other"));
    wait_all();
    after = stats_get("/after");
    other = stats_get("/other");
    assert_int_equal(after.count, 1);
    assert_int_equal(other.count, 1);
    assert_true(after.start_ms[0] - t0 >= 1800);
    assert_true(after.start_ms[0] - t0 < 3500);
    assert_true(other.start_ms[0] - t0 < 500);
    end();
}

static void test_redirect_permanent(void **state)
{
    (void)state;
    begin(&fast);
    get(0, url(0, "/r301"));
    get(1, url(0, "/m301"));
    wait_all();
    assert_int_equal(out[0].error, FETCH_OK);
    assert_int_equal(out[0].status, 200);
    assert_string_equal(out[0].body, "final");
    assert_string_equal(out[0].permanent_url, url(0, "/final"));
    assert_string_equal(out[0].effective_url, url(0, "/final"));
    assert_int_equal(out[1].error, FETCH_OK);
    assert_int_equal(out[1].status, 200);
    assert_string_equal(out[1].permanent_url, "");
    assert_string_equal(out[1].effective_url, url(0, "/final"));
    end();
}

static void test_redirect_limits(void **state)
{
    struct fetch_options o = fast;
    struct fetch_request req = {.url = url(0, "/tofile"), .allow_file = true};

    (void)state;
    o.max_redirects = 3;
    begin(&o);
    get(0, url(0, "/loop"));
    start(1, &req);
    wait_all();
    assert_int_equal(out[0].error, FETCH_ERR_REDIRECTS);
    assert_int_equal(stats_get("/loop").count, 4);
    assert_int_equal(out[1].error, FETCH_ERR_PROTOCOL);
    assert_non_null(strstr(out[1].errmsg, "file"));
    end();
}

static void test_redirect_loopback_to_loopback(void **state)
{
    (void)state;
    begin(&fast);
    get(0, url(0, "/to2")); /* 127.0.0.1 -> 127.0.0.2: configured non-public, allowed */
    wait_all();
    assert_int_equal(out[0].error, FETCH_OK);
    assert_string_equal(out[0].body, "final");
    end();
}

static void test_too_large(void **state)
{
    struct fetch_options o = fast;

    (void)state;
    o.max_body = 16384;
    begin(&o);
    get(0, url(0, "/big"));
    get(1, url(0, "/bigcl")); /* announced too long: not reserved, cut at the limit */
    wait_all();
    assert_int_equal(out[0].error, FETCH_ERR_TOO_LARGE);
    assert_int_equal(out[1].error, FETCH_ERR_TOO_LARGE);
    end();
}

static void test_timeout(void **state)
{
    struct fetch_options o = fast;

    (void)state;
    o.timeout_ms = 700;
    begin(&o);
    get(0, url(0, "/stall"));
    wait_all();
    assert_int_equal(out[0].error, FETCH_ERR_TIMEOUT);
    assert_true(out[0].elapsed_ms >= 600 && out[0].elapsed_ms < 2000);
    end();
}

static int64_t last_tick, max_tick_gap;

static void on_tick(uv_timer_t *t)
{
    int64_t now = clock_mono_ms();

    (void)t;
    if (now - last_tick > max_tick_gap)
        max_tick_gap = now - last_tick;
    last_tick = now;
}

static void test_dns_failure(void **state)
{
    struct fetch_options o = fast;
    uv_timer_t tick;

    (void)state;
    o.connect_timeout_ms = 3000;
    begin(&o);
    uv_timer_init(&loop, &tick);
    last_tick = clock_mono_ms();
    max_tick_gap = 0;
    uv_timer_start(&tick, on_tick, 10, 10);
    get(0, "http://nonexistent.invalid/feed");
    get(1, "http://nonexistent.invalid/other"); /* shares the lookup */
    wait_all();
    uv_close((uv_handle_t *)&tick, NULL);
    assert_int_equal(out[0].error, FETCH_ERR_DNS);
    assert_int_equal(out[1].error, FETCH_ERR_DNS);
    assert_non_null(strstr(out[0].errmsg, "nonexistent.invalid"));
    assert_true(max_tick_gap < 200); /* the loop never waited for the resolver */
    end();
}

static void test_request_settings(void **state)
{
    static const char *const extra[] = {"X-Extra: 1", "Bad\r\nInjected: 1", NULL};
    struct fetch_request req = {
        .url = url(0, "/echo"), .user_agent = "ua-test/1", .headers = extra, .userpwd = "u:p"};

    (void)state;
    setenv("http_proxy", "http://127.0.0.1:1", 1); /* ignored: proxy NULL means direct */
    begin(&fast);
    start(0, &req);
    get(1, "http://localhost:1/"); /* a name: resolved by us, then refused by the port */
    wait_all();
    unsetenv("http_proxy");
    assert_int_equal(out[0].error, FETCH_OK);
    assert_non_null(strstr(out[0].body, "User-Agent: ua-test/1\r\n"));
    assert_non_null(strstr(out[0].body, "X-Extra: 1\r\n"));
    assert_non_null(strstr(out[0].body, "Authorization: Basic dTpw\r\n"));
    assert_null(strstr(out[0].body, "Injected"));
    assert_int_equal(out[1].error, FETCH_ERR_CONNECT);
    end();
}

static void busy_work(uv_work_t *w)
{
    (void)w;
    usleep(400 * 1000);
}

static void test_close_cancels_everything(void **state)
{
    struct fetch_options o = fast;
    uv_work_t busy[8];
    char name_url[64];

    (void)state;
    o.per_site = 1;
    begin(&o);
    /* Fill libuv's thread pool: the lookup of "localhost" stays queued. */
    for (int i = 0; i < 8; i++)
        uv_queue_work(&loop, &busy[i], busy_work, NULL);
    get(0, url(0, "/hold"));  /* RUNNING */
    get(1, url(0, "/hold2")); /* WAITING_SITE */
    snprintf(name_url, sizeof(name_url), "http://localhost:%d/ok", port[0]);
    get(2, name_url); /* RESOLVING */
    uv_timer_start(&guard, on_guard, 100, 0);
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_int_equal(ndone, 0);
    get(3, url(1, "/ok")); /* QUEUED */
    assert_int_equal(fetcher_pending(fetcher), 4);
    fetcher_close(fetcher, on_closed, NULL);
    assert_int_equal(ndone, 4);
    for (int i = 0; i < 4; i++)
        assert_int_equal(out[i].error, FETCH_ERR_CANCELED);
    assert_int_equal(
        fetch_start(fetcher, &(struct fetch_request){.url = "http://x/"}, on_done, NULL),
        -ESHUTDOWN);
    fetcher_close(fetcher, on_closed, NULL); /* idempotent */
    uv_close((uv_handle_t *)&guard, NULL);
    while (uv_run(&loop, UV_RUN_DEFAULT) != 0) /* the last on_done called uv_stop() */
        ;
    assert_true(closed);
    assert_int_equal(uv_loop_close(&loop), 0);
}

/* ---- pure functions --------------------------------------------------------------------- */

static bool public_addr(const char *text)
{
    struct sockaddr_storage ss = {0};
    struct sockaddr_in *in = (struct sockaddr_in *)&ss;
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;

    if (inet_pton(AF_INET, text, &in->sin_addr) == 1)
        in->sin_family = AF_INET;
    else if (inet_pton(AF_INET6, text, &in6->sin6_addr) == 1)
        in6->sin6_family = AF_INET6;
    else
        fail_msg("bad address %s", text);
    return site_addr_is_public((struct sockaddr *)&ss);
}

static void test_addr_classifier(void **state)
{
    static const struct {
        const char *addr;
        bool public;
    } cases[] = {
        {"8.8.8.8", true},
        {"203.0.113.7", true},
        {"1.1.1.1", true},
        {"0.0.0.0", false},
        {"0.1.2.3", false},
        {"10.0.0.1", false},
        {"100.64.0.1", false},
        {"100.127.255.255", false},
        {"100.128.0.1", true},
        {"127.0.0.1", false},
        {"127.255.0.2", false},
        {"169.254.169.254", false},
        {"172.16.0.1", false},
        {"172.31.255.255", false},
        {"172.32.0.1", true},
        {"192.168.1.1", false},
        {"198.18.0.1", false},
        {"198.19.255.255", false},
        {"198.20.0.1", true},
        {"224.0.0.1", false},
        {"239.255.255.250", false},
        {"240.0.0.1", false},
        {"255.255.255.255", false},
        {"::", false},
        {"::1", false},
        {"fc00::1", false},
        {"fd12:3456::1", false},
        {"fe80::1", false},
        {"febf::1", false},
        {"fec0::1", true},
        {"ff02::1", false},
        {"64:ff9b::808:808", false},
        {"::ffff:127.0.0.1", false},
        {"::ffff:10.1.2.3", false},
        {"::ffff:169.254.169.254", false},
        {"::ffff:8.8.8.8", true},
        {"::127.0.0.1", false},
        {"2001:db8::1", true},
        {"2606:4700::1111", true},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        if (public_addr(cases[i].addr) != cases[i].public)
            fail_msg("%s should be %s", cases[i].addr, cases[i].public ? "public" : "blocked");
}

static void test_site_key(void **state)
{
    static const struct {
        const char *host, *key;
    } cases[] = {
#ifdef HERALD_HAVE_LIBPSL /* without libpsl the key is the last two labels */
        {"www.bbc.co.uk", "bbc.co.uk"},
        {"alice.github.io", "alice.github.io"},
#endif
        {"a.tumblr.com", "tumblr.com"},
        {"B.Tumblr.COM", "tumblr.com"},
        {"tumblr.com", "tumblr.com"},
        {"127.0.0.1", "127.0.0.1"},
        {"[::1]", "::1"},
        {"::1", "::1"},
        {"localhost", "localhost"},
        {"example.com.", "example.com"},
    };
    char key[SITE_KEY_MAX];

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        assert_int_equal(site_key(cases[i].host, key), 0);
        assert_string_equal(key, cases[i].key);
    }
    assert_int_equal(site_key("", key), -EINVAL);
    assert_true(site_is_ip_literal("[2001:db8::1]"));
    assert_false(site_is_ip_literal("example.com"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_addr_classifier),
        cmocka_unit_test(test_site_key),
        cmocka_unit_test(test_ok_headers),
        cmocka_unit_test(test_take_body),
        cmocka_unit_test(test_not_modified),
        cmocka_unit_test(test_start_from_done_callback),
        cmocka_unit_test(test_bad_scheme_is_deferred),
        cmocka_unit_test(test_per_site_limit),
        cmocka_unit_test(test_global_cap),
        cmocka_unit_test(test_site_gap),
        cmocka_unit_test(test_429_pauses_site),
        cmocka_unit_test(test_redirect_permanent),
        cmocka_unit_test(test_redirect_limits),
        cmocka_unit_test(test_redirect_loopback_to_loopback),
        cmocka_unit_test(test_too_large),
        cmocka_unit_test(test_timeout),
        cmocka_unit_test(test_dns_failure),
        cmocka_unit_test(test_request_settings),
        cmocka_unit_test(test_close_cancels_everything),
    };

    return cmocka_run_group_tests(tests, server_up, server_down);
}
