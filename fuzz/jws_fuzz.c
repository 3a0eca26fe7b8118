/*
 * libFuzzer target: JWS verification (what `dvc verify` and a citizen's
 * agency run on a receipt they were handed) against a fixed JWK Set of one
 * key of each type we sign with (fuzz/jws/jwks.json, made by make-seeds.py).
 * The seeds are real tokens signed by those keys, so mutations reach the
 * header parser, base64url decoding and each algorithm's signature check.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dvc_buf.h"
#include "dvc_jws.h"

#ifndef FUZZ_DIR
#error "build with -DFUZZ_DIR=\"path/to/fuzz\""
#endif

static dvc_jwks_t jwks;

static void
load(void)
{
    char    err[512], text[65536];
    size_t  n;
    FILE   *f;

    f = fopen(FUZZ_DIR "/jws/jwks.json", "rb");
    if (f == NULL) {
        perror(FUZZ_DIR "/jws/jwks.json");
        abort();
    }
    n = fread(text, 1, sizeof(text), f);
    fclose(f);
    if (dvc_jwks_parse(&dvc_alloc_std, text, n, &jwks, err, sizeof(err)) != 0
        || jwks.n != 3)
    {
        fprintf(stderr, "jwks.json: %s\n", err);
        abort();
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int  loaded;
    char        err[512];
    char       *jws;
    dvc_buf_t   payload;
    int         rc;

    if (!loaded) {
        load();
        loaded = 1;
    }
    jws = malloc(size ? size : 1);          /* no NUL: overreads show */
    if (jws == NULL) {
        return 0;
    }
    memcpy(jws, data, size);
    dvc_buf_init(&payload, &dvc_alloc_std);
    err[0] = '\0';
    rc = dvc_jws_verify(jws, size, &jwks, &payload, err, sizeof(err));
    if (rc != 0 && (err[0] == '\0' || payload.len != 0)) {
        fprintf(stderr, "refused without a reason, or payload left: %s\n", err);
        abort();
    }
    dvc_buf_free(&payload);
    free(jws);
    return 0;
}
