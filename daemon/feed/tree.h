/* tree: libxml2's document tree for the strict push pass, built into an
 * arena rather than one malloc() per node (internal to feed/).
 *
 * The builder replaces libxml2's SAX2 tree callbacks (SAX2.c, 2.9.14) and
 * builds the tree they build with parse.c's strict options (no entity
 * substitution, dictionary names): the same element, attribute, text,
 * comment and PI nodes with the same names, namespaces (nsDef, ns) and
 * links, so the readers and libxml2's read-only tree functions
 * (xmlGetNsProp, xmlSearchNs, xmlNodeDump...) cannot tell the difference.
 * Only the memory differs: nodes, namespaces and strings live in blocks
 * owned by struct tree and freed together, and consecutive text events
 * are gathered in one scratch buffer that becomes a text node when the
 * next node starts or the element ends (SAX2 appends each event to the
 * last text child, which comes to the same text node).
 *
 * Documents with a DOCTYPE keep SAX2's tree: a DTD brings entity
 * reference nodes, entity content parsed through the same callbacks and
 * defaulted attributes, all freed node by node by libxml2. At the DOCTYPE,
 * which comes before the root element, the builder hands every callback
 * back to SAX2. Should a reference event come anyway, it stops the parser
 * and tree_failed() says so; the caller parses again without the builder.
 * Comments and PIs outside the root element are SAX2's too.
 *
 * Contract: the callbacks find their struct tree at ctxt->_private, which
 * must point at one (or at a struct whose first member is one). Free a
 * document built with a hooked context with tree_free_doc() (it unlinks
 * the arena's nodes, xmlFreeDoc() frees the rest), then tree_release().
 * Depends on libxml2.
 */
#ifndef HERALD_FEED_TREE_H
#define HERALD_FEED_TREE_H

#include <stdbool.h>
#include <stddef.h>

#include <libxml/parser.h>

struct tree_block;

struct tree {
    struct tree_block *blocks; /* all blocks, the current one first */
    char *cur, *end;           /* free space of the current block */
    char *text;                /* scratch: text events not yet a node */
    size_t text_len, text_cap;
    xmlNode *text_parent; /* where the pending text goes; NULL: none pending */
    bool active;          /* hooked: the document's elements are ours */
    bool sax2;            /* handed back to SAX2 at a DOCTYPE */
    bool failed;          /* stopped: an event the builder does not handle */
    bool oom;
};

void tree_init(struct tree *t);
/* Frees the arena and the scratch buffer; the document goes first. */
void tree_release(struct tree *t);

/* Installs the builder's callbacks on ctxt's SAX handler (before parsing). */
void tree_hook(struct tree *t, xmlParserCtxtPtr ctxt);

/* True when the parse stopped on an event the builder does not handle,
 * or ran out of memory (t->oom): the document is not the one SAX2 would
 * have built. */
bool tree_failed(const struct tree *t);

/* Frees a document parsed with or without tree_hook() on t; NULL is a
 * no-op. */
void tree_free_doc(struct tree *t, xmlDoc *doc);

#endif
