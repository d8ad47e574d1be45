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

#include "app/config.h"
#include "net/httpd.h"
#include "store/store.h"

struct publisher;

int publisher_new(struct store *store, const struct config *cfg, struct publisher **ret);
void publisher_free(struct publisher *p);

void publish_invalidate(struct publisher *p);

/* The route table for httpd; valid as long as p. */
const struct httpd_route *publish_routes(struct publisher *p, size_t *ret_n);

#endif
