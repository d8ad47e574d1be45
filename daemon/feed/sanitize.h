/* sanitize: untrusted HTML (entry content and summaries) rebuilt from an
 * allowlist.
 *
 * The input is parsed with libxml2's HTML parser (recover mode, no network,
 * no implied html/body, meta charset ignored) and serialized again from
 * scratch: only allowlisted elements and attributes survive. Dropped with
 * their content: script, style, iframe, object, embed, applet, form and its
 * controls, base, meta, link, frame, frameset, noscript, template, svg,
 * math, head, title. Dropped but their children kept: unknown elements
 * (html and body among them). Comments and processing instructions go.
 * No on*, style, class or id attributes; font keeps none at all.
 * Tidy input (allowlisted tags properly nested, quoted attributes, known
 * references) takes a one-pass fast path instead of the parser; it writes
 * the bytes the parser path would, and declines everything else.
 *
 * URLs in href, src, srcset, cite, poster are resolved against the base URL
 * (curl URL API) and kept only when http or https, plus mailto: in a href
 * and data:image/(png|gif|jpeg|webp);base64 in img src; anything else
 * (javascript:, vbscript:, data:...) removes the attribute. Schemes are
 * read as browsers read them: C0 controls (tab, newline) removed, case
 * ignored, entities already decoded. Links get rel="noopener noreferrer".
 *
 * Output: valid UTF-8 HTML (invalid input bytes become U+FFFD) with every
 * attribute double-quoted and escaped, every non-void element closed and
 * void elements written as <br>, <img ...> (no end tag); no comments, no
 * raw-text elements, no characters XML 1.0 forbids. At most 64 elements
 * are nested; deeper ones are flattened (their children kept). Input
 * nested more than 256 elements deep ends there (libxml2's parser would
 * take quadratic time). It can be embedded as escaped text in Atom, RSS
 * and JSON.
 *
 * Pure function; never touches the network or the filesystem. Thread-safe
 * once xmlInitParser() ran in the main thread (feed_parse_init()). Depends
 * on base/ and libxml2.
 */
#ifndef HERALD_FEED_SANITIZE_H
#define HERALD_FEED_SANITIZE_H

#include <stddef.h>

/* Sanitizes len bytes of html (may contain NUL bytes; html may be NULL when
 * len is 0). base is the URL relative links resolve against (may be NULL,
 * or not an absolute http(s) URL: relative links are then kept relative).
 * Returns 0 and a malloc'ed NUL-terminated string in *ret, NULL when
 * nothing remains (no text but white space and &nbsp;, and no img, video
 * or audio); -ENOMEM; or -E2BIG when the input exceeds SANITIZE_MAX or
 * the output 4 * SANITIZE_MAX. *ret is written only on success. */
int sanitize_html(const char *html, size_t len, const char *base, char **ret);

#define SANITIZE_MAX (16u << 20)

/* Which way sanitize_html_path() goes. sanitize_html() is SANITIZE_AUTO:
 * the fast path (tidy HTML read in one pass, see sanitize.c) and, for
 * whatever it declines, the parser path. SANITIZE_SLOW is the parser path
 * alone (the reference); SANITIZE_FAST is the fast path alone and returns
 * -ENOTSUP when it declines. Tests and fuzz/fuzz_sanitize.c compare them:
 * where the fast path accepts an input, both give the same bytes. Input
 * without '<' and '&' takes the same text-only path in all three. */
enum sanitize_path {
    SANITIZE_AUTO,
    SANITIZE_SLOW,
    SANITIZE_FAST,
};

/* sanitize_html() along one path; same contract, plus -ENOTSUP above. */
int sanitize_html_path(const char *html, size_t len, const char *base, enum sanitize_path path,
                       char **ret);

/* Plain text of sanitize_html()'s output, for notifications: tags dropped
 * (block elements and <br> break words), the entities that output uses
 * decoded (&amp; &lt; &gt; &quot; &#39; &nbsp; and numeric references),
 * white space collapsed to single spaces, and cut after max_chars
 * characters at a word boundary where one is near, with "…" added.
 * Returns 0 and a malloc'ed string ("" for NULL html) or -ENOMEM. */
int sanitize_plain_text(const char *html, size_t max_chars, char **ret);

#endif
