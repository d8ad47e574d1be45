/* dedup_eval: precision and recall of each dedup level over the labeled
 * set in tests/dedup/data (see tests/dedup/README.md).
 *
 * Every entry of the set is ingested through the real store (a fresh
 * SQLite file per level) as its feed's document at its publication time,
 * in time order, as a poller that fetched each feed soon after it
 * published would. Then every labeled pair is checked: the two entries
 * are "shown as one" at a level when they ended in the same story (for
 * level none: the same stored entry).
 *
 * Pairs: in news-*.jsonl, two entries with the same "story" label from
 * different feeds are the same story (kind story_same); two with the same
 * "topic" label and different stories are not (topic_diff), nor are two
 * of different topics (unrelated: every other pair). Other files
 * label their pairs explicitly: an entry with "variant_of" and "kind".
 *
 * Usage: dedup_eval [--check] [--similarity PERCENT] [--pairs FILE] DATA_DIR
 * --check fails (exit 1) below the floors: story precision 0.97 and
 * recall 0.85, link precision 1.0.
 */
#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/clock.h"
#include "feed/date.h"
#include "feed/dedup.h"
#include "store/store.h"

struct item {
    char *id, *feed, *guid, *link, *title, *summary, *story, *topic, *variant_of, *kind;
    int64_t published;
    int poll;
    bool news;
    int64_t row[3], group[3]; /* per level: stored entry, story */
};

struct pair {
    size_t a, b;
    bool same;
    const char *kind;
};

static struct item *items;
static size_t n_items, cap_items;
static struct pair *pairs;
static size_t n_pairs, cap_pairs;

static char *dup_field(json_t *o, const char *k)
{
    const char *v = json_string_value(json_object_get(o, k));
    return v ? strdup(v) : NULL;
}

static void load_file(const char *path, bool news)
{
    json_error_t err;
    FILE *f = fopen(path, "r");
    char line[65536];
    int ln = 0;

    if (!f) {
        fprintf(stderr, "dedup_eval: %s: %s\n", path, strerror(errno));
        exit(2);
    }
    while (fgets(line, sizeof(line), f)) {
        json_t *o;
        struct item *it;

        ln++;
        if (line[strspn(line, " \t\r\n")] == '\0')
            continue;
        o = json_loads(line, 0, &err);
        if (!o) {
            fprintf(stderr, "%s:%d: %s\n", path, ln, err.text);
            exit(2);
        }
        if (n_items == cap_items) {
            cap_items = cap_items ? cap_items * 2 : 1024;
            items = realloc(items, cap_items * sizeof(*items));
        }
        it = &items[n_items++];
        memset(it, 0, sizeof(*it));
        it->id = dup_field(o, "id");
        it->feed = dup_field(o, "feed");
        it->guid = dup_field(o, "guid");
        it->link = dup_field(o, "link");
        it->title = dup_field(o, "title");
        it->summary = dup_field(o, "summary");
        it->story = dup_field(o, "story");
        it->topic = dup_field(o, "topic");
        it->variant_of = dup_field(o, "variant_of");
        it->kind = dup_field(o, "kind");
        it->poll = json_is_integer(json_object_get(o, "poll"))
                       ? (int)json_integer_value(json_object_get(o, "poll"))
                       : 1;
        it->news = news;
        const char *pub = json_string_value(json_object_get(o, "published"));
        if (!it->id || !it->feed || !pub || (it->published = date_parse(pub)) == TIME_NONE) {
            fprintf(stderr, "%s:%d: needs id, feed and an RFC 3339 published\n", path, ln);
            exit(2);
        }
        json_decref(o);
    }
    fclose(f);
}

static int cmp_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void load_dir(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    char *names[64];
    size_t n = 0;

    if (!d) {
        fprintf(stderr, "dedup_eval: %s: %s\n", dir, strerror(errno));
        exit(2);
    }
    while ((de = readdir(d)) && n < 64) {
        size_t len = strlen(de->d_name);
        if (len > 6 && strcmp(de->d_name + len - 6, ".jsonl") == 0)
            names[n++] = strdup(de->d_name);
    }
    closedir(d);
    qsort(names, n, sizeof(*names), cmp_name);
    for (size_t i = 0; i < n; i++) {
        char path[4096];
        snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
        load_file(path, strncmp(names[i], "news-", 5) == 0);
        free(names[i]);
    }
}

static size_t find_item(const char *id)
{
    for (size_t i = 0; i < n_items; i++)
        if (strcmp(items[i].id, id) == 0)
            return i;
    fprintf(stderr, "dedup_eval: variant_of \"%s\": no such entry\n", id);
    exit(2);
}

