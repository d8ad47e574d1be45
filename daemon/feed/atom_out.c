/* atom_out: see atom_out.h. */
#include "feed/atom_out.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "base/buf.h"
#include "base/clock.h"
#include "feed/dedup.h"

#define ATOM_MAX_BYTES (256u << 20)

static void put_elem(struct buf *b, const char *indent, const char *name, const char *text)
{
    buf_put_xml_elem(b, indent, name, text);
}

static void put_date(struct buf *b, const char *indent, const char *name, int64_t t)
{
    char s[CLOCK_RFC3339_LEN];

    if (t == TIME_NONE || clock_format_rfc3339(t, s) < 0)
        return;
    buf_printf(b, "%s<%s>%s</%s>\n", indent, name, s, name);
}

static void put_link(struct buf *b, const char *indent, const char *rel, const char *type,
                     const char *href)
{
    if (!href)
        return;
    buf_printf(b, "%s<link rel=\"%s\"", indent, rel);
    if (type)
        buf_printf(b, " type=\"%s\"", type);
    buf_puts(b, " href=\"");
    buf_put_xml(b, href);
    buf_puts(b, "\"/>\n");
}

void atom_entry_id(const struct entry *e, char *out, size_t n)
{
    char hash[HASH_HEX_LEN + 1];

    if (e->id) {
        snprintf(out, n, "%s", e->id);
    } else if (e->link) {
        snprintf(out, n, "%s", e->link);
    } else {
        if (dedup_entry_urn_hash(e, hash) < 0)
            hash[0] = '\0';
        snprintf(out, n, "urn:sha256:%s", hash);
    }
}

static void put_source(struct buf *b, const struct entry_source *s)
{
    if (!s->id && !s->title)
        return;
    buf_puts(b, "    <source>\n");
    put_elem(b, "      ", "id", s->id);
    put_elem(b, "      ", "title", s->title);
    put_date(b, "      ", "updated", s->updated);
    put_link(b, "      ", "alternate", "text/html", s->link);
    put_link(b, "      ", "self", NULL, s->url && strncmp(s->url, "file:", 5) ? s->url : NULL);
    buf_puts(b, "    </source>\n");
}

void atom_put_related(struct buf *b, const char *indent, const char *tag, const struct entry *e)
{
    for (size_t i = 0; i < e->n_related; i++) {
        const struct entry_related *r = &e->related[i];

        if (!r->link)
            continue;
        buf_printf(b, "%s<%s rel=\"related\" type=\"text/html\" href=\"", indent, tag);
        buf_put_xml(b, r->link);
        buf_puts(b, "\"");
        if (r->source.title) {
            buf_puts(b, " title=\"");
            buf_put_xml(b, r->source.title);
            buf_puts(b, "\"");
        }
        buf_puts(b, "/>\n");
    }
}

static void put_entry(struct buf *b, const struct entry *e)
{
    /* An id is an IRI of any length: render straight from the entry. */
    char hashid[HASH_HEX_LEN + 16];
    const char *id = e->id ? e->id : e->link;
    int64_t updated = e->updated != TIME_NONE ? e->updated : e->published;

    if (!id) {
        atom_entry_id(e, hashid, sizeof(hashid));
        id = hashid;
    }
    buf_puts(b, "  <entry>\n");
    put_elem(b, "    ", "id", id);
    put_elem(b, "    ", "title", e->title ? e->title : "");
    put_date(b, "    ", "updated", updated);
    put_date(b, "    ", "published", e->published);
    if (e->author) {
        buf_puts(b, "    <author>\n");
        put_elem(b, "      ", "name", e->author);
        buf_puts(b, "    </author>\n");
    }
    put_link(b, "    ", "alternate", "text/html", e->link);
    if (e->summary && e->content) {
        buf_puts(b, "    <summary type=\"html\">");
        buf_put_xml(b, e->summary);
        buf_puts(b, "</summary>\n");
    }
    if (e->content || e->summary) {
        buf_puts(b, "    <content type=\"html\">");
        buf_put_xml(b, e->content ? e->content : e->summary);
        buf_puts(b, "</content>\n");
    }
    put_source(b, &e->source);
    atom_put_related(b, "    ", "link", e);
    buf_puts(b, "  </entry>\n");
}

int atom_render(const struct atom_out_meta *meta, const struct feed *f, char **ret, size_t *ret_len)
{
    struct buf b;
    size_t len;

    buf_init(&b, ATOM_MAX_BYTES);
    buf_puts(&b, "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
                 "<feed xmlns=\"http://www.w3.org/2005/Atom\""
                 " xmlns:fh=\"http://purl.org/syndication/history/1.0\">\n");
    if (meta->archive)
        buf_puts(&b, "  <fh:archive/>\n");
    put_elem(&b, "  ", "id", meta->id);
    put_elem(&b, "  ", "title", meta->title);
    /* RFC 4287 needs an <updated>: an empty feed is as old as the epoch. */
    put_date(&b, "  ", "updated", f->updated != TIME_NONE ? f->updated : 0);
    buf_puts(&b, "  <author>\n");
    put_elem(&b, "    ", "name", meta->title);
    buf_puts(&b, "  </author>\n");
    buf_printf(&b, "  <generator uri=\"https://github.com/herald-feeds/herald\" version=\"%s\">",
               meta->generator_version);
    buf_puts(&b, "Herald</generator>\n");
    put_link(&b, "  ", "self", "application/atom+xml", meta->self_url);
    put_link(&b, "  ", "alternate", "text/html", meta->site_url);
    put_link(&b, "  ", "current", "application/atom+xml", meta->current);
    put_link(&b, "  ", "prev-archive", "application/atom+xml", meta->prev_archive);
    for (size_t i = 0; i < f->n_entries; i++)
        put_entry(&b, &f->entries[i]);
    buf_puts(&b, "</feed>\n");
    if (b.err)
        return b.err;
    len = b.len;
    *ret = buf_steal(&b);
    *ret_len = len;
    return 0;
}
