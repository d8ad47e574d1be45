/* readers: the format readers parse.c dispatches to (internal to feed/).
 *
 * Each fills an empty struct feed (format, feed fields, entries) from an
 * already parsed document; none of them touches the network, the
 * filesystem or global state. url is the document URL (may be NULL), the
 * last base of relative links; lim holds resolved limits (no zero field).
 * They return 0, -ENOMEM, or -EBADMSG when the document lacks the
 * structure of its format, before changing the feed. On other errors the
 * feed may hold partial data; the caller frees it. Depends on base/, libxml2, jansson.
 */
#ifndef HERALD_FEED_READERS_H
#define HERALD_FEED_READERS_H

#include <jansson.h>
#include <libxml/tree.h>

#include "feed/model.h"
#include "feed/parse.h"

/* root is <rss> (0.9x, 2.0) or <rdf:RDF> (0.90, 1.0). */
int rss_read(const xmlNode *root, const char *url, const struct feed_limits *lim, struct feed *f);
/* root is <feed> in the Atom 1.0 or 0.3 namespace, or a standalone Atom
 * 1.0 <entry> (RFC 4287 4.1.2: an Entry Document), read as a feed of that
 * one entry. */
int atom_read(const xmlNode *root, const char *url, const struct feed_limits *lim, struct feed *f);

/* True when root is an object whose "version" is a JSON Feed version. */
bool jsonfeed_detect(const json_t *root);
/* JSON Feed 1.0 / 1.1. */
int jsonfeed_read(const json_t *root, const char *url, const struct feed_limits *lim,
                  struct feed *f);

#endif
