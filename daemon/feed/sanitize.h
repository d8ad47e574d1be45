/* sanitize: untrusted HTML (entry content and summaries) rebuilt from an
 * allowlist.
 *
 * The input is parsed with libxml2's HTML parser (recover mode, no network,
 * no implied html/body) and serialized again from scratch: only allowlisted
 * elements and attributes survive. Dropped with their content: script,
 * style, iframe, object, embed, form, base, meta, link, frame, frameset,
 * noscript, template, svg, math. Dropped but their children kept: unknown
 * elements. No on* or style attributes. URLs in href, src, srcset, cite,
 * poster are resolved against the base URL (curl URL API) and kept only
 * when http, https or mailto (and data:image/* in img src); anything else
 * (javascript:, vbscript:, data:...) removes the attribute. Links get
 * rel="noopener noreferrer". Output is valid UTF-8 XHTML-compatible HTML
 * (every element closed, attributes quoted and escaped), so it can be
 * embedded as escaped text in Atom, RSS and JSON.
 *
 * Pure function; never touches the network or the filesystem. Depends on
 * base/ and libxml2.
 */
#ifndef HERALD_FEED_SANITIZE_H
#define HERALD_FEED_SANITIZE_H

#include <stddef.h>

/* Sanitizes len bytes of html. base is the URL relative links resolve
 * against (may be NULL: relative links are kept relative). Returns 0 and a
 * malloc'ed NUL-terminated string in *ret (NULL when nothing remains), or
 * -ENOMEM / -E2BIG (input beyond SANITIZE_MAX). */
int sanitize_html(const char *html, size_t len, const char *base, char **ret);

#define SANITIZE_MAX (16u << 20)

#endif
