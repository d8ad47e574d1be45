/* bench_dedup: what deduplication costs at ingest, and how the story lookup
 * scales with the database (bench/dedup/run.sh drives it; not part of Herald).
 *
 * A deterministic generator (seed -s) makes N entries (-n, default
 * 1,000,000) over F feeds (-f, 2,000) as a stream of polls: each poll is one
 * feed's document of 10-30 new entries, and the polls are spread evenly over
 * D days (-d, 60), so the 72 h window holds ~5% of the entries. Text is
 * news-like: titles of 8-14 words and summaries of 30-60 words drawn from
 * 5,000 generated pseudo-words (-V) with a Zipf distribution (s = 1) and
 * 30% function words. The duplicates (shares of all entries):
 *
 *   link   8%  an earlier entry's link (of the last 24 h) in another feed, with
 *              the same text; 40% of them with utm_ parameters, 10% http://
 *   story 10%  the same story from another outlet: an earlier story (of the
 *              last 6 h) with 30-40% of its title and lead words replaced (60%)
 *              or moved (40%), the rest of the summary new, its own link, and
 *              published between the original and the poll
 *   churn  2%  the feed re-publishes one of its last 16 entries under a new guid
 *
 * and the rest are unique. A duplicate that finds no source (early in the
 * run) is made unique: the measured shares are printed.
 *
 * The generator keeps one 32-byte record per entry (the seed of its words,
 * its source, feed and date) and builds each poll's document from them just
 * before it is stored, so the same documents are stored at each level
 * (-L, default "none,story") into a fresh database under a temporary
 * directory (-t, default $TMPDIR or /tmp), deleted afterwards unless -k.
 * Only the store_ingest() calls are timed (they include dedup_prepare():
 * canonical links, and fingerprints at level story).
 *
 * At level story, when the stored stream reaches each checkpoint (10k,
 * 100k, 1M entries, those <= N), K probes (-K, 2,000) are looked up with
 * store_story_lookup() at the time of the last poll: half are paraphrases
 * of stories of the last 6 h, half unrelated. They are prepared
 * (fingerprinted) before the clock starts, so the lookup is timed alone;
 * the preparation is timed on its own. Probes are not stored.
 *
 * Output: one line per fact, "TAG key=value ...", for run.sh.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/buf.h"
#include "feed/dedup.h"
#include "feed/model.h"
#include "load.h"
#include "rng.h"
#include "store/store.h"

#define T_START     INT64_C(1767225600) /* 2026-01-01T00:00:00Z */
#define HOUR        INT64_C(3600)
#define WINDOW      (72 * HOUR)
#define LINK_BACK   (24 * HOUR) /* a re-carried link is of the last day */
#define STORY_BACK  (6 * HOUR)  /* another outlet's take follows within hours */
#define PUBLISH_LAG (2 * HOUR)  /* an entry is published up to 2 h before its poll */
#define SHARE_LINK  0.08
#define SHARE_STORY 0.10
#define SHARE_CHURN 0.02
#define SHARE_UTM   0.40 /* of link duplicates */
#define SHARE_HTTP  0.10 /* of link duplicates */
#define PICK_TRIES  8
#define CHURN_RING  16
#define VOCAB       5000  /* pseudo-words by default (-V) */
#define VOCAB_MAX   60000 /* word ids are 16-bit, function words above */
#define WORD_MAX    24
#define FUNC_SHARE  0.30
#define TITLE_MIN   8
#define TITLE_MAX   14
#define SUMMARY_MIN 30
#define SUMMARY_MAX 60
#define LEAD_WORDS  40 /* ~30 terms once function words are dropped */
#define POLL_MIN    10
#define POLL_MAX    30
#define TEXT_MAX    4096
#define DIR_MAX     1024 /* bytes of the temporary directory's path */
#define DB_PATH_MAX (DIR_MAX + 64)

/* What to run (command line). */
struct opts {
    size_t n;
    uint32_t n_feeds;
    uint32_t n_vocab;
    int days;
    uint64_t seed;
    size_t probes;
    bool keep;
    const char *tmp;
    enum dedup_level levels[2];
    size_t n_levels;
    size_t checkpoints[3];
    size_t n_checkpoints;
};

/* ---- random numbers ------------------------------------------------------- */

/* ---- the generated stream ----------------------------------------------- */

enum kind {
    K_UNIQUE,
    K_LINK,
    K_STORY,
    K_CHURN,
    K_COUNT,
};

static const char *const kind_names[K_COUNT] = {"unique", "link", "story", "churn"};

enum variant {
    V_SAME, /* the link as the source wrote it */
    V_UTM,  /* with utm_ tracking parameters */
    V_HTTP, /* http:// instead of https:// */
};

