/* url: see url.h. */
#include "base/url.h"

#include <curl/curl.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int from_curlu(CURLUcode c)
{
    return c == CURLUE_OUT_OF_MEMORY ? -ENOMEM : -EINVAL;
}

/* Bytes curl would encode or reject (controls, space, non-ASCII, \ " < >
 * ` { } | ^) and "%": bit c of the 128-bit set, low word and high word. */
#define PLAIN_BAD_LO                                                                               \
    (UINT64_C(0x1FFFFFFFF) | UINT64_C(1) << '"' | UINT64_C(1) << '%' | UINT64_C(1) << '<' |        \
     UINT64_C(1) << '>')
#define PLAIN_BAD_HI                                                                               \
    (UINT64_C(1) << ('\\' - 64) | UINT64_C(1) << ('^' - 64) | UINT64_C(1) << ('`' - 64) |          \
     UINT64_C(1) << ('{' - 64) | UINT64_C(1) << ('|' - 64) | UINT64_C(1) << ('}' - 64) |           \
     UINT64_C(1) << (0x7F - 64))

/* True when c is in the set {lo, hi} (bytes from 0x80 always are). */
static inline bool in_set(unsigned char c, uint64_t lo, uint64_t hi)
{
    if (c >= 0x80)
        return true;
    return ((c < 64 ? lo >> c : hi >> (c - 64)) & 1) != 0;
}

/* An absolute http(s) URL that RFC 3986 resolution would leave as it is:
 * no dot segments, no characters curl would encode or reject, no user
 * info. Copied without a round trip through curl, the common case by far
 * in feeds. */
static bool plain_absolute(const char *ref)
{
    const uint64_t hi = PLAIN_BAD_HI | UINT64_C(1) << ('@' - 64);
    const char *p;

    if (!strncmp(ref, "http://", 7))
        p = ref + 7;
    else if (!strncmp(ref, "https://", 8))
        p = ref + 8;
    else
        return false;
    if (!*p || *p == '/')
        return false;
    for (; *p; p++) {
        unsigned char c = (unsigned char)*p;

        if (in_set(c, PLAIN_BAD_LO, hi))
            return false;
        if (c == '/' && p[1] == '.' &&
            (p[2] == '/' || p[2] == '\0' || p[2] == '?' || p[2] == '#' ||
             (p[2] == '.' && (p[3] == '/' || p[3] == '\0' || p[3] == '?' || p[3] == '#'))))
            return false;
    }
    return true;
}

bool url_is_plain_absolute(const char *ref)
{
    return plain_absolute(ref);
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
        if (in_set((unsigned char)*p, PLAIN_BAD_LO, PLAIN_BAD_HI))
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

const char *const url_tracking_params[] = {
    "utm_",   "fbclid",  "gclid",  "dclid", "msclkid", "mc_cid", "mc_eid",
    "igshid", "ref_src", "_hsenc", "_hsmi", "yclid",   NULL,
};

static char lower(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c + ('a' - 'A')) : c;
}

