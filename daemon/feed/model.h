/* model: the one normalized shape of a feed and its entries.
 *
 * Readers (rss, atom, ...) produce it, writers (atom_out, jsonfeed_out)
 * and the store consume it. All strings are NUL-terminated UTF-8, owned
 * by the struct that holds them, and NULL when the source had no such
 * field (never ""). Text fields (titles, author names) are plain text with
 * entities decoded; summary and content are HTML. Dates are seconds since
 * the epoch, TIME_NONE when absent or unparseable. Depends on base/ only.
 */
#ifndef HERALD_FEED_MODEL_H
#define HERALD_FEED_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/clock.h"

/* Entries read from one document at most; the rest are ignored (a feed
 * is a window on recent entries, never an archive of thousands). */
#define FEED_MAX_ENTRIES 5000

enum feed_format {
    FEED_FORMAT_UNKNOWN = 0,
    FEED_FORMAT_RSS,  /* RSS 0.9x / 2.0 */
    FEED_FORMAT_RDF,  /* RSS 1.0 */
    FEED_FORMAT_ATOM, /* Atom 1.0 (and 0.3) */
    FEED_FORMAT_JSON, /* JSON Feed */
};

/* Where a merged entry came from; filled by the store for output only. */
struct entry_source {
    char *id;    /* the origin feed's id (Atom id, else its URL) */
    char *title; /* the origin feed's title */
    char *link;  /* the origin feed's site link */
    char *url;   /* the URL Herald polls */
    int64_t updated;
};

struct entry {
    char *id;             /* guid / atom:id / JSON id, verbatim */
    bool id_is_permalink; /* RSS guid isPermaLink (default true) */
    char *link;           /* absolute URL of the entry's page */
    char *title;          /* plain text */
    char *summary;        /* HTML */
    char *content;        /* HTML */
    char *author;         /* display name (or e-mail when that is all) */
    int64_t published;
    int64_t updated;
    struct entry_source source; /* output only; all NULL after parsing */
};

struct feed {
    enum feed_format format;
    char *id;       /* Atom id; NULL for RSS */
    char *title;    /* plain text */
    char *subtitle; /* plain text */
    char *link;     /* the site (alternate) link, absolute */
    char *self;     /* rel=self link, absolute */
    char *author;
    int64_t updated;
    bool bozo;          /* the document was not well-formed; recovered */
    char *bozo_message; /* why, when bozo */
    struct entry *entries;
    size_t n_entries;
    size_t cap_entries;
};

const char *feed_format_name(enum feed_format f);

/* Returns a zeroed feed with dates set to TIME_NONE, or NULL on OOM. */
struct feed *feed_new(void);
void feed_free(struct feed *f);

/* Appends a zeroed entry (dates TIME_NONE, id_is_permalink true) and
 * returns it, or NULL on OOM. The pointer is valid until the next call. */
struct entry *feed_add_entry(struct feed *f);
void entry_release(struct entry *e);

/* Replaces *field with a copy of s (NULL clears). Returns 0 or -ENOMEM. */
int model_set_str(char **field, const char *s);
/* Like model_set_str() for len bytes of s, trimmed of surrounding ASCII
 * whitespace; empty (or NULL s) clears, as the model never holds "". */
int model_set_trimmed(char **field, const char *s, size_t len);

#endif
