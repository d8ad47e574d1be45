/* metrics: see metrics.h. */
#include "app/metrics.h"

#include <dirent.h>
#include <inttypes.h>
#include <malloc.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <unistd.h>

static const char *const result_names[POLLER_N_RESULTS] = {
    [POLLER_OK] = "ok",
    [POLLER_NOT_MODIFIED] = "not_modified",
    [POLLER_HTTP_ERROR] = "http_error",
    [POLLER_NET_ERROR] = "net_error",
    [POLLER_PARSE_ERROR] = "parse_error",
    [POLLER_STORAGE_ERROR] = "storage_error",
};

static void family(struct buf *b, const char *name, const char *type, const char *help)
{
    buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void sample_u64(struct buf *b, const char *name, uint64_t v)
{
    buf_printf(b, "%s %" PRIu64 "\n", name, v);
}

/* One-sample family; skipped when v < 0 (unknown). */
static void gauge_i64(struct buf *b, const char *name, const char *help, int64_t v)
{
    if (v < 0)
        return;
    family(b, name, "gauge", help);
    buf_printf(b, "%s %" PRId64 "\n", name, v);
}

static void fetches(struct buf *b, const struct poller_counts *c)
{
    uint64_t cumulative = 0, count = 0;

    family(b, "herald_fetch_total", "counter", "Feed polls by how they ended.");
    for (int i = 0; i < POLLER_N_RESULTS; i++)
        buf_printf(b, "herald_fetch_total{result=\"%s\"} %" PRIu64 "\n", result_names[i],
                   c->results[i]);
    family(b, "herald_fetch_duration_seconds", "histogram",
           "Duration of feed transfers (redirects included, queueing not).");
    for (int i = 0; i <= POLLER_DURATION_BUCKETS; i++)
        count += c->duration_buckets[i];
    for (int i = 0; i < POLLER_DURATION_BUCKETS; i++) {
        cumulative += c->duration_buckets[i];
        buf_printf(b, "herald_fetch_duration_seconds_bucket{le=\"%g\"} %" PRIu64 "\n",
                   poller_duration_bounds[i], cumulative);
    }
    buf_printf(b, "herald_fetch_duration_seconds_bucket{le=\"+Inf\"} %" PRIu64 "\n", count);
    buf_printf(b, "herald_fetch_duration_seconds_sum %.3f\n", (double)c->duration_ms_sum / 1000.0);
    sample_u64(b, "herald_fetch_duration_seconds_count", count);
    family(b, "herald_fetch_bytes_total", "counter", "Feed body bytes received (decoded).");
    sample_u64(b, "herald_fetch_bytes_total", c->bytes);
    family(b, "herald_fetch_bytes_saved_total", "counter",
           "Body bytes not downloaded again because the server answered 304.");
    sample_u64(b, "herald_fetch_bytes_saved_total", c->bytes_saved);
}

static void feeds(struct buf *b, const struct poller_counts *c)
{
    unsigned ok = c->feeds - c->failing - c->disabled - c->gone;

    family(b, "herald_feeds", "gauge", "Configured feeds by state.");
    buf_printf(b, "herald_feeds{state=\"ok\"} %u\n", ok);
    buf_printf(b, "herald_feeds{state=\"failing\"} %u\n", c->failing);
    buf_printf(b, "herald_feeds{state=\"gone\"} %u\n", c->gone);
    buf_printf(b, "herald_feeds{state=\"disabled\"} %u\n", c->disabled);
}

static void process(struct buf *b, double start_time)
{
    struct metrics_process p;

    metrics_read_process(&p);
    family(b, "process_cpu_seconds_total", "counter", "Total user and system CPU time in seconds.");
    buf_printf(b, "process_cpu_seconds_total %.3f\n", p.cpu_seconds);
    gauge_i64(b, "process_resident_memory_bytes", "Resident memory size in bytes.",
              p.resident_bytes);
    gauge_i64(b, "process_virtual_memory_bytes", "Virtual memory size in bytes.", p.virtual_bytes);
    gauge_i64(b, "process_open_fds", "Number of open file descriptors.", p.open_fds);
    gauge_i64(b, "process_max_fds", "Maximum number of open file descriptors.", p.max_fds);
    family(b, "process_start_time_seconds", "gauge",
           "Start time of the process since unix epoch in seconds.");
    buf_printf(b, "process_start_time_seconds %.3f\n", start_time);
    gauge_i64(b, "herald_heap_bytes_in_use", "Memory allocated with malloc and in use, in bytes.",
              p.heap_in_use);
    gauge_i64(b, "herald_heap_bytes_free",
              "Memory malloc holds from the system but has free, in bytes.", p.heap_free);
    gauge_i64(b, "herald_sqlite_memory_bytes",
              "Memory SQLite has allocated (page cache, statements), in bytes.", p.sqlite_bytes);
}

int metrics_render(const struct metrics_snapshot *s, struct buf *out)
{
    family(out, "herald_build_info", "gauge", "heraldd's version, as a label.");
    buf_printf(out, "herald_build_info{version=\"%s\"} 1\n", HERALD_VERSION);
    fetches(out, &s->polls);
    feeds(out, &s->polls);
    gauge_i64(out, "herald_entries", "Entries in the database.", s->entries);
    gauge_i64(out, "herald_stories", "Stories in the database (entries of one story count once).",
              s->stories);
    gauge_i64(out, "herald_story_index_entries",
              "Recent entries held in memory to recognise a story told again (dedup = story).",
              s->story_index_entries);
    gauge_i64(out, "herald_story_index_bytes", "Memory the story index holds, in bytes.",
              s->story_index_bytes);
    family(out, "herald_entries_new_total", "counter", "Entries stored for the first time.");
    sample_u64(out, "herald_entries_new_total", s->polls.entries_new);
    family(out, "herald_stories_new_total", "counter",
           "New entries that started a story (did not join a known one).");
    sample_u64(out, "herald_stories_new_total", s->polls.stories_new);
    family(out, "herald_entries_updated_total", "counter", "Entries whose content changed.");
    sample_u64(out, "herald_entries_updated_total", s->polls.entries_updated);
    if (s->has_deliveries) {
        family(out, "herald_webhook_deliveries_total", "counter",
               "Webhook delivery attempts by result.");
        buf_printf(out, "herald_webhook_deliveries_total{result=\"delivered\"} %" PRIu64 "\n",
                   s->delivered);
        buf_printf(out, "herald_webhook_deliveries_total{result=\"failed\"} %" PRIu64 "\n",
                   s->delivery_failed);
        buf_printf(out, "herald_webhook_deliveries_total{result=\"dead\"} %" PRIu64 "\n",
                   s->delivery_dead);
        buf_printf(out, "herald_webhook_deliveries_total{result=\"disabled\"} %" PRIu64 "\n",
                   s->delivery_disabled);
    }
    gauge_i64(out, "herald_outbox_pending", "Webhook deliveries waiting to be sent.",
              s->outbox_pending);
    gauge_i64(out, "herald_outbox_dead", "Webhook deliveries given up on.", s->outbox_dead);
    gauge_i64(out, "herald_database_bytes", "Size of the database file and its WAL.",
              s->database_bytes);
    family(out, "herald_database_write_failed", "gauge",
           "1 when the last write to the database failed.");
    buf_printf(out, "herald_database_write_failed %d\n", s->polls.write_failed ? 1 : 0);
    family(out, "herald_loop_stall_max_seconds", "gauge",
           "Longest time the event loop was blocked since start.");
    buf_printf(out, "herald_loop_stall_max_seconds %.3f\n", s->loop_stall_max);
    process(out, s->start_time);
    return out->err;
}

/* Counts /proc/self/fd entries, the directory's own fd excluded. */
static int64_t count_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    struct dirent *e;
    int64_t n = 0;

    if (!d)
        return -1;
    while ((e = readdir(d)))
        n += e->d_name[0] != '.';
    closedir(d);
    return n > 0 ? n - 1 : 0;
}

