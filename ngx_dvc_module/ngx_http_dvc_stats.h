/*
 * Statistics in the nginx glue (ngx_http_dvc_stats.c): the report endpoint.
 * The counters a change writes are in its core decision's plan
 * (dvc_plan_stats, core/dvc_plan.h).
 */

#ifndef NGX_HTTP_DVC_STATS_H_INCLUDED
#define NGX_HTTP_DVC_STATS_H_INCLUDED

#include "ngx_http_dvc_module.h"
#include "dvc_stats.h"


/* GET /dvc/v1/stats?from=&to=[&agency=][&procedure=][&level=][&sector=] */
ngx_int_t ngx_http_dvc_stats(ngx_http_request_t *r);

#endif /* NGX_HTTP_DVC_STATS_H_INCLUDED */
