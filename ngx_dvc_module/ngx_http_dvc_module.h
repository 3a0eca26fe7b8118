#ifndef NGX_HTTP_DVC_MODULE_H_INCLUDED
#define NGX_HTTP_DVC_MODULE_H_INCLUDED

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

extern ngx_module_t  ngx_http_dvc_module;

#endif
