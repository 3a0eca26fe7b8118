/*
 * dvc sign KEYFILE [--typ TYP] [PAYLOAD_FILE|-]: signs a JSON payload (stdin
 * by default) as the gateway does and prints the compact JWS.  For testing
 * verifiers and for operators checking a key before they install it.
 */
#include <stdio.h>
#include <string.h>

#include <yajl/yajl_tree.h>

#include "dvc_cli.h"
#include "dvc_jws.h"

int
dvc_cmd_sign(int argc, char **argv)
{
    const char  *keyfile = NULL, *payload_path = "-", *typ = NULL;
    dvc_buf_t    pem, payload, out;
    dvc_key_t   *key = NULL;
    yajl_val     tree;
    char         err[512];
    int          i, npos = 0, rc = 2;

    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--typ") == 0 && i + 1 < argc) {
            typ = argv[++i];
        } else if (argv[i][0] == '-' && argv[i][1] != '\0') {
            npos = 99;
        } else if (npos++ == 0) {
            keyfile = argv[i];
        } else {
            payload_path = argv[i];
        }
    }
    if (keyfile == NULL || npos > 2) {
        fprintf(stderr, "usage: dvc sign KEYFILE [--typ TYP] "
                "[PAYLOAD_FILE|-]\n");
        return 2;
    }
    dvc_buf_init(&pem, &dvc_alloc_std);
    dvc_buf_init(&payload, &dvc_alloc_std);
    dvc_buf_init(&out, &dvc_alloc_std);
    if (dvc_key_file_check(keyfile, err, sizeof(err)) != 0) {
        fprintf(stderr, "dvc sign: warning: %s\n", err);
    }
    if (dvc_cli_file_read(keyfile, DVC_CLI_KEY_MAX, &pem, err, sizeof(err))
        != 0
        || dvc_cli_file_read(payload_path, DVC_JWS_MAX, &payload, err,
                             sizeof(err)) != 0)
    {
        fprintf(stderr, "dvc sign: %s\n", err);
        goto done;
    }
    if (dvc_key_load_private(&dvc_alloc_std, pem.data, pem.len, NULL, &key,
                             err, sizeof(err)) != 0)
    {
        fprintf(stderr, "dvc sign: %s: %s\n", keyfile, err);
        goto done;
    }
    /* the gateway signs JSON only; so does its stand-in */
    tree = yajl_tree_parse(dvc_buf_cstr(&payload), err, sizeof(err));
    if (tree == NULL) {
        fprintf(stderr, "dvc sign: the payload is not JSON: %s", err);
        goto done;
    }
    yajl_tree_free(tree);
    if (dvc_jws_sign(key, typ, payload.data, payload.len, &out) != 0) {
        fprintf(stderr, "dvc sign: signing failed%s\n",
                typ ? " (is --typ 1..48 of [A-Za-z0-9.+/_-]?)" : "");
        goto done;
    }
    printf("%.*s\n", (int) out.len, out.data);
    rc = 0;

done:
    dvc_key_free(key);
    dvc_buf_free(&pem);
    dvc_buf_free(&payload);
    dvc_buf_free(&out);
    return rc;
}
