/* service: see service.h. */
#include "app/service.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/log.h"
#include "net/notify.h"

void service_format_status(const struct service_status *st, char *out, size_t cap)
{
    int n = 0;

    if (cap == 0)
        return;
    out[0] = '\0';
    if (st->feeds >= 0 && st->failing >= 0)
        n = snprintf(out, cap, "%" PRId64 " feeds: %" PRId64 " ok, %" PRId64 " failing", st->feeds,
                     st->feeds - st->failing, st->failing);
    if (n >= 0 && (size_t)n < cap && st->entries >= 0)
        n += snprintf(out + n, cap - (size_t)n, "%s%" PRId64 " entries", n > 0 ? "; " : "",
                      st->entries);
    if (n >= 0 && (size_t)n < cap && st->deliveries_pending >= 0 && st->deliveries_dead >= 0)
        n +=
            snprintf(out + n, cap - (size_t)n, "%s%" PRId64 " deliveries pending, %" PRId64 " dead",
                     n > 0 ? "; " : "", st->deliveries_pending, st->deliveries_dead);
    if (n >= 0 && (size_t)n < cap && st->reload_error && st->reload_error[0]) {
        n += snprintf(out + n, cap - (size_t)n, "%sreload failed: ", n > 0 ? "; " : "");
        if (n >= 0 && (size_t)n < cap)
            log_escape(out + n, cap - (size_t)n, st->reload_error, strlen(st->reload_error));
    }
}

/* Sends state, logging the first failure of a run of failures. */
static void send_state(struct service *s, const char *state)
{
    int r = notify_send(state);

    if (r < 0 && !s->send_failed)
        log_warn("MAIN", "systemd: cannot notify %s: %s", getenv("NOTIFY_SOCKET"), strerror(-r));
    else if (r > 0 && s->send_failed)
        log_info("MAIN", "systemd: notifications are delivered again");
    if (r != 0)
        s->send_failed = r < 0;
}

/* "READY=1\n" (when first) plus "STATUS=<summary>". */
static void send_status(struct service *s, const char *prefix)
{
    struct service_status st = {
        .feeds = -1, .failing = -1, .entries = -1, .deliveries_pending = -1, .deliveries_dead = -1};
    char line[512], msg[600];

    s->status_cb(&st, s->userdata);
    service_format_status(&st, line, sizeof(line));
    snprintf(msg, sizeof(msg), "%sSTATUS=%s", prefix, line);
    send_state(s, msg);
}

static void on_status_timer(uv_timer_t *t)
{
    struct service *s = t->data;

    send_status(s, "");
}

static void on_watchdog_timer(uv_timer_t *t)
{
    send_state(t->data, "WATCHDOG=1");
}

void service_init(struct service *s, uv_loop_t *loop, service_status_cb status_cb, void *userdata)
{
    const char *sock = getenv("NOTIFY_SOCKET");

    *s = (struct service){.loop = loop, .status_cb = status_cb, .userdata = userdata};
    s->notify = sock && *sock;
    uv_timer_init(loop, &s->status_timer);
    uv_timer_init(loop, &s->watchdog_timer);
    s->status_timer.data = s->watchdog_timer.data = s;
}

/* Reads $WATCHDOG_USEC; the ping period is half of it (at least 1 ms). */
static void watchdog_setup(struct service *s)
{
    uint64_t usec;
    int r = notify_watchdog_usec(&usec);

    if (r < 0) {
        log_warn("MAIN", "systemd: ignoring WATCHDOG_USEC=%s: not a positive number",
                 getenv("WATCHDOG_USEC"));
        return;
    }
    if (r == 0)
        return;
    s->watchdog_ms = usec / 2000 > 0 ? usec / 2000 : 1;
    log_info("MAIN", "systemd: watchdog every %" PRIu64 " ms (WatchdogSec %.3f s)", s->watchdog_ms,
             (double)usec / 1e6);
}

void service_ready(struct service *s)
{
    if (!s->notify || s->ready || s->closed)
        return;
    s->ready = true;
    watchdog_setup(s);
    send_status(s, "READY=1\n");
    uv_timer_start(&s->status_timer, on_status_timer, SERVICE_STATUS_PERIOD_MS,
                   SERVICE_STATUS_PERIOD_MS);
    if (s->watchdog_ms)
        uv_timer_start(&s->watchdog_timer, on_watchdog_timer, s->watchdog_ms, s->watchdog_ms);
    log_info("MAIN", "systemd: ready, notified %s", getenv("NOTIFY_SOCKET"));
}

void service_reloading(struct service *s)
{
    struct timespec ts;
    char msg[96];

    if (!s->ready || s->stopping)
        return;
    /* MONOTONIC_USEC is for systemd >= 253 (Type=notify-reload); older
     * versions ignore it. */
    clock_gettime(CLOCK_MONOTONIC, &ts);
    snprintf(msg, sizeof(msg), "RELOADING=1\nMONOTONIC_USEC=%llu",
             (unsigned long long)ts.tv_sec * 1000000ULL + (unsigned long long)ts.tv_nsec / 1000);
    send_state(s, msg);
}

void service_reloaded(struct service *s)
{
    if (!s->ready || s->stopping)
        return;
    send_status(s, "READY=1\n");
}

void service_stopping(struct service *s)
{
    if (!s->loop || s->stopping || s->closed)
        return;
    s->stopping = true;
    if (s->notify)
        send_state(s, "STOPPING=1\nSTATUS=stopping");
    uv_timer_stop(&s->status_timer);
}

void service_close(struct service *s)
{
    if (!s->loop || s->closed)
        return;
    s->closed = true;
    uv_close((uv_handle_t *)&s->status_timer, NULL);
    uv_close((uv_handle_t *)&s->watchdog_timer, NULL);
}
