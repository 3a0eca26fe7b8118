#!/usr/bin/env bash
# Fuzzes dvc_jws_verify / dvc_jwks_parse (fuzz/fuzz_jws.c) for SECONDS (60).
# Corpus: fuzz/corpus-jws/ (ignored by git), seeded with tokens signed by the
# fixture keys the target's JWKS holds, and their JWKS.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-60}
out=build/fuzz
mkdir -p "$out" fuzz/corpus-jws
CFLAGS="-std=c11 -D_GNU_SOURCE -g -O1 -Icore -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined"
clang $CFLAGS -o "$out/fuzz_jws" fuzz/fuzz_jws.c core/dvc_jws.c core/dvc_jwks.c \
    core/dvc_keys.c core/dvc_base64url.c core/dvc_buf.c core/dvc_alloc.c core/dvc_utf8.c \
    -Wl,-Bstatic -l:libyajl_s.a -Wl,-Bdynamic -lcrypto

if [ -z "$(ls -A fuzz/corpus-jws)" ]; then
    make -s build/dvc
    key=$(mktemp -d)
    for t in ed25519 p256 rsa2048; do
        # the PEM out of its C string in core/tests/jws_fixtures.h
        sed -n "/^static const char pem_$t\[\] =/,/;/p" core/tests/jws_fixtures.h \
            | sed -n 's/^    "\(.*\)\\n"[;]*$/\1/p' > "$key/$t.pem"
        chmod 600 "$key/$t.pem"
        echo '{"code":"000.00.10.H47-261122-0001","n":[1,2,{"a":null}]}' \
            | build/dvc sign "$key/$t.pem" --typ dvc-ack+jwt | tr -d '\n' > "fuzz/corpus-jws/seed-$t"
        build/dvc jwks "$key/$t.pem" | tr -d '\n' > "fuzz/corpus-jws/seed-jwks-$t"
    done
    rm -rf "$key"
fi
"$out/fuzz_jws" -max_total_time="$secs" -max_len=4096 -timeout=10 fuzz/corpus-jws