static void add_pair(size_t a, size_t b, bool same, const char *kind)
{
    if (n_pairs == cap_pairs) {
        cap_pairs = cap_pairs ? cap_pairs * 2 : 1024;
        pairs = realloc(pairs, cap_pairs * sizeof(*pairs));
    }
    pairs[n_pairs++] = (struct pair){a, b, same, kind};
}

static void make_pairs(void)
{
    for (size_t i = 0; i < n_items; i++) {
        struct item *x = &items[i];

        if (x->variant_of) {
            bool same = !x->kind || strcmp(x->kind, "link_diff") != 0;
            add_pair(find_item(x->variant_of), i, same, x->kind ? x->kind : "variant");
            continue;
        }
        if (!x->news)
            continue;
        for (size_t j = i + 1; j < n_items; j++) {
            struct item *y = &items[j];

            if (!y->news || y->variant_of)
                continue;
            if (x->story && y->story && strcmp(x->story, y->story) == 0) {
                if (strcmp(x->feed, y->feed) != 0)
                    add_pair(i, j, true, "story_same");
            } else if (x->topic && y->topic && strcmp(x->topic, y->topic) == 0) {
                add_pair(i, j, false, "topic_diff");
            } else {
                add_pair(i, j, false, "unrelated");
            }
        }
    }
}

/* Ingestion order: poll round, then publication time, then file order. */
static int cmp_order(const void *a, const void *b)
{
    const struct item *x = &items[*(const size_t *)a], *y = &items[*(const size_t *)b];

    if (x->poll != y->poll)
        return x->poll - y->poll;
    if (x->published != y->published)
        return x->published < y->published ? -1 : 1;
    return *(const size_t *)a < *(const size_t *)b ? -1 : 1;
}

static void run_level(enum dedup_level level, unsigned similarity, const char *dir)
{
    char path[4096];
    struct store *s;
    char err[512];
    size_t *order = malloc(n_items * sizeof(*order));
    struct store_dedup d = {
        .level = level,
        .prepare = {.canon = {.fold_scheme = true, .fold_slash = true}},
        .window = 72 * 3600,
        .min_similarity = similarity,
    };

    snprintf(path, sizeof(path), "%s/eval-%s.db", dir, dedup_level_name(level));
    unlink(path);
    if (store_open(path, &s, err, sizeof(err)) < 0) {
        fprintf(stderr, "dedup_eval: %s\n", err);
        exit(2);
    }
    store_set_dedup(s, &d);
    for (size_t i = 0; i < n_items; i++)
        order[i] = i;
    qsort(order, n_items, sizeof(*order), cmp_order);
    for (size_t k = 0; k < n_items; k++) {
        struct item *it = &items[order[k]];
        struct store_feed_state *st;
        struct feed *doc = feed_new();
        struct entry *e = feed_add_entry(doc);
        char url[512];
        /* Polled soon after it was published; round 2 a day later. */
        struct store_poll poll = {.status = 200,
                                  .polled_at = it->published + 600 + (it->poll - 1) * 86400,
                                  .next_poll = 0};
        struct store_why *w;

        snprintf(url, sizeof(url), "https://feeds.example/%s.xml", it->feed);
        if (store_feed_register(s, it->feed, url, &st) < 0)
            exit(2);
        model_set_str(&e->id, it->guid);
        model_set_str(&e->link, it->link);
        model_set_str(&e->title, it->title);
        model_set_str(&e->summary, it->summary);
        e->published = it->published;
        if (store_ingest(s, st->id, doc, &poll, NULL) < 0) {
            fprintf(stderr, "dedup_eval: ingest %s: %s\n", it->id, store_errmsg(s));
            exit(2);
        }
        /* The stored entry: by guid, else by link. */
        if (store_why(s, it->guid ? it->guid : it->link, &w) < 0) {
            fprintf(stderr, "dedup_eval: %s not found after ingest\n", it->id);
            exit(2);
        }
        it->row[level] = w->id;
        it->group[level] = w->story;
        store_why_free(w);
        store_feed_state_free(st);
        feed_free(doc);
    }
    store_close(s);
    unlink(path);
    free(order);
}

static bool shown_as_one(const struct pair *p, enum dedup_level l)
{
    const struct item *a = &items[p->a], *b = &items[p->b];

    return l == DEDUP_NONE ? a->row[l] == b->row[l] : a->group[l] == b->group[l];
}

