/*
 * libFuzzer target for the untrusted side of signed documents:
 * dvc_jws_verify on arbitrary bytes against a JWKS of the three test keys of
 * core/tests/jws_fixtures.h (run-jws.sh seeds the corpus with tokens they
 * signed, so mutations reach every alg's signature check), and,
 * when the first byte is '{', dvc_jwks_parse on the same bytes.
 *
 *   fuzz/run-jws.sh [SECONDS=60]     (clang -fsanitize=fuzzer,address,undefined)
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dvc_jws.h"
#include "dvc_keys.h"
#include "../core/tests/jws_fixtures.h"

static dvc_jwks_t  jwks;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    static const char *pems[] = { pem_ed25519, pem_p256, pem_rsa2048 };
    dvc_key_t         *keys[3];
    dvc_buf_t          json;
    char               err[256];
    int                i;

    (void) argc;
    (void) argv;
    for (i = 0; i < 3; i++) {
        if (dvc_key_load_public(&dvc_alloc_std, pems[i], strlen(pems[i]),
                                NULL, &keys[i], err, sizeof(err)) != 0)
        {
            abort();
        }
    }
    dvc_buf_init(&json, &dvc_alloc_std);
    if (dvc_jwks_write((const dvc_key_t **) keys, 3, &json) != 0
        || dvc_jwks_parse(&dvc_alloc_std, json.data, json.len, &jwks, err,
                          sizeof(err)) != 0)
    {
        abort();
    }
    dvc_buf_free(&json);
    for (i = 0; i < 3; i++) {
        dvc_key_free(keys[i]);
    }
    return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    dvc_buf_t   payload;
    dvc_jwks_t  parsed;
    char        err[512] = "";

    dvc_buf_init(&payload, &dvc_alloc_std);
    if (dvc_jws_verify((const char *) data, size, &jwks, &payload, err,
                       sizeof(err)) == 0)
    {
        /* a seed, or a mutation that kept the signed part: a payload */
        if (payload.len == 0) {
            abort();
        }
    } else if (payload.len != 0 || err[0] == '\0') {
        abort();    /* refused: nothing handed out, and a reason given */
    }
    dvc_buf_free(&payload);

    if (size > 0 && data[0] == '{'
        && dvc_jwks_parse(&dvc_alloc_std, (const char *) data, size, &parsed,
                          err, sizeof(err)) == 0)
    {
        dvc_jwks_free(&parsed);
    }
    return 0;
}