static bool ascii_caseeq(const char *a, const char *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (lower(a[i]) != lower(b[i]))
            return false;
    return true;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = lower(c);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

static bool unreserved(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.' || c == '_' || c == '~';
}

/* Bytes no URI holds raw (RFC 3986 section 2) that curl 7.88 leaves as
 * they are; controls are left for curl to reject. */
static bool must_escape(unsigned char c)
{
    return c == ' ' || c >= 0x80 || c == '"' || c == '<' || c == '>' || c == '\\' || c == '^' ||
           c == '`' || c == '{' || c == '|' || c == '}';
}

static char *put_escape(char *o, unsigned char c)
{
    static const char hex[] = "0123456789ABCDEF";

    *o++ = '%';
    *o++ = hex[c >> 4];
    *o++ = hex[c & 15];
    return o;
}

/* Copies url[0..len), whose scheme and "://" are skip bytes long, to out
 * (3 * len + 1 bytes at least) as curl should parse it: the scheme and
 * authority as written, the path and query with percent-encoding
 * normalized (curl neither decodes nor upper-cases escapes), the fragment
 * cut off (curl would reject a space in it, for nothing). Decoding before curl resolves dot
 * segments makes "%2E%2E" one, as RFC 3986 section 6.2.2 orders it. */
static void prepare(const char *url, size_t skip, size_t len, char *out)
{
    const char *end = url + len;
    const char *p = url + skip;

    while (p < end && *p != '/' && *p != '?' && *p != '#')
        p++;
    memcpy(out, url, (size_t)(p - url));
    out += p - url;
    for (; p < end && *p != '#'; p++) {
        unsigned char c = (unsigned char)*p;
        int hi, lo;

        if (c == '%' && end - p > 2 && (hi = hexval(p[1])) >= 0 && (lo = hexval(p[2])) >= 0) {
            c = (unsigned char)(hi << 4 | lo);
            if (unreserved(c))
                *out++ = (char)c;
            else
                out = put_escape(out, c);
            p += 2;
        } else if (c == '%' || must_escape(c)) {
            out = put_escape(out, c);
        } else {
            *out++ = (char)c;
        }
    }
    *out = '\0';
}

static bool tracking(const char *name, size_t n, const struct url_canon_opts *opts)
{
    /* The entries are lower-case: test one byte before the whole name. */
    for (const char *const *t = url_tracking_params; *t; t++) {
        size_t k;

        if (n == 0 || lower(name[0]) != (*t)[0])
            continue;
        k = strlen(*t);

        if ((*t)[k - 1] == '_' ? n >= k && ascii_caseeq(name, *t, k)
                               : n == k && ascii_caseeq(name, *t, k))
            return true;
    }
    if (opts && opts->strip)
        for (const char *const *t = opts->strip; *t; t++)
            if (strlen(*t) == n && ascii_caseeq(name, *t, n))
                return true;
    return false;
}

/* Writes "?" and the parameters of q (without its "?") that are kept. */
static char *put_query(char *o, const char *q, const struct url_canon_opts *opts)
{
    char sep = '?';

    while (*q) {
        size_t n = strcspn(q, "&");
        size_t name = strcspn(q, "=&");

        if (n && !tracking(q, name < n ? name : n, opts)) {
            *o++ = sep;
            memcpy(o, q, n);
            o += n;
            sep = '&';
        }
        q += n;
        if (*q)
            q++;
    }
    return o;
}

/* Writes the authority a[0..n) of curl's URL with its host lower-cased
 * (up to a "%" zone of an IPv6 address), without ":443" when an http URL
 * is written as https. */
static char *put_authority(char *o, const char *a, size_t n, bool to_https)
{
    const char *end = a + n;
    const char *host = a, *port;
    bool zone = false;

    for (const char *p = a; p < end; p++)
        if (*p == '@')
            host = p + 1;
    memcpy(o, a, (size_t)(host - a));
    o += host - a;
    port = host[0] == '[' ? memchr(host, ']', (size_t)(end - host)) : host;
    port = port ? memchr(port, ':', (size_t)(end - port)) : NULL;
    if (!port)
        port = end;
    for (const char *p = host; p < port; p++) {
        zone = zone || *p == '%';
        *o++ = zone ? *p : lower(*p);
    }
    if (to_https && end - port == 4 && !memcmp(port, ":443", 4))
        return o;
    memcpy(o, port, (size_t)(end - port));
    return o + (end - port);
}

/* The canonical form of curl's URL s (lower-case http or https scheme, no
 * default port, a path, no fragment). */
static int build(const char *s, const struct url_canon_opts *opts, char **ret)
{
    bool to_https = opts && opts->fold_scheme && s[4] == ':';
    const char *auth = strstr(s, "://") + 3;
    const char *path = auth + strcspn(auth, "/");
    const char *query = path + strcspn(path, "?");
    size_t n_path = (size_t)(query - path);
    char *out = malloc(strlen(s) + 2), *o = out;

    if (!out)
        return -ENOMEM;
    if (to_https) {
        memcpy(o, "https://", 8);
        o += 8;
    } else {
        memcpy(o, s, (size_t)(auth - s));
        o += auth - s;
    }
    o = put_authority(o, auth, (size_t)(path - auth), to_https);
    /* All of them: "/a//" is "/a/" is "/a", and the result is stable. */
    while (opts && opts->fold_slash && n_path > 1 && path[n_path - 1] == '/')
        n_path--;
    memcpy(o, path, n_path);
    o += n_path;
    if (*query)
        o = put_query(o, query + 1, opts);
    *o = '\0';
    *ret = out;
    return 0;
}

/* RFC 3986 query characters: unreserved, sub-delims, ":", "@", "/", "?". */
static bool qchar(unsigned char c)
{
    switch (c) {
    case '!':
    case '$':
    case '&':
    case '\'':
    case '(':
    case ')':
    case '*':
    case '+':
    case ',':
    case ';':
    case '=':
    case ':':
    case '@':
    case '/':
    case '?':
        return true;
    default:
        return unreserved(c);
    }
}

/* A prepared URL s (see prepare()) that curl would only lower-case the
 * scheme of and give a "/" path: a host of letters, digits, "-" and "."
 * starting with a letter (curl rewrites numeric IPv4 forms such as
 * "0x7f.1"), no user info or port, no escapes, no dot segments, nothing
 * curl rejects. The common case in feeds, and 3 to 4 times faster
 * without curl. */
static bool plain(const char *s, size_t skip)
{
    const char *p = s + skip;
    unsigned char c = (unsigned char)*p;

    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')))
        return false;
    for (; *p && *p != '/' && *p != '?'; p++) {
        c = (unsigned char)*p;
        if (!(unreserved(c) && c != '_' && c != '~'))
            return false;
    }
    for (; *p && *p != '?'; p++) {
        if (!qchar((unsigned char)*p))
            return false;
        if (p[0] == '/' && p[1] == '.' && (p[2] == '/' || p[2] == '?' || p[2] == '\0'))
            return false;
        if (p[0] == '/' && p[1] == '.' && p[2] == '.' &&
            (p[3] == '/' || p[3] == '?' || p[3] == '\0'))
            return false;
    }
    for (; *p; p++)
        if (!qchar((unsigned char)*p))
            return false;
    return true;
}

/* Makes a plain URL in buf (room for one more byte) look like curl's. */
static void plain_as_curl(char *buf, size_t skip)
{
    char *path = buf + skip + strcspn(buf + skip, "/?");

    for (char *p = buf; *p != ':'; p++)
        *p = lower(*p);
    if (*path != '/') {
        memmove(path + 1, path, strlen(path) + 1);
        *path = '/';
    }
}

static bool has_control(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            return true;
    return false;
}

int url_canonical(const char *url, const struct url_canon_opts *opts, char **ret)
{
    char stack[1024], *buf = stack;
    const char *p;
    size_t len, skip;
    CURLU *h = NULL;
    CURLUcode c;
    char *s = NULL;
    int r;

    if (!url)
        return -EINVAL;
    while ((unsigned char)*url <= 0x20 && *url)
        url++;
    len = strlen(url);
    while (len && (unsigned char)url[len - 1] <= 0x20)
        len--;
    if (len >= 7 && ascii_caseeq(url, "http://", 7))
        skip = 7;
    else if (len >= 8 && ascii_caseeq(url, "https://", 8))
        skip = 8;
    else
        return -EINVAL;
    p = url + skip;
    /* curl reads "http:///a" as host "a". */
    if (skip == len || *p == '/' || *p == '\\')
        return -EINVAL;
    if (len > (sizeof(stack) - 1) / 3) {
        if (len > 8000000)
            return -EINVAL; /* curl's own limit on a URL */
        buf = malloc(3 * len + 1);
        if (!buf)
            return -ENOMEM;
    }
    prepare(url, skip, len, buf);
    if (plain(buf, skip)) {
        plain_as_curl(buf, skip);
        r = build(buf, opts, ret);
        goto out;
    }
    h = curl_url();
    if (!h) {
        r = -ENOMEM;
        goto out;
    }
    c = curl_url_set(h, CURLUPART_URL, buf, 0);
    if (c == CURLUE_OK)
        c = curl_url_get(h, CURLUPART_URL, &s, CURLU_NO_DEFAULT_PORT);
    /* curl decodes a percent-encoded host without normalizing the result
     * ("%34" gives "4", which it writes "0.0.0.4"): round trips until the
     * form is stable, so that it is canonical. */
    for (int i = 0; i < 2 && c == CURLUE_OK && memchr(buf + skip, '%', strcspn(buf + skip, "/?"));
         i++) {
        char *again = NULL;

        c = curl_url_set(h, CURLUPART_URL, s, 0);
        if (c == CURLUE_OK)
            c = curl_url_get(h, CURLUPART_URL, &again, CURLU_NO_DEFAULT_PORT);
        curl_free(s);
        s = again;
    }
    if (c != CURLUE_OK)
        r = from_curlu(c);
    else if (has_control(s)) /* curl decodes "%7F" in a host, and keeps it */
        r = -EINVAL;
    else
        r = build(s, opts, ret);
out:
    curl_free(s);
    curl_url_cleanup(h);
    if (buf != stack)
        free(buf);
    return r;
}

bool url_is_http(const char *s)
{
    const char *rest, *at;

    if (strncasecmp(s, "http://", 7) == 0)
        rest = s + 7;
    else if (strncasecmp(s, "https://", 8) == 0)
        rest = s + 8;
    else
        return false;
    /* The host follows the user info, which may start with ":" ("http://:pw@host/"). */
    at = memrchr(rest, '@', strcspn(rest, "/?#"));
    if (at)
        rest = at + 1;
    if (*rest == '\0' || *rest == '/' || *rest == ':' || *rest == '?' || *rest == '#')
        return false;
    for (; *s; s++) {
        if ((unsigned char)*s <= 0x20 || *s == 0x7f)
            return false;
    }
    return true;
}