/* One generated entry. Its words follow from `text` (and its source's). */
struct rec {
    uint64_t text;
    int64_t published;
    uint32_t src; /* the entry it copies (link, story, churn), else itself */
    uint32_t feed;
    uint8_t kind;
    uint8_t variant;
};

struct poll {
    int64_t t;
    uint32_t first; /* its entries are recs[first ... first + n) */
    uint32_t n;
    uint32_t feed;
};

struct gen {
    uint64_t seed;
    uint32_t n_feeds;
    uint32_t n_vocab;
    char (*vocab)[WORD_MAX];
    double *cdf; /* cumulative Zipf weights of the vocabulary, by rank */
    struct rec *recs;
    size_t n;
    struct poll *polls;
    size_t n_polls;
    size_t count[K_COUNT];
    size_t variants[3];
};

/* Function words: all of them are story.c stop words, as in real text. */
static const char *const func_words[] = {
    "the",  "of",   "to",   "in",   "and",     "for",    "on",      "with",   "after", "over",
    "as",   "at",   "by",   "from", "is",      "was",    "has",     "will",   "its",   "their",
    "into", "than", "that", "this", "against", "before", "between", "during",
};
#define N_FUNC (sizeof(func_words) / sizeof(func_words[0]))

static const char *const sections[] = {"news", "world",   "politics", "business",
                                       "tech", "science", "sport",    "culture"};

static void make_word(struct rng *r, char *out)
{
    static const char *const onset[] = {"b",  "c",  "d",  "f",  "g",  "h",  "j",  "k",
                                        "l",  "m",  "n",  "p",  "r",  "s",  "t",  "v",
                                        "w",  "z",  "br", "cr", "dr", "fr", "gr", "pr",
                                        "tr", "st", "sh", "ch", "th", "pl", "cl", "sl"};
    static const char *const nucleus[] = {"a", "e", "i", "o", "u", "ai", "ea", "ou", "io"};
    static const char *const coda[] = {"", "", "", "n", "r", "l", "m", "t", "nd", "st", "x"};
    unsigned syllables = 2 + rng_below(r, 2);
    size_t len = 0;

    for (unsigned i = 0; i < syllables; i++) {
        const char *parts[3] = {onset[rng_below(r, sizeof(onset) / sizeof(onset[0]))],
                                nucleus[rng_below(r, sizeof(nucleus) / sizeof(nucleus[0]))],
                                coda[rng_below(r, sizeof(coda) / sizeof(coda[0]))]};
        for (unsigned j = 0; j < 3; j++) {
            size_t k = strlen(parts[j]);
            memcpy(out + len, parts[j], k);
            len += k;
        }
    }
    out[len] = '\0';
}

static uint64_t word_hash(const char *w)
{
    uint64_t h = 0xcbf29ce484222325ULL;

    for (; *w; w++)
        h = (h ^ (unsigned char)*w) * 0x100000001b3ULL;
    return h | 1; /* 0 marks a free slot */
}

/* Adds w to the open-addressing set (4 x n_vocab slots); false if present. */
static bool word_add(uint64_t *set, size_t cap, const char *w)
{
    uint64_t h = word_hash(w);

    for (size_t i = h & (cap - 1);; i = (i + 1) & (cap - 1)) {
        if (set[i] == h)
            return false;
        if (!set[i]) {
            set[i] = h;
            return true;
        }
    }
}

/* n_vocab distinct pseudo-words; rank i has Zipf weight 1 / (i + 1). */
static int vocab_init(struct gen *g)
{
    struct rng r = rng_seeded(g->seed, 1);
    size_t cap = 1;
    uint64_t *set;
    double sum = 0;

    while (cap < 4 * (size_t)g->n_vocab)
        cap *= 2;
    set = calloc(cap, sizeof(*set));
    g->vocab = calloc(g->n_vocab, sizeof(*g->vocab));
    g->cdf = calloc(g->n_vocab, sizeof(*g->cdf));
    if (!set || !g->vocab || !g->cdf) {
        free(set);
        return -ENOMEM;
    }
    for (size_t i = 0; i < g->n_vocab; i++) {
        do {
            make_word(&r, g->vocab[i]);
        } while (!word_add(set, cap, g->vocab[i]));
        sum += 1.0 / (double)(i + 1);
        g->cdf[i] = sum;
    }
    free(set);
    return 0;
}

/* Word ids: below VOCAB_MAX a pseudo-word (its Zipf rank), above a function word. */
static uint16_t zipf_word(const struct gen *g, struct rng *r)
{
    double u = rng_unit(r) * g->cdf[g->n_vocab - 1];
    size_t lo = 0, hi = g->n_vocab - 1;

    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (g->cdf[mid] < u)
            lo = mid + 1;
        else
            hi = mid;
    }
    return (uint16_t)lo;
}

