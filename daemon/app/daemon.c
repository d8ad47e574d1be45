/* daemon: see daemon.h. */
#include "app/daemon.h"

#include <errno.h>
#include <malloc.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>

#include "app/admin.h"
#include "app/config.h"
#include "app/poller.h"
#include "app/publish.h"
#include "app/status.h"
#include "app/service.h"
#include "app/webhook.h"
#include "base/buf.h"
#include "base/clock.h"
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
    /* verbose: the loop thread's CPU time and preemptions (getrusage) at
     * the last tick, and over the tick interval that held the worst stall:
     * a stall the thread spent on the CPU is work on the loop; one it did
     * not is waiting (a blocking call, or other threads on the cores). */
    uint64_t cpu_ns;
    long preempted;
    uint64_t worst_cpu_ns;
    long worst_preempted;
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
    struct webhooks *webhooks;
    struct webhook_stats hook_stats; /* across reloads */
    struct config **retired;         /* configurations replaced by reloads: freed at exit */
    size_t n_retired;
    char reload_error[256]; /* the last failed reload's first error, "" after a good one */
    uv_signal_t sigint, sigterm, sighup;
    uv_timer_t drain_timer;  /* at SIGTERM: waits for polls and deliveries in flight */
    uint64_t drain_deadline; /* uv_now() at which they are canceled */
    bool draining;
    uv_timer_t refresh_timer; /* renders (and exports) outputs after changes */
    struct service service;   /* sd_notify: READY, STATUS, WATCHDOG, STOPPING */
    struct admin *admin;      /* /metrics and /healthz */
    double start_time;        /* epoch seconds */
    uv_timer_t maintenance;   /* retention and WAL checkpoints */
    uv_timer_t trim_timer;    /* gives the allocator's free pages back */
    bool pruning;             /* a retention scan is on the thread pool */
    bool prune_more;          /* the last scan filled its batch: the next leaves shown out */
    struct store_checkpointer *checkpointer; /* WAL checkpoints on the thread pool */
    bool checkpointing;                      /* a checkpoint is on the thread pool */
    uint64_t checkpoint_warned;              /* uv_now() of the last failure logged */
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

/* Retention and a WAL checkpoint, every maintenance_interval. The scan for
 * entries to prune reads the whole table: it runs on the thread pool, on
 * its own read-only connection; the loop thread then drops what the
 * outputs show (read only when the scan found something), deletes the rest
 * (at most PRUNE_BATCH, re-checked, one short transaction) and comes back
 * soon while there is more. */
#define PRUNE_BATCH 500

struct prune_job {
    uv_work_t work;
    struct daemon *d;
    struct store_retention rt;
    int64_t *protect; /* ids the outputs show, collected on the loop */
    char *path;
    int64_t *ids;
    size_t n;
    int r;
    char err[256];
};

static void on_maintenance(uv_timer_t *t);

/* Pages of freed memory stay in the process until malloc's heap top can
 * shrink, which chunks still in use below it prevent: parse trees, HTTP
 * bodies and rendered outputs come and go between long-lived allocations,
 * and RSS would creep up with that scatter. Once a minute every arena's
 * wholly free pages go back (madvise; a few ms for a large heap). */
#define TRIM_PERIOD_MS 60000

static void on_trim(uv_timer_t *t)
{
    uint64_t t0 = uv_hrtime();

    (void)t;
    if (malloc_trim(0))
        log_debug("MAIN", "free memory given back (%.1f ms)", (double)(uv_hrtime() - t0) / 1e6);
}

