/* dvc code CODE...: says whether each argument is a well-formed dossier code. */
#include <stdio.h>
#include <string.h>

#include "dvc_cli.h"
#include "dvc_code.h"

int
dvc_cmd_code(int argc, char **argv)
{
    int i, bad = 0;

    if (argc < 2) {
        fprintf(stderr, "usage: dvc code CODE...\n");
        return 2;
    }
    for (i = 1; i < argc; i++) {
        if (dvc_code_valid(argv[i], strlen(argv[i]))) {
            printf("%s: valid\n", argv[i]);
        } else {
            printf("%s: not a dossier code (AGENCY-YYMMDD-NNNN)\n", argv[i]);
            bad = 1;
        }
    }
    return bad;
}
