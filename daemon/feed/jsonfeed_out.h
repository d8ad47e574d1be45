/* jsonfeed_out: a struct feed rendered as JSON Feed 1.1 (jansson).
 *
 * Fields JSON Feed lacks go under "_herald" objects (feed and item level):
 * see the shape documented in jsonfeed_out.c. Depends on base/, jansson.
 */
#ifndef HERALD_FEED_JSONFEED_OUT_H
#define HERALD_FEED_JSONFEED_OUT_H

#include "feed/model.h"

/* Returns 0 and a malloc'ed, NUL-terminated, pretty-printed document in
 * *ret (caller frees), or -ENOMEM. */
int jsonfeed_render(const struct feed *f, char **ret);

#endif
