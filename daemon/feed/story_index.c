/* story_index: see story_index.h.
 *
 * Each term has a slot in an open-addressing table: its number (an id
 * given when the term is first seen), its document frequency and a ring
 * of the STORY_INDEX_SCAN newest records that have it, contiguous so that
 * a lookup reads it in one go (the two entries of a rare term's ring sit
 * in the slot itself). A record keeps its terms as their ids, ascending,
 * each a varint of the gap from the previous one (one or two bytes where
 * a hash took four), preceded by their counts only when one is above 1:
 * with its row ids and times a record costs 48 bytes plus about 1.5 a
 * term. Comparing a candidate merges its ids, decoded as the merge goes,
 * with the probe's, which carry their weights: no lookup per term. Pruning
 * builds a new index of the records kept, with the ids that are still
 * used renumbered in the same order: O(n), run rarely (when the horizon
 * has moved).
 */
#include "feed/story_index.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define INLINE_RING 2 /* ring entries kept in the slot itself */

_Static_assert(STORY_INDEX_SCAN <= UINT8_MAX, "a ring's length fits in a byte");
_Static_assert(STORY_MAX_TERMS <= UINT8_MAX, "a record's term count fits in a byte");

struct slot {
    uint32_t term;          /* its hash */
    uint32_t id;            /* its number in the records' codes */
    uint32_t df;            /* records with the term */
    float ldf;              /* ln(df + 0.5), kept with df: lookups take no logarithm */
    uint8_t cap, len, next; /* of the ring */
    bool used;
    union {
        uint32_t *heap;                /* cap > INLINE_RING */
        uint32_t inline_[INLINE_RING]; /* cap <= INLINE_RING */
    } ring;                            /* the newest records with it, oldest overwritten */
};

#define HAS_TF 1u /* a record's codes end with a count per term */

/* A record: its row ids (read only for a match and a prune), what a
 * comparison needs, and what a walk over a term's ring looks at. */
struct rowids {
    int64_t entry;
    int64_t story;
};

struct rec {
    uint32_t off;    /* its codes in x->codes */
    float norm;      /* its vector's norm, computed at ... */
    float norm_logn; /* ... this log_n(); again when N moved by 2 % or more */
    uint8_t n;       /* terms */
    uint8_t flags;   /* HAS_TF */
};

struct meta {
    int32_t t;     /* its time - x->t_base */
    uint32_t feed; /* its feed's row id */
};

/* A fingerprint as hashes: a caller's story_fp. */
struct fpv {
    const uint32_t *term;
    const uint8_t *tf; /* NULL: every count is 1 */
    unsigned n;
};

/* A record's terms decoded: ids ascending and their counts. */
struct ids {
    uint32_t id[STORY_MAX_TERMS];
    uint8_t tf[STORY_MAX_TERMS];
    unsigned n;
};

/* Candidates and how many of the probe's terms they share. */
#define CAND_CAP 2048 /* a power of two, above STORY_INDEX_BUDGET */

struct cand {
    uint32_t rec; /* + 1; 0: empty */
    uint32_t hits;
};

struct story_index {
    struct cand *cand; /* a match's table of candidates, CAND_CAP, empty between matches */
    struct rowids *rows;
    struct rec *recs;  /* parallel to rows */
    struct meta *meta; /* parallel to rows */
    size_t n_recs, cap_rows, cap_recs, cap_meta;
    int64_t t_base; /* the first record's time: meta's times are relative to it */
    uint8_t *codes; /* every record's term ids (and counts), packed */
    size_t n_codes, cap_codes;
    uint32_t *id_slot; /* a term's id -> its slot in the table; x->used ids */
    size_t cap_ids;
    struct slot *table;
    size_t cap_table; /* a power of two */
    size_t used;      /* slots in use, = ids given */
    size_t ring_heap; /* ring entries allocated outside the slots */
};

/* Logarithms the index takes all the time, computed once: 1 + ln(tf) for
 * tf 1 ... 255 (index 0 unused) and ln(df + 0.5) for the smaller df. */
#define LDF_TABLE 4096
static double tf_table[256];
static float ldf_table[LDF_TABLE];
static pthread_once_t tables_once = PTHREAD_ONCE_INIT;

static void make_tables(void)
{
    for (int i = 1; i < 256; i++)
        tf_table[i] = 1 + log(i);
    for (int i = 0; i < LDF_TABLE; i++)
        ldf_table[i] = (float)log(i + 0.5);
}

static float ldf_of(uint32_t df)
{
    return df < LDF_TABLE ? ldf_table[df] : (float)log(df + 0.5);
}

