/* status: the status page at "/", for a person at a glance.
 *
 * One server-rendered HTML page, no external assets and no JavaScript:
 * a summary line (feeds ok and failing, entries, pending and dead
 * deliveries), then each feed with the columns of `heraldd feeds` (state,
 * last fetch, status, last error, next poll, entries and the politeness
 * record), each output with its Atom, RSS and JSON Feed links, and each
 * webhook with its format, state and pending, failed and dead deliveries.
 * Webhook URLs show only their scheme and host (their paths often carry
 * tokens). Every value is HTML-escaped. Depends on app/config, app/feeds,
 * store/ and base/.
 */
#ifndef HERALD_APP_STATUS_H
#define HERALD_APP_STATUS_H

#include <stdint.h>

#include "app/config.h"
#include "base/buf.h"
#include "store/store.h"

/* Renders the page at time now into out. started: when the daemon
 * started. Returns 0 or a negative errno (a store error: store_errmsg()). */
int status_render(const struct config *cfg, struct store *s, int64_t now, int64_t started,
                  struct buf *out);

#endif
