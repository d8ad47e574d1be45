/* daemon: see daemon.h. */
#include "app/daemon.h"

#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>

#include "app/admin.h"
#include "app/config.h"
#include "app/poller.h"
#include "app/publish.h"
#include "app/service.h"
#include "base/buf.h"
#include "base/log.h"
#include "net/fetch.h"
#include "net/httpd.h"
#include "net/notify.h"
#include "store/store.h"

/* Loop-stall monitor. A timer measures how late it runs: lateness beyond
 * its due time is time the loop spent busy elsewhere (all the callbacks of
 * one iteration, or a blocking call), so the largest lateness is the
 * longest stall, to within the timer's period. Always on at 100 ms for
 * /metrics (herald_loop_stall_max_seconds) and /healthz (the longest stall
 * of the last minute, kept as six 10 s slots). HERALD_LOOP_MONITOR=1
 * (benchmarks, diagnosis) makes it 10 ms, logs the longest stall every
 * 10 s at debug and once at info at shutdown ("loop: longest stall N ms").
 * The timer is unreferenced: it never keeps the loop alive. */
#define LOOP_MONITOR_PERIOD_MS  100
#define LOOP_MONITOR_VERBOSE_MS 10
#define LOOP_MONITOR_SLOT_NS    (10 * 1000000000ULL)
#define LOOP_MONITOR_SLOTS      6

struct loop_monitor {
    uv_timer_t timer;
    bool on, verbose;
    uint64_t period_ns;
    uint64_t due_ns;                       /* uv_hrtime() at which the timer should run next */
    uint64_t worst_ns;                     /* longest stall since start */
    uint64_t window_ns;                    /* longest stall since the last debug report */
    uint64_t report_ns;                    /* uv_hrtime() of the next debug report */
    uint64_t slot_max[LOOP_MONITOR_SLOTS]; /* longest stall of each 10 s slot */
    uint64_t slot_no[LOOP_MONITOR_SLOTS];  /* which slot (uv_hrtime() / 10 s) it holds */
};

struct daemon {
    uv_loop_t loop;
    struct loop_monitor monitor;
    struct config *cfg;
    struct store *store;
    struct fetcher *fetcher;
    struct publisher *publisher;
    struct httpd *httpd;
    struct poller *poller;
    uv_signal_t sigint, sigterm;
    uv_timer_t refresh_timer; /* renders (and exports) outputs after changes */
    struct service service;   /* sd_notify: READY, STATUS, WATCHDOG, STOPPING */
    struct admin *admin;      /* /metrics and /healthz */
    double start_time;        /* epoch seconds */
    bool stopping;
};

static void on_refresh_timer(uv_timer_t *t)
{
    struct daemon *d = t->data;

    if (publish_refresh(d->publisher, &d->loop) < 0)
        log_error("HTTP", "cannot refresh the outputs: out of memory");
}

static void on_changed(void *userdata)
{
    struct daemon *d = userdata;

    publish_invalidate(d->publisher);
    /* Several polls finishing close together make one render (and one
     * export), a moment after the store commits that changed them. */
    if (!uv_is_active((uv_handle_t *)&d->refresh_timer))
        uv_timer_start(&d->refresh_timer, on_refresh_timer, d->cfg->export_dir ? 1000 : 250, 0);
}

static void monitor_note(struct loop_monitor *m, uint64_t now, uint64_t late)
{
    uint64_t no = now / LOOP_MONITOR_SLOT_NS;
    size_t i = no % LOOP_MONITOR_SLOTS;

    if (m->slot_no[i] != no) {
        m->slot_no[i] = no;
        m->slot_max[i] = 0;
    }
    if (late > m->slot_max[i])
        m->slot_max[i] = late;
    if (late > m->worst_ns)
        m->worst_ns = late;
    if (late > m->window_ns)
        m->window_ns = late;
}

