/* site: who a host is, for the fetcher's politeness and SSRF rules.
 *
 * A site is a registrable domain (eTLD+1 from the Public Suffix List, via
 * libpsl's built-in list): a.tumblr.com and b.tumblr.com are one site,
 * while a.github.io and b.github.io are two. An IP literal is its own site;
 * so is a name that is itself a public suffix or has no known suffix
 * ("localhost"). The address classifier decides whether an address is
 * public, i.e. neither loopback, private, link-local, shared, benchmarking,
 * multicast, reserved nor unspecified (the block list of REFERENCE.md §1),
 * looking through IPv4-mapped and IPv4-compatible IPv6 forms.
 *
 * Pure functions: no loop, no network, no global state of ours. Depends on
 * libc and libpsl (when built with HERALD_HAVE_LIBPSL; without it the key
 * falls back to the last two labels of a name, which groups too much
 * rather than too little).
 */
#ifndef HERALD_NET_SITE_H
#define HERALD_NET_SITE_H

#include <stdbool.h>

struct sockaddr;

/* Longest key site_key() writes, with its NUL (a DNS name is at most 253). */
#define SITE_KEY_MAX 256

/* Writes the site of host (a URL host: a name, an IPv4 literal or an IPv6
 * literal with or without brackets) in lower case. Returns 0, or -EINVAL
 * for an empty or over-long host. */
int site_key(const char *host, char out[SITE_KEY_MAX]);

/* True when host is an IP literal (IPv6 with or without brackets). */
bool site_is_ip_literal(const char *host);

/* True when the address (AF_INET or AF_INET6) is public; false for blocked
 * ranges and for other families. */
bool site_addr_is_public(const struct sockaddr *sa);

#endif
