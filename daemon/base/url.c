/* url: see url.h. */
#include "base/url.h"

#include <curl/curl.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

static int from_curlu(CURLUcode c)
{
    return c == CURLUE_OUT_OF_MEMORY ? -ENOMEM : -EINVAL;
}

/* An absolute http(s) URL that RFC 3986 resolution would leave as it is:
 * no dot segments, no characters curl would encode or reject. Copied
 * without a round trip through curl, the common case by far in feeds. */
static bool plain_absolute(const char *ref)
{
    const char *p;

    if (!strncmp(ref, "http://", 7))
        p = ref + 7;
    else if (!strncmp(ref, "https://", 8))
        p = ref + 8;
    else
        return false;
    if (!*p || *p == '/' || strchr(ref, '@'))
        return false;
    for (; *p; p++) {
        unsigned char c = (unsigned char)*p;

        if (c <= 0x20 || c >= 0x7F || c == '\\' || c == '"' || c == '<' || c == '>' || c == '`' ||
            c == '{' || c == '}' || c == '|' || c == '^' || c == '%')
            return false;
        if (c == '/' && p[1] == '.' &&
            (p[2] == '/' || p[2] == '\0' || p[2] == '?' || p[2] == '#' ||
             (p[2] == '.' && (p[3] == '/' || p[3] == '\0' || p[3] == '?' || p[3] == '#'))))
            return false;
    }
    return true;
}

/* A reference without a scheme, dot segments or characters needing
 * escapes: "/a/b", "b?c", "?q", "#f" (not "//host", "../x", "a:b"). */
static bool plain_relative(const char *ref)
{
    const char *seg = ref;

    if (ref[0] == '/' && ref[1] == '/')
        return false;
    for (const char *p = ref;; p++) {
        unsigned char c = (unsigned char)*p;

        if (c == '/' || c == '?' || c == '#' || c == '\0') {
            size_t n = (size_t)(p - seg);

            if ((n == 1 && seg[0] == '.') || (n == 2 && seg[0] == '.' && seg[1] == '.'))
                return false;
            if (c != '/')
                break;
            seg = p + 1;
            continue;
        }
        if (c == ':')
            return false; /* a scheme, or a segment curl would treat as one */
    }
    for (const char *p = ref; *p; p++) {
        unsigned char c = (unsigned char)*p;

        if (c <= 0x20 || c >= 0x7F || c == '\\' || c == '"' || c == '<' || c == '>' || c == '`' ||
            c == '{' || c == '}' || c == '|' || c == '^' || c == '%')
            return false;
    }
    return true;
}

/* RFC 3986 section 5.2 for a plain absolute base and a plain relative
 * reference, without curl: the common case of links in feed content.
 * ("#f" keeps the base's path and query, as 5.2.2 says; curl 7.88 drops
 * the last segment.)
 * Returns 1 and *ret, 0 when the case is not that simple, or -ENOMEM. */
static int resolve_plain(const char *base, const char *ref, char **ret)
{
    const char *auth = strstr(base, "://") + 3;
    const char *path = auth + strcspn(auth, "/?#");
    const char *query = path + strcspn(path, "?#");
    const char *frag = query + strcspn(query, "#");
    const char *keep;                           /* base bytes kept: up to here */
    const char *sep = path == query ? "/" : ""; /* an empty base path is "/" */
    size_t k, n_sep, n_ref = strlen(ref);
    char *out;

    if (memchr(auth, ':', (size_t)(path - auth)))
        return 0; /* a port: let curl normalize it */
    if (path == query && (ref[0] == '#' || ref[0] == '?'))
        return 0; /* "http://h?x" + "#f": the "/" goes in the middle */
    if (ref[0] == '#') {
        keep = frag;
    } else if (ref[0] == '?') {
        keep = query;
    } else if (ref[0] == '/') {
        keep = path;
        sep = "";
    } else {
        keep = query;
        while (keep > path && keep[-1] != '/')
            keep--;
    }
    k = (size_t)(keep - base);
    n_sep = strlen(sep);
    out = malloc(k + n_sep + n_ref + 1);
    if (!out)
        return -ENOMEM;
    memcpy(out, base, k);
    memcpy(out + k, sep, n_sep);
    memcpy(out + k + n_sep, ref, n_ref + 1);
    *ret = out;
    return 1;
}

/* Copies curl's URL of h into *ret. */
static int get_url(CURLU *h, char **ret)
{
    char *out = NULL, *copy;
    CURLUcode c = curl_url_get(h, CURLUPART_URL, &out, 0);

    if (c != CURLUE_OK)
        return from_curlu(c);
    copy = strdup(out);
    curl_free(out);
    if (!copy)
        return -ENOMEM;
    *ret = copy;
    return 0;
}

/* "#f": the base with its path and query, and this fragment (RFC 3986
 * 5.2.2), whatever curl's own resolution does with the last segment. */
static int resolve_fragment(const char *base, const char *frag, char **ret)
{
    CURLU *h = curl_url();
    CURLUcode c;
    int r;

    if (!h)
        return -ENOMEM;
    c = curl_url_set(h, CURLUPART_URL, base, CURLU_NON_SUPPORT_SCHEME);
    if (c == CURLUE_OK)
        c = curl_url_set(h, CURLUPART_FRAGMENT, *frag ? frag : NULL, 0);
    r = c == CURLUE_OK ? get_url(h, ret) : from_curlu(c);
    curl_url_cleanup(h);
    return r;
}

int url_resolve(const char *base, const char *ref, char **ret)
{
    const unsigned flags = CURLU_NON_SUPPORT_SCHEME;
    CURLU *h;
    CURLUcode c = CURLUE_OK;
    char *out = NULL, *copy;
    int r;

    if (!ref || !*ref)
        return -EINVAL;
    if (plain_absolute(ref)) {
        copy = strdup(ref);
        if (!copy)
            return -ENOMEM;
        *ret = copy;
        return 0;
    }
    if (base && plain_absolute(base) && plain_relative(ref)) {
        r = resolve_plain(base, ref, ret);
        if (r != 0)
            return r < 0 ? r : 0;
    }
    if (base && ref[0] == '#')
        return resolve_fragment(base, ref + 1, ret);
    h = curl_url();
    if (!h)
        return -ENOMEM;
    if (base)
        c = curl_url_set(h, CURLUPART_URL, base, flags);
    if (c == CURLUE_OK)
        c = curl_url_set(h, CURLUPART_URL, ref, flags);
    if (c == CURLUE_OK)
        c = curl_url_get(h, CURLUPART_URL, &out, 0);
    if (c != CURLUE_OK) {
        r = from_curlu(c);
        goto out;
    }
    copy = strdup(out);
    if (!copy) {
        r = -ENOMEM;
        goto out;
    }
    *ret = copy;
    r = 0;
out:
    curl_free(out);
    curl_url_cleanup(h);
    return r;
}
