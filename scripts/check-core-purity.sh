#!/usr/bin/env bash
# core/ must stay server-agnostic: no nginx header, no ngx_ symbol.
set -euo pipefail
cd "$(dirname "$0")/.."
if grep -rnE '\bngx_|#include\s*<ngx|#include\s*"ngx' core/; then
    echo "core-purity: core/ mentions nginx (above)"; exit 1
fi
echo "core-purity: core/ is free of nginx"
