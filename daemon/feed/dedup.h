/* dedup: the keys that say whether two entries are one.
 *
 * Identity within a feed: "g:" + the guid/id when the entry has one, else
 * "l:" + its canonical link, else "h:" + SHA-256 of its title and content
 * (the store may prefer the link when a feed's guids churn). The canonical
 * link (url_canonical(), base/url.h) also says that entries of different
 * feeds are one story; the story fingerprint (story.h) that entries told
 * in different words are. The change hash says whether a stored entry
 * changed, and whether the change was to its text (title, summary,
 * content) or only to its metadata. Depends on base/ and feed/story.
 */
#ifndef HERALD_FEED_DEDUP_H
#define HERALD_FEED_DEDUP_H

#include <stdbool.h>

#include "base/hash.h"
#include "base/url.h"
#include "feed/model.h"

/* How hard outputs fold duplicates: not at all across feeds, entries
 * with the same canonical link, or entries of the same story. */
enum dedup_level {
    DEDUP_NONE,
    DEDUP_LINK,
    DEDUP_STORY,
};

const char *dedup_level_name(enum dedup_level l);
/* "none", "link", "story". Returns 0 or -EINVAL. */
int dedup_level_parse(const char *s, enum dedup_level *ret);

struct dedup_opts {
    struct url_canon_opts canon;
    bool fingerprint; /* compute story fingerprints (level story) */
};

/* Fills e->canon and e->fp (when o->fingerprint) and sets e->prepared;
 * a prepared entry is left alone. A link that is not http(s), or that is
 * a site's root page ("https://example.org/", which many feeds give every
 * entry), has no canonical form. The fingerprint is over the title and the
 * summary (else the content). Returns 0 or -ENOMEM. */
int dedup_prepare_entry(struct entry *e, const struct dedup_opts *o);
/* The same for every entry of doc. */
int dedup_prepare(struct feed *doc, const struct dedup_opts *o);

/* Returns 0 and a malloc'ed key in *ret, or -ENOMEM. */
int dedup_entry_key(const struct entry *e, char **ret);

/* Writes e's change hash: DEDUP_TEXT_HEX hex digits over its title,
 * summary and content, then as many over its id, link, author and dates
 * (each half a change hash, base/hash.h). Returns 0 or -ENOMEM. */
#define DEDUP_TEXT_HEX CHASH_HEX_LEN
int dedup_entry_hash(const struct entry *e, char out[HASH_HEX_LEN + 1]);
/* The same from the stored fields (dates TIME_NONE when absent). */
int dedup_fields_hash(const char *id, const char *link, const char *title, const char *summary,
                      const char *content, const char *author, int64_t published, int64_t updated,
                      char out[HASH_HEX_LEN + 1]);
/* The identifier of an entry with neither id nor link, for outputs
 * (urn:sha256:...): the same layout over SHA-256, so that it stays what
 * readers have seen. Returns 0 or -ENOMEM. */
int dedup_entry_urn_hash(const struct entry *e, char out[HASH_HEX_LEN + 1]);

#endif