/* The longest stall of the last minute, in seconds. */
static double monitor_recent(const struct loop_monitor *m)
{
    uint64_t no = uv_hrtime() / LOOP_MONITOR_SLOT_NS, worst = 0;

    for (size_t i = 0; i < LOOP_MONITOR_SLOTS; i++) {
        if (no - m->slot_no[i] < LOOP_MONITOR_SLOTS && m->slot_max[i] > worst)
            worst = m->slot_max[i];
    }
    return (double)worst / 1e9;
}

static void on_monitor_tick(uv_timer_t *t)
{
    struct loop_monitor *m = t->data;
    uint64_t now = uv_hrtime();
    uint64_t late = now > m->due_ns ? now - m->due_ns : 0;

    monitor_note(m, now, late);
    if (m->verbose && now >= m->report_ns) {
        log_debug("MAIN", "loop: longest stall %.1f ms in the last 10 s, %.1f ms since start",
                  (double)m->window_ns / 1e6, (double)m->worst_ns / 1e6);
        m->window_ns = 0;
        m->report_ns = now + LOOP_MONITOR_SLOT_NS;
    }
    m->due_ns = now + m->period_ns;
}

static void monitor_start(struct daemon *d)
{
    struct loop_monitor *m = &d->monitor;
    const char *env = getenv("HERALD_LOOP_MONITOR");
    uint64_t ms;

    m->verbose = env && strcmp(env, "1") == 0;
    ms = m->verbose ? LOOP_MONITOR_VERBOSE_MS : LOOP_MONITOR_PERIOD_MS;
    uv_timer_init(&d->loop, &m->timer);
    uv_unref((uv_handle_t *)&m->timer);
    m->timer.data = m;
    m->on = true;
    m->period_ns = ms * 1000000ULL;
    m->due_ns = uv_hrtime() + m->period_ns;
    m->report_ns = uv_hrtime() + LOOP_MONITOR_SLOT_NS;
    uv_timer_start(&m->timer, on_monitor_tick, ms, ms);
    if (m->verbose)
        log_info("MAIN", "loop monitor on (%d ms timer)", LOOP_MONITOR_VERBOSE_MS);
}

/* The figures of systemd's STATUS= line (see app/service.h). */
static void on_service_status(struct service_status *ret, void *userdata)
{
    struct daemon *d = userdata;
    struct poller_counts pc;
    int64_t entries;

    poller_counts(d->poller, &pc);
    ret->feeds = pc.feeds;
    ret->failing = pc.failing;
    if (store_count_entries(d->store, &entries) == 0)
        ret->entries = entries;
    /* Webhooks: ret->deliveries_pending from the outbox goes here. */
}

static int64_t file_size(const char *path, const char *suffix)
{
    char full[4096];
    struct stat st;

    snprintf(full, sizeof(full), "%s%s", path, suffix);
    return stat(full, &st) == 0 ? (int64_t)st.st_size : 0;
}

/* The figures of /metrics and /healthz (see app/admin.h). */
static void on_admin_snapshot(struct metrics_snapshot *ret, double *ret_stall_recent,
                              void *userdata)
{
    struct daemon *d = userdata;
    int64_t entries;

    *ret = (struct metrics_snapshot){.entries = -1, .start_time = d->start_time};
    if (d->poller)
        poller_counts(d->poller, &ret->polls);
    if (d->store && store_count_entries(d->store, &entries) == 0)
        ret->entries = entries;
    ret->database_bytes = file_size(d->cfg->database, "") + file_size(d->cfg->database, "-wal");
    ret->loop_stall_max = (double)d->monitor.worst_ns / 1e9;
    *ret_stall_recent = monitor_recent(&d->monitor);
    /* Webhooks: deliveries by result and the outbox depth go here. */
}

static void shutdown_all(struct daemon *d)
{
    if (d->stopping)
        return;
    d->stopping = true;
    service_stopping(&d->service);
    /* The poller first: the fetcher's cancellations then find it closing. */
    if (d->poller)
        poller_close(d->poller, NULL, NULL);
    if (d->fetcher)
        fetcher_close(d->fetcher, NULL, NULL);
    if (d->httpd)
        httpd_close(d->httpd, NULL, NULL);
    uv_close((uv_handle_t *)&d->refresh_timer, NULL);
    uv_close((uv_handle_t *)&d->sigint, NULL);
    uv_close((uv_handle_t *)&d->sigterm, NULL);
    if (d->monitor.on)
        uv_close((uv_handle_t *)&d->monitor.timer, NULL);
}

