/* gen: see gen.h. */
#include "gen.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "rng.h"

#define FUNC_SHARE 0.30
#define TEXT_MAX   (1u << 20)

/* ---- words ------------------------------------------------------------------ */

static const char *const func_words[] = {
    "the",  "of",   "to",   "in",   "and",     "for",    "on",      "with",   "after", "over",
    "as",   "at",   "by",   "from", "is",      "was",    "has",     "will",   "its",   "their",
    "into", "than", "that", "this", "against", "before", "between", "during",
};
#define N_FUNC (sizeof(func_words) / sizeof(func_words[0]))

static const char *const sections[] = {"news", "world",   "politics", "business",
                                       "tech", "science", "sport",    "culture"};
#define N_SECTIONS (sizeof(sections) / sizeof(sections[0]))

static const char *const first_names[] = {"Alex", "Sam",   "Robin", "Maria", "Chen", "Amira",
                                          "Jon",  "Priya", "Lena",  "Tomas", "Yuki", "Omar",
                                          "Ines", "Kofi",  "Sara",  "Pavel"};
static const char *const last_names[] = {"Smith",  "Garcia", "Okafor", "Novak",
                                         "Tanaka", "Larsen", "Haddad", "Ivanova"};

static void make_word(struct rng *r, char *out)
{
    static const char *const onset[] = {"b",  "c",  "d",  "f",  "g",  "h",  "j",  "k",
                                        "l",  "m",  "n",  "p",  "r",  "s",  "t",  "v",
                                        "w",  "z",  "br", "cr", "dr", "fr", "gr", "pr",
                                        "tr", "st", "sh", "ch", "th", "pl", "cl", "sl"};
    static const char *const nucleus[] = {"a", "e", "i", "o", "u", "ai", "ea", "ou", "io"};
    static const char *const coda[] = {"", "", "", "n", "r", "l", "m", "t", "nd", "st", "x"};
    unsigned syllables = 1 + rng_below(r, 3);
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

int sgen_init(struct sgen *g, uint64_t seed, unsigned n_feeds, size_t content_bytes)
{
    struct rng r = rng_seeded(seed, 1);
    double sum = 0, acc = 0;
    size_t k = 0;

    memset(g, 0, sizeof(*g));
    g->seed = seed;
    g->n_feeds = n_feeds;
    g->content_bytes = content_bytes;
    g->vocab = calloc(SGEN_VOCAB, sizeof(*g->vocab));
    g->zipf = calloc(SGEN_ZIPF_LUT, sizeof(*g->zipf));
    if (!g->vocab || !g->zipf) {
        sgen_release(g);
        return -ENOMEM;
    }
    /* Duplicate words are possible and harmless (they only merge ranks). */
    for (size_t i = 0; i < SGEN_VOCAB; i++)
        make_word(&r, g->vocab[i]);
    for (size_t i = 0; i < SGEN_VOCAB; i++)
        sum += 1.0 / (double)(i + 1);
    /* zipf[u] is the rank whose cumulative weight first reaches (u + 0.5) / LUT. */
    for (size_t i = 0; i < SGEN_VOCAB && k < SGEN_ZIPF_LUT; i++) {
        acc += 1.0 / (double)(i + 1) / sum;
        while (k < SGEN_ZIPF_LUT && ((double)k + 0.5) / SGEN_ZIPF_LUT <= acc)
            g->zipf[k++] = (uint16_t)i;
    }
    while (k < SGEN_ZIPF_LUT)
        g->zipf[k++] = SGEN_VOCAB - 1;
    return 0;
}

void sgen_release(struct sgen *g)
{
    free(g->vocab);
    free(g->zipf);
    g->vocab = NULL;
    g->zipf = NULL;
}

void sgen_feed_name(unsigned feed, char *out, size_t n)
{
    snprintf(out, n, "feed%04u", feed);
}

void sgen_feed_url(unsigned feed, char *out, size_t n)
{
    snprintf(out, n, "http://127.0.0.1:%d/feed%04u.xml", SGEN_PORT_DEAD, feed);
}

static const char *word(const struct sgen *g, struct rng *r)
{
    uint64_t x = rng_next(r);

    if ((double)(x >> 40) * 0x1.0p-24 < FUNC_SHARE)
        return func_words[(x & 0xffff) % N_FUNC];
    return g->vocab[g->zipf[x & 0xffff]];
}

/* A content word (never a function word), for links and headings. */
static const char *content_word(const struct sgen *g, struct rng *r)
{
    return g->vocab[g->zipf[rng_next(r) & 0xffff]];
}

static void put_cap(struct buf *b, const char *w)
{
    buf_putc(b, (char)(w[0] >= 'a' && w[0] <= 'z' ? w[0] - 'a' + 'A' : w[0]));
    buf_puts(b, w + 1);
}

/* n words, the first capitalized, no final stop. */
static void put_words(const struct sgen *g, struct rng *r, struct buf *b, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        const char *w = word(g, r);
        if (i) {
            buf_putc(b, ' ');
            buf_puts(b, w);
        } else {
            put_cap(b, w);
        }
    }
}