static uint16_t any_word(const struct gen *g, struct rng *r)
{
    if (rng_unit(r) < FUNC_SHARE)
        return (uint16_t)(VOCAB_MAX + rng_below(r, N_FUNC));
    return zipf_word(g, r);
}

static const char *word_text(const struct gen *g, uint16_t id)
{
    return id < VOCAB_MAX ? g->vocab[id] : func_words[id - VOCAB_MAX];
}

/* ---- the words of an entry ------------------------------------------- */

struct words {
    uint16_t title[TITLE_MAX];
    size_t n_title;
    uint16_t summary[SUMMARY_MAX];
    size_t n_summary;
};

static void fresh_words(const struct gen *g, struct rng *r, struct words *w)
{
    w->n_title = TITLE_MIN + rng_below(r, TITLE_MAX - TITLE_MIN + 1);
    w->n_summary = SUMMARY_MIN + rng_below(r, SUMMARY_MAX - SUMMARY_MIN + 1);
    for (size_t i = 0; i < w->n_title; i++)
        w->title[i] = any_word(g, r);
    for (size_t i = 0; i < w->n_summary; i++)
        w->summary[i] = any_word(g, r);
}

/* Touches each word with probability share: replaced (60%) or swapped with
 * another one (40%). */
static void rewrite(const struct gen *g, struct rng *r, uint16_t *ws, size_t n, double share)
{
    for (size_t i = 0; i < n; i++) {
        if (rng_unit(r) >= share)
            continue;
        if (rng_unit(r) < 0.6) {
            ws[i] = any_word(g, r);
        } else {
            size_t j = rng_below(r, (uint32_t)n);
            uint16_t t = ws[i];
            ws[i] = ws[j];
            ws[j] = t;
        }
    }
}

/* Another outlet's words for the same story: title and lead rewritten, the
 * rest of the summary its own. */
static void paraphrase(const struct gen *g, struct rng *r, struct words *w)
{
    double share = 0.30 + 0.10 * rng_unit(r);
    size_t lead = w->n_summary < LEAD_WORDS ? w->n_summary : LEAD_WORDS;
    size_t n = SUMMARY_MIN + rng_below(r, SUMMARY_MAX - SUMMARY_MIN + 1);

    rewrite(g, r, w->title, w->n_title, share);
    rewrite(g, r, w->summary, lead, share);
    for (size_t i = lead; i < n; i++)
        w->summary[i] = any_word(g, r);
    w->n_summary = n > lead ? n : lead;
}

/* Sources are at most three hops away (churn -> link -> story -> unique). */
static void words_of(const struct gen *g, uint32_t i, struct words *w)
{
    const struct rec *x = &g->recs[i];
    struct rng r = rng_seeded(g->seed, x->text);

    switch ((enum kind)x->kind) {
    case K_UNIQUE:
        fresh_words(g, &r, w);
        break;
    case K_STORY:
        words_of(g, x->src, w);
        paraphrase(g, &r, w);
        break;
    default:
        words_of(g, x->src, w);
        break;
    }
}

/* ---- rendering ---------------------------------------------------------- */

static void put_words(const struct gen *g, const uint16_t *ws, size_t n, struct buf *b)
{
    for (size_t i = 0; i < n; i++) {
        const char *t = word_text(g, ws[i]);
        if (i > 0) {
            buf_putc(b, ' ');
            buf_puts(b, t);
        } else {
            buf_putc(b, (char)(t[0] - 'a' + 'A'));
            buf_puts(b, t + 1);
        }
    }
}

/* The link its own page has: https://siteN.example/section/slug-xxxxxxxx. */
static void own_link(const struct gen *g, uint32_t i, struct buf *b)
{
    const struct rec *x = &g->recs[i];
    struct words w;
    unsigned slug = 0;

    words_of(g, i, &w);
    buf_printf(b, "https://site%" PRIu32 ".example/%s/", x->feed,
               sections[(x->text >> 40) % (sizeof(sections) / sizeof(sections[0]))]);
    for (size_t k = 0; k < w.n_title && slug < 4; k++) {
        if (w.title[k] < VOCAB_MAX) {
            buf_puts(b, g->vocab[w.title[k]]);
            buf_putc(b, '-');
            slug++;
        }
    }
    buf_printf(b, "%08" PRIx32, (uint32_t)x->text);
}

static void link_of(const struct gen *g, uint32_t i, struct buf *b)
{
    const struct rec *x = &g->recs[i];
    struct buf src;

    switch ((enum kind)x->kind) {
    case K_LINK:
        buf_init(&src, TEXT_MAX);
        link_of(g, x->src, &src);
        if (src.err) {
            b->err = b->err ? b->err : src.err;
        } else if (x->variant == V_HTTP) {
            buf_puts(b, "http://");
            buf_puts(b, buf_cstr(&src) + strlen("https://"));
        } else {
            buf_puts(b, buf_cstr(&src));
        }
        if (x->variant == V_UTM)
            buf_printf(b, "?utm_source=rss&utm_medium=feed%" PRIu32 "&utm_campaign=daily", x->feed);
        buf_release(&src);
        break;
    case K_CHURN:
        link_of(g, x->src, b);
        break;
    default:
        own_link(g, i, b);
        break;
    }
}