/* WAL checkpoints run on the thread pool through their own connection
 * (store_defer_checkpoints): one ends with an fsync of the database file,
 * which on the loop stalled it for as long as the disk took, hundreds of
 * times during a first poll of thousands of feeds (bench/poll: 4 s of a
 * 17.9-s first round). A checkpoint is queued by the commit that takes the
 * WAL past WAL_CHECKPOINT_FRAMES pages, and at every maintenance_interval.
 *
 * The WAL starts over (is written from its beginning again) only at a
 * write that finds every frame in it written back. Under a steady stream
 * of commits a checkpoint beside them never gets there: the frames
 * committed while it ran are left, and the WAL grew to gigabytes. So when
 * a checkpoint leaves frames behind and the WAL has passed
 * WAL_RESTART_FRAMES, the poller holds its writes (its sockets and parsing
 * go on; finished polls wait in memory) while a second checkpoint writes
 * back the few pages committed during the first, and the next commit starts
 * the WAL over. Below that size the checkpoints follow the commits without
 * a hold, one after the other, so that each has little to write back and
 * the tail a hold waits for is short. A hold stops the loop's storing, the
 * narrow part of a first poll of thousands of feeds: bench/poll's first
 * round held 84-91 times for 3.2-4.0 s of its 16-20 s when every
 * checkpoint led to one; single runs with this threshold at 6,000, 8,192
 * and 10,000 frames held 40-43, 28 and 26 times (1.3-1.7, 1.8 and
 * 0.7-1.2 s). The checkpoints' own work is on the thread pool, which has
 * time to spare there. The WAL stays under about 200 MB, where it grew to
 * 5 GB without holds. */
#define WAL_CHECKPOINT_FRAMES 2000
#define WAL_RESTART_FRAMES    8192 /* 64 MiB of 8-KiB pages */

struct checkpoint_job {
    uv_work_t work;
    struct daemon *d;
    uint64_t t0;
    bool tail; /* the second pass, under the poller's hold */
    int frames, written, r;
    char err[256];
};

static int checkpoint_queue(struct daemon *d, bool tail);

static void checkpoint_work(uv_work_t *w)
{
    struct checkpoint_job *j = w->data;

    j->r =
        store_checkpointer_run(j->d->checkpointer, &j->frames, &j->written, j->err, sizeof(j->err));
}

static void checkpoint_done(uv_work_t *w, int status)
{
    struct checkpoint_job *j = w->data;
    struct daemon *d = j->d;
    bool ok = status == 0 && j->r == 0;

    d->checkpointing = false;
    if (!ok) {
        /* At most once a minute: a full disk fails every one. */
        if (!d->checkpoint_warned || uv_now(&d->loop) - d->checkpoint_warned >= 60000) {
            log_warn("STORE", "WAL checkpoint: %s", status < 0 ? uv_strerror(status) : j->err);
            d->checkpoint_warned = uv_now(&d->loop);
        }
    } else {
        log_debug("STORE", "WAL checkpoint%s: %d of %d frames written back (%.1f ms, off the loop)",
                  j->tail ? " (tail, writes held)" : "", j->written, j->frames,
                  (double)(uv_hrtime() - j->t0) / 1e6);
    }
    /* Frames committed after the checkpoint began (the WAL's size now
     * against the size it saw) are the tail. When a reader kept the
     * checkpoint from writing back all it saw, holding writes would not
     * let the WAL start over: no hold then (the next commit tries again). */
    if (j->tail && d->poller && !d->stopping)
        poller_hold_writes(d->poller, false);
    else if (ok && j->written == j->frames && store_wal_frames(d->store) > j->frames &&
             store_wal_frames(d->store) >= WAL_RESTART_FRAMES && !d->stopping && d->poller &&
             checkpoint_queue(d, true) == 0)
        poller_hold_writes(d->poller, true);
    free(j);
}

/* Queues a checkpoint unless one is running. Returns 0 or a negative errno. */
static int checkpoint_queue(struct daemon *d, bool tail)
{
    struct checkpoint_job *j;
    int r;

    if (d->checkpointing)
        return -EBUSY;
    j = calloc(1, sizeof(*j));
    if (!j)
        return -ENOMEM;
    j->d = d;
    j->tail = tail;
    j->work.data = j;
    j->t0 = uv_hrtime();
    r = uv_queue_work(&d->loop, &j->work, checkpoint_work, checkpoint_done);
    if (r < 0) {
        free(j);
        return r;
    }
    d->checkpointing = true;
    return 0;
}

/* After every commit of the daemon's connection (the store's WAL hook). */
static void on_wal_grown(void *userdata, int frames)
{
    struct daemon *d = userdata;

    if (frames >= WAL_CHECKPOINT_FRAMES && !d->stopping)
        (void)checkpoint_queue(d, false); /* busy or out of memory: the next commit tries */
}

