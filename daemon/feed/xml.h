/* xml: libxml2 helpers shared by the XML readers (internal to feed/).
 *
 * Text extraction that expands the document's own internal entities with
 * a depth and size bound (never external ones), serialization of inline
 * markup, xml:base resolution (nested, then the document URL, through
 * base/url), and small HTML <-> text conversions. All returned strings are
 * malloc'ed UTF-8 owned by the caller, trimmed, and NULL when empty.
 * Functions return 0, -ENOMEM, or -E2BIG when a value exceeds
 * XML_VALUE_MAX. Depends on base/, libxml2.
 */
#ifndef HERALD_FEED_XML_H
#define HERALD_FEED_XML_H

#include <stdbool.h>

#include <libxml/tree.h>

#define NS_ATOM10  "http://www.w3.org/2005/Atom"
#define NS_ATOM03  "http://purl.org/atom/ns#"
#define NS_RDF     "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
#define NS_RSS10   "http://purl.org/rss/1.0/"
#define NS_RSS090  "http://my.netscape.com/rdf/simple/0.9/"
#define NS_DC      "http://purl.org/dc/elements/1.1/"
#define NS_DCTERMS "http://purl.org/dc/terms/"
#define NS_CONTENT "http://purl.org/rss/1.0/modules/content/"
#define NS_XHTML   "http://www.w3.org/1999/xhtml"

/* Longest single value (a content:encoded, say) after entity expansion. */
#define XML_VALUE_MAX (16u << 20)

/* How many bytes of entity text the readers may expand in one document,
 * over all fields and all references together: without it, a small
 * document that references one large internal entity many times expands
 * quadratically (libxml2 does not count re-expansions in tree mode).
 * parse.c points doc->_private at one per document; past the budget (or
 * without one) entity references expand to nothing. */
struct xml_budget {
    size_t left;
};

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

/* Plain text of an HTML fragment: tags dropped, entities decoded, script
 * and style skipped, white space collapsed. */
int xml_html_to_text(const char *html, char **ret);
/* Text escaped for use as HTML. */
int xml_text_to_html(const char *text, char **ret);

#endif