static int set_from(char **field, struct buf *b)
{
    int r = b->err ? b->err : model_set_str(field, buf_cstr(b));

    buf_reset(b);
    return r;
}

/* Fills e (fresh from feed_add_entry()) with entry i as its feed gives it. */
static int fill_entry(const struct gen *g, uint32_t i, struct entry *e, struct buf *b)
{
    const struct rec *x = &g->recs[i];
    struct words w;
    int r;

    words_of(g, i, &w);
    put_words(g, w.title, w.n_title, b);
    r = set_from(&e->title, b);
    buf_puts(b, "<p>");
    put_words(g, w.summary, w.n_summary, b);
    buf_puts(b, ".</p>");
    if (r == 0)
        r = set_from(&e->summary, b);
    link_of(g, i, b);
    if (r == 0)
        r = set_from(&e->link, b);
    buf_printf(b, "https://site%" PRIu32 ".example/?p=%" PRIu32, x->feed, i);
    if (r == 0)
        r = set_from(&e->id, b);
    e->id_is_permalink = false;
    e->published = x->published;
    return r;
}

/* ---- the schedule ------------------------------------------------------- */

/* Follows copies back to the entry that wrote the words (unique). */
static uint32_t root_of(const struct gen *g, uint32_t i)
{
    while (g->recs[i].kind != K_UNIQUE)
        i = g->recs[i].src;
    return i;
}

/* Follows copies back to the entry whose page the link is. */
static uint32_t page_of(const struct gen *g, uint32_t i)
{
    while (g->recs[i].kind == K_LINK || g->recs[i].kind == K_CHURN)
        i = g->recs[i].src;
    return i;
}

/* An entry of another feed among recs[lo, hi), found by follow(); hi if none. */
static uint32_t pick_other(const struct gen *g, struct rng *r, uint32_t lo, uint32_t hi,
                           uint32_t feed, uint32_t (*follow)(const struct gen *, uint32_t))
{
    for (int k = 0; k < PICK_TRIES && lo < hi; k++) {
        uint32_t c = follow(g, lo + rng_below(r, hi - lo));
        if (g->recs[c].feed != feed)
            return c;
    }
    return hi;
}

struct schedule {
    struct rng r;
    uint32_t *ring; /* each feed's last CHURN_RING entries (pages) */
    uint8_t *ring_n;
    size_t link_poll, story_poll; /* first polls still within LINK_BACK, STORY_BACK */
};

static void make_entry(struct gen *g, struct schedule *sc, const struct poll *p, uint32_t i)
{
    struct rec *x = &g->recs[i];
    double u = rng_unit(&sc->r);
    uint32_t c;

    while (g->polls[sc->link_poll].t < p->t - LINK_BACK)
        sc->link_poll++;
    while (g->polls[sc->story_poll].t < p->t - STORY_BACK)
        sc->story_poll++;
    *x = (struct rec){.text = rng_next(&sc->r), .src = i, .feed = p->feed, .kind = K_UNIQUE};
    x->published = p->t - (int64_t)rng_below(&sc->r, PUBLISH_LAG);
    if (u < SHARE_LINK) {
        c = pick_other(g, &sc->r, g->polls[sc->link_poll].first, p->first, p->feed, page_of);
        if (c != p->first) {
            double v = rng_unit(&sc->r);
            x->kind = K_LINK;
            x->src = c;
            x->variant = v < SHARE_UTM ? V_UTM : v < SHARE_UTM + SHARE_HTTP ? V_HTTP : V_SAME;
            if (x->published < g->recs[c].published)
                x->published = g->recs[c].published;
        }
    } else if (u < SHARE_LINK + SHARE_STORY) {
        c = pick_other(g, &sc->r, g->polls[sc->story_poll].first, p->first, p->feed, root_of);
        if (c != p->first) {
            x->kind = K_STORY;
            x->src = c;
            x->published = g->recs[c].published +
                           (int64_t)(rng_unit(&sc->r) * (double)(p->t - g->recs[c].published));
        }
    } else if (u < SHARE_LINK + SHARE_STORY + SHARE_CHURN && sc->ring_n[p->feed]) {
        c = sc->ring[(size_t)p->feed * CHURN_RING + rng_below(&sc->r, sc->ring_n[p->feed])];
        x->kind = K_CHURN;
        x->src = c;
        x->published = g->recs[c].published;
    }
    g->count[x->kind]++;
    if (x->kind == K_LINK)
        g->variants[x->variant]++;
}