int main(int argc, char **argv)
{
    unsigned similarity = STORE_DEFAULT_SIMILARITY;
    const char *pairs_out = NULL, *data = NULL;
    bool check = false;
    const char *kinds[32];
    size_t n_kinds = 0;
    double prec[3], rec[3];
    char tmp[] = "/tmp/dedup_eval.XXXXXX";

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--check") == 0)
            check = true;
        else if (strcmp(argv[i], "--similarity") == 0 && i + 1 < argc)
            similarity = (unsigned)atoi(argv[++i]);
        else if (strcmp(argv[i], "--pairs") == 0 && i + 1 < argc)
            pairs_out = argv[++i];
        else
            data = argv[i];
    }
    if (!data) {
        fprintf(stderr,
                "usage: dedup_eval [--check] [--similarity PERCENT] [--pairs FILE] DATA_DIR\n");
        return 2;
    }
    load_dir(data);
    make_pairs();
    if (!mkdtemp(tmp)) {
        perror("mkdtemp");
        return 2;
    }
    for (int l = DEDUP_NONE; l <= DEDUP_STORY; l++)
        run_level((enum dedup_level)l, similarity, tmp);
    rmdir(tmp);

    size_t n_unrelated = 0;
    for (size_t i = 0; i < n_pairs; i++) {
        bool seen = false;
        n_unrelated += strcmp(pairs[i].kind, "unrelated") == 0;
        for (size_t k = 0; k < n_kinds && !seen; k++)
            seen = strcmp(kinds[k], pairs[i].kind) == 0;
        if (!seen && n_kinds < 32)
            kinds[n_kinds++] = pairs[i].kind;
    }
    printf("%zu entries, %zu labeled pairs (and %zu unrelated); story similarity >= %u %%\n\n",
           n_items, n_pairs - n_unrelated, n_unrelated, similarity);
    printf("| level | precision | recall | TP | FP | FN |\n|---|---|---|---|---|---|\n");
    for (int l = DEDUP_NONE; l <= DEDUP_STORY; l++) {
        unsigned tp = 0, fp = 0, fn = 0;
        for (size_t i = 0; i < n_pairs; i++) {
            bool one = shown_as_one(&pairs[i], (enum dedup_level)l);
            tp += one && pairs[i].same;
            fp += one && !pairs[i].same;
            fn += !one && pairs[i].same;
        }
        prec[l] = tp + fp ? (double)tp / (tp + fp) : 1.0;
        rec[l] = tp + fn ? (double)tp / (tp + fn) : 1.0;
        printf("| %s | %.3f | %.3f | %u | %u | %u |\n", dedup_level_name((enum dedup_level)l),
               prec[l], rec[l], tp, fp, fn);
    }
    printf("\nShare of pairs shown as one entry, per kind (want 1.0 for same-story kinds, 0.0 "
           "for the others):\n\n| kind | same | pairs | none | link | story |\n"
           "|---|---|---|---|---|---|\n");
    for (size_t k = 0; k < n_kinds; k++) {
        unsigned n = 0, one[3] = {0};
        bool same = false;
        for (size_t i = 0; i < n_pairs; i++) {
            if (strcmp(pairs[i].kind, kinds[k]) != 0)
                continue;
            n++;
            same = pairs[i].same;
            for (int l = 0; l < 3; l++)
                one[l] += shown_as_one(&pairs[i], (enum dedup_level)l);
        }
        printf("| %s | %s | %u | %.3f | %.3f | %.3f |\n", kinds[k], same ? "yes" : "no", n,
               (double)one[0] / n, (double)one[1] / n, (double)one[2] / n);
    }
    if (pairs_out) {
        FILE *f = fopen(pairs_out, "w");
        if (!f) {
            perror(pairs_out);
            return 2;
        }
        fprintf(f, "a\tb\tsame\tkind\tnone\tlink\tstory\n");
        for (size_t i = 0; i < n_pairs; i++)
            fprintf(f, "%s\t%s\t%d\t%s\t%d\t%d\t%d\n", items[pairs[i].a].id, items[pairs[i].b].id,
                    pairs[i].same, pairs[i].kind, shown_as_one(&pairs[i], DEDUP_NONE),
                    shown_as_one(&pairs[i], DEDUP_LINK), shown_as_one(&pairs[i], DEDUP_STORY));
        fclose(f);
    }
    if (check) {
        bool ok = true;
        if (n_pairs - n_unrelated < 400) {
            printf("\nFAIL: %zu labeled pairs, the set needs at least 400\n",
                   n_pairs - n_unrelated);
            ok = false;
        }
        if (prec[DEDUP_STORY] < 0.97 || rec[DEDUP_STORY] < 0.85) {
            printf("\nFAIL: story precision %.3f (floor 0.97), recall %.3f (floor 0.85)\n",
                   prec[DEDUP_STORY], rec[DEDUP_STORY]);
            ok = false;
        }
        if (prec[DEDUP_LINK] < 1.0) {
            printf("\nFAIL: link precision %.3f (floor 1.0)\n", prec[DEDUP_LINK]);
            ok = false;
        }
        return ok ? 0 : 1;
    }
    return 0;
}
