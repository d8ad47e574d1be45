/* model: the one normalized shape of a feed and its entries.
 *
 * Readers (rss, atom, jsonfeed) produce it, writers (atom_out, jsonfeed_out)
 * and the store consume it. All strings are NUL-terminated UTF-8, owned
 * by the struct that holds them, and NULL when the source had no such
 * field (never ""). Text fields (titles, names, terms) are plain text with
 * entities decoded; summary and content are sanitized HTML (sanitize.h)
 * whose relative links were resolved against the base in scope. URLs are
 * absolute when a base allowed it. Dates are seconds since the epoch,
 * TIME_NONE when absent or unparseable; numbers that may be absent are -1
 * then. Arrays (authors, categories, enclosures, hubs) are owned, with
 * their count beside them; NULL and 0 when empty. Depends on base/ only.
 *
 * Which source element fills a field is a table per format (rss.c, atom.c;
 * the rule order is documented there). In short:
 *
 *   feed.title        RSS title, dc:title; Atom title (text/html/xhtml -> text); JSON title
 *   feed.subtitle     RSS description, dc:description; Atom subtitle/tagline; JSON description
 *   feed.link         RSS link, atom:link alternate; Atom link rel=alternate; JSON home_page_url
 *   feed.self         atom:link rel=self; JSON feed_url
 *   feed.hubs         atom:link rel=hub (RSS and Atom); JSON hubs[].url
 *   feed.language     RSS language, dc:language; Atom xml:lang of the root; JSON language
 *   feed.icon         Atom icon; JSON favicon
 *   feed.logo         RSS image/url, itunes:image; Atom logo; JSON icon
 *   feed.authors      managingEditor, dc:creator, atom:author, itunes:author, webMaster
 *   feed.updated      lastBuildDate, atom:updated, dc:date, dcterms:modified, pubDate
 *   feed.generator    RSS generator, admin:generatorAgent; Atom generator
 *   feed.ttl          RSS ttl (minutes); skip_hours / skip_days from skipHours/skipDays;
 *   feed.sy_*         sy:updatePeriod, sy:updateFrequency, sy:updateBase
 *   entry.id          guid, dc:identifier, rdf:about; Atom id; JSON id
 *   entry.link        link, feedburner:origLink, permalink guid, atom:link alternate
 *   entry.authors     author ("jo@x.org (Jo)" / "Jo <jo@x.org>"), dc:creator,
 *                     atom:author, itunes:author; Atom: entry, source, then feed
 *   entry.published   pubDate, dc:date, dcterms:issued/created/date, atom:published/issued
 *   entry.updated     atom:updated/modified, dcterms:modified
 *   entry.categories  category (domain = scheme), dc:subject, atom:category, itunes:category
 *   entry.enclosures  enclosure, atom:link rel=enclosure, media:content, media:thumbnail,
 *                     media:group children; JSON attachments
 *   entry.comments    RSS comments, atom:link rel=replies (text/html)
 */
#ifndef HERALD_FEED_MODEL_H
#define HERALD_FEED_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/clock.h"
#include "feed/story.h"

/* Entries read from one document at most by default; the rest are ignored
 * (a feed is a window on recent entries, never an archive of thousands).
 * struct feed_limits (parse.h) can lower or raise it. */
#define FEED_MAX_ENTRIES 5000

/* Bytes of text in a feed or entry title at most: a longer one (an entity
 * expansion of a megabyte, say) is cut at a character boundary. Other
 * values are bounded by struct feed_limits' max_field (parse.h). */
#define MODEL_TITLE_MAX 4096

/* Per-entry bounds on lists: what is beyond is ignored. */
#define MODEL_MAX_PERSONS    32
#define MODEL_MAX_CATEGORIES 128
#define MODEL_MAX_ENCLOSURES 64
#define MODEL_MAX_HUBS       16

enum feed_format {
    FEED_FORMAT_UNKNOWN = 0,
    FEED_FORMAT_RSS,  /* RSS 0.91 - 0.94 / 2.0 */
    FEED_FORMAT_RDF,  /* RSS 0.90 and 1.0 */
    FEED_FORMAT_ATOM, /* Atom 1.0 (and 0.3) */
    FEED_FORMAT_JSON, /* JSON Feed */
};

/* The exact version, named as feedparser names it (feed_version_name). */
enum feed_version {
    FEED_VERSION_UNKNOWN = 0,
    FEED_VERSION_RSS090,  /* "rss090" RDF, my.netscape.com 0.9 namespace */
    FEED_VERSION_RSS091N, /* "rss091n" Netscape's DTD */
    FEED_VERSION_RSS091U, /* "rss091u" UserLand */
    FEED_VERSION_RSS092,
    FEED_VERSION_RSS093,
    FEED_VERSION_RSS094,
    FEED_VERSION_RSS20, /* "rss20", also 2.0.1 and 2.01 */
    FEED_VERSION_RSS,   /* "rss": <rss> without a known version */
    FEED_VERSION_RSS10, /* "rss10" RDF, purl.org/rss/1.0 */
    FEED_VERSION_ATOM03,
    FEED_VERSION_ATOM10,
    FEED_VERSION_JSON10, /* "json1" */
    FEED_VERSION_JSON11, /* "json11" */
};

enum enclosure_kind {
    ENCLOSURE_LINK,      /* RSS enclosure, atom:link rel=enclosure, JSON attachment */
    ENCLOSURE_MEDIA,     /* media:content */
    ENCLOSURE_THUMBNAIL, /* media:thumbnail */
};