/* Remembers the poll's entries as its feed's candidates for churn. */
static void ring_push(struct gen *g, struct schedule *sc, const struct poll *p)
{
    for (uint32_t i = p->first; i < p->first + p->n; i++) {
        uint32_t *ring = sc->ring + (size_t)p->feed * CHURN_RING;
        uint8_t *n = &sc->ring_n[p->feed];

        if (g->recs[i].kind == K_CHURN)
            continue;
        if (*n == CHURN_RING)
            memmove(ring, ring + 1, (CHURN_RING - 1) * sizeof(*ring));
        else
            (*n)++;
        ring[*n - 1] = i;
    }
}

static int gen_init(struct gen *g, const struct opts *o)
{
    struct schedule sc = {.r = rng_seeded(o->seed, 2)};
    double per_poll = (POLL_MIN + POLL_MAX) / 2.0;
    double dt = (double)o->days * 86400.0 * per_poll / (double)o->n;
    size_t n = o->n, max_polls = n / POLL_MIN + 1;
    uint32_t n_feeds = o->n_feeds, done = 0;
    int r;

    *g = (struct gen){.seed = o->seed, .n_feeds = n_feeds, .n_vocab = o->n_vocab, .n = n};
    if ((r = vocab_init(g)) < 0)
        return r;
    g->recs = malloc(n * sizeof(*g->recs));
    g->polls = malloc(max_polls * sizeof(*g->polls));
    sc.ring = malloc((size_t)n_feeds * CHURN_RING * sizeof(*sc.ring));
    sc.ring_n = calloc(n_feeds, 1);
    if (!g->recs || !g->polls || !sc.ring || !sc.ring_n) {
        r = -ENOMEM;
        goto out;
    }
    while (done < n) {
        struct poll *p = &g->polls[g->n_polls];
        uint32_t k = POLL_MIN + rng_below(&sc.r, POLL_MAX - POLL_MIN + 1);

        p->t = T_START + (int64_t)(dt * (double)g->n_polls);
        p->first = done;
        p->n = k < n - done ? k : (uint32_t)(n - done);
        p->feed = rng_below(&sc.r, n_feeds);
        g->n_polls++;
        for (uint32_t i = p->first; i < p->first + p->n; i++)
            make_entry(g, &sc, p, i);
        ring_push(g, &sc, p);
        done += p->n;
    }
out:
    free(sc.ring);
    free(sc.ring_n);
    return r;
}

static void gen_release(struct gen *g)
{
    free(g->vocab);
    free(g->cdf);
    free(g->recs);
    free(g->polls);
}

static struct feed *build_doc(const struct gen *g, const struct poll *p, struct buf *b)
{
    struct feed *doc = feed_new();

    if (!doc)
        return NULL;
    buf_printf(b, "Site %" PRIu32, p->feed);
    if (set_from(&doc->title, b) < 0)
        goto fail;
    buf_printf(b, "https://site%" PRIu32 ".example/", p->feed);
    if (set_from(&doc->link, b) < 0)
        goto fail;
    for (uint32_t i = p->first; i < p->first + p->n; i++) {
        struct entry *e = feed_add_entry(doc);
        if (!e || fill_entry(g, i, e, b) < 0)
            goto fail;
    }
    return doc;
fail:
    feed_free(doc);
    return NULL;
}

/* ---- measuring ---------------------------------------------------------- */

static int64_t now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

    return (x > y) - (x < y);
}

/* The q-quantile (0..1) of n sorted values, nearest rank. */
static int64_t quantile(const int64_t *v, size_t n, double q)
{
    size_t k = (size_t)(q * (double)(n - 1) + 0.5);

    return v[k < n ? k : n - 1];
}

struct run {
    const struct opts *o;
    const struct gen *g;
    struct store *s;
    int64_t *feed_ids; /* database id of feed i */
    size_t next_cp;
};

/* Entries of the generated stream whose date is in [from, to]. */
static size_t entries_between(const struct gen *g, size_t upto, int64_t from, int64_t to)
{
    size_t k = 0;

    for (size_t i = 0; i < upto; i++)
        k += g->recs[i].published >= from && g->recs[i].published <= to;
    return k;
}

/* The probes: even ones paraphrase a story of the last STORY_BACK, odd ones
 * are new. */
