/* opml: the list of sources as OPML, both ways.
 *
 * opml_read() turns an OPML 1.0/2.0 file into a list of feeds (for
 * `heraldd import-opml` and the `opml = PATH` key of [herald]);
 * opml_render() writes the configured feeds as an OPML 2.0 document (for
 * `heraldd export-opml` and the /opml route); opml_print_sections() writes
 * feeds as [feed "NAME"] sections of heraldd.conf.
 *
 * Reading is bounded and offline: at most OPML_FILE_MAX bytes, no network
 * (XML_PARSE_NONET), no DTD loading, and entities the document declares are
 * never expanded (neither internal nor external ones: OPML has no use for
 * them). Element depth is bounded by libxml2's own limit (256).
 *
 * Tags are config words (config.h struct config_words): in every tag read
 * from a file, runs of blanks and commas become one '-' and control
 * characters are dropped; empty tags are dropped and a feed keeps each tag
 * once, at most OPML_TAGS_MAX of them.
 *
 * The structs returned are owned by the caller (opml_feeds_free()). This
 * module parses XML itself, so unlike the rest of app/ it includes libxml2
 * (in opml.c only). Depends on app/config, base/ and libxml2.
 */
#ifndef HERALD_APP_OPML_H
#define HERALD_APP_OPML_H

#include <stddef.h>
#include <stdio.h>

#include "app/config.h"

#define OPML_FILE_MAX  (16u << 20) /* bytes of an OPML file */
#define OPML_FEEDS_MAX 10000       /* feeds of one file */
#define OPML_TAGS_MAX  32          /* tags of one feed, as [feed] tags allows */
#define OPML_NAME_MAX  64          /* bytes of a feed name made from a title */
#define OPML_VALUE_MAX 190         /* bytes of a value written on one config line */

struct opml_feed {
    char *title; /* the outline's title, else its text, else the URL */
    char *url;   /* xmlUrl, trimmed; not checked (any scheme) */
    char **tags; /* NULL-terminated; NULL when n_tags is 0 */
    size_t n_tags;
    int line; /* of the <outline> element (where its start tag ends) */
};

/* Reads the OPML file at path. Every <outline> with a non-empty xmlUrl (of
 * any type) is a feed, in document order; a later outline with the URL of
 * an earlier one is left out. A feed's tags are the text (else title) of
 * its enclosing outlines (folders), outermost first, then the values of
 * its OPML 2.0 `category` attribute (comma-separated; of "/a/b" only "b",
 * the last path segment, is kept).
 *
 * Returns 0 with *ret (NULL when *ret_n is 0) and *ret_n, or -EINVAL (not
 * well-formed, not <opml>), -EFBIG (larger than OPML_FILE_MAX, or more
 * than OPML_FEEDS_MAX feeds), -ENOMEM or
 * -errno (cannot read), with a message in err: "PATH:LINE: message" when
 * the problem has a line, else "PATH: message". */
int opml_read(const char *path, struct opml_feed **ret, size_t *ret_n, char *err, size_t errlen);
void opml_feeds_free(struct opml_feed *f, size_t n);

/* An OPML 2.0 document listing cfg's enabled feeds in configuration order,
 * one <outline type="rss" text= title= xmlUrl= category="tag1,tag2"/>
 * each (title: the feed's configured title, else its name; no category
 * without tags). head/title is title. There is no dateCreated, so an
 * unchanged config renders to the same bytes. Returns 0 and a malloc'ed
 * NUL-terminated document in *ret (its length in *ret_len), or -ENOMEM. */
int opml_render(const struct config *cfg, const char *title, char **ret, size_t *ret_len);

/* Feed names for titles[0..n): each title lowercased, blanks to '-', characters
 * outside [a-z0-9._-] dropped, cut to OPML_NAME_MAX bytes; "feed-N" (N =
 * index + 1) when that leaves nothing; then made unique, against each other
 * and the n_taken names of taken, with "-2", "-3"... Returns 0 and a
 * malloc'ed array of n malloc'ed names in *ret (opml_names_free()), or
 * -ENOMEM. */
int opml_names(const char *const *titles, size_t n, const char *const *taken, size_t n_taken,
               char ***ret);
void opml_names_free(char **names, size_t n);

/* Why s cannot be the value of a key on one config line, as a predicate
 * ("spans lines", "has control characters", "would be read as a comment"
 * (inih: ';' first or after a blank), "is longer than 190 characters"),
 * or NULL when it can. */
const char *opml_value_problem(const char *s);

/* Prints a [feed "NAME"] section (url, title, tags) per feed, names from
 * opml_names(). A title that is the URL itself is not written (the feed's
 * own title is better). A value that cannot be written on one config line
 * (opml_value_problem()) is left out with a "# " comment line saying why;
 * for a url (or one that is not http(s)) that is the whole section.
 * Returns 0, -ENOMEM, or -EIO when out fails. */
int opml_print_sections(const struct opml_feed *f, size_t n, FILE *out);

#endif
