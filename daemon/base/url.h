/* url: URL resolution and canonicalization with curl's URL API.
 *
 * url_resolve() (RFC 3986 reference resolution) is used by feed readers to
 * make links absolute against xml:base and the document URL;
 * url_canonical() gives the form of a link used to recognize the same entry
 * under different links (tracking parameters, case, default port...).
 * Pure functions: no network, no global state; curl's URL API needs no
 * curl_global_init(). Depends on libc and libcurl (urlapi) only.
 */
#ifndef HERALD_BASE_URL_H
#define HERALD_BASE_URL_H

#include <stdbool.h>

/* Resolves ref against base (base may be NULL when ref is absolute).
 * Schemes curl does not support are accepted when they use "//" authority
 * syntax; references such as "mailto:" or "urn:" cannot be resolved.
 * An absolute http(s) reference with nothing to normalize (no dot
 * segments, no character needing escapes) is returned as written, without
 * curl's normalization (which would add a "/" path to "http://host").
 * Returns 0 and a malloc'ed, normalized absolute URL in *ret (caller
 * frees), -EINVAL when base or ref is not usable (relative ref without a
 * base, malformed input), or -ENOMEM. */
int url_resolve(const char *base, const char *ref, char **ret);
/* True when url_resolve() returns ref as it is written whatever the base:
 * an absolute http(s) URL with nothing to normalize (see above). */
bool url_is_plain_absolute(const char *ref);

/* The query parameters url_canonical() always removes, NULL-terminated:
 * "utm_" (a prefix: an entry ending in "_" matches every name that starts
 * with it, "utm_source", "utm_medium"...), then whole names: "fbclid",
 * "gclid", "dclid", "msclkid", "mc_cid", "mc_eid", "igshid", "ref_src",
 * "_hsenc", "_hsmi", "yclid". Names compare ASCII case-insensitively, as
 * written in the URL (not percent-decoded beyond what url_canonical() does
 * to unreserved characters). */
extern const char *const url_tracking_params[];

struct url_canon_opts {
    /* Extra query parameter names to remove (whole names, ASCII
     * case-insensitive), NULL-terminated; NULL: none. Borrowed. */
    const char *const *strip;
    /* http and https are the same: the canonical form uses https. */
    bool fold_scheme;
    /* "/a/" and "/a" are the same: trailing "/"s of a path other than
     * "/" are removed ("/a//" is "/a" too, "//" is "/"). */
    bool fold_slash;
};

/* The canonical form of an absolute http(s) URL, for deduplication:
 * - leading and trailing spaces and control characters are ignored;
 * - scheme and host lower-cased (ASCII only: IDN and punycode hosts are
 *   otherwise left as they are; curl rewrites numeric IPv4 forms such as
 *   "0x7f.1"), a default port (80, 443) dropped, an empty path made "/",
 *   dot segments resolved, the fragment dropped, user info kept as
 *   written; "www." is NOT removed (different hosts can serve different
 *   things);
 * - percent-encoding in the path and query: escapes of unreserved
 *   characters (ALPHA DIGIT "-" "." "_" "~") decoded, the others
 *   upper-cased ("%2f" -> "%2F"), before dot segments are resolved (so
 *   "%2E%2E" is one); a "%" not followed by two hex digits, space,
 *   non-ASCII bytes, backslash and '"' '<' '>' '^' '`' '{' '|' '}' escaped
 *   (a backslash is not a "/" as in browsers); "+", "[" and "]" left as
 *   they are;
 * - query parameters (split on "&" only, the name is the part before "=")
 *   matching url_tracking_params or opts->strip removed, and empty ones
 *   ("a&&b"); the others keep their order (it can be meaningful); a query
 *   left empty is dropped with its "?".
 * opts may be NULL: nothing extra stripped, no folding.
 * Returns 0 and a malloc'ed string in *ret (caller frees), -EINVAL when
 * url is not an absolute http(s) URL with a host (other schemes, relative
 * references, control characters inside, malformed input: callers then use
 * the link as written), or -ENOMEM. */
int url_canonical(const char *url, const struct url_canon_opts *opts, char **ret);

/* True for "http://HOST..." or "https://HOST..." (scheme in any case)
 * with a host and no blanks or control characters: what may be polled. */
bool url_is_http(const char *s);

#endif
