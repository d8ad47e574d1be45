/* story: the fingerprint that recognises one news story told by several
 * outlets in different words.
 *
 * Text is normalized into terms: HTML tags and entities dropped, Unicode
 * case folding with compatibility decomposition (libunistring), accents
 * and other combining marks removed, split at every character that is not
 * a letter or digit, one-character terms and stop words (English, German,
 * French, Spanish, Italian and news boilerplate) dropped, and a light
 * suffix stemmer applied ("raises", "raised" -> "rais"). The terms of the
 * title and of the lead (the first STORY_LEAD_TERMS terms of the summary,
 * else of the content) form one set.
 *
 * The fingerprint is that set: up to STORY_MAX_TERMS distinct terms, each a
 * 32-bit hash with its count. Two fingerprints are compared by the cosine
 * similarity of their TF-IDF vectors, with document frequencies from the
 * recent entries (story_index.h), so that a shared rare name or figure
 * weighs more than a shared common word. This measured far better on
 * tests/dedup than a 64-bit SimHash or a MinHash of the same terms (see
 * tests/dedup/README.md): outlets paraphrase, so the same story's term
 * sets often overlap by only 15-25 %, which bit-level fingerprints blur.
 * Pure functions, thread-safe; depends on base/ and libunistring.
 */
#ifndef HERALD_FEED_STORY_H
#define HERALD_FEED_STORY_H

#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"

#define STORY_LEAD_TERMS 30
#define STORY_MAX_TERMS  48

/* Fewer distinct terms than this and an entry has no fingerprint:
 * "Update" or "Photos" alone would match anything. */
#define STORY_MIN_TERMS 4

struct story_fp {
    uint32_t term[STORY_MAX_TERMS]; /* term hashes, ascending */
    uint8_t tf[STORY_MAX_TERMS];    /* how often each occurs */
    uint16_t n_terms;               /* 0: no fingerprint */
};

/* Fills *ret from a plain-text title and an HTML lead (either NULL).
 * ret->n_terms is 0 when there were fewer than STORY_MIN_TERMS terms. */
void story_fingerprint(const char *title, const char *lead_html, struct story_fp *ret);

/* The normalized terms of a title and lead, space-separated, in order
 * (duplicates kept): what the fingerprint is made of. For tests and
 * `heraldd why`. Returns 0 or -ENOMEM. */
int story_terms(const char *title, const char *lead_html, struct buf *out);

#endif
