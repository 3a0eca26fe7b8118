/*
 * build/dvc: the command-line companion of the nginx module (validate schemas
 * and dossiers, make and check keys, inspect codes).  Exit status: 0 success,
 * 1 a negative answer (invalid, unverifiable), 2 a wrong call or unusable input.
 */
#include <stdio.h>
#include <string.h>

#include "dvc_cli.h"

static const dvc_cli_cmd_t commands[] = {
    { "code", dvc_cmd_code, "code CODE...            check dossier codes" },
    { "due",  dvc_cmd_due,  "due --calendar FILE --accepted TIME --days N [--cutoff HH:MM]\n"
      "                          the due time a calendar file gives (see docs/calendar.md)" },
    { "procedures", dvc_cmd_procedures,
      "procedures DIR          check procedure schemas, print the listing" },
    { "keygen", dvc_cmd_keygen, "keygen [--type ed25519|p256|rsa] [--bits N] [--out FILE]\n"
      "                          make a signing key (see docs/keys.md)" },
    { "jwks", dvc_cmd_jwks, "jwks KEYFILE...         the JWK Set of keys (PEM, public or private)" },
    { "sign", dvc_cmd_sign, "sign KEYFILE [--typ TYP] [PAYLOAD|-]\n"
      "                          sign a JSON payload as the gateway does (compact JWS)" },
    { "verify", dvc_cmd_verify, "verify JWS|- --jwks FILE [--typ TYP]\n"
      "                          verify an acknowledgement or receipt, print its payload" },
    { "validate", dvc_cmd_validate, "validate [--spec [--format-assertion]] [--remotes DIR] [--map PREFIX=DIR]...\n"
      "           SCHEMA [INSTANCE]  validate a document (stdin when absent); --spec: the\n"
      "                          specification's defaults (format an annotation)\n"
      "  validate --dossier DIR [--max BYTES] [BODY...]\n"
      "                          judge dossier bodies as the gateway does (DIR as dvc_schemas)" },
    { "documents", dvc_cmd_documents, "documents gc DIR [--redis HOST:PORT|unix:PATH] [--db N] [--grace SECONDS] [--dry-run]\n"
      "                          remove uploads no Redis record keeps" },
    { "dossiers", dvc_cmd_dossiers, "dossiers archive --retention TIME [--redis HOST:PORT|unix:PATH] [--db N]\n"
      "           [--stream KEY] [--dry-run]\n"
      "                          move dossiers finished longer ago than TIME to dvc:archive" },
    { "check-schemas", dvc_cmd_check_schemas, "check-schemas DIR       compile every *.json schema of DIR" },
};

static int
usage(FILE *f)
{
    size_t i;

    fprintf(f, "usage: dvc COMMAND [ARGS]\n\ncommands:\n");
    for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
        fprintf(f, "  %s\n", commands[i].usage);
    }
    return f == stderr ? 2 : 0;
}

int
main(int argc, char **argv)
{
    size_t i;

    if (argc < 2) {
        return usage(stderr);
    }
    if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0
        || strcmp(argv[1], "help") == 0)
    {
        return usage(stdout);
    }
    for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
        if (strcmp(argv[1], commands[i].name) == 0) {
            return commands[i].run(argc - 1, argv + 1);
        }
    }
    fprintf(stderr, "dvc: unknown command \"%s\"\n", argv[1]);
    return usage(stderr);
}