/* One sentence of 8-20 words; some words marked up (HTML) when html. */
static void put_sentence(const struct sgen *g, struct rng *r, struct buf *b, unsigned feed,
                         bool html)
{
    unsigned n = 8 + rng_below(r, 13);

    for (unsigned i = 0; i < n; i++) {
        double u = rng_unit(r);
        const char *w = word(g, r);

        if (i)
            buf_putc(b, ' ');
        if (html && i && u < 0.025) {
            const char *a = content_word(g, r), *c = content_word(g, r);
            buf_printf(b, "<a href=\"https://site%u.example/%s/%s-%s\">%s %s</a>", feed,
                       sections[rng_below(r, N_SECTIONS)], a, c, a, c);
        } else if (html && i && u < 0.035) {
            buf_printf(b, "<em>%s</em>", w);
        } else if (html && i && u < 0.042) {
            buf_printf(b, "<strong>%s %s</strong>", w, content_word(g, r));
        } else if (i) {
            buf_puts(b, w);
        } else {
            put_cap(b, w);
        }
    }
    buf_puts(b, rng_unit(r) < 0.1 ? "? " : ". ");
}

static void put_paragraph(const struct sgen *g, struct rng *r, struct buf *b, unsigned feed)
{
    unsigned n = 3 + rng_below(r, 5);

    buf_puts(b, "<p>");
    for (unsigned i = 0; i < n; i++)
        put_sentence(g, r, b, feed, true);
    if (!b->err && b->len) {
        b->len--; /* the last space */
        b->data[b->len] = '\0';
    }
    buf_puts(b, "</p>\n");
}

/* The HTML body: the lead, then paragraphs up to about target bytes. */
static void put_content(const struct sgen *g, struct rng *r, struct buf *b, unsigned feed,
                        uint64_t seq, const char *lead, size_t target)
{
    unsigned para = 0;
    bool quoted = false, figure = false;

    buf_printf(b, "<p>%s</p>\n", lead);
    while (b->len < target && !b->err) {
        if (para && para % 4 == 0) {
            buf_puts(b, "<h2>");
            put_words(g, r, b, 3 + rng_below(r, 4));
            buf_puts(b, "</h2>\n");
        }
        if (!figure && para == 2) {
            figure = true;
            buf_printf(
                b, "<figure><img src=\"https://cdn.site%u.example/img/%016" PRIx64 ".jpg\" alt=\"",
                feed, seq);
            put_words(g, r, b, 5 + rng_below(r, 6));
            buf_puts(b, "\" width=\"1200\" height=\"675\"><figcaption>");
            put_words(g, r, b, 8 + rng_below(r, 8));
            buf_puts(b, ".</figcaption></figure>\n");
        } else if (!quoted && para == 5) {
            quoted = true;
            buf_puts(b, "<blockquote><p>");
            put_sentence(g, r, b, feed, false);
            put_sentence(g, r, b, feed, false);
            buf_puts(b, "</p></blockquote>\n");
        } else {
            put_paragraph(g, r, b, feed);
        }
        para++;
    }
}

static char *steal(struct buf *b)
{
    return b->err ? NULL : buf_steal(b);
}

