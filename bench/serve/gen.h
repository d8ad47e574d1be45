/* gen: the generated feeds of bench/serve (not part of Herald).
 *
 * Feed F (0 <= F < n_feeds) is named "feedFFFF" and configured with the URL
 * http://127.0.0.1:9/feedFFFF.xml (the discard port: nothing listens, so a
 * poll fails at once and stores nothing). Entry number SEQ (a global
 * sequence) of feed F gets, deterministically from (seed, SEQ):
 *
 *   id        tag:siteF.example,2026:SEQ (not a permalink)
 *   link      https://siteF.example/SECTION/slug-words-SEQHEX
 *   title     8-14 words
 *   summary   the lead: 30-60 words, plain text
 *   content   HTML of about content_bytes (0.8x-1.2x): the lead, then
 *             paragraphs of 3-7 sentences, an <h2> every few paragraphs,
 *             links, <em>/<strong>, a <blockquote> and a figure with an
 *             <img>, the way articles of news sites look once sanitized
 *   author    one of 64 names; 1-3 categories
 *
 * Words are pseudo-words (5,000, Zipf-distributed, s = 1) and 30% English
 * function words, so text compresses like prose (gzip about 3x).
 */
#ifndef HERALD_BENCH_SERVE_GEN_H
#define HERALD_BENCH_SERVE_GEN_H

#include <stddef.h>
#include <stdint.h>

#include "feed/model.h"

#define SGEN_VOCAB     5000
#define SGEN_WORD_MAX  24
#define SGEN_ZIPF_LUT  65536
#define SGEN_PORT_DEAD 9 /* the URL port of every feed: discard, nothing listens */

struct sgen {
    uint64_t seed;
    unsigned n_feeds;
    size_t content_bytes;
    char (*vocab)[SGEN_WORD_MAX];
    uint16_t *zipf; /* SGEN_ZIPF_LUT ranks: a uniform 16-bit draw -> a Zipf rank */
};

/* Returns 0 or -ENOMEM. */
int sgen_init(struct sgen *g, uint64_t seed, unsigned n_feeds, size_t content_bytes);
void sgen_release(struct sgen *g);

void sgen_feed_name(unsigned feed, char *out, size_t n);
void sgen_feed_url(unsigned feed, char *out, size_t n);

/* Sets doc's feed-level fields (title, link, self...) for feed, and
 * appends n entries SEQ = first_seq ... first_seq + n - 1, published
 * before t (the newest at t - 0..10 min, then back by 1-90 min each).
 * Returns 0 or -ENOMEM. */
int sgen_document(const struct sgen *g, struct feed *doc, unsigned feed, int64_t t,
                  uint64_t first_seq, unsigned n);

/* Writes heraldd's configuration: database, listen 127.0.0.1:port,
 * max_entries, a 7 d interval, dedup = story (the default, written out)
 * and one [feed] section per generated feed. Returns 0 or -errno. */
int sgen_write_config(const struct sgen *g, const char *path, const char *database, int port,
                      int max_entries);

#endif
