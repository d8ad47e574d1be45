/* atom_out: a merged feed rendered as Atom 1.0 (RFC 4287).
 *
 * Every entry keeps its original id (RFC 4287 §4.2.6: an id must not
 * change when an entry is republished) and carries an atom:source with the
 * origin feed's id, title and link (§4.2.11). Dates are RFC 3339 with
 * upper-case T and Z. The feed's <updated> is the newest entry's date, not
 * the render time, so an unchanged feed renders to identical bytes (and the
 * same ETag). Every text is escaped; HTML goes out as type="html".
 * Depends on base/ and feed/model only.
 */
#ifndef HERALD_FEED_ATOM_OUT_H
#define HERALD_FEED_ATOM_OUT_H

#include <stddef.h>

#include "feed/model.h"

struct atom_out_meta {
    const char *id; /* the merged feed's id (a stable URI) */
    const char *title;
    const char *self_url; /* absolute URL of this document */
    const char *site_url; /* rel=alternate, or NULL */
    /* RFC 5005 archives: the previous (older) archive page, the current
     * (subscription) document; archive marks this document as one. */
    const char *prev_archive; /* or NULL */
    const char *current;      /* or NULL */
    int archive;
    const char *generator_version;
};

/* Renders entries of f (with their sources) under meta. Returns 0 and a
 * malloc'ed document in *ret / *ret_len, or -ENOMEM / -E2BIG. */
int atom_render(const struct atom_out_meta *meta, const struct feed *f, char **ret,
                size_t *ret_len);

/* The id an entry is published under: its own id, else its link, else a
 * URN made from the hash of its content. Writes into out (size n). */
void atom_entry_id(const struct entry *e, char *out, size_t n);

/* The story's other sources (a deduplicated output): one
 * INDENT<TAG rel="related" type="text/html" href= title=SOURCE/> each
 * (TAG "link" in Atom, "atom:link" in RSS). */
struct buf;
void atom_put_related(struct buf *b, const char *indent, const char *tag, const struct entry *e);

#endif
