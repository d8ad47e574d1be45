/* url: see url.h. */
#include "base/url.h"

#include <curl/curl.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

static int from_curlu(CURLUcode c)
{
    return c == CURLUE_OUT_OF_MEMORY ? -ENOMEM : -EINVAL;
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
