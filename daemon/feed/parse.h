/* parse: bytes of a feed document in, struct feed out.
 *
 * Detects the format by content (not by URL or Content-Type alone), then
 * runs the matching reader. XML is parsed by libxml2 with XML_PARSE_NONET,
 * no DTD loading, no entity substitution and an external entity loader that
 * refuses everything; a document that is not well-formed is parsed again
 * in recover mode and the result flagged bozo. Never touches the network or
 * the filesystem. Depends on base/, libxml2 and jansson.
 */
#ifndef HERALD_FEED_PARSE_H
#define HERALD_FEED_PARSE_H

#include <stddef.h>

#include "feed/model.h"

/* Once, in the main thread, before any parse: initializes libxml2,
 * installs the refuse-everything external entity loader and a silent
 * generic error handler (parse errors go to per-parse handlers). */
void feed_parse_init(void);
/* At exit. */
void feed_parse_cleanup(void);

/* Parses len bytes of data (at most 16 MiB). url is the document's URL,
 * the base for relative links (may be NULL); content_type is the HTTP
 * Content-Type (may be NULL), whose charset is used only when the document
 * has neither a BOM nor an encoding declaration. A feed that needed repair
 * (recover mode, or undeclared HTML entities read as characters) comes
 * back with bozo set and bozo_message saying why.
 * Returns 0 and a new feed in *ret_feed (caller frees with feed_free),
 * -EBADMSG when the bytes are not a feed (a one-line reason is written to
 * err), -E2BIG beyond the size limit, or -ENOMEM. */
int feed_parse(const char *data, size_t len, const char *url, const char *content_type,
               struct feed **ret_feed, char *err, size_t errlen);

#endif