static int make_entry(const struct sgen *g, struct entry *e, unsigned feed, uint64_t seq,
                      int64_t published)
{
    struct rng r = rng_seeded(g->seed, seq);
    struct buf title, lead, link, content;
    size_t target = (size_t)((double)g->content_bytes * (0.8 + 0.4 * rng_unit(&r)));
    const char *section = sections[rng_below(&r, N_SECTIONS)];
    unsigned n_cat = 1 + rng_below(&r, 3);
    char id[96];
    int rc = 0;

    buf_init(&title, TEXT_MAX);
    buf_init(&lead, TEXT_MAX);
    buf_init(&link, TEXT_MAX);
    buf_init(&content, TEXT_MAX);
    put_words(g, &r, &title, 8 + rng_below(&r, 7));
    for (unsigned n = 30 + rng_below(&r, 31), i = 0; i < n;) {
        unsigned k = 8 + rng_below(&r, 13);
        if (k > n - i)
            k = n - i;
        if (i)
            buf_putc(&lead, ' ');
        put_words(g, &r, &lead, k);
        buf_putc(&lead, '.');
        i += k;
    }
    buf_printf(&link, "https://site%u.example/%s/", feed, section);
    for (unsigned i = 0; i < 4; i++) {
        buf_puts(&link, content_word(g, &r));
        buf_putc(&link, '-');
    }
    buf_printf(&link, "%08" PRIx64, seq);
    put_content(g, &r, &content, feed, seq, buf_cstr(&lead), target);
    snprintf(id, sizeof(id), "tag:site%u.example,2026:%" PRIu64, feed, seq);

    e->id_is_permalink = false;
    e->published = published;
    if (model_set_str(&e->id, id) < 0 || !(e->title = steal(&title)) ||
        !(e->summary = steal(&lead)) || !(e->link = steal(&link)) ||
        !(e->content = steal(&content)))
        rc = -ENOMEM;
    if (rc == 0) {
        const char *first =
            first_names[rng_below(&r, sizeof(first_names) / sizeof(first_names[0]))];
        const char *last = last_names[rng_below(&r, sizeof(last_names) / sizeof(last_names[0]))];
        char name[64];

        snprintf(name, sizeof(name), "%s %s", first, last);
        if (!(e->authors = calloc(1, sizeof(*e->authors))) ||
            model_set_str(&e->authors[0].name, name) < 0)
            rc = -ENOMEM;
        else
            e->n_authors = 1;
        if (rc == 0)
            rc = model_set_str(&e->author, name);
    }
    if (rc == 0 && !(e->categories = calloc(n_cat, sizeof(*e->categories))))
        rc = -ENOMEM;
    for (unsigned i = 0; i < n_cat && rc == 0; i++) {
        const char *term = i ? content_word(g, &r) : section;
        if (model_set_str(&e->categories[i].term, term) < 0)
            rc = -ENOMEM;
        else
            e->n_categories++;
    }
    buf_release(&title);
    buf_release(&lead);
    buf_release(&link);
    buf_release(&content);
    return rc;
}

int sgen_document(const struct sgen *g, struct feed *doc, unsigned feed, int64_t t,
                  uint64_t first_seq, unsigned n)
{
    struct rng r = rng_seeded(g->seed ^ 0x5eedULL, first_seq);
    char s[160];
    int64_t when = t - (int64_t)rng_below(&r, 600);

    doc->format = FEED_FORMAT_RSS;
    doc->version = FEED_VERSION_RSS20;
    snprintf(s, sizeof(s), "Site %u News", feed);
    if (model_set_str(&doc->title, s) < 0)
        return -ENOMEM;
    snprintf(s, sizeof(s), "The latest from site %u", feed);
    if (model_set_str(&doc->subtitle, s) < 0)
        return -ENOMEM;
    snprintf(s, sizeof(s), "https://site%u.example/", feed);
    if (model_set_str(&doc->link, s) < 0)
        return -ENOMEM;
    snprintf(s, sizeof(s), "https://site%u.example/feed.xml", feed);
    if (model_set_str(&doc->self, s) < 0 || model_set_str(&doc->language, "en") < 0)
        return -ENOMEM;
    doc->updated = when;
    for (unsigned i = 0; i < n; i++) {
        struct entry *e = feed_add_entry(doc);

        if (!e || make_entry(g, e, feed, first_seq + i, when) < 0)
            return -ENOMEM;
        when -= 60 + (int64_t)rng_below(&r, 90 * 60);
    }
    return 0;
}

int sgen_write_config(const struct sgen *g, const char *path, const char *database, int port,
                      int max_entries)
{
    char tmp[4200];
    FILE *f;
    int err = 0;

    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    if (!(f = fopen(tmp, "w")))
        return -errno;
    fprintf(f,
            "# Generated by bench/serve/fill_db: %u feeds that are never polled during\n"
            "# the benchmark (fill_db stored a next poll a year ahead; their URLs\n"
            "# point at the discard port, where nothing listens).\n"
            "[herald]\n"
            "database = %s\n"
            "listen = 127.0.0.1:%d\n"
            "title = Herald serve benchmark\n"
            "max_entries = %d\n"
            "interval = 7d\n"
            "min_interval = 7d\n"
            "max_interval = 30d\n"
            "max_backoff = 7d\n"
            "dedup = story\n"
            "log_level = info\n",
            g->n_feeds, database, port, max_entries);
    for (unsigned i = 0; i < g->n_feeds; i++) {
        char name[32], url[96];

        sgen_feed_name(i, name, sizeof(name));
        sgen_feed_url(i, url, sizeof(url));
        fprintf(f, "\n[feed \"%s\"]\nurl = %s\n", name, url);
    }
    if (ferror(f))
        err = -EIO;
    if (fclose(f) != 0 && !err)
        err = -errno;
    if (!err && rename(tmp, path) < 0)
        err = -errno;
    if (err)
        remove(tmp);
    return err;
}