static void on_signal(uv_signal_t *h, int signum)
{
    struct daemon *d = h->data;

    log_info("MAIN", "%s received, shutting down", signum == SIGINT ? "SIGINT" : "SIGTERM");
    shutdown_all(d);
}

static int load_config(struct daemon *d, const char *path)
{
    struct buf errors;
    int r;

    buf_init(&errors, 1 << 20);
    r = config_load(path, &d->cfg, &errors);
    if (r < 0)
        fprintf(stderr, "%s", buf_cstr(&errors));
    buf_release(&errors);
    /* HERALD_LOG_LEVEL in the environment wins over the file. */
    if (r == 0 && !getenv("HERALD_LOG_LEVEL"))
        (void)log_set_level_name(d->cfg->log_level);
    return r;
}

static int open_store(struct daemon *d)
{
    char err[512];
    int r = store_open(d->cfg->database, &d->store, err, sizeof(err));

    if (r < 0)
        log_error("STORE", "cannot open the database %s", err);
    else
        config_apply_dedup(d->cfg, d->store);
    return r;
}

/* Socket activation (contrib/heraldd.socket): the first socket passed by
 * systemd replaces `listen`. Returns 1 when one was adopted, 0 when there
 * is none, or a negative libuv error. */
static int adopt_listener(struct daemon *d)
{
    int n = notify_listen_fds(), r;

    if (n < 0) {
        log_warn("HTTP", "ignoring malformed LISTEN_FDS/LISTEN_PID");
        return 0;
    }
    if (n == 0)
        return 0;
    for (int fd = NOTIFY_LISTEN_FDS_START + 1; fd < NOTIFY_LISTEN_FDS_START + n; fd++) {
        log_warn("HTTP", "ignoring socket fd %d passed by systemd: only the first is used", fd);
        close(fd);
    }
    r = httpd_adopt_fd(d->httpd, NOTIFY_LISTEN_FDS_START);
    if (r < 0) {
        log_error("HTTP", "cannot listen on the socket passed by systemd (fd %d): %s",
                  NOTIFY_LISTEN_FDS_START, uv_strerror(r));
        return r;
    }
    log_info("HTTP", "listening on the socket passed by systemd (fd %d, port %d); `listen` unused",
             NOTIFY_LISTEN_FDS_START, httpd_port(d->httpd));
    return 1;
}

/* The outputs' routes, then /metrics and /healthz. */
static int set_routes(struct daemon *d)
{
    const struct httpd_route *pub, *adm;
    struct httpd_route *all;
    size_t n_pub, n_adm;
    int r;

    d->admin = admin_new(d->cfg->admin_token, on_admin_snapshot, d);
    if (!d->admin)
        return -ENOMEM;
    pub = publish_routes(d->publisher, &n_pub);
    adm = admin_routes(d->admin, &n_adm);
    all = calloc(n_pub + n_adm, sizeof(*all));
    if (!all)
        return -ENOMEM;
    memcpy(all, pub, n_pub * sizeof(*all));
    memcpy(all + n_pub, adm, n_adm * sizeof(*all));
    r = httpd_set_routes(d->httpd, all, n_pub + n_adm); /* copies the table */
    free(all);
    return r;
}

static int start_http(struct daemon *d)
{
    int r;

    r = httpd_new(&d->loop, NULL, &d->httpd);
    if (r < 0)
        return r;
    r = set_routes(d);
    if (r < 0) {
        log_error("HTTP", "cannot set up the routes: %s", uv_strerror(r));
        return r;
    }
    r = adopt_listener(d); /* logs its errors */
    if (r == 0) {
        r = httpd_listen(d->httpd, d->cfg->listen_host, d->cfg->listen_port);
        if (r < 0)
            log_error("HTTP", "cannot listen on %s:%d: %s", d->cfg->listen_host,
                      d->cfg->listen_port, uv_strerror(r));
    }
    if (r < 0)
        return r;
    log_info("HTTP", "serving %s/feed.atom", d->cfg->public_url);
    return 0;
}