static void checkpoint_and_rearm(struct daemon *d, uint64_t delay_ms)
{
    int frames = 0, written = 0;
    uint64_t t0 = uv_hrtime();

    if (d->checkpointer && checkpoint_queue(d, false) != -ENOMEM)
        ; /* on the thread pool (now or already) */
    else if (store_checkpoint(d->store, &frames, &written) < 0)
        log_warn("STORE", "WAL checkpoint: %s", store_errmsg(d->store));
    else
        log_debug("STORE", "WAL checkpoint: %d of %d frames written back (%.1f ms)", written,
                  frames, (double)(uv_hrtime() - t0) / 1e6);
    uv_timer_start(&d->maintenance, on_maintenance, delay_ms, 0);
}

static void prune_work(uv_work_t *w)
{
    struct prune_job *j = w->data;

    j->r = store_prune_candidates(j->path, &j->rt, &j->ids, &j->n, j->err, sizeof(j->err));
}

static int cmp_id(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

    return (x > y) - (x < y);
}

/* Drops from ids[0..*n) the entries the outputs show now. Reading the
 * outputs costs what a render costs, so it is done only when the scan
 * found something. Returns 0 or a negative errno. */
static int drop_shown(struct daemon *d, int64_t *ids, size_t *n)
{
    int64_t *shown;
    size_t n_shown, k = 0;
    int r = publish_entry_ids(d->publisher, &shown, &n_shown);

    if (r < 0)
        return r;
    qsort(shown, n_shown, sizeof(*shown), cmp_id);
    for (size_t i = 0; i < *n; i++)
        if (!bsearch(&ids[i], shown, n_shown, sizeof(*shown), cmp_id))
            ids[k++] = ids[i];
    *n = k;
    free(shown);
    return 0;
}

static void prune_done(uv_work_t *w, int status)
{
    struct prune_job *j = w->data;
    struct daemon *d = j->d;
    size_t deleted = 0, found = j->n;
    int r = status < 0 ? status : j->r;
    uint64_t t0 = uv_hrtime();

    d->pruning = false;
    if (!d->stopping && !d->draining) {
        if (r < 0)
            log_error("STORE", "retention: cannot look for old entries: %s",
                      status < 0 ? uv_strerror(status) : j->err);
        else if (found && (r = drop_shown(d, j->ids, &j->n)) < 0)
            log_error("STORE", "retention: cannot read the outputs: %s", strerror(-r));
        else if (j->n && store_prune_ids(d->store, j->ids, j->n, &deleted) < 0)
            log_error("STORE", "retention: cannot prune: %s", store_errmsg(d->store));
        if (deleted) {
            log_info("STORE", "retention: %zu old entries pruned (%.1f ms on the loop)", deleted,
                     (double)(uv_hrtime() - t0) / 1e6);
            on_changed(d); /* archive pages may have lost entries */
        }
        /* A full batch: more to do, soon (in short transactions); the next
         * scans leave the entries shown out, so that they cannot fill it. */
        if (r == 0 && found == PRUNE_BATCH) {
            d->prune_more = true;
            uv_timer_start(&d->maintenance, on_maintenance, 100, 0);
        } else {
            d->prune_more = false;
            checkpoint_and_rearm(d, (uint64_t)d->cfg->maintenance_interval * 1000);
        }
    }
    free(j->protect);
    free(j->path);
    free(j->ids);
    free(j);
}

static void on_maintenance(uv_timer_t *t)
{
    struct daemon *d = t->data;
    const struct config *c = d->cfg;
    struct prune_job *j;
    size_t n = 0;

    if (d->stopping || d->draining || d->pruning)
        return;
    if (!c->keep_days && !c->keep_per_feed) {
        checkpoint_and_rearm(d, (uint64_t)c->maintenance_interval * 1000);
        return;
    }
    j = calloc(1, sizeof(*j));
    if (!j || !(j->path = strdup(c->database)) ||
        (d->prune_more && publish_entry_ids(d->publisher, &j->protect, &n) < 0)) {
        log_error("STORE", "retention: out of memory (or the outputs cannot be read)");
        if (j)
            free(j->path);
        free(j);
        checkpoint_and_rearm(d, (uint64_t)c->maintenance_interval * 1000);
        return;
    }
    j->d = d;
    j->work.data = j;
    j->rt = (struct store_retention){.keep_seconds = c->keep_days * 86400,
                                     .keep_per_feed = c->keep_per_feed,
                                     .protect = j->protect,
                                     .n_protect = n,
                                     .max_rows = PRUNE_BATCH,
                                     .now = clock_now()};
    if (uv_queue_work(&d->loop, &j->work, prune_work, prune_done) < 0) {
        free(j->protect);
        free(j->path);
        free(j);
        checkpoint_and_rearm(d, (uint64_t)c->maintenance_interval * 1000);
        return;
    }
    d->pruning = true;
}

