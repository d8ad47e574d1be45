/* publish: the merged feed, rendered from the store and served by httpd.
 *
 * The rendered documents and their strong ETags are cached as immutable
 * blobs; publish_invalidate() (called after a poll stored changes) marks
 * them stale, and publish_refresh() (the daemon calls it a moment later,
 * once for several polls) renders them again. A render that produces the
 * same bytes keeps the old ETag and Last-Modified. Borrows the store and the
 * config.
 */
#ifndef HERALD_APP_PUBLISH_H
#define HERALD_APP_PUBLISH_H

#include <stddef.h>

#include <uv.h>

#include "app/config.h"
#include "net/httpd.h"
#include "store/store.h"

struct publisher;

int publisher_new(struct store *store, const struct config *cfg, struct publisher **ret);
/* Frees p, or marks it to be freed by its last export job still writing
 * (a reload replaces the publisher while one may run). Its routes must be
 * gone from the HTTP server first. */
void publisher_free(struct publisher *p);

void publish_invalidate(struct publisher *p);

/* The store ids of every entry the outputs show now (their newest
 * entries and the stories' other sources), for retention. Caller frees
 * *ret. Returns 0 or a negative errno. */
int publish_entry_ids(struct publisher *p, int64_t **ret, size_t *ret_n);

/* Renders the stale outputs (so that requests find them ready; a request
 * for a stale one renders it itself). With export_dir set, also writes
 * each format whose bytes changed since the last export, as NAME.EXT and
 * NAME.EXT.gz (for a web server's gzip_static), atomically (temporary
 * file, fsync, rename, fsync of the folder) on the thread pool; a failure
 * is logged and the next refresh tries again. Returns 0 or -ENOMEM. */
int publish_refresh(struct publisher *p, uv_loop_t *loop);

/* The route table for httpd; valid as long as p. */
const struct httpd_route *publish_routes(struct publisher *p, size_t *ret_n);

#endif
