/* rss_out: see rss_out.h. */
#include "feed/rss_out.h"

#include <stdbool.h>
#include <string.h>

#include "base/buf.h"
#include "base/clock.h"
#include "feed/atom_out.h"

#define RSS_MAX_BYTES (256u << 20)

static void put_elem(struct buf *b, const char *indent, const char *name, const char *text)
{
    buf_put_xml_elem(b, indent, name, text);
}

static void put_date(struct buf *b, const char *indent, const char *name, int64_t t)
{
    char s[CLOCK_RFC1123_LEN];

    if (t == TIME_NONE || clock_format_rfc1123(t, s) < 0)
        return;
    buf_printf(b, "%s<%s>%s</%s>\n", indent, name, s, name);
}

static void put_atom_link(struct buf *b, const char *rel, const char *href)
{
    if (!href)
        return;
    buf_printf(b, "    <atom:link rel=\"%s\" type=\"application/rss+xml\" href=\"", rel);
    buf_put_xml(b, href);
    buf_puts(b, "\"/>\n");
}

static bool is_http(const char *s)
{
    return s && (!strncmp(s, "http://", 7) || !strncmp(s, "https://", 8));
}

static void put_item(struct buf *b, const struct entry *e)
{
    char hashid[256];
    const char *id = e->id ? e->id : e->link;
    int64_t date = e->published != TIME_NONE ? e->published : e->updated;

    if (!id) {
        atom_entry_id(e, hashid, sizeof(hashid));
        id = hashid;
    }
    buf_puts(b, "    <item>\n");
    put_elem(b, "      ", "title", e->title);
    put_elem(b, "      ", "link", e->link);
    if (e->summary || e->content)
        put_elem(b, "      ", "description", e->summary ? e->summary : e->content);
    put_elem(b, "      ", "content:encoded", e->content);
    put_elem(b, "      ", "dc:creator", e->author);
    buf_printf(b, "      <guid isPermaLink=\"%s\">",
               e->link && is_http(id) && strcmp(id, e->link) == 0 ? "true" : "false");
    buf_put_xml(b, id);
    buf_puts(b, "</guid>\n");
    put_date(b, "      ", "pubDate", date);
    if (e->source.url && strncmp(e->source.url, "file:", 5) != 0) {
        buf_puts(b, "      <source url=\"");
        buf_put_xml(b, e->source.url);
        buf_puts(b, "\">");
        buf_put_xml(b, e->source.title ? e->source.title : e->source.url);
        buf_puts(b, "</source>\n");
    }
    atom_put_related(b, "      ", "atom:link", e);
    buf_puts(b, "    </item>\n");
}

int rss_render(const struct rss_out_meta *meta, const struct feed *f, char **ret, size_t *ret_len)
{
    struct buf b;
    size_t len;

    buf_init(&b, RSS_MAX_BYTES);
    buf_puts(&b, "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
                 "<rss version=\"2.0\" xmlns:atom=\"http://www.w3.org/2005/Atom\""
                 " xmlns:content=\"http://purl.org/rss/1.0/modules/content/\""
                 " xmlns:dc=\"http://purl.org/dc/elements/1.1/\""
                 " xmlns:fh=\"http://purl.org/syndication/history/1.0\">\n"
                 "  <channel>\n");
    put_elem(&b, "    ", "title", meta->title);
    put_elem(&b, "    ", "link", meta->site_url);
    put_elem(&b, "    ", "description", meta->description ? meta->description : meta->title);
    if (meta->self_url) {
        buf_puts(&b, "    <atom:link rel=\"self\" type=\"application/rss+xml\" href=\"");
        buf_put_xml(&b, meta->self_url);
        buf_puts(&b, "\"/>\n");
    }
    if (meta->archive)
        buf_puts(&b, "    <fh:archive/>\n");
    put_atom_link(&b, "current", meta->current);
    put_atom_link(&b, "prev-archive", meta->prev_archive);
    put_date(&b, "    ", "lastBuildDate", f->updated);
    buf_printf(&b, "    <generator>Herald %s</generator>\n", meta->generator_version);
    buf_puts(&b, "    <docs>https://www.rssboard.org/rss-specification</docs>\n");
    for (size_t i = 0; i < f->n_entries; i++)
        put_item(&b, &f->entries[i]);
    buf_puts(&b, "  </channel>\n</rss>\n");
    if (b.err)
        return b.err;
    len = b.len;
    *ret = buf_steal(&b);
    *ret_len = len;
    return 0;
}
