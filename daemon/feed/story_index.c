/* story_index: see story_index.h.
 *
 * Records live in one array; their fingerprints are packed into two
 * shared arrays (term hashes, and counts only for the records that have a
 * term more than once), so a record costs its terms plus 56 bytes rather
 * than a full struct story_fp. Each term has a slot in an open-addressing
 * table: its document frequency and a ring of the STORY_INDEX_SCAN newest
 * records that have it, contiguous so that a lookup reads it in one go
 * (the two entries of a rare term's ring sit in the slot itself).
 * Comparing a candidate costs its norm (a probe per term) and one merge of
 * two sorted term lists. Pruning compacts the records and rebuilds the
 * table: O(n), run rarely (when the horizon has moved).
 */
#include "feed/story_index.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define INLINE_RING 2 /* ring entries kept in the slot itself */

_Static_assert(STORY_INDEX_SCAN <= UINT8_MAX, "a ring's length fits in a byte");

struct slot {
    uint32_t term;
    uint32_t df;            /* records with the term */
    float ldf;              /* ln(df + 0.5), kept with df: lookups take no logarithm */
    uint8_t cap, len, next; /* of the ring */
    bool used;
    union {
        uint32_t *heap;                /* cap > INLINE_RING */
        uint32_t inline_[INLINE_RING]; /* cap <= INLINE_RING */
    } ring;                            /* the newest records with it, oldest overwritten */
};

#define NO_TF UINT32_MAX

struct rec {
    int64_t entry;
    int64_t story;
    uint32_t off;    /* its first term in x->terms */
    uint32_t tf_off; /* its first count in x->tfs; NO_TF: every count is 1 */
    float norm;      /* its vector's norm, computed at ... */
    float norm_logn; /* ... this log_n(); again when N moved by 2 % or more */
    uint16_t n;      /* terms */
};

/* What a walk over a term's list looks at, apart from the records. */
struct meta {
    int64_t t;
    int64_t feed;
};

/* A fingerprint as the index sees it: packed or a caller's story_fp. */
struct fpv {
    const uint32_t *term;
    const uint8_t *tf; /* NULL: every count is 1 */
    unsigned n;
};

struct story_index {
    struct rec *recs;
    struct meta *meta; /* parallel to recs */
    size_t n_recs, cap_recs, cap_meta;
    uint32_t *terms; /* every record's terms, packed */
    size_t n_terms, cap_terms;
    uint8_t *tfs; /* the counts of the records that need them */
    size_t n_tfs, cap_tfs;
    struct slot *table;
    size_t cap_table; /* a power of two */
    size_t used;      /* slots in use */
    size_t ring_heap; /* ring entries allocated outside the slots */
};

struct story_index *story_index_new(void)
{
    return calloc(1, sizeof(struct story_index));
}

static uint32_t *ring_of(struct slot *sl)
{
    return sl->cap > INLINE_RING ? sl->ring.heap : sl->ring.inline_;
}

static const uint32_t *ring_of_c(const struct slot *sl)
{
    return sl->cap > INLINE_RING ? sl->ring.heap : sl->ring.inline_;
}

static void table_free(struct slot *t, size_t cap)
{
    for (size_t i = 0; i < cap; i++)
        if (t[i].used && t[i].cap > INLINE_RING)
            free(t[i].ring.heap);
    free(t);
}

void story_index_free(struct story_index *x)
{
    if (!x)
        return;
    free(x->recs);
    free(x->meta);
    free(x->terms);
    free(x->tfs);
    table_free(x->table, x->cap_table);
    free(x);
}

size_t story_index_size(const struct story_index *x)
{
    return x->n_recs;
}

size_t story_index_bytes(const struct story_index *x)
{
    return sizeof(*x) + x->cap_recs * sizeof(*x->recs) + x->cap_meta * sizeof(*x->meta) +
           x->cap_terms * sizeof(*x->terms) + x->cap_tfs + x->cap_table * sizeof(*x->table) +
           x->ring_heap * sizeof(uint32_t);
}