void metrics_read_process(struct metrics_process *ret)
{
    struct rusage ru;
    struct rlimit rl;
    long page = sysconf(_SC_PAGESIZE);
    unsigned long long vsize, rss;
    FILE *f;

    *ret = (struct metrics_process){.resident_bytes = -1, .virtual_bytes = -1, .max_fds = -1};
    struct mallinfo2 mi = mallinfo2();
    /* A sanitizer's allocator answers with zeros: unknown, left out. */
    ret->heap_in_use = mi.uordblks + mi.hblkhd ? (int64_t)(mi.uordblks + mi.hblkhd) : -1;
    ret->heap_free = ret->heap_in_use < 0 ? -1 : (int64_t)mi.fordblks;
    ret->sqlite_bytes = sqlite3_memory_used();
    if (getrusage(RUSAGE_SELF, &ru) == 0)
        ret->cpu_seconds = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
                           (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
    f = fopen("/proc/self/statm", "re");
    if (f) {
        if (fscanf(f, "%llu %llu", &vsize, &rss) == 2 && page > 0) {
            ret->virtual_bytes = (int64_t)(vsize * (unsigned long long)page);
            ret->resident_bytes = (int64_t)(rss * (unsigned long long)page);
        }
        fclose(f);
    }
    ret->open_fds = count_fds();
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
        ret->max_fds = (int64_t)rl.rlim_cur;
}
