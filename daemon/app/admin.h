/* admin: the operator's endpoints, /metrics, /healthz and the status page /.
 *
 * Access: without admin_token, only clients connected from a loopback
 * address get an answer (others: 403). With admin_token, every client must
 * send "Authorization: Bearer TOKEN" (401 with WWW-Authenticate otherwise),
 * loopback clients too: behind a reverse proxy on the same host every
 * client would look local. Outputs stay public; only these two are guarded.
 *
 * /metrics   the Prometheus exposition of app/metrics.h.
 * /healthz   200 "ok", or 503 with the reasons on one line each when the
 *            last database write failed, the database file was deleted or
 *            replaced (store_check_file()), or the loop stalled for
 *            ADMIN_STALL_LIMIT_S or more within the last ADMIN_STALL_WINDOW_S
 *            (a loop blocked right now cannot answer at all: that is the
 *            systemd watchdog's case).
 *
 * The figures come from snapshot_cb, called on the loop for each request.
 * Borrows the token and the callback's userdata; they must outlive a.
 */
#ifndef HERALD_APP_ADMIN_H
#define HERALD_APP_ADMIN_H

#include <stddef.h>

#include "app/metrics.h"
#include "base/buf.h"
#include "net/httpd.h"

#define ADMIN_STALL_LIMIT_S  5.0
#define ADMIN_STALL_WINDOW_S 60.0

/* Fills ret; stall_recent is the longest stall (seconds) in the window. */
typedef void (*admin_snapshot_cb)(struct metrics_snapshot *ret, double *ret_stall_recent,
                                  void *userdata);

struct admin;

/* token may be NULL (loopback only). Returns NULL only when out of memory. */
struct admin *admin_new(const char *token, admin_snapshot_cb snapshot_cb, void *userdata);
void admin_free(struct admin *a);

/* The status page at "/" (app/status.h), guarded like the others: page_cb
 * renders it into out and returns 0 or a negative errno. */
typedef int (*admin_page_cb)(struct buf *out, void *userdata);
void admin_set_page(struct admin *a, admin_page_cb cb, void *userdata);

/* After a reload: the new configuration's token (borrowed; may be NULL). */
void admin_set_token(struct admin *a, const char *token);

/* The two routes; valid as long as a. */
const struct httpd_route *admin_routes(struct admin *a, size_t *ret_n);

#endif
