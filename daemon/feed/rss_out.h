/* rss_out: a merged feed rendered as RSS 2.0, following the RSS Advisory
 * Board's profile (rssboard.org/rss-profile).
 *
 * The channel has the required title, link and description, an
 * atom:link rel="self", and a lastBuildDate that is the newest entry's
 * date (not the render time: an unchanged feed renders to identical bytes).
 * Each item has a guid (isPermaLink="true" only when the id is the item's
 * http(s) link), the summary as description and the content in
 * content:encoded, the author as dc:creator (RSS's author element needs an
 * e-mail address), pubDate in RFC 822 with a four-digit year, and
 * <source url> naming the origin feed; a story's other sources are
 * atom:link rel="related". Every text is escaped. Depends on base/ and
 * feed/model only.
 */
#ifndef HERALD_FEED_RSS_OUT_H
#define HERALD_FEED_RSS_OUT_H

#include <stddef.h>

#include "feed/model.h"

struct rss_out_meta {
    const char *title;
    const char *description;  /* NULL: the title */
    const char *site_url;     /* channel link */
    const char *self_url;     /* absolute URL of this document */
    const char *prev_archive; /* RFC 5005, as atom:link; or NULL */
    const char *current;      /* or NULL */
    int archive;              /* an archive page (fh:archive) */
    const char *generator_version;
};

/* Returns 0 and a malloc'ed document in *ret / *ret_len, or -ENOMEM /
 * -E2BIG. */
int rss_render(const struct rss_out_meta *meta, const struct feed *f, char **ret, size_t *ret_len);

#endif
