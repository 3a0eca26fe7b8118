/*
 * Retention (issue 18): a dossier returned (10), refused (3) or stopped (8)
 * for longer than the retention leaves Redis through the archive stream
 * (`dvc dossiers archive`, docs/operations.md); its lookup then answers 410.
 * The decisions, without Redis: which dossier goes, and which code's lookup
 * answers "archived" rather than "not found".
 */
#ifndef DVC_RETENTION_H
#define DVC_RETENTION_H

#include <stddef.h>
#include <stdint.h>

/* "2y", "730d", "18M", "3w", "36h", "90m", "3600s" or plain seconds (y is 365
 * days, M 30, as nginx's time values) as seconds > 0; 0, or -1 malformed. */
int dvc_retention_parse(const char *s, size_t len, int64_t *seconds);

/* 1 for the statuses a dossier is finished in: refused (3), stopped (8),
 * result returned (10).  Resolved (9) waits for its result to be returned. */
int dvc_retention_final(int status);

/* 1 when a dossier in `status` whose last change was at `changed` (Unix
 * seconds) is to be archived at `now`: final, and changed at least
 * `retention` seconds ago. */
int dvc_retention_due(int status, int64_t changed, int64_t now,
                      int64_t retention);

/* 1 when a well-formed code (dvc_code_valid) is old enough for its dossier to
 * have been archived at `now`: its date (YYMMDD, 20YY, 00:00 Vietnam time)
 * at least `retention` seconds ago.  A dossier is never archived earlier
 * (it closed after it was coded), so a younger code's miss is "not found". */
int dvc_retention_code_old(const char *code, size_t len, int64_t now,
                           int64_t retention);

#endif
