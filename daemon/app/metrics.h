/* metrics: the Prometheus text exposition (format 0.0.4) of /metrics.
 *
 * metrics_render() is a pure function of a snapshot the daemon takes on
 * the loop (poll counters, counts from the store, the loop monitor) plus
 * the standard process_* metrics read from the kernel (getrusage,
 * getrlimit, /proc/self/statm and /proc/self/fd, all of which stay visible
 * under ProcSubset=pid). Names follow prometheus.io/docs/practices/naming:
 * base units, counters end in _total, labels of bounded cardinality only.
 * Depends on base/ and app/poller.h (for struct poller_counts).
 */
#ifndef HERALD_APP_METRICS_H
#define HERALD_APP_METRICS_H

#include <stdbool.h>
#include <stdint.h>

#include "app/poller.h"
#include "base/buf.h"

#define METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

/* What the daemon knows; counts that could not be read are -1 and their
 * metric is left out. */
struct metrics_snapshot {
    struct poller_counts polls;
    int64_t entries;              /* entries in the database */
    int64_t database_bytes;       /* database file plus its WAL */
    double loop_stall_max;        /* seconds: longest loop stall since start */
    const char *database_problem; /* why the database file is unusable, or NULL */
    double start_time;            /* epoch seconds at which the process started */
    int64_t outbox_pending;       /* webhook deliveries waiting; -1 without webhooks */
    int64_t outbox_dead;          /* given up on (see heraldd deliveries) */
    int64_t stories;              /* stories in the database (-1: unknown) */
    int64_t story_index_entries;  /* entries in the in-memory story index */
    int64_t story_index_bytes;    /* and the memory it holds */
    /* Webhook delivery attempts since start; has_deliveries: webhooks configured. */
    bool has_deliveries;
    uint64_t delivered, delivery_failed, delivery_dead, delivery_disabled;
};

struct metrics_process {
    double cpu_seconds;                    /* user + system */
    int64_t resident_bytes, virtual_bytes; /* -1 when /proc is not readable */
    int64_t open_fds;                      /* -1 when /proc is not readable */
    int64_t max_fds;                       /* soft RLIMIT_NOFILE, -1 if unlimited */
    /* Where the memory is: the allocator's chunks in use and free (mmapped
     * ones count as in use; -1 when the allocator does not say, as under
     * AddressSanitizer), and what SQLite holds (its page cache and
     * statements: part of heap_in_use). */
    int64_t heap_in_use, heap_free, sqlite_bytes;
};

/* Reads this process's figures. */
void metrics_read_process(struct metrics_process *ret);

/* Appends the exposition of s and of this process to out. Returns 0, or
 * out's error (-ENOMEM, -E2BIG). */
int metrics_render(const struct metrics_snapshot *s, struct buf *out);

#endif
