/*
 * Signatures of the back-end's events (and of counter/postal intake):
 *
 *   X-DVC-Timestamp: <unix seconds>
 *   X-DVC-Signature: v1=<64 lowercase hex>
 *
 * v1 = HMAC-SHA256(key, timestamp "\n" METHOD "\n" request-target "\n" body)
 * with request-target the path (and query) exactly as in the request line.
 * Several keys may be configured (rotation): the MAC is computed under each
 * and compared in constant time against the header; the body is fed as it
 * arrives, buffer by buffer.  |now - timestamp| > 300 s is stale.
 *
 * Keys come from files holding the secret as text (openssl rand -hex 32):
 * the key is the file's content minus trailing whitespace, at least 32 bytes.
 */
#ifndef DVC_HMAC_H
#define DVC_HMAC_H

#include <stddef.h>
#include <stdint.h>

#include "dvc_alloc.h"

#define DVC_HMAC_KEY_MIN      32
#define DVC_HMAC_KEY_MAX      1024
#define DVC_HMAC_WINDOW       300        /* seconds either side of now */
#define DVC_HMAC_KEYS_MAX     16
#define DVC_HMAC_NAME_MAX     64
#define DVC_HMAC_LEN          32

typedef enum {
    DVC_SIG_OK = 0,
    DVC_SIG_MISSING,      /* a header absent or malformed: signature_missing */
    DVC_SIG_STALE,        /* outside the window: signature_stale */
    DVC_SIG_INVALID,      /* no key gives this MAC: signature_invalid */
    DVC_SIG_AMBIGUOUS     /* a header given twice: signature_ambiguous (the
                           * caller counts headers; core never sees two) */
} dvc_sig_result_t;

typedef struct {
    char           name[DVC_HMAC_NAME_MAX + 1];  /* for logs; never the secret */
    unsigned char *secret;
    size_t         len;
} dvc_hmac_key_t;

/*
 * A key from a key file's text: trailing whitespace (spaces, tabs, CR, LF)
 * is dropped; what remains must be DVC_HMAC_KEY_MIN..DVC_HMAC_KEY_MAX bytes
 * with no NUL.  name: NULL or "" makes "key<index>"-style names the caller's
 * business: the name is copied as given (1..64 of [A-Za-z0-9._:-]).  The
 * secret is copied to a's memory.  Returns 0, or -1 with err.
 */
int dvc_hmac_key_load(const dvc_alloc_t *a, const char *text, size_t len,
    const char *name, dvc_hmac_key_t *key, char *err, size_t errlen);

/* Wipes the secret (and frees it on a's memory). */
void dvc_hmac_key_free(const dvc_alloc_t *a, dvc_hmac_key_t *key);

/*
 * The two headers: timestamp (1..19 ASCII digits, no sign) and
 * "v1=" + 64 lowercase hex.  Returns DVC_SIG_OK with *ts and mac, or
 * DVC_SIG_MISSING (either NULL or malformed).
 */
dvc_sig_result_t dvc_sig_parse(const char *ts, size_t ts_len,
    const char *sig, size_t sig_len, int64_t *timestamp,
    unsigned char mac[DVC_HMAC_LEN]);

/* DVC_SIG_STALE if |now - ts| > DVC_HMAC_WINDOW, else DVC_SIG_OK. */
dvc_sig_result_t dvc_sig_fresh(int64_t ts, int64_t now);

typedef struct dvc_sig_ctx dvc_sig_ctx_t;

/*
 * Starts the MAC under every key over the signed prefix
 * (ts_text "\n" method "\n" target "\n").  ts_text: the header exactly as
 * sent.  NULL on failure (memory, OpenSSL).  Always pair with dvc_sig_free.
 */
dvc_sig_ctx_t *dvc_sig_begin(const dvc_alloc_t *a, const dvc_hmac_key_t *keys,
    size_t nkeys, const char *ts_text, size_t ts_len, const char *method,
    size_t method_len, const char *target, size_t target_len);
/* Feeds body bytes; returns 0, or -1 (the context failed, finish says so). */
int  dvc_sig_update(dvc_sig_ctx_t *c, const void *data, size_t len);
/*
 * Compares (constant time, under every key, no early exit) with the header's
 * MAC.  DVC_SIG_OK and *which (the matching key's index) or DVC_SIG_INVALID;
 * -1 if OpenSSL failed.
 */
int  dvc_sig_finish(dvc_sig_ctx_t *c, const unsigned char mac[DVC_HMAC_LEN],
    size_t *which);
void dvc_sig_free(dvc_sig_ctx_t *c);

/*
 * The whole check in one call (tests, fuzzing, counter intake): parse,
 * freshness, MAC.  Returns a dvc_sig_result_t, or -1 on an internal failure.
 */
int dvc_sig_check(const dvc_alloc_t *a, const dvc_hmac_key_t *keys,
    size_t nkeys, int64_t now, const char *ts, size_t ts_len,
    const char *sig, size_t sig_len, const char *method, size_t method_len,
    const char *target, size_t target_len, const void *body, size_t body_len,
    size_t *which);

/* "signature_missing", "signature_stale", "signature_invalid"; "ok". */
const char *dvc_sig_result_code(dvc_sig_result_t r);

#endif
