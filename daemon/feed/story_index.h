/* story_index: finds the recent entry that tells the same story.
 *
 * An in-memory inverted index from terms (story.h) to the recent entries
 * that have them, with each term's document frequency. It holds the
 * entries of a time horizon (the store loads them from the database at
 * start-up and prunes older ones). A lookup reads the lists of the new
 * entry's rarest terms (each the STORY_INDEX_SCAN newest entries with the
 * term, newest first), until STORY_INDEX_PROBES terms gave entries of
 * other feeds within the window or STORY_INDEX_BUDGET entries were read,
 * counts how many of those terms each entry shares, and compares the
 * STORY_INDEX_COMPARE entries sharing the most (at least two, when some
 * do) by the cosine
 * similarity of TF-IDF vectors (weight (1 + ln tf) x ln((N + 1) / (df +
 * 0.5)), N the entries held). Its cost is bounded and does not grow with
 * the database. Single-threaded; depends on feed/story.
 */
#ifndef HERALD_FEED_STORY_INDEX_H
#define HERALD_FEED_STORY_INDEX_H

#include <stddef.h>
#include <stdint.h>

#include "feed/story.h"

#define STORY_INDEX_SCAN    64
#define STORY_INDEX_PROBES  8
#define STORY_INDEX_BUDGET  512
#define STORY_INDEX_COMPARE 16

struct story_rec {
    int64_t entry; /* the entry's row id */
    int64_t story; /* the story it belongs to (a row id) */
    int64_t feed;  /* its feed: entries of one feed never match each other */
    int64_t t;     /* its time (published, else first seen) */
    struct story_fp fp;
};

struct story_index;

struct story_index *story_index_new(void);
void story_index_free(struct story_index *x);

/* Adds rec (ignored when it has no fingerprint); only its terms and their
 * counts are kept. Returns 0, -EINVAL (more than STORY_MAX_TERMS terms, a
 * feed id outside 0 ... 2^32 - 1, or a time more than 68 years from the
 * first record's: rec is left out) or -ENOMEM. */
int story_index_add(struct story_index *x, const struct story_rec *rec);

/* The most similar entry of another feed than `feed`, whose time is
 * within `window` seconds of t and whose similarity is at least
 * min_similarity (0..1; ties: the earliest entry). Returns 1 with *ret
 * and *ret_similarity filled, 0 when there is none. */
int story_index_match(const struct story_index *x, const struct story_fp *fp, int64_t feed,
                      int64_t t, int64_t window, double min_similarity, struct story_rec *ret,
                      double *ret_similarity);

/* The similarity of two fingerprints with the index's frequencies. */
double story_index_similarity(const struct story_index *x, const struct story_fp *a,
                              const struct story_fp *b);

/* Forgets every entry whose time is before `before`. Returns 0 or -ENOMEM
 * (the index is then unchanged). */
int story_index_prune(struct story_index *x, int64_t before);

/* Entries held. */
size_t story_index_size(const struct story_index *x);

/* Bytes the index has allocated (its arrays, table and rings). */
size_t story_index_bytes(const struct story_index *x);

#endif
