/* service: heraldd as a systemd service (Type=notify), on the loop.
 *
 *   service_init()      nothing sent; timers exist but are idle
 *        |
 *   service_ready()     "READY=1" + "STATUS=<summary>"; arms the status
 *        |              timer (every SERVICE_STATUS_PERIOD_MS) and, when
 *        |              $WATCHDOG_USEC is set for this process, the
 *        |              watchdog timer ("WATCHDOG=1" every WATCHDOG_USEC/2)
 *        |   service_reloading()  "RELOADING=1" + "MONOTONIC_USEC=" (SIGHUP)
 *        |   service_reloaded()   "READY=1" + "STATUS=" (a failed reload
 *        |                        shows in the status line)
 *   service_stopping()  "STOPPING=1" once; stops the status timer; the
 *        |              watchdog keeps pinging while work in flight ends
 *   service_close()     closes both timers (idempotent)
 *
 * The caller calls service_ready() only once the database is open and the
 * HTTP listener accepts connections: systemd starts the units ordered
 * after heraldd, and ends `systemctl start`, on READY=1. The watchdog timer
 * runs on the loop, so a loop wedged on a blocking call stops the pings and
 * systemd restarts the daemon (WatchdogSec= in contrib/heraldd.service).
 *
 * The summary comes from status_cb, called on the loop each period; it fills
 * a struct service_status, rendered as one line:
 *   "12 feeds: 11 ok, 1 failing; 3456 entries; 2 deliveries pending, 0 dead"
 *
 * Without $NOTIFY_SOCKET nothing is sent and no timer is armed. A failed
 * send is logged once (then again only after a send succeeded). The
 * struct is embedded in its owner (the daemon); its timers are closed by
 * service_stopping(), which must run before the loop's last turn.
 */
#ifndef HERALD_APP_SERVICE_H
#define HERALD_APP_SERVICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#define SERVICE_STATUS_PERIOD_MS 10000

/* What STATUS= says. Counts that cannot be read are -1 and left out. */
struct service_status {
    int64_t feeds;              /* configured feeds */
    int64_t failing;            /* of which the last poll failed */
    int64_t entries;            /* entries in the database */
    int64_t deliveries_pending; /* webhook outbox; -1 without webhooks */
    int64_t deliveries_dead;
    const char *reload_error; /* the last reload's first error, or NULL/"" */
};

typedef void (*service_status_cb)(struct service_status *ret, void *userdata);

struct service {
    uv_loop_t *loop;
    uv_timer_t status_timer;
    uv_timer_t watchdog_timer;
    service_status_cb status_cb;
    void *userdata;
    uint64_t watchdog_ms; /* ping period, 0 when there is no watchdog */
    bool notify;          /* $NOTIFY_SOCKET is set */
    bool ready, stopping, closed;
    bool send_failed; /* the last send failed (and was logged) */
};

/* Initializes the timers on loop. status_cb is called on the loop. */
void service_init(struct service *s, uv_loop_t *loop, service_status_cb status_cb, void *userdata);

/* Sends READY=1 with the first STATUS= and arms the timers. */
void service_ready(struct service *s);

/* Around a configuration reload. */
void service_reloading(struct service *s);
void service_reloaded(struct service *s);

/* Sends STOPPING=1 (once). */
void service_stopping(struct service *s);

/* Closes the timers (no callback: they are embedded; the loop must run
 * once more before it is closed). Idempotent. */
void service_close(struct service *s);

/* Renders st as one line ("12 feeds: 11 ok, 1 failing; 3456 entries",
 * then "; reload failed: FILE:LINE: ..." after a failed reload) into out
 * (always NUL-terminated; cut when cap is too small; escaped as log lines
 * are, so it stays one line). */
void service_format_status(const struct service_status *st, char *out, size_t cap);

#endif