struct story_index *story_index_new(void)
{
    struct story_index *x = calloc(1, sizeof(*x));

    pthread_once(&tables_once, make_tables);
    if (x && !(x->cand = calloc(CAND_CAP, sizeof(*x->cand)))) {
        free(x);
        return NULL;
    }
    return x;
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

static void release(struct story_index *x)
{
    free(x->cand);
    free(x->rows);
    free(x->recs);
    free(x->meta);
    free(x->codes);
    free(x->id_slot);
    table_free(x->table, x->cap_table);
}

void story_index_free(struct story_index *x)
{
    if (!x)
        return;
    release(x);
    free(x);
}

size_t story_index_size(const struct story_index *x)
{
    return x->n_recs;
}

size_t story_index_bytes(const struct story_index *x)
{
    return sizeof(*x) + x->cap_rows * sizeof(*x->rows) + x->cap_recs * sizeof(*x->recs) +
           x->cap_meta * sizeof(*x->meta) + x->cap_codes + x->cap_ids * sizeof(*x->id_slot) +
           x->cap_table * sizeof(*x->table) + x->ring_heap * sizeof(uint32_t);
}

static struct fpv view_fp(const struct story_fp *fp)
{
    return (struct fpv){.term = fp->term, .tf = fp->tf, .n = fp->n_terms};
}

static uint8_t tf_at(const struct fpv *v, unsigned i)
{
    return v->tf ? v->tf[i] : 1;
}

/* Appends v as a varint (7 bits a byte, low first) at p; returns the end. */
static uint8_t *put_varint(uint8_t *p, uint32_t v)
{
    while (v >= 0x80) {
        *p++ = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    *p++ = (uint8_t)v;
    return p;
}

/* A record's codes: its n counts first when HAS_TF, then the varints. */
static const uint8_t *varints_of(const struct story_index *x, const struct rec *r)
{
    return x->codes + r->off + (r->flags & HAS_TF ? r->n : 0);
}

static uint32_t get_varint(const uint8_t **pp)
{
    const uint8_t *p = *pp;
    uint32_t v = *p++ & 0x7f;

    for (unsigned shift = 7; p[-1] & 0x80; shift += 7)
        v |= (uint32_t)(*p++ & 0x7f) << shift;
    *pp = p;
    return v;
}

static void decode(const struct story_index *x, const struct rec *r, struct ids *ret)
{
    const uint8_t *p = varints_of(x, r);
    uint32_t id = 0;

    ret->n = r->n;
    for (unsigned i = 0; i < r->n; i++) {
        id += get_varint(&p);
        ret->id[i] = id;
    }
    if (r->flags & HAS_TF)
        memcpy(ret->tf, x->codes + r->off, r->n);
    else
        memset(ret->tf, 1, r->n);
}

static const struct slot *slot_of(const struct story_index *x, uint32_t id)
{
    return &x->table[x->id_slot[id]];
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
        if (x->table[i].used) {
            struct slot *sl = find(t, cap, x->table[i].term);

            *sl = x->table[i]; /* inline rings move too */
            x->id_slot[sl->id] = (uint32_t)(sl - t);
        }
    free(x->table); /* the heap rings moved to t */
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

/* 1 + ln(tf) for tf 1 ... 255 (index 0 unused). */
static double tf_weight(uint8_t tf)
{
    return tf_table[tf ? tf : 1];
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

/* Files record r in the ring of sl and counts it in sl's df. Returns 0
 * or -ENOMEM (nothing changed). */
static int post(struct story_index *x, struct slot *sl, uint32_t r)
{
    uint32_t *ring;

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
    sl->ldf = ldf_of(sl->df);
    if (sl->len < sl->cap) {
        ring[sl->len++] = r;
        sl->next = (uint8_t)(sl->len % sl->cap);
    } else {
        ring[sl->next] = r; /* full: the oldest goes */
        sl->next = (uint8_t)((sl->next + 1) % sl->cap);
    }
    return 0;
}

/* Room for one more record of n terms, n_new of them not in the table.
 * Returns 0 or -ENOMEM. */
static int make_room(struct story_index *x, unsigned n, size_t n_new)
{
    if (x->n_recs >= UINT32_MAX - 1 || x->used + n_new >= UINT32_MAX ||
        x->n_codes + 6 * n >= UINT32_MAX ||
        reserve((void **)&x->rows, &x->cap_rows, x->n_recs + 1, sizeof(*x->rows)) < 0 ||
        reserve((void **)&x->recs, &x->cap_recs, x->n_recs + 1, sizeof(*x->recs)) < 0 ||
        reserve((void **)&x->meta, &x->cap_meta, x->n_recs + 1, sizeof(*x->meta)) < 0 ||
        reserve((void **)&x->codes, &x->cap_codes, x->n_codes + 6 * n, 1) < 0 ||
        reserve((void **)&x->id_slot, &x->cap_ids, x->used + n_new, sizeof(*x->id_slot)) < 0)
        return -ENOMEM;
    /* At most half full, counting the terms this record may add: most
     * lookups are of terms the table lacks, and linear probing's misses
     * grow fast past that (2.5 probes at half, 6 at 70 %). */
    while ((x->used + n_new) * 2 > x->cap_table)
        if (grow_table(x) < 0)
            return -ENOMEM;
    return 0;
}

/* Appends a record whose terms are keys (id << 8 | count), ascending. */
static void put_record(struct story_index *x, int64_t entry, int64_t story, int64_t t, int64_t feed,
                       const uint64_t *key, unsigned n)
{
    bool counts = false;
    uint8_t *p = x->codes + x->n_codes;
    uint32_t prev = 0;

    for (unsigned i = 0; i < n && !counts; i++)
        counts = (key[i] & 0xff) > 1;
    x->rows[x->n_recs] = (struct rowids){entry, story};
    x->recs[x->n_recs] = (struct rec){
        .off = (uint32_t)x->n_codes,
        .n = (uint8_t)n,
        .flags = counts ? HAS_TF : 0,
    };
    if (counts)
        for (unsigned i = 0; i < n; i++)
            *p++ = (uint8_t)key[i];
    for (unsigned i = 0; i < n; i++) {
        uint32_t id = (uint32_t)(key[i] >> 8);

        p = put_varint(p, id - prev);
        prev = id;
    }
    x->n_codes = (size_t)(p - x->codes);
    x->meta[x->n_recs++] = (struct meta){(int32_t)(t - x->t_base), (uint32_t)feed};
}

int story_index_add(struct story_index *x, const struct story_rec *rec)
{
    const struct story_fp *fp = &rec->fp;
    unsigned n = fp->n_terms;
    uint64_t key[STORY_MAX_TERMS];
    uint32_t r = (uint32_t)x->n_recs;
    int ret = 0;

    if (!n)
        return 0;
    if (!x->n_recs && !x->t_base)
        x->t_base = rec->t;
    if (n > STORY_MAX_TERMS || rec->feed < 0 || rec->feed > UINT32_MAX ||
        rec->t - x->t_base < INT32_MIN || rec->t - x->t_base > INT32_MAX)
        return -EINVAL;
    if (make_room(x, n, n) < 0)
        return -ENOMEM;
    /* Each term's slot (a new id for a term first seen) takes the record
     * into its ring; then the ids ascending, with their counts. A ring
     * that cannot grow leaves the record out of it: harmless, a lookup
     * may miss it. */
    for (unsigned i = 0; i < n; i++) {
        struct slot *sl = find(x->table, x->cap_table, fp->term[i]);
        uint64_t k;
        unsigned j;

        if (!sl->used) {
            *sl = (struct slot){
                .term = fp->term[i], .id = (uint32_t)x->used, .cap = INLINE_RING, .used = true};
            x->id_slot[x->used++] = (uint32_t)(sl - x->table);
        }
        if (ret == 0)
            ret = post(x, sl, r);
        k = (uint64_t)sl->id << 8 | (fp->tf[i] ? fp->tf[i] : 1);
        for (j = i; j > 0 && key[j - 1] > k; j--)
            key[j] = key[j - 1];
        key[j] = k;
    }
    put_record(x, rec->entry, rec->story, rec->t, rec->feed, key, n);
    return ret;
}

/* The dot product of two fingerprints: a merge of sorted hashes, with the
 * document frequencies of now. */
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

/* The probe's terms that the index has: ids ascending, with their weights
 * and idf (a shared term's idf is the same on both sides: no lookup). */
struct probe_ids {
    uint32_t id[STORY_MAX_TERMS];
    double w[STORY_MAX_TERMS], idf[STORY_MAX_TERMS];
    unsigned n;
};

/* Cosine of the probe (its known terms a, norm na) and record b, with b's
 * cached norm, refreshed when the number of entries held moved enough to
 * shift every idf. */
static double cosine_rec(const struct story_index *x, double logn, const struct probe_ids *a,
                         double na, struct rec *b)
{
    const uint8_t *p = varints_of(x, b), *tf = b->flags & HAS_TF ? x->codes + b->off : NULL;
    double d = 0;
    uint32_t id = 0;
    unsigned i = 0;

    if (b->norm_logn == 0 || fabs(logn - b->norm_logn) > 0.02) {
        struct ids vb;
        double nb = 0;

        decode(x, b, &vb);
        for (unsigned k = 0; k < vb.n; k++) {
            double w = tf_weight(vb.tf[k]) * idf_of(logn, slot_of(x, vb.id[k]));
            nb += w * w;
        }
        b->norm = (float)sqrt(nb);
        b->norm_logn = (float)logn;
    }
    if (na == 0 || b->norm == 0)
        return 0;
    /* A merge of the two ascending id lists, decoding b's as it goes and
     * stopping at the end of the probe's. */
    for (unsigned j = 0; j < b->n && i < a->n; j++) {
        id += get_varint(&p);
        while (i < a->n && a->id[i] < id)
            i++;
        if (i < a->n && a->id[i] == id) {
            d += a->w[i] * tf_weight(tf ? tf[j] : 1) * a->idf[i];
            i++;
        }
    }
    return d / (na * b->norm);
}

/* Fills ret->fp with record r's terms as hashes, ascending, and counts. */
static void rec_fp(const struct story_index *x, const struct rec *r, struct story_fp *ret)
{
    struct ids v;

    decode(x, r, &v);
    ret->n_terms = (uint16_t)v.n;
    for (unsigned i = 0; i < v.n; i++) {
        uint32_t term = slot_of(x, v.id[i])->term;
        unsigned k;

        for (k = i; k > 0 && ret->term[k - 1] > term; k--) {
            ret->term[k] = ret->term[k - 1];
            ret->tf[k] = ret->tf[k - 1];
        }
        ret->term[k] = term;
        ret->tf[k] = v.tf[i];
    }
}

int story_index_match(const struct story_index *x, const struct story_fp *fp, int64_t feed,
                      int64_t t, int64_t window, double min_similarity, struct story_rec *ret,
                      double *ret_similarity)
{
    double na = 0, best_sim = 0, logn;
    const struct slot *probe[STORY_MAX_TERMS];
    uint64_t order[STORY_MAX_TERMS]; /* df << 8 | position in probe: rarest first, stable */
    struct probe_ids known = {.n = 0};
    uint64_t by_id[STORY_MAX_TERMS];                       /* id << 8 | position in fp, to sort */
    double w_at[STORY_MAX_TERMS], idf_at[STORY_MAX_TERMS]; /* by position in fp */
    struct cand *cand = x->cand;
    uint32_t list[STORY_INDEX_BUDGET];
    struct fpv va = view_fp(fp);
    size_t best = SIZE_MAX; /* its record */
    size_t n_probe = 0, n_list = 0, walked = 0, useful = 0;
    uint32_t most = 0;
    int64_t rel; /* t as the records' times are kept */

    if (!fp->n_terms || !x->n_recs)
        return 0;
    logn = log_n(x);
    rel = t - x->t_base;
    for (unsigned i = 0; i < va.n; i++) {
        const struct slot *sl = lookup(x, va.term[i]);
        double idf = idf_of(logn, sl), w = tf_weight(tf_at(&va, i)) * idf;
        unsigned k;

        na += w * w;
        if (!sl)
            continue;
        for (k = (unsigned)n_probe; k > 0 && order[k - 1] > ((uint64_t)sl->df << 8 | n_probe); k--)
            order[k] = order[k - 1];
        order[k] = (uint64_t)sl->df << 8 | n_probe;
        probe[n_probe++] = sl;
        for (k = known.n; k > 0 && by_id[k - 1] > ((uint64_t)sl->id << 8 | i); k--)
            by_id[k] = by_id[k - 1];
        by_id[k] = (uint64_t)sl->id << 8 | i;
        known.n++;
        w_at[i] = w;
        idf_at[i] = idf;
    }
    for (unsigned k = 0; k < known.n; k++) {
        unsigned i = by_id[k] & 0xff;

        known.id[k] = (uint32_t)(by_id[k] >> 8);
        known.w[k] = w_at[i];
        known.idf[k] = idf_at[i];
    }
    na = sqrt(na);
    /* The rarest terms first, each ring newest first: records of other
     * feeds within the window are counted per shared term, until
     * STORY_INDEX_PROBES terms gave some or the budget is spent. A term
     * that only the probing feed's own entries have is passed over. */
    for (size_t p = 0; p < n_probe && useful < STORY_INDEX_PROBES; p++) {
        const struct slot *sl = probe[order[p] & 0xff];
        const uint32_t *ring = ring_of_c(sl);
        bool gave = false;

        for (unsigned k = 0; k < sl->len && walked < STORY_INDEX_BUDGET; k++, walked++) {
            uint32_t r = ring[(sl->next + sl->cap - 1 - k) % sl->cap];
            const struct meta *m = &x->meta[r];
            int64_t dt = m->t > rel ? m->t - rel : rel - m->t;
            size_t h;

            if ((int64_t)m->feed == feed || dt > window)
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
            size_t r = cd->rec - 1;
            double sim;

            if (cd->hits != hits)
                continue;
            compared++;
            sim = cosine_rec(x, logn, &known, na, (struct rec *)&x->recs[r]);
            if (sim >= min_similarity &&
                (sim > best_sim ||
                 (sim == best_sim && best != SIZE_MAX && x->rows[r].entry < x->rows[best].entry))) {
                best = r;
                best_sim = sim;
            }
        }
    }
    for (size_t c = 0; c < n_list; c++)
        cand[list[c]] = (struct cand){0};
    if (best == SIZE_MAX)
        return 0;
    *ret = (struct story_rec){
        .entry = x->rows[best].entry,
        .story = x->rows[best].story,
        .feed = x->meta[best].feed,
        .t = x->t_base + x->meta[best].t,
    };
    rec_fp(x, &x->recs[best], &ret->fp);
    *ret_similarity = best_sim;
    return 1;
}

int story_index_prune(struct story_index *x, int64_t before)
{
    struct story_index y = {.t_base = x->t_base};
    uint32_t *remap;
    size_t keep = 0, n_ids = 0;
    struct ids v;

    /* In the records' terms: before them all, or after them all. */
    if (before - x->t_base <= INT32_MIN)
        return 0;
    if (before - x->t_base > INT32_MAX)
        before = x->t_base + (int64_t)INT32_MAX + 1;
    before -= x->t_base;
    for (size_t i = 0; i < x->n_recs; i++)
        keep += x->meta[i].t >= before;
    if (keep == x->n_recs)
        return 0;
    /* A new index of the records kept, in order (each term's ring again
     * holds its newest records), without the terms only pruned records
     * had. The ids that stay are renumbered densely in the same order, so
     * a record's ids stay ascending and its codes are copied through the
     * map: no hashing, no sorting. */
    remap = calloc(x->used ? x->used : 1, sizeof(*remap));
    if (!remap)
        return -ENOMEM;
    for (size_t i = 0; i < x->n_recs; i++)
        if (x->meta[i].t >= before) {
            decode(x, &x->recs[i], &v);
            for (unsigned k = 0; k < v.n; k++)
                remap[v.id[k]] = 1;
        }
    for (size_t id = 0; id < x->used; id++)
        if (remap[id])
            remap[id] = (uint32_t)++n_ids; /* new id + 1; 0: gone */
    if (n_ids && (reserve((void **)&y.id_slot, &y.cap_ids, n_ids, sizeof(*y.id_slot)) < 0 ||
                  reserve((void **)&y.rows, &y.cap_rows, keep, sizeof(*y.rows)) < 0 ||
                  reserve((void **)&y.recs, &y.cap_recs, keep, sizeof(*y.recs)) < 0 ||
                  reserve((void **)&y.meta, &y.cap_meta, keep, sizeof(*y.meta)) < 0))
        goto oom;
    while (n_ids * 2 > y.cap_table)
        if (grow_table(&y) < 0)
            goto oom;
    for (size_t id = 0; id < x->used; id++)
        if (remap[id]) {
            const struct slot *o = slot_of(x, (uint32_t)id);
            struct slot *sl = find(y.table, y.cap_table, o->term);

            *sl = (struct slot){
                .term = o->term, .id = remap[id] - 1, .cap = INLINE_RING, .used = true};
            y.id_slot[y.used++] = (uint32_t)(sl - y.table);
        }
    for (size_t i = 0; i < x->n_recs; i++) {
        const struct rec *o = &x->recs[i];
        uint64_t key[STORY_MAX_TERMS];

        if (x->meta[i].t < before)
            continue;
        decode(x, o, &v);
        if (make_room(&y, v.n, 0) < 0)
            goto oom;
        for (unsigned k = 0; k < v.n; k++) {
            uint32_t id = remap[v.id[k]] - 1;

            key[k] = (uint64_t)id << 8 | v.tf[k];
            (void)post(&y, &y.table[y.id_slot[id]], (uint32_t)y.n_recs); /* see add */
        }
        put_record(&y, x->rows[i].entry, x->rows[i].story, x->t_base + x->meta[i].t,
                   x->meta[i].feed, key, v.n);
    }
    free(remap);
    y.cand = x->cand;
    x->cand = NULL;
    release(x);
    *x = y;
    return 0;
oom:
    free(remap);
    release(&y);
    return -ENOMEM;
}