static int make_probes(struct run *run, const struct poll *last, struct feed *doc,
                       int64_t *ret_feeds, struct buf *b)
{
    const struct gen *g = run->g;
    struct rng r = rng_seeded(g->seed, 1000 + run->next_cp);
    const struct poll *from = last;
    uint32_t hi = last->first + last->n, lo;

    while (from > g->polls && from[-1].t >= last->t - STORY_BACK)
        from--;
    lo = from->first;
    for (size_t j = 0; j < run->o->probes; j++) {
        struct entry *e = feed_add_entry(doc);
        uint32_t feed = rng_below(&r, g->n_feeds);
        struct words w;
        int rc;

        if (!e)
            return -ENOMEM;
        if (j % 2 == 0 && lo < hi) {
            uint32_t c = root_of(g, lo + rng_below(&r, hi - lo));
            words_of(g, c, &w);
            paraphrase(g, &r, &w);
            if (feed == g->recs[c].feed)
                feed = (feed + 1) % g->n_feeds;
        } else {
            fresh_words(g, &r, &w);
        }
        put_words(g, w.title, w.n_title, b);
        rc = set_from(&e->title, b);
        buf_puts(b, "<p>");
        put_words(g, w.summary, w.n_summary, b);
        buf_puts(b, ".</p>");
        if (rc == 0)
            rc = set_from(&e->summary, b);
        buf_printf(b, "https://probe.example/p/%zu-%zu", run->next_cp, j);
        if (rc == 0)
            rc = set_from(&e->link, b);
        if (rc < 0)
            return rc;
        e->published = last->t - (int64_t)rng_below(&r, (uint32_t)HOUR);
        ret_feeds[j] = run->feed_ids[feed];
    }
    return 0;
}

static void print_times(const char *what, int64_t *ns, size_t n)
{
    int64_t sum = 0;

    for (size_t i = 0; i < n; i++)
        sum += ns[i];
    qsort(ns, n, sizeof(*ns), cmp_i64);
    printf(" %s_median_us=%.3f %s_p90_us=%.3f %s_mean_us=%.3f", what,
           (double)quantile(ns, n, 0.5) / 1e3, what, (double)quantile(ns, n, 0.9) / 1e3, what,
           (double)sum / (double)n / 1e3);
}

static int checkpoint(struct run *run, const struct poll *last, size_t ingested)
{
    const struct opts *o = run->o;
    struct dedup_opts prep = store_get_dedup(run->s)->prepare;
    struct feed *doc = feed_new();
    int64_t *look = calloc(o->probes, sizeof(*look));
    int64_t *prepare = calloc(o->probes, sizeof(*prepare));
    int64_t *feeds = calloc(o->probes, sizeof(*feeds));
    size_t hits[2] = {0, 0};
    int64_t rows = 0;
    struct buf b;
    int r = -ENOMEM;

    buf_init(&b, TEXT_MAX);
    if (!doc || !look || !prepare || !feeds)
        goto out;
    r = make_probes(run, last, doc, feeds, &b);
    prep.fingerprint = true;
    for (size_t j = 0; r == 0 && j < o->probes; j++) {
        int64_t t0 = now_ns();
        r = dedup_prepare_entry(&doc->entries[j], &prep);
        prepare[j] = now_ns() - t0;
    }
    for (size_t j = 0; r == 0 && j < o->probes; j++) {
        int64_t entry, story, t0 = now_ns();
        double similarity;

        r = store_story_lookup(run->s, &doc->entries[j], feeds[j], last->t, &entry, &story,
                               &similarity);
        look[j] = now_ns() - t0;
        if (r > 0)
            hits[j % 2]++;
        r = r < 0 ? r : 0;
    }
    if (r == 0)
        r = store_count_entries(run->s, &rows);
    if (r < 0)
        goto out;
    printf("LOOKUP at=%zu ingested=%zu rows=%" PRId64 " horizon=%zu probes=%zu",
           o->checkpoints[run->next_cp], ingested, rows,
           entries_between(run->g, ingested, last->t - 2 * WINDOW, last->t), o->probes);
    print_times("lookup", look, o->probes);
    print_times("prepare", prepare, o->probes);
    printf(" dup_hits=%zu other_hits=%zu per_kind=%zu\n", hits[0], hits[1], (o->probes + 1) / 2);
    fflush(stdout);
out:
    buf_release(&b);
    feed_free(doc);
    free(look);
    free(prepare);
    free(feeds);
    return r;
}

static long file_kb(const char *path)
{
    struct stat st;

    return stat(path, &st) == 0 ? (long)(st.st_size / 1024) : 0;
}

static void remove_db(const char *path)
{
    static const char *const suffixes[] = {"", "-wal", "-shm", "-journal"};
    char p[DB_PATH_MAX + 16];

    for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
        snprintf(p, sizeof(p), "%s%s", path, suffixes[i]);
        unlink(p);
    }
}

static int register_feeds(struct run *run)
{
    char name[64], url[128];

    for (uint32_t i = 0; i < run->g->n_feeds; i++) {
        struct store_feed_state *st;
        int r;

        snprintf(name, sizeof(name), "feed%05" PRIu32, i);
        snprintf(url, sizeof(url), "https://site%" PRIu32 ".example/feed.xml", i);
        r = store_feed_register(run->s, name, url, &st);
        if (r < 0)
            return r;
        run->feed_ids[i] = st->id;
        store_feed_state_free(st);
    }
    return 0;
}

