/* parse: bytes of a feed document in, struct feed out.
 *
 * Detects the format by content (not by URL or Content-Type alone), then
 * runs the matching reader. Bytes are first decoded to UTF-8 (the order:
 * byte-order mark, the HTTP charset, the XML declaration, UTF-8; bytes
 * that are not valid UTF-8 are read as windows-1252; latin-1 and ASCII
 * labels mean windows-1252). XML is parsed by libxml2 with XML_PARSE_NONET,
 * no DTD loading, no entity substitution and an external entity loader that
 * refuses everything; a document that is not well-formed is repaired
 * (bare "&" and "<", unclosed CDATA, unquoted attributes, nesting beyond
 * 200 levels, an internal subset that loops; control characters) and
 * parsed again, then in recover mode, and the result flagged bozo with the
 * reason. Entity text is expanded within a per-document budget (the
 * body's size plus 1 MiB). Every summary
 * and content goes through sanitize_html(). Never touches the network or
 * the filesystem. Depends on base/, libxml2 and jansson.
 */
#ifndef HERALD_FEED_PARSE_H
#define HERALD_FEED_PARSE_H

#include <stddef.h>

#include "feed/model.h"

/* What one document may cost. Zero in a field means its default. */
struct feed_limits {
    size_t max_bytes;   /* input size; default 16 MiB, -E2BIG beyond */
    size_t max_depth;   /* element nesting the readers descend; default 128 */
    size_t max_entries; /* entries kept; default FEED_MAX_ENTRIES, the rest ignored */
    size_t max_field;   /* bytes of one value; default 4 MiB, longer values are cut
                         * at a character boundary (titles further, at
                         * MODEL_TITLE_MAX, 4 KiB: model.h) */
};

#define FEED_LIMIT_MAX_BYTES (16u << 20)
#define FEED_LIMIT_MAX_DEPTH 128
#define FEED_LIMIT_MAX_FIELD (4u << 20)

/* Once, in the main thread, before any parse: initializes libxml2,
 * installs the refuse-everything external entity loader and a silent
 * generic error handler (parse errors go to per-parse handlers). */
void feed_parse_init(void);
/* At exit. */
void feed_parse_cleanup(void);

/* Parses len bytes of data. url is the document's URL, the base for
 * relative links (may be NULL); content_type is the HTTP Content-Type (may
 * be NULL), whose charset wins over the XML declaration (not over a BOM).
 * lim may be NULL (defaults). A feed that needed repair comes back with
 * bozo set and bozo_message saying why.
 * Returns 0 and a new feed in *ret_feed (caller frees with feed_free),
 * -EBADMSG when the bytes are not a feed (a one-line reason is written to
 * err), -E2BIG beyond max_bytes, or -ENOMEM. */
int feed_parse_ex(const char *data, size_t len, const char *url, const char *content_type,
                  const struct feed_limits *lim, struct feed **ret_feed, char *err, size_t errlen);

/* feed_parse_ex() with the default limits. */
int feed_parse(const char *data, size_t len, const char *url, const char *content_type,
               struct feed **ret_feed, char *err, size_t errlen);

#endif
