/* publish: the merged feed, rendered from the store and served by httpd.
 *
 * The rendered document and its strong ETag are cached as an immutable
 * blob; publish_invalidate() (called after a poll stored changes) marks it
 * stale and the next request renders it again. A render that produces the
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
void publisher_free(struct publisher *p);

void publish_invalidate(struct publisher *p);

/* With export_dir set: renders the stale outputs and writes each format
 * whose bytes changed since the last export, as NAME.EXT and NAME.EXT.gz
 * (for a web server's gzip_static), atomically (temporary file, fsync,
 * rename, fsync of the folder) on the thread pool. A failure is logged;
 * the next export tries again. Returns 0 or -ENOMEM. */
int publish_export(struct publisher *p, uv_loop_t *loop);

/* The route table for httpd; valid as long as p. */
const struct httpd_route *publish_routes(struct publisher *p, size_t *ret_n);

#endif
