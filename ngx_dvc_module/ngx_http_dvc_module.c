#include "ngx_http_dvc_module.h"

static ngx_http_module_t  ngx_http_dvc_module_ctx = {
    NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL
};

ngx_module_t  ngx_http_dvc_module = {
    NGX_MODULE_V1,
    &ngx_http_dvc_module_ctx,
    NULL,
    NGX_HTTP_MODULE,
    NULL, NULL, NULL, NULL, NULL, NULL, NULL,
    NGX_MODULE_V1_PADDING
};