struct totals {
    int64_t ingest_ns, wall_ns;
    size_t added, merged, updated, unchanged, churned, switches;
};

static int ingest_all(struct run *run, enum dedup_level level, struct totals *t)
{
    const struct gen *g = run->g;
    size_t ingested = 0;
    struct buf b;
    int r = 0;

    buf_init(&b, TEXT_MAX);
    for (size_t k = 0; k < g->n_polls && r == 0; k++) {
        const struct poll *p = &g->polls[k];
        struct store_poll poll = {.status = 200, .polled_at = p->t, .next_poll = p->t + HOUR};
        struct store_ingest_stats st;
        struct feed *doc = build_doc(g, p, &b);
        int64_t t0;

        if (!doc) {
            r = -ENOMEM;
            break;
        }
        t0 = now_ns();
        r = store_ingest(run->s, run->feed_ids[p->feed], doc, &poll, &st);
        t->ingest_ns += now_ns() - t0;
        feed_free(doc);
        if (r < 0) {
            fprintf(stderr, "bench_dedup: store_ingest: %s\n", store_errmsg(run->s));
            break;
        }
        t->added += st.added;
        t->merged += st.merged;
        t->updated += st.updated;
        t->unchanged += st.unchanged;
        t->churned += st.churned;
        t->switches += st.identity_switch != NULL;
        ingested += p->n;
        if (level == DEDUP_STORY && run->next_cp < run->o->n_checkpoints &&
            ingested >= run->o->checkpoints[run->next_cp]) {
            r = checkpoint(run, p, ingested);
            run->next_cp++;
        }
    }
    buf_release(&b);
    return r;
}

/* Stores the whole stream at one level; its ingest time in *ret_seconds. */
static int run_level(const struct opts *o, const struct gen *g, const char *dir,
                     enum dedup_level level, double *ret_seconds)
{
    struct store_dedup d;
    struct run run = {.o = o, .g = g};
    struct totals t = {0};
    char path[DB_PATH_MAX], wal[DB_PATH_MAX + 8], err[256];
    int64_t rows = 0, t0 = now_ns();
    long db_kb;
    int r;

    snprintf(path, sizeof(path), "%s/%s.db", dir, dedup_level_name(level));
    remove_db(path);
    run.feed_ids = calloc(g->n_feeds, sizeof(*run.feed_ids));
    if (!run.feed_ids)
        return -ENOMEM;
    r = store_open(path, &run.s, err, sizeof(err));
    if (r < 0) {
        fprintf(stderr, "bench_dedup: %s: %s\n", path, err);
        free(run.feed_ids);
        return r;
    }
    /* The store's defaults (the story threshold among them) but for these. */
    d = *store_get_dedup(run.s);
    d.level = level;
    d.prepare.canon.fold_scheme = true;
    d.prepare.canon.fold_slash = true;
    d.window = WINDOW;
    store_set_dedup(run.s, &d);
    r = register_feeds(&run);
    if (r == 0)
        r = ingest_all(&run, level, &t);
    if (r == 0)
        r = store_count_entries(run.s, &rows);
    if (r < 0)
        fprintf(stderr, "bench_dedup: level %s: %s (%s)\n", dedup_level_name(level), strerror(-r),
                store_errmsg(run.s));
    store_close(run.s);
    t.wall_ns = now_ns() - t0;
    db_kb = file_kb(path);
    snprintf(wal, sizeof(wal), "%s-wal", path);
    db_kb += file_kb(wal);
    if (!o->keep)
        remove_db(path);
    if (r == 0)
        printf("LEVEL level=%s entries=%zu polls=%zu ingest_s=%.3f entries_per_s=%.1f "
               "wall_s=%.3f added=%zu merged=%zu updated=%zu unchanged=%zu churned=%zu "
               "identity_switches=%zu rows=%" PRId64 " db_mb=%.1f\n",
               dedup_level_name(level), g->n, g->n_polls, (double)t.ingest_ns / 1e9,
               (double)g->n / ((double)t.ingest_ns / 1e9), (double)t.wall_ns / 1e9, t.added,
               t.merged, t.updated, t.unchanged, t.churned, t.switches, rows, (double)db_kb / 1024);
    fflush(stdout);
    free(run.feed_ids);
    if (r == 0)
        *ret_seconds = (double)t.ingest_ns / 1e9;
    return r;
}

/* ---- main --------------------------------------------------------------- */

static void usage(void)
{
    fprintf(
        stderr,
        "usage: bench_dedup [-n entries] [-f feeds] [-V words] [-d days] [-s seed] [-K probes]\n"
        "                   [-L none,story] [-t tmpdir] [-k]\n");
    exit(2);
}

