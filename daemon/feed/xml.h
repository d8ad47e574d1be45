/* xml: libxml2 helpers shared by the XML readers (internal to feed/).
 *
 * Text extraction that expands the document's own internal entities with
 * a depth and size bound (never external ones), serialization of inline
 * markup, xml:base resolution (nested, then the document URL, through
 * base/url), and small HTML <-> text conversions. All returned strings are
 * malloc'ed UTF-8 owned by the caller, trimmed, and NULL when empty.
 * Values longer than the document's max_field are cut at a character
 * boundary; text walks stop descending at its max_depth (both from the
 * struct xml_budget of the document, defaults without one). Functions
 * return 0 or -ENOMEM. Depends on base/, libxml2.
 */
#ifndef HERALD_FEED_XML_H
#define HERALD_FEED_XML_H

#include <stdbool.h>

#include <libxml/tree.h>

#define NS_ATOM10     "http://www.w3.org/2005/Atom"
#define NS_ATOM03     "http://purl.org/atom/ns#"
#define NS_RDF        "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
#define NS_RSS10      "http://purl.org/rss/1.0/"
#define NS_RSS090     "http://my.netscape.com/rdf/simple/0.9/"
#define NS_DC         "http://purl.org/dc/elements/1.1/"
#define NS_DCTERMS    "http://purl.org/dc/terms/"
#define NS_CONTENT    "http://purl.org/rss/1.0/modules/content/"
#define NS_XHTML      "http://www.w3.org/1999/xhtml"
#define NS_MEDIA      "http://search.yahoo.com/mrss/"
#define NS_ITUNES     "http://www.itunes.com/dtds/podcast-1.0.dtd"
#define NS_FEEDBURNER "http://rssnamespace.org/feedburner/ext/1.0"
#define NS_SY         "http://purl.org/rss/1.0/modules/syndication/"
#define NS_ADMIN      "http://webns.net/mvcb/"
#define NS_USERLAND   "http://backend.userland.com/rss2"

/* Longest single value (a content:encoded, say) after entity expansion,
 * whatever the limits say. */
#define XML_VALUE_MAX (16u << 20)

/* How many bytes of entity text the readers may expand in one document,
 * over all fields and all references together: without it, a small
 * document that references one large internal entity many times expands
 * quadratically (libxml2 does not count re-expansions in tree mode).
 * parse.c points doc->_private at one per document; past the budget (or
 * without one) entity references expand to nothing. */
struct xml_budget {
    size_t left;
    size_t max_field; /* bytes of one value, <= XML_VALUE_MAX */
    size_t max_depth; /* element levels a text walk descends */
};

/* Copies at most max bytes of s into a new string, cut back to a UTF-8
 * character boundary and trimmed (NULL when empty). 0 or -ENOMEM. */
int xml_set_bounded(char **field, const char *s, size_t len, size_t max);
/* The max_field in force for n's document. */
size_t xml_max_field(const xmlNode *n);

/* Namespace URI of an element, or NULL. */
const char *xml_ns(const xmlNode *n);
/* True when n is an element with this local name and namespace (ns NULL:
 * no namespace). */
bool xml_is(const xmlNode *n, const char *ns, const char *name);
/* First child element with this name and namespace, or NULL. */
xmlNode *xml_child(const xmlNode *parent, const char *ns, const char *name);
/* Number of element children. */
size_t xml_count_elements(const xmlNode *n);

/* Text content of n (descendants' text, internal entities expanded). */
int xml_text(const xmlNode *n, char **ret);
/* Children of n serialized as markup (inline XHTML content). */
int xml_inner(const xmlNode *n, char **ret);
/* Value of the un-namespaced attribute name. */
int xml_attr(const xmlNode *n, const char *name, char **ret);
/* ref resolved against the xml:base attributes of n and its ancestors,
 * then doc_url (may be NULL). A reference that cannot be resolved (no
 * base, "mailto:", "urn:") is returned as it is. */
int xml_resolve(const xmlNode *n, const char *doc_url, const char *ref, char **ret);
/* The base URL in scope for n: its xml:base chain resolved against doc_url
 * (NULL when there is none). */
int xml_base(const xmlNode *n, const char *doc_url, char **ret);
/* ref resolved against base (may be NULL); an unresolvable ref as it is. */
int xml_resolve_with(const char *base, const char *ref, char **ret);
/* The nearest of n and its ancestors that carries xml:base, or NULL: the
 * base in scope changes only where this does (callers cache on it). */
const xmlNode *xml_base_owner(const xmlNode *n);

/* parse.c marks an element whose content had a CDATA section by setting
 * its _private to xml_cdata_mark (nothing else uses node _private). */
extern const char xml_cdata_mark[];
/* True when n's own content had a CDATA section. */
bool xml_from_cdata(const xmlNode *n);

/* Replaces *s by its text with HTML character references decoded once
 * ("Q&amp;a" -> "Q&a", "&amp;amp;" -> "&amp;"); only complete references
 * ending in ";" are decoded, tags are left as they are. 0 or -ENOMEM. */
int xml_decode_entities(char **s);

/* Plain text of an HTML fragment: tags dropped, entities decoded, script
 * and style skipped, white space collapsed. */
int xml_html_to_text(const char *html, char **ret);
/* Text escaped for use as HTML. */
int xml_text_to_html(const char *text, char **ret);

#endif
