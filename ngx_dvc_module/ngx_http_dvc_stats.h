/*
 * Statistics in the nginx glue (ngx_http_dvc_stats.c): the report endpoint,
 * and the counter writes a recorded change adds to its own atomic step.
 */

#ifndef NGX_HTTP_DVC_STATS_H_INCLUDED
#define NGX_HTTP_DVC_STATS_H_INCLUDED

#include "ngx_http_dvc_module.h"
#include "dvc_stats.h"


/* Commands ngx_http_dvc_stats_commands() may fill: a HINCRBY per delta and
 * cell, and one SADD of the cells. */
#define NGX_HTTP_DVC_STATS_MAX_CMDS \
    (DVC_STAT_MAX_DELTAS * DVC_STAT_NCELLS + 1)
/* HSET arguments ngx_http_dvc_stats_hset_args() may add. */
#define NGX_HTTP_DVC_STATS_MAX_HSET_ARGS  (2 * DVC_STAT_NFIELDS)


/*
 * The statistics of one change, ready to go into the change's MULTI/EXEC.
 * Everything the commands point to lives here: keep it (pool memory) until
 * ngx_http_dvc_redis_send() has returned.
 */
typedef struct {
    dvc_stat_state_t           state;       /* the dossier's state after */
    dvc_stat_delta_t           deltas[DVC_STAT_MAX_DELTAS];
    char                       delta_str[DVC_STAT_MAX_DELTAS][NGX_INT64_LEN];
    size_t                     ndeltas;
    dvc_stat_field_t           fields[DVC_STAT_NFIELDS];  /* st_* changed */
    size_t                     nfields;
    char                       cells[DVC_STAT_NCELLS][DVC_STAT_KEY_MAX];
    size_t                     cell_len[DVC_STAT_NCELLS];
    size_t                     ncells;      /* those that apply */
    char                       keys[DVC_STAT_MAX_DELTAS * DVC_STAT_NCELLS]
                                   [DVC_STAT_KEY_MAX];
    const char                *argv[DVC_STAT_MAX_DELTAS * DVC_STAT_NCELLS][4];
    size_t                     argvlen[DVC_STAT_MAX_DELTAS * DVC_STAT_NCELLS]
                                      [4];
    const char                *sadd_argv[2 + DVC_STAT_NCELLS];
    size_t                     sadd_argvlen[2 + DVC_STAT_NCELLS];
} ngx_http_dvc_stats_write_t;


/* GET /dvc/v1/stats?from=&to=[&agency=][&procedure=][&level=][&sector=] */
ngx_int_t ngx_http_dvc_stats(ngx_http_request_t *r);

/*
 * Computes the deltas and st_* fields of `change` for a dossier of agency and
 * procedure (NUL-terminated codes) whose statistics state was `before`; the
 * cells are those of the agency, procedure and of the level and sector in
 * the state after (a submission's change sets them).
 * NGX_OK; NGX_DECLINED when the calendar cannot answer (logged: answer 503);
 * NGX_ERROR otherwise (logged: answer 500).
 */
ngx_int_t ngx_http_dvc_stats_write_init(ngx_http_request_t *r,
    ngx_http_dvc_main_conf_t *dmcf, ngx_http_dvc_stats_write_t *w,
    const dvc_stat_state_t *before, const dvc_stat_change_t *change,
    const char *agency, const char *procedure);

/* Appends "st_x value" pairs for the dossier's HSET (fields to delete are
 * not among them: a submission has none); returns how many arguments. */
ngx_uint_t ngx_http_dvc_stats_hset_args(ngx_http_dvc_stats_write_t *w,
    const char **argv, size_t *argvlen);

/* Fills cmds (room for NGX_HTTP_DVC_STATS_MAX_CMDS) with the HINCRBYs and
 * the SADD; returns how many. */
ngx_uint_t ngx_http_dvc_stats_commands(ngx_http_dvc_stats_write_t *w,
    ngx_http_dvc_redis_cmd_t *cmds);

#endif /* NGX_HTTP_DVC_STATS_H_INCLUDED */
