/*
 * Redis Cluster's pure parts: the key slot (CRC16/XMODEM of the key or of
 * its hash tag, modulo 16384), the MOVED/ASK redirections' text, and which
 * argument of the commands the gateway sends is the key that routes them.
 * ngx_dvc_module/ngx_http_dvc_redis.c does the I/O.
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

#endif
