/* story_index: see story_index.h.
 *
 * Records live in one array; postings (one per term of a record) in
 * another, chained newest first from an open-addressing table keyed by
 * term, which also counts each term's records (its document frequency).
 * Pruning compacts the records and rebuilds the postings and the table:
 * O(n), run rarely (the store prunes when the horizon has moved).
 */
#include "feed/story_index.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define NIL UINT32_MAX

struct posting {
    uint32_t rec;
    uint32_t next;
};

struct slot {
    uint32_t term; /* with used: 0 is a valid term */
    uint32_t head;
    uint32_t df;
    bool used;
};

struct story_index {
    struct story_rec *recs;
    size_t n_recs, cap_recs;
    struct posting *posts;
    size_t n_posts, cap_posts;
    struct slot *table;
    size_t cap_table; /* a power of two */
    size_t used;      /* slots in use */
};

struct story_index *story_index_new(void)
{
    return calloc(1, sizeof(struct story_index));
}

void story_index_free(struct story_index *x)
{
    if (!x)
        return;
    free(x->recs);
    free(x->posts);
    free(x->table);
    free(x);
}

size_t story_index_size(const struct story_index *x)
{
    return x->n_recs;
}

static struct slot *find(const struct story_index *x, uint32_t term)
{
    size_t mask = x->cap_table - 1;

    for (size_t i = (term * 0x9e3779b1u) & mask;; i = (i + 1) & mask) {
        struct slot *sl = &x->table[i];
        if (!sl->used || sl->term == term)
            return sl;
    }
}

static const struct slot *lookup(const struct story_index *x, uint32_t term)
{
    const struct slot *sl;

    if (!x->cap_table)
        return NULL;
    sl = find(x, term);
    return sl->used ? sl : NULL;
}