static void on_monitor_tick(uv_timer_t *t)
{
    struct loop_monitor *m = t->data;
    uint64_t now = uv_hrtime();
    uint64_t late = now > m->due_ns ? now - m->due_ns : 0;

    if (m->verbose) {
        struct rusage ru;
        uint64_t cpu = 0;
        long preempted = 0;

        if (getrusage(RUSAGE_THREAD, &ru) == 0) {
            cpu = (uint64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000000u +
                  (uint64_t)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1000u;
            preempted = ru.ru_nivcsw;
        }
        if (late > m->worst_ns && m->cpu_ns) {
            m->worst_cpu_ns = cpu - m->cpu_ns;
            m->worst_preempted = preempted - m->preempted;
        }
        m->cpu_ns = cpu;
        m->preempted = preempted;
    }
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
    ret->reload_error = d->reload_error;
    if (d->cfg->n_webhooks)
        (void)store_deliveries_count(d->store, &ret->deliveries_pending, &ret->deliveries_dead);
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

    *ret = (struct metrics_snapshot){.entries = -1,
                                     .stories = -1,
                                     .outbox_pending = -1,
                                     .outbox_dead = -1,
                                     .start_time = d->start_time,
                                     .has_deliveries = d->cfg->n_webhooks > 0,
                                     .delivered = d->hook_stats.delivered,
                                     .delivery_failed = d->hook_stats.failed,
                                     .delivery_dead = d->hook_stats.dead,
                                     .delivery_disabled = d->hook_stats.disabled};
    if (d->store && store_count_stories(d->store, &entries) == 0)
        ret->stories = entries;
    if (d->poller)
        poller_counts(d->poller, &ret->polls);
    if (d->store && store_count_entries(d->store, &entries) == 0)
        ret->entries = entries;
    if (d->store)
        store_story_index_size(d->store, &ret->story_index_entries, &ret->story_index_bytes);
    ret->database_bytes = file_size(d->cfg->database, "") + file_size(d->cfg->database, "-wal");
    ret->loop_stall_max = (double)d->monitor.worst_ns / 1e9;
    if (d->store && store_check_file(d->store) < 0)
        ret->database_problem = store_errmsg(d->store);
    *ret_stall_recent = monitor_recent(&d->monitor);
    if (d->store && d->cfg->n_webhooks &&
        store_deliveries_count(d->store, &ret->outbox_pending, &ret->outbox_dead) < 0)
        ret->outbox_pending = ret->outbox_dead = -1;
}

static void shutdown_all(struct daemon *d)
{
    if (d->stopping)
        return;
    d->stopping = true;
    service_stopping(&d->service);
    service_close(&d->service);
    /* The poller and the webhooks first: the fetcher's cancellations then
     * find them closing (canceled deliveries stay pending in the outbox). */
    if (d->poller)
        poller_close(d->poller, NULL, NULL);
    if (d->webhooks)
        webhooks_stop(d->webhooks);
    if (d->fetcher)
        fetcher_close(d->fetcher, NULL, NULL);
    if (d->webhooks)
        webhooks_close(d->webhooks);
    if (d->httpd)
        httpd_close(d->httpd, NULL, NULL);
    uv_close((uv_handle_t *)&d->refresh_timer, NULL);
    uv_close((uv_handle_t *)&d->maintenance, NULL);
    uv_close((uv_handle_t *)&d->trim_timer, NULL);
    uv_close((uv_handle_t *)&d->sigint, NULL);
    uv_close((uv_handle_t *)&d->sigterm, NULL);
    uv_close((uv_handle_t *)&d->sighup, NULL);
    uv_close((uv_handle_t *)&d->drain_timer, NULL);
    if (d->monitor.on)
        uv_close((uv_handle_t *)&d->monitor.timer, NULL);
}

/* Graceful shutdown: polls and deliveries in flight run to their end (their
 * results stored) for up to shutdown_timeout, then the rest is canceled. */
static void on_drain_check(uv_timer_t *t)
{
    struct daemon *d = t->data;
    unsigned polls = d->poller ? poller_busy(d->poller) : 0;
    unsigned hooks = d->webhooks ? webhooks_inflight(d->webhooks) : 0;

    if (polls == 0 && hooks == 0) {
        shutdown_all(d);
    } else if (uv_now(&d->loop) >= d->drain_deadline) {
        log_warn("MAIN",
                 "shutdown_timeout reached: canceling %u poll(s) and %u delivery(ies) in "
                 "flight (they are retried after the restart)",
                 polls, hooks);
        shutdown_all(d);
    }
}

static void on_signal(uv_signal_t *h, int signum)
{
    struct daemon *d = h->data;
    const char *name = signum == SIGINT ? "SIGINT" : "SIGTERM";

    if (d->stopping)
        return;
    if (d->draining) {
        log_info("MAIN", "%s received again: stopping now", name);
        shutdown_all(d);
        return;
    }
    log_info("MAIN", "%s received, shutting down (waiting up to %lld ms for work in flight)", name,
             (long long)d->cfg->shutdown_timeout);
    d->draining = true;
    service_stopping(&d->service);
    if (d->poller)
        poller_drain(d->poller);
    if (d->webhooks)
        webhooks_stop(d->webhooks);
    d->drain_deadline = uv_now(&d->loop) + (uint64_t)d->cfg->shutdown_timeout;
    uv_timer_start(&d->drain_timer, on_drain_check, 0, 20);
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

    if (r < 0) {
        log_error("STORE", "cannot open the database %s", err);
        return r;
    }
    config_apply_dedup(d->cfg, d->store);
    d->checkpointer = store_checkpointer_new(d->cfg->database);
    if (d->checkpointer)
        store_defer_checkpoints(d->store, on_wal_grown, d); /* else SQLite's own, at commit */
    return 0;
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

/* The outputs' routes of publisher, then /metrics and /healthz. */
static int set_routes(struct daemon *d, struct publisher *publisher)
{
    const struct httpd_route *pub, *adm;
    struct httpd_route *all;
    size_t n_pub, n_adm;
    int r;

    pub = publish_routes(publisher, &n_pub);
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

static int on_status_page(struct buf *out, void *ud)
{
    struct daemon *d = ud;
    int r = status_render(d->cfg, d->store, clock_now(), (int64_t)d->start_time, out);

    if (r < 0 && r != -ENOMEM && r != -E2BIG)
        log_error("HTTP", "status page: %s", store_errmsg(d->store));
    return r;
}

static int start_http(struct daemon *d)
{
    int r;

    r = httpd_new(&d->loop, NULL, &d->httpd);
    if (r < 0)
        return r;
    d->admin = admin_new(d->cfg->admin_token, on_admin_snapshot, d);
    if (d->admin)
        admin_set_page(d->admin, on_status_page, d);
    r = d->admin ? set_routes(d, d->publisher) : -ENOMEM;
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

static struct fetch_options fetch_options_of(const struct config *c)
{
    return (struct fetch_options){
        .max_inflight = (unsigned)c->max_concurrent,
        .timeout_ms = (long)c->timeout,
        .connect_timeout_ms = (long)c->connect_timeout,
        .max_body = (size_t)c->max_feed_size,
        .max_redirects = (long)c->max_redirects,
        .per_site = (unsigned)c->per_site,
        /* The fetcher reads 0 as its default; negative is none. */
        .site_gap_ms = c->site_gap > 0 ? (long)c->site_gap : -1,
        .user_agent = c->user_agent,
        .ca_file = c->ca_file,
    };
}

static int start_fetcher(struct daemon *d)
{
    struct fetch_options o = fetch_options_of(d->cfg);

    return fetcher_new(&d->loop, &o, &d->fetcher);
}

/* ---- reload (SIGHUP) ------------------------------------------------------ */

static void on_old_webhooks_gone(void *ud)
{
    struct daemon *d = ud;

    /* The replacement starts only now, so that no delivery goes out twice. */
    if (!d->stopping && webhooks_start(d->webhooks) < 0)
        log_error("WEBHOOK", "cannot start: %s", store_errmsg(d->store));
}

/* Logs a failed reload's errors, one line each, and keeps the first. */
static void reload_failed(struct daemon *d, const char *errors)
{
    const char *p = errors;

    d->reload_error[0] = '\0';
    while (*p) {
        size_t n = strcspn(p, "\n");
        if (n) {
            log_error("MAIN", "reload: %.*s", (int)n, p);
            if (!d->reload_error[0])
                snprintf(d->reload_error, sizeof(d->reload_error), "%.*s", (int)n, p);
        }
        p += n + (p[n] == '\n');
    }
    log_error("MAIN", "reload failed: the running configuration is kept");
}

/* Reads the configuration again and applies it without a restart: feeds,
 * outputs, webhooks and settings; only database and listen wait for a
 * restart. An invalid file changes nothing. State (feed schedules,
 * validators, backoff, the outbox) lives in the store and is kept; polls
 * and deliveries in flight finish. */
static void reload(struct daemon *d)
{
    struct config *cfg = NULL, **retired;
    struct publisher *pub = NULL;
    struct webhooks *hooks = NULL, *old_hooks;
    struct fetch_options fo;
    struct buf errors;
    int r;

    log_info("MAIN", "SIGHUP received: reloading %s", d->cfg->path);
    buf_init(&errors, 1 << 20);
    r = config_load(d->cfg->path, &cfg, &errors);
    if (r < 0) {
        reload_failed(d, errors.data ? errors.data : "out of memory");
        buf_release(&errors);
        return;
    }
    buf_release(&errors);
    if (strcmp(cfg->database, d->cfg->database) != 0 ||
        strcmp(cfg->listen_host, d->cfg->listen_host) != 0 ||
        cfg->listen_port != d->cfg->listen_port)
        log_warn("MAIN", "reload: database and listen changes take effect at the next restart");
    retired = realloc(d->retired, (d->n_retired + 1) * sizeof(*retired));
    if (retired)
        d->retired = retired;
    r = retired ? publisher_new(d->store, cfg, &pub) : -ENOMEM;
    if (r == 0)
        r = webhooks_new(&d->loop, d->store, d->fetcher, cfg, &hooks);
    if (r == 0)
        webhooks_set_stats(hooks, &d->hook_stats);
    if (r == 0)
        r = set_routes(d, pub);
    if (r < 0) {
        reload_failed(d, "out of memory");
        if (hooks)
            webhooks_close(hooks);
        publisher_free(pub);
        config_free(cfg);
        return;
    }
    /* From here on the new configuration is in force. */
    if (!getenv("HERALD_LOG_LEVEL"))
        (void)log_set_level_name(cfg->log_level);
    fo = fetch_options_of(cfg);
    if (fetcher_set_options(d->fetcher, &fo) < 0)
        log_error("FETCH", "reload: out of memory: transfer options unchanged");
    config_apply_dedup(cfg, d->store);
    admin_set_token(d->admin, cfg->admin_token);
    publisher_free(d->publisher);
    d->publisher = pub;
    store_set_event_hook(d->store, cfg->n_webhooks ? webhooks_route : NULL, hooks);
    old_hooks = d->webhooks;
    d->webhooks = hooks;
    if (poller_reload(d->poller, cfg) < 0)
        log_error("MAIN", "reload: some feeds could not be applied (see above)");
    d->retired[d->n_retired++] = d->cfg;
    d->cfg = cfg;
    webhooks_retire(old_hooks, on_old_webhooks_gone, d);
    d->reload_error[0] = '\0';
    on_changed(d); /* outputs render again under their new settings */
    log_info("MAIN", "configuration reloaded: %zu feeds, %zu outputs, %zu webhooks", cfg->n_feeds,
             cfg->n_outputs, cfg->n_webhooks);
}

static void on_sighup(uv_signal_t *h, int signum)
{
    struct daemon *d = h->data;

    (void)signum;
    if (!d->stopping && !d->draining) {
        service_reloading(&d->service); /* RELOADING=1 ... READY=1 with the new STATUS= */
        reload(d);
        service_reloaded(&d->service);
    }
}

static int start(struct daemon *d)
{
    int r;

    r = open_store(d);
    if (r == 0)
        r = start_fetcher(d);
    if (r == 0)
        r = webhooks_new(&d->loop, d->store, d->fetcher, d->cfg, &d->webhooks);
    if (r == 0)
        webhooks_set_stats(d->webhooks, &d->hook_stats);
    if (r == 0 && d->cfg->n_webhooks)
        store_set_event_hook(d->store, webhooks_route, d->webhooks);
    if (r == 0)
        r = publisher_new(d->store, d->cfg, &d->publisher);
    if (r == 0)
        r = start_http(d);
    if (r == 0)
        r = poller_new(&d->loop, d->fetcher, d->store, d->cfg, on_changed, d, &d->poller);
    if (r == 0 && (r = webhooks_start(d->webhooks)) < 0)
        log_error("WEBHOOK", "cannot start: %s", store_errmsg(d->store));
    if (r < 0)
        return r;
    uv_timer_init(&d->loop, &d->refresh_timer);
    d->refresh_timer.data = d;
    uv_timer_start(&d->refresh_timer, on_refresh_timer, 0, 0); /* what is stored already */
    uv_timer_init(&d->loop, &d->maintenance);
    d->maintenance.data = d;
    uv_timer_start(
        &d->maintenance, on_maintenance,
        (uint64_t)(d->cfg->maintenance_interval < 60 ? d->cfg->maintenance_interval : 60) * 1000,
        0);
    uv_timer_init(&d->loop, &d->trim_timer);
    uv_unref((uv_handle_t *)&d->trim_timer);
    uv_timer_start(&d->trim_timer, on_trim, TRIM_PERIOD_MS, TRIM_PERIOD_MS);
    uv_signal_init(&d->loop, &d->sigint);
    uv_signal_init(&d->loop, &d->sigterm);
    uv_signal_init(&d->loop, &d->sighup);
    uv_timer_init(&d->loop, &d->drain_timer);
    d->drain_timer.data = d;
    d->sigint.data = d->sigterm.data = d->sighup.data = d;
    uv_signal_start(&d->sigint, on_signal, SIGINT);
    uv_signal_start(&d->sigterm, on_signal, SIGTERM);
    uv_signal_start(&d->sighup, on_sighup, SIGHUP);
    monitor_start(d);
    poller_start(d->poller);
    /* The database is open and the listener accepts connections. */
    service_init(&d->service, &d->loop, on_service_status, d);
    service_ready(&d->service);
    return 0;
}

/* glibc gives each thread that allocates while another holds an arena its
 * own (up to 8 per core), and an arena keeps what was freed in it: the
 * four pool threads that parse each held their own peak of documents,
 * trees and HTML (bench/poll, 64 transfers: peak RSS 90-105 MB; with two
 * arenas 75 MB, at no measurable cost in time on two cores). Two: the
 * loop's and one for the pool. MALLOC_ARENA_MAX or a glibc.malloc.arena_max
 * tunable in the environment wins. */
static void limit_arenas(void)
{
    const char *tunables = getenv("GLIBC_TUNABLES");

    if (!getenv("MALLOC_ARENA_MAX") && !(tunables && strstr(tunables, "arena_max")))
        (void)mallopt(M_ARENA_MAX, 2);
}

int daemon_run(const char *config_path)
{
    struct daemon d = {0};
    struct timespec now;
    int r, status = 1;

    limit_arenas();
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
        if (d.webhooks)
            webhooks_stop(d.webhooks);
        if (d.fetcher)
            fetcher_close(d.fetcher, NULL, NULL);
        if (d.webhooks)
            webhooks_close(d.webhooks);
        if (d.httpd)
            httpd_close(d.httpd, NULL, NULL);
        uv_run(&d.loop, UV_RUN_DEFAULT);
    }
    publisher_free(d.publisher);
    admin_free(d.admin);
    store_checkpointer_free(d.checkpointer); /* before the last checkpoint, at close */
    store_close(d.store);
    if (uv_loop_close(&d.loop) != 0)
        log_warn("MAIN", "event loop closed with handles still open");
    if (d.monitor.verbose)
        log_info("MAIN",
                 "loop: longest stall %.1f ms (the loop thread was on a CPU for %.1f ms of "
                 "that tick, preempted %ld times)",
                 (double)d.monitor.worst_ns / 1e6, (double)d.monitor.worst_cpu_ns / 1e6,
                 d.monitor.worst_preempted);
    if (status == 0)
        log_info("MAIN", "stopped");
    config_free(d.cfg);
    for (size_t i = 0; i < d.n_retired; i++)
        config_free(d.retired[i]);
    free(d.retired);
    return status;
}