static int start_fetcher(struct daemon *d)
{
    struct fetch_options o = {
        .max_inflight = (unsigned)d->cfg->max_concurrent,
        .timeout_ms = (long)d->cfg->timeout,
        .connect_timeout_ms = (long)d->cfg->connect_timeout,
        .max_body = (size_t)d->cfg->max_feed_size,
        .max_redirects = (long)d->cfg->max_redirects,
        .per_site = (unsigned)d->cfg->per_site,
        /* The fetcher reads 0 as its default; negative is none. */
        .site_gap_ms = d->cfg->site_gap > 0 ? (long)d->cfg->site_gap : -1,
        .user_agent = d->cfg->user_agent,
    };

    return fetcher_new(&d->loop, &o, &d->fetcher);
}

static int start(struct daemon *d)
{
    int r;

    r = open_store(d);
    if (r == 0)
        r = start_fetcher(d);
    if (r == 0)
        r = publisher_new(d->store, d->cfg, &d->publisher);
    if (r == 0)
        r = start_http(d);
    if (r == 0)
        r = poller_new(&d->loop, d->fetcher, d->store, d->cfg, on_changed, d, &d->poller);
    if (r < 0)
        return r;
    uv_timer_init(&d->loop, &d->refresh_timer);
    d->refresh_timer.data = d;
    uv_timer_start(&d->refresh_timer, on_refresh_timer, 0, 0); /* what is stored already */
    uv_signal_init(&d->loop, &d->sigint);
    uv_signal_init(&d->loop, &d->sigterm);
    d->sigint.data = d->sigterm.data = d;
    uv_signal_start(&d->sigint, on_signal, SIGINT);
    uv_signal_start(&d->sigterm, on_signal, SIGTERM);
    monitor_start(d);
    poller_start(d->poller);
    /* The database is open and the listener accepts connections. */
    service_init(&d->service, &d->loop, on_service_status, d);
    service_ready(&d->service);
    return 0;
}

int daemon_run(const char *config_path)
{
    struct daemon d = {0};
    struct timespec now;
    int r, status = 1;

    signal(SIGPIPE, SIG_IGN);
    /* Past RLIMIT_FSIZE a write fails with EFBIG (a store error, reported
     * by /healthz) instead of killing the daemon. */
    signal(SIGXFSZ, SIG_IGN);
    clock_gettime(CLOCK_REALTIME, &now);
    d.start_time = (double)now.tv_sec + (double)now.tv_nsec / 1e9;
    if (load_config(&d, config_path) < 0)
        return 1;
    r = uv_loop_init(&d.loop);
    if (r < 0) {
        log_error("MAIN", "cannot create the event loop: %s", uv_strerror(r));
        config_free(d.cfg);
        return 1;
    }
    log_info("MAIN", "heraldd %s starting: %zu feeds, database %s", HERALD_VERSION, d.cfg->n_feeds,
             d.cfg->database);
    if (start(&d) == 0) {
        uv_run(&d.loop, UV_RUN_DEFAULT);
        status = 0;
    } else {
        /* Close what did start, then let the loop run its close callbacks. */
        d.stopping = true;
        if (d.poller)
            poller_close(d.poller, NULL, NULL);
        if (d.fetcher)
            fetcher_close(d.fetcher, NULL, NULL);
        if (d.httpd)
            httpd_close(d.httpd, NULL, NULL);
        uv_run(&d.loop, UV_RUN_DEFAULT);
    }
    publisher_free(d.publisher);
    admin_free(d.admin);
    store_close(d.store);
    if (uv_loop_close(&d.loop) != 0)
        log_warn("MAIN", "event loop closed with handles still open");
    if (d.monitor.verbose)
        log_info("MAIN", "loop: longest stall %.1f ms", (double)d.monitor.worst_ns / 1e6);
    if (status == 0)
        log_info("MAIN", "stopped");
    config_free(d.cfg);
    return status;
}