static struct fpv view_rec(const struct story_index *x, const struct rec *r)
{
    return (struct fpv){
        .term = x->terms + r->off,
        .tf = r->tf_off == NO_TF ? NULL : x->tfs + r->tf_off,
        .n = r->n,
    };
}

static struct fpv view_fp(const struct story_fp *fp)
{
    return (struct fpv){.term = fp->term, .tf = fp->tf, .n = fp->n_terms};
}

static uint8_t tf_at(const struct fpv *v, unsigned i)
{
    return v->tf ? v->tf[i] : 1;
}

static struct slot *find(const struct slot *table, size_t cap, uint32_t term)
{
    size_t mask = cap - 1;

    for (size_t i = (term * 0x9e3779b1u) & mask;; i = (i + 1) & mask) {
        const struct slot *sl = &table[i];
        if (!sl->used || sl->term == term)
            return (struct slot *)sl;
    }
}

static const struct slot *lookup(const struct story_index *x, uint32_t term)
{
    const struct slot *sl;

    if (!x->cap_table)
        return NULL;
    sl = find(x->table, x->cap_table, term);
    return sl->used ? sl : NULL;
}

static int grow_table(struct story_index *x)
{
    size_t cap = x->cap_table ? x->cap_table * 2 : 4096;
    struct slot *t = calloc(cap, sizeof(*t));

    if (!t)
        return -ENOMEM;
    for (size_t i = 0; i < x->cap_table; i++)
        if (x->table[i].used)
            *find(t, cap, x->table[i].term) = x->table[i]; /* inline rings move too */
    free(x->table);                                        /* the heap rings moved to t */
    x->table = t;
    x->cap_table = cap;
    return 0;
}

static int reserve(void **arr, size_t *cap, size_t need, size_t size)
{
    size_t n = *cap ? *cap : 256;
    void *p;

    if (need <= *cap)
        return 0;
    while (n < need)
        n *= 2;
    p = realloc(*arr, n * size);
    if (!p)
        return -ENOMEM;
    *arr = p;
    *cap = n;
    return 0;
}

/* Gives back what a shrunken array no longer needs (after a prune). */
static void trim(void **arr, size_t *cap, size_t n, size_t size)
{
    size_t want = n < 256 ? 256 : n + n / 4;
    void *p;

    if (*cap <= 2 * want)
        return;
    p = realloc(*arr, want * size);
    if (p) {
        *arr = p;
        *cap = want;
    }
}

/* 1 + ln(tf) for tf 1 ... 255 (index 0 unused). */
static double tf_weight(uint8_t tf)
{
    static double table[256];

    if (table[1] == 0) /* the index is used from one thread */
        for (int i = 1; i < 256; i++)
            table[i] = 1 + log(i);
    return table[tf ? tf : 1];
}

/* ln(N + 1) of the index now: idf = logn - ln(df + 0.5), at least 0. */
static double log_n(const struct story_index *x)
{
    return log((double)x->n_recs + 1);
}

static double idf_of(double logn, const struct slot *sl)
{
    double v = logn - (sl ? sl->ldf : -0.6931471805599453 /* ln 0.5 */);

    return v > 0 ? v : 0;
}

static double weight(const struct story_index *x, double logn, const struct fpv *fp, unsigned i)
{
    return tf_weight(tf_at(fp, i)) * idf_of(logn, lookup(x, fp->term[i]));
}

static double norm_of(const struct story_index *x, double logn, const struct fpv *fp)
{
    double n = 0;

    for (unsigned i = 0; i < fp->n; i++) {
        double w = weight(x, logn, fp, i);
        n += w * w;
    }
    return sqrt(n);
}

/* Files record r under its terms. Returns 0 or -ENOMEM (r is then in the
 * rings of some of its terms only: harmless, a lookup may miss it). */
