/* Subcommands of build/dvc.  Each returns the process exit status. */
#ifndef DVC_CLI_H
#define DVC_CLI_H

typedef struct {
    const char *name;
    int       (*run)(int argc, char **argv);  /* argv[0] is the subcommand */
    const char *usage;
} dvc_cli_cmd_t;

int dvc_cmd_code(int argc, char **argv);
int dvc_cmd_due(int argc, char **argv);
int dvc_cmd_procedures(int argc, char **argv);

#endif