/* Where a merged entry came from; filled by the store for output only. */
struct entry_source {
    char *id;    /* the origin feed's id (Atom id, else its URL) */
    char *title; /* the origin feed's title */
    char *link;  /* the origin feed's site link */
    char *url;   /* the URL Herald polls */
    int64_t updated;
};

/* Another source of the same story in a deduplicated output (the entry
 * itself is the story's representative); filled by the store. */
struct entry_related {
    int64_t db_id; /* its id in the store (output only) */
    char *link;    /* that source's link to the story */
    char *title;   /* that source's title of it */
    struct entry_source source;
};

struct person {
    char *name;  /* plain text */
    char *email; /* as written, without "mailto:" */
    char *uri;   /* absolute URL */
};

struct category {
    char *term;   /* the category as written (RSS text, Atom term) */
    char *scheme; /* RSS domain, Atom scheme */
    char *label;  /* Atom label */
};

struct enclosure {
    enum enclosure_kind kind;
    char *url;        /* absolute */
    char *type;       /* media type */
    int64_t length;   /* bytes; -1 unknown */
    int64_t duration; /* seconds; -1 unknown */
};

struct entry {
    char *id;             /* guid / atom:id / JSON id, verbatim */
    bool id_is_permalink; /* RSS guid isPermaLink (default true) */
    char *link;           /* absolute URL of the entry's page */
    char *title;          /* plain text */
    char *summary;        /* HTML */
    char *content;        /* HTML */
    char *author;         /* the first author's display name (name, else e-mail) */
    int64_t published;
    int64_t updated;
    char *comments; /* URL of the comments page */
    struct person *authors;
    size_t n_authors;
    struct category *categories;
    size_t n_categories;
    struct enclosure *enclosures;
    size_t n_enclosures;
    struct entry_source source;    /* output only; all NULL after parsing */
    int64_t db_id;                 /* output only: its id in the store, 0 after parsing */
    struct entry_related *related; /* output only: the story's other sources */
    size_t n_related;
    /* Dedup keys (dedup_prepare()), computed off the loop thread: */
    bool prepared;
    char *canon;        /* the canonical link, NULL without a usable link */
    struct story_fp fp; /* fp.n_terms 0: none */
    /* dedup_entry_hash() when computed ahead (the poller's thread pool), else "";
     * store_ingest() uses it once and clears it. HASH_HEX_LEN + 1 bytes. */
    char hash[64 + 1];
};

/* skip_hours bit h: hour h (0-23, UTC) is skipped. skip_days bit d:
 * day d is skipped, 0 = Monday ... 6 = Sunday. */
struct feed {
    enum feed_format format;
    enum feed_version version;
    char *encoding; /* the character encoding the document was read in */
    char *id;       /* Atom id; NULL for RSS */
    char *title;    /* plain text */
    char *subtitle; /* plain text */
    char *link;     /* the site (alternate) link, absolute */
    char *self;     /* rel=self link, absolute */
    char *author;   /* the first author's display name */
    struct person *authors;
    size_t n_authors;
    char **hubs; /* WebSub hubs, absolute */
    size_t n_hubs;
    char *language;  /* as written ("en-us") */
    char *icon;      /* small square image (favicon) */
    char *logo;      /* larger image: RSS image, Atom logo */
    char *generator; /* plain text or URI */
    int64_t updated;
    int64_t ttl; /* minutes; -1 absent */
    uint32_t skip_hours;
    uint8_t skip_days;
    char *sy_period;      /* sy:updatePeriod: hourly|daily|weekly|monthly|yearly */
    int64_t sy_frequency; /* sy:updateFrequency; -1 absent */
    int64_t sy_base;      /* sy:updateBase; TIME_NONE absent */
    bool bozo;            /* the document needed repair (not well-formed, bad bytes) */
    char *bozo_message;   /* why, when bozo (the first reason) */
    struct entry *entries;
    size_t n_entries;
    size_t cap_entries;
    char *next_url; /* output only: JSON Feed's next page (older entries) */
};

const char *feed_format_name(enum feed_format f);
const char *feed_version_name(enum feed_version v);

/* Returns a zeroed feed with dates set to TIME_NONE and numbers to -1, or
 * NULL on OOM. */
struct feed *feed_new(void);
void feed_free(struct feed *f);

/* Appends a zeroed entry (dates TIME_NONE, id_is_permalink true) and
 * returns it, or NULL on OOM. The pointer is valid until the next call. */
struct entry *feed_add_entry(struct feed *f);
/* Releases and removes the last entry (one feed_add_entry() added). */
void feed_drop_last_entry(struct feed *f);
/* True when e has none of id, link, title, summary, content, dates,
 * authors and enclosures: such an entry is never kept. */
bool entry_is_empty(const struct entry *e);
void entry_release(struct entry *e);

void person_release(struct person *p);
void category_release(struct category *c);
void enclosure_release(struct enclosure *e);
/* Frees n persons and the array. */
void persons_free(struct person *p, size_t n);

/* Returns arr (n elements of size bytes) reallocated to n + 1 elements,
 * the last one zeroed, or NULL on OOM (arr is left as it was). */
void *model_grow(void *arr, size_t n, size_t size);

/* Replaces *field with a copy of s (NULL clears). Returns 0 or -ENOMEM. */
int model_set_str(char **field, const char *s);
/* Like model_set_str() for len bytes of s, trimmed of surrounding ASCII
 * whitespace; empty (or NULL s) clears, as the model never holds "". */
int model_set_trimmed(char **field, const char *s, size_t len);
/* Sets the display name of the first of n persons into *field (name, else
 * e-mail; NULL when none). Returns 0 or -ENOMEM. */
int model_set_author(char **field, const struct person *p, size_t n);

#endif
