/* dvc jwks KEYFILE...: prints the JWK Set of the public halves of keys (PEM,
 * public or private), as GET /dvc/v1/keys serves it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dvc_cli.h"
#include "dvc_jws.h"

int
dvc_cmd_jwks(int argc, char **argv)
{
    dvc_key_t  **keys;
    dvc_buf_t    pem, out;
    char         err[512];
    int          i, j, n = 0, rc = 2;

    if (argc < 2 || argv[1][0] == '-') {
        fprintf(stderr, "usage: dvc jwks KEYFILE...\n");
        return 2;
    }
    keys = calloc((size_t) argc, sizeof(*keys));
    if (keys == NULL) {
        return 2;
    }
    dvc_buf_init(&pem, &dvc_alloc_std);
    dvc_buf_init(&out, &dvc_alloc_std);
    for (i = 1; i < argc; i++) {
        dvc_buf_reset(&pem);
        if (dvc_cli_file_read(argv[i], DVC_CLI_KEY_MAX, &pem, err, sizeof(err))
            != 0)
        {
            fprintf(stderr, "dvc jwks: %s\n", err);
            goto done;
        }
        if (dvc_key_load_public(&dvc_alloc_std, pem.data, pem.len, NULL,
                                &keys[n], err, sizeof(err)) != 0)
        {
            fprintf(stderr, "dvc jwks: %s: %s\n", argv[i], err);
            goto done;
        }
        for (j = 0; j < n; j++) {
            if (strcmp(dvc_key_kid(keys[j]), dvc_key_kid(keys[n])) == 0) {
                fprintf(stderr, "dvc jwks: %s: the same key (kid %s) as "
                        "%s\n", argv[i], dvc_key_kid(keys[n]), argv[j + 1]);
                n++;
                goto done;
            }
        }
        n++;
    }
    if (dvc_jwks_write((const dvc_key_t **) keys, (size_t) n, &out) != 0) {
        fprintf(stderr, "dvc jwks: out of memory\n");
        goto done;
    }
    printf("%.*s\n", (int) out.len, out.data);
    rc = 0;

done:
    for (i = 0; i < n; i++) {
        dvc_key_free(keys[i]);
    }
    free(keys);
    dvc_buf_free(&pem);
    dvc_buf_free(&out);
    return rc;
}