static int post(struct story_index *x, uint32_t r)
{
    const uint32_t *term = x->terms + x->recs[r].off;
    unsigned n = x->recs[r].n;

    for (unsigned i = 0; i < n; i++) {
        struct slot *sl = find(x->table, x->cap_table, term[i]);
        uint32_t *ring;

        if (!sl->used) {
            *sl = (struct slot){.term = term[i], .cap = INLINE_RING, .used = true};
            x->used++;
        }
        if (sl->len == sl->cap && sl->cap < STORY_INDEX_SCAN) {
            /* Not yet wrapped: the entries are in order, next is 0. */
            unsigned cap = sl->cap * 2u;
            uint32_t *heap;

            if (cap > STORY_INDEX_SCAN)
                cap = STORY_INDEX_SCAN;
            if (sl->cap > INLINE_RING) {
                heap = realloc(sl->ring.heap, cap * sizeof(*heap));
                if (!heap)
                    return -ENOMEM;
            } else {
                heap = malloc(cap * sizeof(*heap));
                if (!heap)
                    return -ENOMEM;
                memcpy(heap, sl->ring.inline_, sizeof(sl->ring.inline_));
            }
            sl->ring.heap = heap;
            x->ring_heap += cap - (sl->cap > INLINE_RING ? sl->cap : 0);
            sl->cap = (uint8_t)cap;
        }
        ring = ring_of(sl);
        sl->df++;
        sl->ldf = (float)log(sl->df + 0.5);
        if (sl->len < sl->cap) {
            ring[sl->len++] = r;
            sl->next = (uint8_t)(sl->len % sl->cap);
        } else {
            ring[sl->next] = r; /* full: the oldest goes */
            sl->next = (uint8_t)((sl->next + 1) % sl->cap);
        }
    }
    return 0;
}

int story_index_add(struct story_index *x, const struct story_rec *rec)
{
    const struct story_fp *fp = &rec->fp;
    unsigned n = fp->n_terms;
    bool counts = false;

    if (!n)
        return 0;
    if (n > STORY_MAX_TERMS)
        return -EINVAL;
    for (unsigned i = 0; i < n && !counts; i++)
        counts = fp->tf[i] > 1;
    if (x->n_recs >= UINT32_MAX - 1 || x->n_terms + n >= UINT32_MAX || x->n_tfs + n >= UINT32_MAX ||
        reserve((void **)&x->recs, &x->cap_recs, x->n_recs + 1, sizeof(*x->recs)) < 0 ||
        reserve((void **)&x->meta, &x->cap_meta, x->n_recs + 1, sizeof(*x->meta)) < 0 ||
        reserve((void **)&x->terms, &x->cap_terms, x->n_terms + n, sizeof(*x->terms)) < 0 ||
        (counts && reserve((void **)&x->tfs, &x->cap_tfs, x->n_tfs + n, 1) < 0))
        return -ENOMEM;
    /* At most half full, counting the terms this record may add: most
     * lookups are of terms the table lacks, and linear probing's misses
     * grow fast past that (2.5 probes at half, 6 at 70 %). */
    while ((x->used + n) * 2 > x->cap_table)
        if (grow_table(x) < 0)
            return -ENOMEM;
    x->recs[x->n_recs] = (struct rec){
        .entry = rec->entry,
        .story = rec->story,
        .off = (uint32_t)x->n_terms,
        .tf_off = counts ? (uint32_t)x->n_tfs : NO_TF,
        .n = (uint16_t)n,
    };
    memcpy(x->terms + x->n_terms, fp->term, n * sizeof(*fp->term));
    x->n_terms += n;
    if (counts) {
        memcpy(x->tfs + x->n_tfs, fp->tf, n);
        x->n_tfs += n;
    }
    x->meta[x->n_recs] = (struct meta){rec->t, rec->feed};
    return post(x, (uint32_t)x->n_recs++);
}

/* The dot product of a (weights wa) and b: a merge of sorted terms, with
 * the document frequencies of now. */
static double dot(const struct story_index *x, double logn, const struct fpv *a, const double *wa,
                  const struct fpv *b)
{
    double d = 0;
    unsigned i = 0, j = 0;

    while (i < a->n && j < b->n) {
        if (a->term[i] < b->term[j]) {
            i++;
        } else if (a->term[i] > b->term[j]) {
            j++;
        } else {
            d += wa[i] * tf_weight(tf_at(b, j)) * idf_of(logn, lookup(x, b->term[j]));
            i++;
            j++;
        }
    }
    return d;
}

