/*
 * Redis Cluster's pure parts: the key slot (CRC16/XMODEM of the key or of
 * its hash tag, modulo 16384), the MOVED/ASK redirections' text, and which
 * argument of the commands the gateway sends is the key that routes them.
 * The server glue does the I/O.
 */
#ifndef DVC_CLUSTER_H
#define DVC_CLUSTER_H

#include <stddef.h>
#include <stdint.h>

#define DVC_CLUSTER_SLOTS  16384

/* CRC16 as Redis Cluster computes it (XMODEM: poly 0x1021, init 0). */
uint16_t dvc_cluster_crc16(const char *buf, size_t len);

/* The slot of a key: of the part between the first '{' and the next '}'
 * when that part is not empty, else of the whole key. */
unsigned dvc_cluster_slot(const char *key, size_t len);

typedef enum {
    DVC_REDIRECT_NONE = 0,
    DVC_REDIRECT_MOVED,      /* the slot lives there now: update the map */
    DVC_REDIRECT_ASK,        /* this once, there, after ASKING */
    DVC_REDIRECT_TRYAGAIN    /* a slot half migrated: retry shortly */
} dvc_redirect_kind_t;

typedef struct {
    dvc_redirect_kind_t  kind;
    unsigned             slot;
    char                 host[64];   /* empty: the same host as asked */
    int                  port;
} dvc_redirect_t;

/* Parses a Redis error text: "MOVED 3999 127.0.0.1:6381", "ASK 3999
 * [::1]:6381" or "::1:6381", "TRYAGAIN ...".  Returns the kind (NONE: any
 * other error, or a malformed redirection). */
dvc_redirect_kind_t dvc_cluster_redirect(const char *err, size_t len,
    dvc_redirect_t *out);

/* The key that routes a command, as the gateway's commands place it:
 * none for MULTI, EXEC, DISCARD, WAIT, PING, ASKING, ROLE, AUTH, SELECT,
 * CLUSTER; the first key of EVAL/EVALSHA (none when numkeys is 0); else the
 * first argument.  Returns 1 and sets key/klen, or 0. */
int dvc_cluster_cmd_key(int argc, const char *const *argv,
    const size_t *argvlen, const char **key, size_t *klen);

/* Every key of a command, as above (EVAL/EVALSHA: all numkeys of them):
 * their argument indexes into pos (at most max); returns how many. */
int dvc_cluster_cmd_keys(int argc, const char *const *argv,
    const size_t *argvlen, int *pos, int max);

/*
 * The key layout under dvc_redis_cluster (docs/redis.md): every key of a
 * dossier, and every shared key its submission or a change touches, is in
 * the partition of the dossier's agency, one of DVC_CLUSTER_PARTS, written
 * as the hash tag {T} (T = dvc_cluster_tag(NN)) after the key's kind:
 *   dvc:d:CODE          -> dvc:d:{T}:CODE           e.g. dvc:d:{07bc}:CODE
 *   dvc:inbox           -> dvc:inbox:{T}
 *   dvc:st:CELL:COUNTER -> dvc:st:{T}:CELL:COUNTER
 * so a transaction or a script stays in one slot.  The partition never
 * changes for an agency: its sequence, its idempotency records and its
 * dossiers share one slot (one master, one replication stream).
 */
#define DVC_CLUSTER_PARTS     16
#define DVC_CLUSTER_TAG_MAX   7       /* ":{NNxx}", the longest tag */

/* The hash tag's text of partition part ("00dd", "02d", ...: the number,
 * then letters chosen so that the 16 tags' slots fall in the 16 sixteenths
 * of the slot space, one each: a cluster's default slot ranges then hold
 * as many partitions each as they can, 5, 5 and 6 on three masters). */
const char *dvc_cluster_tag(unsigned part);

/* The partition of an agency identifier (or of a code: its agency part,
 * the first DVC_AGENCY_LEN bytes). */
unsigned dvc_cluster_part(const char *agency, size_t len);

/* "dvc:KIND[:REST]" -> "dvc:KIND:{T}[:REST]" into out (cap bytes, NUL
 * ended); returns its length, or -1 (not a "dvc:" key, or too long). */
int dvc_cluster_key(const char *key, size_t len, unsigned part, char *out,
    size_t cap);

/* The partition a key names: a dossier's (dvc:d:CODE), a sequence's
 * (dvc:seq:AGENCY:...), or the tag of a key already placed
 * (dvc:KIND:{T}...); -1: none. */
int dvc_cluster_key_part(const char *key, size_t len);

/* 1: a key the layout places (a "dvc:" key not yet tagged, but for the
 * uploads' dvc:up:SHA256, each alone in its slot); 0: left as it is. */
int dvc_cluster_key_placed(const char *key, size_t len);

#endif
