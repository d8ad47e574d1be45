/* dedup: the identity and the content fingerprint of an entry.
 *
 * Identity within a feed: "g:" + the guid/id when the entry has one, else
 * "l:" + its link, else "h:" + SHA-256 of its title and content. The
 * fingerprint is a SHA-256 over every stored field: when it changes the
 * stored entry is updated in place. Depends on base/ only.
 */
#ifndef HERALD_FEED_DEDUP_H
#define HERALD_FEED_DEDUP_H

#include "base/hash.h"
#include "feed/model.h"

/* Returns 0 and a malloc'ed key in *ret, or -ENOMEM. */
int dedup_entry_key(const struct entry *e, char **ret);

/* Writes the hex fingerprint of e's content. Returns 0 or -ENOMEM. */
int dedup_entry_hash(const struct entry *e, char out[HASH_HEX_LEN + 1]);

#endif
