/*
 * dvc verify JWS|- --jwks FILE [--typ TYP]: checks an acknowledgement or
 * receipt offline against a JWK Set (a saved GET /dvc/v1/keys, or `dvc jwks`
 * output); with --typ the header's typ must be TYP (dvc-receipt+jws: a
 * receipt, not an acknowledgement).  Valid: the payload on stdout, which key
 * signed on stderr, exit 0.  Not valid: the reason on stderr, exit 1.
 */
#include <stdio.h>
#include <string.h>

#include "dvc_cli.h"
#include "dvc_jws.h"

int
dvc_cmd_verify(int argc, char **argv)
{
    const char  *jws_arg = NULL, *jwks_path = NULL, *typ = NULL;
    const dvc_key_t  *key = NULL;
    dvc_buf_t    jws, text, payload;
    dvc_jwks_t   jwks;
    char         err[512];
    int          i, rc = 2;

    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--jwks") == 0 && i + 1 < argc) {
            jwks_path = argv[++i];
        } else if (strcmp(argv[i], "--typ") == 0 && i + 1 < argc) {
            typ = argv[++i];
        } else if (jws_arg == NULL
                   && (argv[i][0] != '-' || strcmp(argv[i], "-") == 0))
        {
            jws_arg = argv[i];
        } else {
            jws_arg = NULL;
            break;
        }
    }
    if (jws_arg == NULL || jwks_path == NULL) {
        fprintf(stderr, "usage: dvc verify JWS|- --jwks FILE [--typ TYP]\n");
        return 2;
    }
    memset(&jwks, 0, sizeof(jwks));
    dvc_buf_init(&jws, &dvc_alloc_std);
    dvc_buf_init(&text, &dvc_alloc_std);
    dvc_buf_init(&payload, &dvc_alloc_std);
    if (strcmp(jws_arg, "-") == 0) {
        if (dvc_cli_file_read("-", DVC_JWS_MAX + 64, &jws, err, sizeof(err))
            != 0)
        {
            fprintf(stderr, "dvc verify: %s\n", err);
            goto done;
        }
    } else {
        dvc_buf_puts(&jws, jws_arg);
    }
    /* a JWS has no whitespace; a trailing newline is the shell's */
    while (jws.len > 0 && strchr(" \t\r\n", jws.data[jws.len - 1]) != NULL) {
        jws.len--;
    }
    if (dvc_cli_file_read(jwks_path, DVC_CLI_JWKS_MAX, &text, err, sizeof(err))
        != 0)
    {
        fprintf(stderr, "dvc verify: %s\n", err);
        goto done;
    }
    if (dvc_jwks_parse(&dvc_alloc_std, text.data, text.len, &jwks, err,
                       sizeof(err)) != 0)
    {
        fprintf(stderr, "dvc verify: %s: %s\n", jwks_path, err);
        goto done;
    }
    if (dvc_jws_verify_ex(jws.data, jws.len, &jwks, typ, &payload, &key, err,
                          sizeof(err)) != 0)
    {
        fprintf(stderr, "dvc verify: not valid: %s\n", err);
        rc = 1;
        goto done;
    }
    fprintf(stderr, "dvc verify: valid %s signature, key %s\n",
            dvc_key_alg_name(key), dvc_key_kid(key));
    /* the payload as signed, with a newline unless it ends with one */
    fwrite(payload.data, 1, payload.len, stdout);
    if (payload.len == 0 || payload.data[payload.len - 1] != '\n') {
        putchar('\n');
    }
    rc = 0;

done:
    dvc_jwks_free(&jwks);
    dvc_buf_free(&jws);
    dvc_buf_free(&text);
    dvc_buf_free(&payload);
    return rc;
}