/* Cosine of a (weights wa, norm na) and record b, with b's cached norm,
 * refreshed when the number of entries held moved enough to shift every
 * idf. */
static double cosine_rec(const struct story_index *x, double logn, const struct fpv *a,
                         const double *wa, double na, struct rec *b)
{
    struct fpv vb = view_rec(x, b);

    if (b->norm_logn == 0 || fabs(logn - b->norm_logn) > 0.02) {
        b->norm = (float)norm_of(x, logn, &vb);
        b->norm_logn = (float)logn;
    }
    if (na == 0 || b->norm == 0)
        return 0;
    return dot(x, logn, a, wa, &vb) / (na * b->norm);
}

double story_index_similarity(const struct story_index *x, const struct story_fp *a,
                              const struct story_fp *b)
{
    double wa[STORY_MAX_TERMS], na = 0, logn = log_n(x);
    struct fpv va = view_fp(a), vb = view_fp(b);

    for (unsigned i = 0; i < va.n; i++) {
        wa[i] = weight(x, logn, &va, i);
        na += wa[i] * wa[i];
    }
    double nb = norm_of(x, logn, &vb);

    na = sqrt(na);
    return na == 0 || nb == 0 ? 0 : dot(x, logn, &va, wa, &vb) / (na * nb);
}

/* A term of the probe, to walk rarest first. */
struct probe {
    const struct slot *slot;
};

static int cmp_probe(const void *a, const void *b)
{
    uint32_t p = ((const struct probe *)a)->slot->df, q = ((const struct probe *)b)->slot->df;

    return p < q ? -1 : p > q;
}

/* Candidates and how many of the probe's terms they share. */
#define CAND_CAP 2048 /* a power of two, above STORY_INDEX_BUDGET */

struct cand {
    uint32_t rec; /* + 1; 0: empty */
    uint32_t hits;
};

