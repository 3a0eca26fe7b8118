/* Subcommands of build/dvc.  Each returns the process exit status. */
#ifndef DVC_CLI_H
#define DVC_CLI_H

#include <stddef.h>

#include "dvc_buf.h"

typedef struct {
    const char *name;
    int       (*run)(int argc, char **argv);  /* argv[0] is the subcommand */
    const char *usage;
} dvc_cli_cmd_t;

int dvc_cmd_code(int argc, char **argv);
int dvc_cmd_due(int argc, char **argv);
int dvc_cmd_procedures(int argc, char **argv);
int dvc_cmd_keygen(int argc, char **argv);
int dvc_cmd_jwks(int argc, char **argv);
int dvc_cmd_sign(int argc, char **argv);
int dvc_cmd_verify(int argc, char **argv);
int dvc_cmd_documents(int argc, char **argv);
int dvc_cmd_dossiers(int argc, char **argv);

/* a hiredis connection (HOST:PORT or unix:PATH), AUTH from
 * DVC_REDIS_USER/DVC_REDIS_PASSWORD, SELECT db; NULL, said on stderr as who */
struct redisContext;
struct redisContext *dvc_cli_redis_connect(const char *who, const char *addr,
                                           int db);

/* Appends a whole file ("-": stdin) of at most max bytes to out; -1 and a
 * message in err if it cannot. */
int dvc_cli_file_read(const char *path, size_t max, dvc_buf_t *out, char *err,
    size_t errlen);
#define DVC_CLI_KEY_MAX   (64 * 1024)
#define DVC_CLI_JWKS_MAX  (1024 * 1024)
int dvc_cmd_validate(int argc, char **argv);
int dvc_cmd_validate_dossier(int argc, char **argv);
int dvc_cmd_check_schemas(int argc, char **argv);

#endif