static int grow_table(struct story_index *x)
{
    size_t cap = x->cap_table ? x->cap_table * 2 : 4096;
    struct slot *old = x->table;
    size_t old_cap = x->cap_table;
    struct slot *t = calloc(cap, sizeof(*t));

    if (!t)
        return -ENOMEM;
    x->table = t;
    x->cap_table = cap;
    for (size_t i = 0; i < old_cap; i++)
        if (old[i].used)
            *find(x, old[i].term) = old[i];
    free(old);
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

/* Posts record r under its terms; space must be reserved. */
static void post(struct story_index *x, uint32_t r)
{
    const struct story_fp *fp = &x->recs[r].fp;

    for (unsigned i = 0; i < fp->n_terms; i++) {
        struct slot *sl = find(x, fp->term[i]);
        uint32_t p = (uint32_t)x->n_posts++;

        if (!sl->used) {
            sl->used = true;
            sl->term = fp->term[i];
            sl->head = NIL;
            sl->df = 0;
            x->used++;
        }
        sl->df++;
        x->posts[p].rec = r;
        x->posts[p].next = sl->head;
        sl->head = p;
    }
}

int story_index_add(struct story_index *x, const struct story_rec *rec)
{
    if (!rec->fp.n_terms)
        return 0;
    if (x->n_recs >= NIL - 1 || x->n_posts + STORY_MAX_TERMS >= NIL)
        return -ENOMEM;
    if (reserve((void **)&x->recs, &x->cap_recs, x->n_recs + 1, sizeof(*x->recs)) < 0 ||
        reserve((void **)&x->posts, &x->cap_posts, x->n_posts + rec->fp.n_terms,
                sizeof(*x->posts)) < 0)
        return -ENOMEM;
    /* At most half full, counting the terms this record may add. */
    while ((x->used + rec->fp.n_terms) * 2 > x->cap_table)
        if (grow_table(x) < 0)
            return -ENOMEM;
    x->recs[x->n_recs] = *rec;
    post(x, (uint32_t)x->n_recs++);
    return 0;
}

static double idf(const struct story_index *x, uint32_t term)
{
    const struct slot *sl = lookup(x, term);
    double df = sl ? sl->df : 0;

    return log(((double)x->n_recs + 1) / (df + 0.5));
}

/* The weights of fp's terms, and the vector's norm. */
static double weigh(const struct story_index *x, const struct story_fp *fp,
                    double w[STORY_MAX_TERMS])
{
    double norm = 0;

    for (unsigned i = 0; i < fp->n_terms; i++) {
        double v = idf(x, fp->term[i]);
        w[i] = (1 + log(fp->tf[i])) * (v > 0 ? v : 0);
        norm += w[i] * w[i];
    }
    return sqrt(norm);
}

/* Cosine of a (weights wa, norm na) and b: a merge of sorted terms. */
static double cosine(const struct story_index *x, const struct story_fp *a, const double *wa,
                     double na, const struct story_fp *b)
{
    double wb[STORY_MAX_TERMS], nb = weigh(x, b, wb), dot = 0;
    unsigned i = 0, j = 0;

    if (na == 0 || nb == 0)
        return 0;
    while (i < a->n_terms && j < b->n_terms) {
        if (a->term[i] < b->term[j]) {
            i++;
        } else if (a->term[i] > b->term[j]) {
            j++;
        } else {
            dot += wa[i++] * wb[j++];
        }
    }
    return dot / (na * nb);
}

double story_index_similarity(const struct story_index *x, const struct story_fp *a,
                              const struct story_fp *b)
{
    double wa[STORY_MAX_TERMS], na = weigh(x, a, wa);

    return cosine(x, a, wa, na, b);
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t p = *(const uint32_t *)a, q = *(const uint32_t *)b;

    return p < q ? -1 : p > q;
}

/* A term of the probe and its list, to walk rarest first. */
struct probe {
    const struct slot *slot;
};

static int cmp_probe(const void *a, const void *b)
{
    uint32_t x = ((const struct probe *)a)->slot->df, y = ((const struct probe *)b)->slot->df;

    return x < y ? -1 : x > y;
}

int story_index_match(const struct story_index *x, const struct story_fp *fp, int64_t feed,
                      int64_t t, int64_t window, double min_similarity, struct story_rec *ret,
                      double *ret_similarity)
{
    double wa[STORY_MAX_TERMS], na, best_sim = 0;
    uint32_t cand[STORY_INDEX_BUDGET];
    struct probe probe[STORY_MAX_TERMS];
    const struct story_rec *best = NULL;
    size_t n_probe = 0, n_cand = 0, walked = 0;

    if (!fp->n_terms || !x->n_recs)
        return 0;
    na = weigh(x, fp, wa);
    for (unsigned i = 0; i < fp->n_terms; i++) {
        const struct slot *sl = lookup(x, fp->term[i]);
        if (sl)
            probe[n_probe++].slot = sl;
    }
    /* Rarest terms first, each list newest first, until the budget of
     * postings is spent: rare terms cost little, so a term that only the
     * probing feed's own entries have does not hide the others. Only
     * entries of other feeds within the window become candidates. */
    qsort(probe, n_probe, sizeof(probe[0]), cmp_probe);
    for (size_t p = 0; p < n_probe && walked < STORY_INDEX_BUDGET; p++) {
        unsigned depth = 0;

        for (uint32_t q = probe[p].slot->head;
             q != NIL && depth < STORY_INDEX_SCAN && walked < STORY_INDEX_BUDGET;
             q = x->posts[q].next, depth++, walked++) {
            const struct story_rec *r = &x->recs[x->posts[q].rec];
            int64_t dt = r->t > t ? r->t - t : t - r->t;

            if (r->feed != feed && dt <= window)
                cand[n_cand++] = x->posts[q].rec;
        }
    }
    qsort(cand, n_cand, sizeof(cand[0]), cmp_u32);
    for (size_t c = 0; c < n_cand; c++) {
        const struct story_rec *r;
        double sim;

        if (c > 0 && cand[c] == cand[c - 1])
            continue;
        r = &x->recs[cand[c]];
        sim = cosine(x, fp, wa, na, &r->fp);
        if (sim >= min_similarity &&
            (sim > best_sim || (sim == best_sim && best && r->entry < best->entry))) {
            best = r;
            best_sim = sim;
        }
    }
    if (!best)
        return 0;
    *ret = *best;
    *ret_similarity = best_sim;
    return 1;
}

int story_index_prune(struct story_index *x, int64_t before)
{
    size_t keep = 0;
    struct slot *t;

    for (size_t i = 0; i < x->n_recs; i++)
        keep += x->recs[i].t >= before;
    if (keep == x->n_recs)
        return 0;
    t = x->cap_table ? calloc(x->cap_table, sizeof(*t)) : NULL;
    if (x->cap_table && !t)
        return -ENOMEM;
    keep = 0;
    for (size_t i = 0; i < x->n_recs; i++)
        if (x->recs[i].t >= before)
            x->recs[keep++] = x->recs[i];
    x->n_recs = keep;
    x->n_posts = 0;
    free(x->table);
    x->table = t;
    x->used = 0;
    for (size_t i = 0; i < x->n_recs; i++)
        post(x, (uint32_t)i);
    return 0;
}