static unsigned long long number(const char *s, unsigned long long min, unsigned long long max)
{
    unsigned long long v;

    if (bench_number(s, min, max, &v) < 0)
        usage();
    return v;
}

/* "none,story", "story,none", "story"... at most two levels. */
static void parse_levels(struct opts *o, const char *s)
{
    char word[16];

    o->n_levels = 0;
    while (*s) {
        size_t n = strcspn(s, ",");

        if (n == 0 || n >= sizeof(word) || o->n_levels == 2)
            usage();
        memcpy(word, s, n);
        word[n] = '\0';
        if (dedup_level_parse(word, &o->levels[o->n_levels++]) < 0)
            usage();
        s += s[n] ? n + 1 : n;
    }
    if (o->n_levels == 0)
        usage();
}

static void parse_args(struct opts *o, int argc, char **argv)
{
    static const size_t cps[] = {10000, 100000, 1000000};
    int c;

    *o = (struct opts){.n = 1000000,
                       .n_feeds = 2000,
                       .n_vocab = VOCAB,
                       .days = 60,
                       .seed = 1,
                       .probes = 2000,
                       .levels = {DEDUP_NONE, DEDUP_STORY},
                       .n_levels = 2};
    o->tmp = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    while ((c = getopt(argc, argv, "n:f:V:d:s:K:L:t:k")) != -1) {
        switch (c) {
        case 'n':
            o->n = number(optarg, 1000, 50000000);
            break;
        case 'f':
            o->n_feeds = (uint32_t)number(optarg, 2, 1000000);
            break;
        case 'V':
            o->n_vocab = (uint32_t)number(optarg, 100, VOCAB_MAX);
            break;
        case 'd':
            o->days = (int)number(optarg, 1, 3650);
            break;
        case 's':
            o->seed = number(optarg, 0, UINT64_MAX);
            break;
        case 'K':
            o->probes = number(optarg, 2, 1000000);
            break;
        case 'L':
            parse_levels(o, optarg);
            break;
        case 't':
            o->tmp = optarg;
            break;
        case 'k':
            o->keep = true;
            break;
        default:
            usage();
        }
    }
    if (optind != argc)
        usage();
    for (size_t i = 0; i < sizeof(cps) / sizeof(cps[0]); i++) {
        if (cps[i] <= o->n)
            o->checkpoints[o->n_checkpoints++] = cps[i];
    }
}

static void print_gen(const struct opts *o, const struct gen *g, double seconds)
{
    printf("GEN entries=%zu feeds=%" PRIu32 " vocab=%" PRIu32 " polls=%zu days=%d seed=%" PRIu64
           " gen_s=%.3f",
           g->n, g->n_feeds, g->n_vocab, g->n_polls, o->days, o->seed, seconds);
    for (int k = 0; k < K_COUNT; k++)
        printf(" %s=%zu %s_pct=%.2f", kind_names[k], g->count[k], kind_names[k],
               100.0 * (double)g->count[k] / (double)g->n);
    printf(" link_utm=%zu link_http=%zu window_pct=%.2f\n", g->variants[V_UTM], g->variants[V_HTTP],
           100.0 * (double)WINDOW / ((double)o->days * 86400.0));
    fflush(stdout);
}

int main(int argc, char **argv)
{
    struct opts o;
    struct gen g;
    char dir[DIR_MAX];
    double seconds[DEDUP_STORY + 1] = {0};
    int64_t t0;
    int r;

    parse_args(&o, argc, argv);
    if ((size_t)snprintf(dir, sizeof(dir), "%s/herald-bench-dedup.XXXXXX", o.tmp) >= sizeof(dir))
        usage();
    t0 = now_ns();
    r = gen_init(&g, &o);
    if (r < 0) {
        fprintf(stderr, "bench_dedup: generating: %s\n", strerror(-r));
        gen_release(&g);
        return 1;
    }
    print_gen(&o, &g, (double)(now_ns() - t0) / 1e9);
    if (!mkdtemp(dir)) {
        fprintf(stderr, "bench_dedup: mkdtemp %s: %s\n", dir, strerror(errno));
        gen_release(&g);
        return 1;
    }
    printf("DB dir=%s\n", dir);
    for (size_t i = 0; i < o.n_levels && r == 0; i++)
        r = run_level(&o, &g, dir, o.levels[i], &seconds[o.levels[i]]);
    if (!o.keep)
        rmdir(dir);
    if (r == 0 && seconds[DEDUP_NONE] > 0 && seconds[DEDUP_STORY] > 0)
        printf("RATIO story_over_none=%.4f\n", seconds[DEDUP_STORY] / seconds[DEDUP_NONE]);
    printf("RSS peak_mb=%.1f\n", (double)bench_maxrss_kb() / 1024);
    gen_release(&g);
    return r < 0 ? 1 : 0;
}
