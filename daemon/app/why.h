/* why: `heraldd why ENTRY`, how Herald identified and grouped one entry,
 * read from the database the configuration names (read-only, so it works
 * while the daemon runs).
 *
 * ENTRY is a database id ("123" or "#123"), a guid, or a link (matched as
 * written or by its canonical form). The answer says which key identified
 * the entry in its feed (and whether its guid or link changed on the
 * way), whether it was changed in place, and whether it started a story
 * or joined one: through which other entry, by the same canonical link or
 * by story similarity (with the percentage), and how many entries the
 * story has. Depends on app/config, store/ and base/.
 */
#ifndef HERALD_APP_WHY_H
#define HERALD_APP_WHY_H

#include <stdio.h>

#include "app/config.h"

/* Prints the explanation to out. Returns the process exit status: 0, 1
 * when the database cannot be read, 3 when no entry matches. */
int why_print(const struct config *cfg, const char *entry, FILE *out);

#endif
