/* parse_all: times Herald's parse path over a corpus, in one process.
 *
 *   parse_all [-r ROUNDS] FILE|DIR...
 *
 * Loads every file into memory, then runs feed_parse() + feed_free() over
 * all of them ROUNDS times (default 1), as `heraldd parse` does for one
 * file (no URL, no Content-Type). Prints one line of key=value pairs:
 * files, bytes, entries, errors, seconds (all rounds), maxrss_kb (peak of
 * the process, loaded corpus included) and base_kb (peak before the first
 * parse), so maxrss_kb - base_kb is what parsing added on top of the
 * inputs. Not part of Herald; links herald_core.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "feed/model.h"
#include "feed/parse.h"
#include "load.h"

struct totals {
    size_t entries;
    size_t errors;
};

static int parse_one(const struct bench_file *file, struct totals *t)
{
    struct feed *feed = NULL;
    char err[256];
    int r;

    r = feed_parse(file->data, file->len, NULL, NULL, &feed, err, sizeof(err));
    if (r < 0) {
        if (t->errors++ == 0)
            fprintf(stderr, "parse_all: %s: %s (%s)\n", file->path, strerror(-r), err);
        return r == -ENOMEM ? r : 0;
    }
    t->entries += feed->n_entries;
    feed_free(feed);
    return 0;
}

int main(int argc, char **argv)
{
    struct bench_set set;
    struct totals t = {0};
    long rounds = 1, base_kb, round;
    double start, seconds;
    size_t i;
    int opt, r;

    while ((opt = getopt(argc, argv, "r:")) != -1) {
        if (opt != 'r' || (rounds = strtol(optarg, NULL, 10)) < 1) {
            fprintf(stderr, "usage: parse_all [-r ROUNDS] FILE|DIR...\n");
            return 2;
        }
    }
    if (optind >= argc) {
        fprintf(stderr, "usage: parse_all [-r ROUNDS] FILE|DIR...\n");
        return 2;
    }
    feed_parse_init();
    r = bench_load(&set, argv + optind, argc - optind);
    if (r < 0)
        goto out;
    base_kb = bench_maxrss_kb();
    start = bench_now();
    for (round = 0; round < rounds && r == 0; round++) {
        for (i = 0; i < set.n && r == 0; i++)
            r = parse_one(&set.files[i], &t);
    }
    seconds = bench_now() - start;
    if (r < 0) {
        fprintf(stderr, "parse_all: %s\n", strerror(-r));
        goto out;
    }
    printf("files=%zu bytes=%zu entries=%zu errors=%zu seconds=%.6f maxrss_kb=%ld base_kb=%ld "
           "largest=%zu\n",
           set.n, set.bytes * (size_t)rounds, t.entries, t.errors, seconds, bench_maxrss_kb(),
           base_kb, set.largest);
out:
    bench_release(&set);
    feed_parse_cleanup();
    return r < 0 ? 1 : 0;
}
