/* sax_count: the floor, what libxml2 alone costs on a corpus.
 *
 *   sax_count [-r ROUNDS] FILE|DIR...
 *
 * Loads every file into memory, then runs a libxml2 SAX2 pass over each
 * (same safe options as Herald: no network, no entity substitution, no
 * DTD loading) whose only callback counts item/entry start elements; no
 * tree, no text handling. Prints the same key=value line as parse_all.
 * Not part of Herald; links libxml2 only.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libxml/parser.h>

#include "load.h"

static void on_start(void *ctx, const xmlChar *localname, const xmlChar *prefix, const xmlChar *uri,
                     int nb_namespaces, const xmlChar **namespaces, int nb_attributes,
                     int nb_defaulted, const xmlChar **attributes)
{
    size_t *count = ctx;

    if (strcmp((const char *)localname, "item") == 0 ||
        strcmp((const char *)localname, "entry") == 0)
        (*count)++;
}

static int count_one(const struct bench_file *file, size_t *entries)
{
    xmlSAXHandler sax;
    xmlParserCtxtPtr ctxt;
    int ok;

    memset(&sax, 0, sizeof(sax));
    sax.initialized = XML_SAX2_MAGIC;
    sax.startElementNs = on_start;
    ctxt = xmlCreatePushParserCtxt(&sax, entries, NULL, 0, file->path);
    if (!ctxt)
        return -1;
    xmlCtxtUseOptions(ctxt, XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    xmlParseChunk(ctxt, file->data, (int)file->len, 1);
    ok = ctxt->wellFormed;
    xmlFreeParserCtxt(ctxt);
    return ok ? 0 : -1;
}

int main(int argc, char **argv)
{
    struct bench_set set;
    size_t entries = 0, errors = 0, i;
    long rounds = 1, base_kb, round;
    double start, seconds;
    int opt, r;

    while ((opt = getopt(argc, argv, "r:")) != -1) {
        if (opt != 'r' || (rounds = strtol(optarg, NULL, 10)) < 1) {
            fprintf(stderr, "usage: sax_count [-r ROUNDS] FILE|DIR...\n");
            return 2;
        }
    }
    if (optind >= argc) {
        fprintf(stderr, "usage: sax_count [-r ROUNDS] FILE|DIR...\n");
        return 2;
    }
    xmlInitParser();
    r = bench_load(&set, argv + optind, argc - optind);
    if (r < 0)
        goto out;
    base_kb = bench_maxrss_kb();
    start = bench_now();
    for (round = 0; round < rounds; round++) {
        for (i = 0; i < set.n; i++) {
            if (count_one(&set.files[i], &entries) < 0)
                errors++;
        }
    }
    seconds = bench_now() - start;
    printf("files=%zu bytes=%zu entries=%zu errors=%zu seconds=%.6f maxrss_kb=%ld base_kb=%ld "
           "largest=%zu\n",
           set.n, set.bytes * (size_t)rounds, entries, errors, seconds, bench_maxrss_kb(), base_kb,
           set.largest);
out:
    bench_release(&set);
    xmlCleanupParser();
    return r < 0 ? 1 : 0;
}
