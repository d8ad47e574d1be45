/* fuzz_parse: libFuzzer target over the whole parse path.
 *
 * Input byte 0 picks the HTTP Content-Type (none, a Latin-1 RSS charset,
 * UTF-16, JSON); the rest is the document. Each input goes through
 * feed_parse() and, when it yields a feed, through dedup_prepare()
 * (canonical links, story terms with Unicode folding) and
 * jsonfeed_render(), so the readers, the date and field code, the dedup
 * keys and the JSON writer all see hostile data. Everything is freed: LeakSanitizer reports what is
 * not. Depends on feed/ only.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "feed/dedup.h"
#include "feed/jsonfeed_out.h"
#include "feed/model.h"
#include "feed/parse.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const content_types[] = {
    NULL,
    "application/rss+xml; charset=iso-8859-1",
    "text/xml; charset=utf-16",
    "application/json",
};

#define N_CONTENT_TYPES (sizeof(content_types) / sizeof(content_types[0]))

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    feed_parse_init();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *content_type;
    struct feed *feed = NULL;
    char *json = NULL;
    char err[256];

    if (size < 1)
        return 0;
    content_type = content_types[data[0] % N_CONTENT_TYPES];
    if (feed_parse((const char *)data + 1, size - 1, "https://example.org/feed/", content_type,
                   &feed, err, sizeof(err)) < 0)
        return 0;
    struct dedup_opts o = {.canon = {.fold_scheme = true, .fold_slash = true}, .fingerprint = true};
    (void)dedup_prepare(feed, &o);
    if (jsonfeed_render(feed, &json) == 0)
        free(json);
    feed_free(feed);
    return 0;
}
