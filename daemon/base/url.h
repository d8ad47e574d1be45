/* url: URL resolution with curl's URL API (RFC 3986 reference resolution).
 *
 * Used by feed readers to make links absolute against xml:base and the
 * document URL. Pure function: no network, no global state; curl's URL API
 * needs no curl_global_init(). Depends on libc and libcurl (urlapi) only.
 */
#ifndef HERALD_BASE_URL_H
#define HERALD_BASE_URL_H

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

#endif