int story_index_match(const struct story_index *x, const struct story_fp *fp, int64_t feed,
                      int64_t t, int64_t window, double min_similarity, struct story_rec *ret,
                      double *ret_similarity)
{
    double wa[STORY_MAX_TERMS], na = 0, best_sim = 0, logn;
    struct probe probe[STORY_MAX_TERMS];
    struct cand cand[CAND_CAP];
    uint32_t list[CAND_CAP];
    struct fpv va = view_fp(fp);
    const struct rec *best = NULL;
    size_t n_probe = 0, n_list = 0, walked = 0, useful = 0;
    uint32_t most = 0;

    if (!fp->n_terms || !x->n_recs)
        return 0;
    logn = log_n(x);
    for (unsigned i = 0; i < va.n; i++) {
        const struct slot *sl = lookup(x, va.term[i]);

        wa[i] = tf_weight(tf_at(&va, i)) * idf_of(logn, sl);
        na += wa[i] * wa[i];
        if (sl)
            probe[n_probe++].slot = sl;
    }
    na = sqrt(na);
    memset(cand, 0, sizeof(cand));
    /* The rarest terms first, each ring newest first: records of other
     * feeds within the window are counted per shared term, until
     * STORY_INDEX_PROBES terms gave some or the budget is spent. A term
     * that only the probing feed's own entries have is passed over. */
    qsort(probe, n_probe, sizeof(probe[0]), cmp_probe);
    for (size_t p = 0; p < n_probe && useful < STORY_INDEX_PROBES; p++) {
        const struct slot *sl = probe[p].slot;
        const uint32_t *ring = ring_of_c(sl);
        bool gave = false;

        for (unsigned k = 0; k < sl->len && walked < STORY_INDEX_BUDGET; k++, walked++) {
            uint32_t r = ring[(sl->next + sl->cap - 1 - k) % sl->cap];
            const struct meta *m = &x->meta[r];
            int64_t dt = m->t > t ? m->t - t : t - m->t;
            size_t h;

            if (m->feed == feed || dt > window)
                continue;
            gave = true;
            for (h = (r * 0x9e3779b1u) & (CAND_CAP - 1); cand[h].rec && cand[h].rec != r + 1;
                 h = (h + 1) & (CAND_CAP - 1))
                ;
            if (!cand[h].rec) {
                cand[h].rec = r + 1;
                list[n_list++] = (uint32_t)h;
            }
            if (++cand[h].hits > most)
                most = cand[h].hits;
        }
        useful += gave;
        if (walked >= STORY_INDEX_BUDGET)
            break;
    }
    /* Compare the STORY_INDEX_COMPARE candidates that share the most
     * probed terms (at least two when some do: one shared rare word is a
     * weak sign). */
    uint32_t floor = most >= 2 ? 2 : 1, compared = 0;
    for (uint32_t hits = most; hits >= floor && compared < STORY_INDEX_COMPARE; hits--) {
        for (size_t c = 0; c < n_list && compared < STORY_INDEX_COMPARE; c++) {
            const struct cand *cd = &cand[list[c]];
            const struct rec *r = &x->recs[cd->rec - 1];
            double sim;

            if (cd->hits != hits)
                continue;
            compared++;
            sim = cosine_rec(x, logn, &va, wa, na, (struct rec *)r);
            if (sim >= min_similarity &&
                (sim > best_sim || (sim == best_sim && best && r->entry < best->entry))) {
                best = r;
                best_sim = sim;
            }
        }
    }
    if (!best)
        return 0;

    size_t i = (size_t)(best - x->recs);
    struct fpv vb = view_rec(x, best);

    *ret = (struct story_rec){
        .entry = best->entry,
        .story = best->story,
        .feed = x->meta[i].feed,
        .t = x->meta[i].t,
        .fp.n_terms = (uint16_t)vb.n,
    };
    memcpy(ret->fp.term, vb.term, vb.n * sizeof(*vb.term));
    for (unsigned k = 0; k < vb.n; k++)
        ret->fp.tf[k] = tf_at(&vb, k);
    *ret_similarity = best_sim;
    return 1;
}

int story_index_prune(struct story_index *x, int64_t before)
{
    size_t keep = 0, n_terms = 0, n_tfs = 0;
    struct slot *old = x->table;
    size_t old_cap = x->cap_table;

    for (size_t i = 0; i < x->n_recs; i++)
        keep += x->meta[i].t >= before;
    if (keep == x->n_recs)
        return 0;
    x->table = old_cap ? calloc(old_cap, sizeof(*x->table)) : NULL;
    if (old_cap && !x->table) {
        x->table = old;
        return -ENOMEM;
    }
    /* Compact in order: every destination is at or before its source. */
    keep = 0;
    for (size_t i = 0; i < x->n_recs; i++) {
        struct rec r = x->recs[i];

        if (x->meta[i].t < before)
            continue;
        memmove(x->terms + n_terms, x->terms + r.off, r.n * sizeof(*x->terms));
        r.off = (uint32_t)n_terms;
        n_terms += r.n;
        if (r.tf_off != NO_TF) {
            memmove(x->tfs + n_tfs, x->tfs + r.tf_off, r.n);
            r.tf_off = (uint32_t)n_tfs;
            n_tfs += r.n;
        }
        x->meta[keep] = x->meta[i];
        x->recs[keep++] = r;
    }
    x->n_recs = keep;
    x->n_terms = n_terms;
    x->n_tfs = n_tfs;
    x->used = 0;
    x->ring_heap = 0;
    table_free(old, old_cap);
    trim((void **)&x->recs, &x->cap_recs, keep, sizeof(*x->recs));
    trim((void **)&x->meta, &x->cap_meta, keep, sizeof(*x->meta));
    trim((void **)&x->terms, &x->cap_terms, n_terms, sizeof(*x->terms));
    trim((void **)&x->tfs, &x->cap_tfs, n_tfs, 1);
    for (size_t i = 0; i < x->n_recs; i++)
        if (post(x, (uint32_t)i) < 0)
            return -ENOMEM;
    return 0;
}
