/* why: see why.h. */
#include "app/why.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "base/clock.h"
#include "store/store.h"

static const char *when(int64_t t, char buf[CLOCK_RFC3339_LEN])
{
    if (t == TIME_NONE || clock_format_rfc3339(t, buf) < 0)
        return "-";
    return buf;
}

static const char *or_none(const char *s)
{
    return s ? s : "(none)";
}

static void print_identity(const struct store_why *w, FILE *out)
{
    const char *rule = w->id_rule ? w->id_rule : "guid";

    fprintf(out, "  identified by: %s (key %s)\n", rule, w->key);
    if (strstr(rule, "guid changed"))
        fprintf(out, "    its guid changed, but its canonical link is that of the stored entry:"
                     " the same entry, not a new one\n");
    else if (strstr(rule, "link changed"))
        fprintf(out, "    its link changed, but its guid is that of the stored entry\n");
    fprintf(out, "  feed identity key: %s%s\n", w->id_mode,
            strcmp(w->id_mode, "link") == 0
                ? " (switched: the feed's guids changed while its links stayed the same)"
                : "");
}

static void print_story(const struct store_why *w, FILE *out)
{
    if (!w->story_rule) {
        fprintf(out, "  story: #%" PRId64 ", started by this entry (%" PRId64 " %s)\n", w->story,
                w->sources, w->sources == 1 ? "entry" : "entries");
        return;
    }
    fprintf(out, "  story: #%" PRId64 " (%" PRId64 " entries); joined it as a new source\n",
            w->story, w->sources);
    if (strcmp(w->story_rule, "link") == 0)
        fprintf(out, "    because entry #%" PRId64 " of feed \"%s\" has the same canonical link\n",
                w->story_ref, or_none(w->ref_feed));
    else
        fprintf(out,
                "    because entry #%" PRId64 " of feed \"%s\" tells the same story: similarity "
                "%d %% (title and lead terms, TF-IDF cosine)\n",
                w->story_ref, or_none(w->ref_feed), w->story_similarity);
    fprintf(out, "    that entry: \"%s\" %s\n", or_none(w->ref_title), or_none(w->ref_link));
}

int why_print(const struct config *cfg, const char *entry, FILE *out)
{
    char err[512], t1[CLOCK_RFC3339_LEN], t2[CLOCK_RFC3339_LEN];
    struct store *s;
    struct store_why *w;
    int r;

    r = store_open_readonly(cfg->database, &s, err, sizeof(err));
    if (r < 0) {
        fprintf(stderr, "heraldd: cannot read the database %s\n", err);
        return 1;
    }
    config_apply_dedup(cfg, s);
    r = store_why(s, entry, &w);
    if (r < 0) {
        if (r == -ENOENT)
            fprintf(stderr, "heraldd: no entry has the id, guid or link '%s'\n", entry);
        else
            fprintf(stderr, "heraldd: cannot read the database: %s\n", store_errmsg(s));
        store_close(s);
        return r == -ENOENT ? 3 : 1;
    }
    fprintf(out, "entry #%" PRId64 " of feed \"%s\": %s\n", w->id, w->feed, or_none(w->title));
    fprintf(out, "  guid: %s\n  link: %s\n  canonical link: %s\n", or_none(w->guid),
            or_none(w->link), or_none(w->canon));
    print_identity(w, out);
    fprintf(out, "  first seen: %s; ", when(w->first_seen, t1));
    if (w->revisions)
        fprintf(out, "changed in place %d time%s, last %s\n", w->revisions,
                w->revisions == 1 ? "" : "s", when(w->revised, t2));
    else
        fprintf(out, "never changed\n");
    print_story(w, out);
    if (!w->has_fp)
        fprintf(out, "  (no story fingerprint: stored at a dedup level below story, or too few "
                     "words)\n");
    store_why_free(w);
    store_close(s);
    return 0;
}
