/* dvc procedures DIR: loads the procedure schemas as nginx's dvc_schemas
 * would and prints the listing GET /dvc/v1/procedures serves. */
#include <stdio.h>
#include <string.h>

#include "dvc_alloc.h"
#include "dvc_buf.h"
#include "dvc_cli.h"
#include "dvc_procedure.h"

int
dvc_cmd_procedures(int argc, char **argv)
{
    dvc_procedures_t  *set;
    dvc_buf_t          out;
    char               err[1024];
    int                rc = 0;

    if (argc != 2) {
        fprintf(stderr, "usage: dvc procedures DIR\n");
        return 2;
    }
    set = dvc_procedures_load_dir(&dvc_alloc_std, argv[1], err, sizeof(err));
    if (set == NULL) {
        fprintf(stderr, "dvc: %s\n", err);
        return 1;
    }
    dvc_buf_init(&out, &dvc_alloc_std);
    if (dvc_procedures_listing_json(set, &out) != 0) {
        fprintf(stderr, "dvc: out of memory\n");
        rc = 2;
    } else {
        fwrite(out.data, 1, out.len, stdout);
        putchar('\n');
    }
    dvc_buf_free(&out);
    dvc_procedures_free(set);
    return rc;
}
