/* fuzz_url: libFuzzer target over base/url.h and the dedup canonical link.
 *
 * Input byte 0 picks the canonicalization options (bit 0 fold_scheme,
 * bit 1 fold_slash, bit 2 extra parameters to strip); the rest, as a
 * NUL-terminated copy, is the URL. It goes through url_is_http(),
 * url_canonical(), url_resolve() against a base, and, as an entry's link,
 * dedup_prepare_entry() and dedup_entry_key() (feed/dedup.h). Checks:
 * - a canonical form is canonical: url_canonical() of it succeeds and
 *   gives the same string (idempotence), and it is an http(s) URL
 *   (url_is_http());
 * - the entry's canonical link is the canonical form, or none when that
 *   is a site's root page; the dedup key of a link-only entry is
 *   "l:" + the canonical link (else the link as written).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/url.h"
#include "feed/dedup.h"
#include "feed/model.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const strip_extra[] = {"ref", "id", "Session", NULL};

static void fail(const char *what, const char *in, const char *a, const char *b)
{
    fprintf(stderr, "fuzz_url: %s\n  input: \"%s\"\n  first: \"%s\"\n  then:  \"%s\"\n", what, in,
            a ? a : "(null)", b ? b : "(null)");
    abort();
}

/* dedup.c's is_root(): "scheme://host/" with nothing after the "/". */
static bool is_root(const char *canon)
{
    const char *p = strstr(canon, "://");

    if (!p)
        return false;
    p = strchr(p + 3, '/');
    return !p || strcmp(p, "/") == 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct url_canon_opts opts = {0};
    struct dedup_opts dopts;
    struct entry e = {0};
    char *s, *canon = NULL, *again = NULL, *resolved = NULL, *key = NULL;
    int r, r2;

    if (size < 1)
        return 0;
    opts.fold_scheme = data[0] & 1;
    opts.fold_slash = data[0] & 2;
    opts.strip = data[0] & 4 ? strip_extra : NULL;
    if (!(s = malloc(size)))
        return 0;
    memcpy(s, data + 1, size - 1);
    s[size - 1] = '\0';

    (void)url_is_http(s);
    r = url_canonical(s, &opts, &canon);
    if (r != 0 && r != -EINVAL && r != -ENOMEM)
        fail("url_canonical: unexpected error", s, NULL, NULL);
    if (r == 0) {
        if (!canon)
            fail("url_canonical: success without a result", s, NULL, NULL);
        if (!url_is_http(canon))
            fail("canonical form is not an http(s) URL", s, canon, NULL);
        r2 = url_canonical(canon, &opts, &again);
        if (r2 != 0)
            fail("canonical form is not accepted again", s, canon, NULL);
        if (strcmp(canon, again) != 0)
            fail("url_canonical is not idempotent", s, canon, again);
        free(again);
    }

    if (url_resolve("https://example.org/a/b/c?q=1#f", s, &resolved) == 0) {
        if (!resolved)
            fail("url_resolve: success without a result", s, NULL, NULL);
        free(resolved);
        resolved = NULL;
    }
    if (url_resolve(NULL, s, &resolved) == 0)
        free(resolved);

    dopts = (struct dedup_opts){.canon = opts, .fingerprint = (data[0] & 8) != 0};
    e.link = s; /* entry_release() frees it */
    e.title = data[0] & 8 ? strdup("A title for the story fingerprint") : NULL;
    if (dedup_prepare_entry(&e, &dopts) == 0) {
        const char *want = r == 0 && !is_root(canon) ? canon : NULL;

        if ((want == NULL) != (e.canon == NULL) || (want && strcmp(want, e.canon) != 0))
            fail("dedup canonical link differs from url_canonical()", s, want, e.canon);
        if (dedup_entry_key(&e, &key) == 0) {
            const char *link = e.canon ? e.canon : e.link;

            if (strncmp(key, "l:", 2) != 0 || strcmp(key + 2, link) != 0)
                fail("dedup key is not l: + the canonical link", s, link, key);
            free(key);
        }
    }
    entry_release(&e);
    free(canon);
    return 0;
}
