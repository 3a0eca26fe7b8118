#!/usr/bin/env bash
# Signed documents checked by implementations other than ours, for EdDSA,
# ES256 and RS256:
#   - build/dvc signs, python3-jwcrypto verifies against `dvc jwks` output
#     (and the kid is jwcrypto's RFC 7638 thumbprint of the key);
#   - jwcrypto signs with the same PEM key, build/dvc verifies it, against our
#     JWKS and against a JWKS jwcrypto wrote; a tampered one is refused (exit 1);
#   - the openssl command line verifies build/dvc's signatures, following the
#     steps of docs/keys.md (ES256: R||S rewritten as DER with asn1parse).
# Output: TAP, then "N passed, N failed".  Run by `make test-interop`.
set -uo pipefail
cd "$(dirname "$0")/.."

DVC=${DVC:-build/dvc}
PY=${PYTHON:-/usr/bin/python3}      # Debian's python, where python3-jwcrypto is
tmp=$(mktemp -d /tmp/dvc-jws-interop.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

n=0 pass=0 fail=0
ok() {      # ok DESCRIPTION COMMAND...
    local desc=$1; shift
    n=$((n + 1))
    if "$@" >"$tmp/out" 2>"$tmp/err"; then
        pass=$((pass + 1)); echo "ok $n - $desc"
    else
        fail=$((fail + 1)); echo "not ok $n - $desc"
        sed 's/^/#   /' "$tmp/out" "$tmp/err"
    fi
}
b64url_decode() {   # base64url on stdin -> bytes on stdout
    local s; s=$(tr -d '\n' | tr '_-' '/+')
    while [ $(( ${#s} % 4 )) -ne 0 ]; do s="$s="; done
    printf '%s' "$s" | base64 -d
}

[ -x "$DVC" ] || { echo "Bail out! $DVC not built (make build/dvc)"; exit 1; }
"$PY" -c 'import jwcrypto' 2>/dev/null \
    || { echo "Bail out! python3-jwcrypto missing (make deps)"; exit 1; }

payload='{"code":"000.00.10.H47-261122-0042","procedure":"1.000001","agency":"000.00.10.H47","applicant":{"name":"Trần Thị Bình"},"submitted_at":"2026-11-22T09:41:07+07:00","body_sha256":"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"}'
printf '%s' "$payload" > "$tmp/payload.json"

for type in ed25519 p256 rsa; do
    case $type in ed25519) alg=EdDSA;; p256) alg=ES256;; rsa) alg=RS256;; esac
    key=$tmp/$type.pem

    ok "$alg: dvc keygen writes a key of mode 0600" \
        bash -c "'$DVC' keygen --type $type --out '$key' > '$tmp/$type.jwk' \
                 && [ \"\$(stat -c %a '$key')\" = 600 ]"
    ok "$alg: dvc jwks" bash -c "'$DVC' jwks '$key' > '$tmp/$type.jwks'"
    ok "$alg: dvc sign" \
        bash -c "'$DVC' sign '$key' --typ dvc-receipt+jwt '$tmp/payload.json' > '$tmp/$type.jws'"

    # 1. ours -> jwcrypto
    ok "$alg: jwcrypto verifies dvc's JWS against dvc's JWKS" "$PY" - \
        "$tmp/$type.jwks" "$tmp/$type.jws" "$tmp/payload.json" "$alg" <<'EOF'
import json, sys
from jwcrypto import jwk, jws
jwks_path, jws_path, payload_path, alg = sys.argv[1:]
keys = jwk.JWKSet.from_json(open(jwks_path).read())
token = open(jws_path).read().strip()
s = jws.JWS()
s.deserialize(token)
h = s.jose_header
assert list(json.loads(jws.base64url_decode(token.split('.')[0]))) == ['alg', 'kid', 'typ'], h
assert h['alg'] == alg and h['typ'] == 'dvc-receipt+jwt', h
k = keys.get_key(h['kid'])
assert k is not None, 'kid not in JWKS'
assert k.thumbprint() == h['kid'], ('kid is not the RFC 7638 thumbprint', k.thumbprint())
pub = json.loads(k.export_public())
assert 'd' not in pub and 'p' not in pub, 'private member in the JWKS'
s.verify(k, alg=alg)
assert s.payload == open(payload_path, 'rb').read(), s.payload
# and jwcrypto refuses it when one payload byte changes
parts = token.split('.')
bad = jws.JWS()
bad.deserialize(parts[0] + '.' + jws.base64url_encode(s.payload.replace(b'0042', b'0043')) + '.' + parts[2])
try:
    bad.verify(k, alg=alg)
except jws.InvalidJWSSignature:
    pass
else:
    raise SystemExit('tampered token verified')
print('ok')
EOF

    # 2. jwcrypto -> ours
    ok "$alg: jwcrypto signs with the same key" "$PY" - \
        "$key" "$tmp/payload.json" "$alg" "$tmp/$type.py.jws" "$tmp/$type.py.jwks" <<'EOF'
import json, sys
from jwcrypto import jwk, jws
key_path, payload_path, alg, out_jws, out_jwks = sys.argv[1:]
k = jwk.JWK.from_pem(open(key_path, 'rb').read())
kid = k.thumbprint()
s = jws.JWS(open(payload_path, 'rb').read())
s.add_signature(k, alg=alg, protected=json.dumps({'alg': alg, 'kid': kid, 'typ': 'dvc-receipt+jwt'}))
open(out_jws, 'w').write(s.serialize(compact=True))
pub = json.loads(k.export_public())
pub['kid'] = kid
open(out_jwks, 'w').write(json.dumps({'keys': [pub]}, indent=2))
EOF
    ok "$alg: dvc verifies jwcrypto's JWS against dvc's JWKS" \
        bash -c "'$DVC' verify \"\$(cat '$tmp/$type.py.jws')\" --jwks '$tmp/$type.jwks' > '$tmp/$type.out' \
                 && cmp <(printf '%s\n' '$payload') '$tmp/$type.out'"
    ok "$alg: dvc verifies it against jwcrypto's JWKS (read from stdin)" \
        bash -c "'$DVC' verify - --jwks '$tmp/$type.py.jwks' < '$tmp/$type.py.jws' > '$tmp/$type.out' \
                 && cmp <(printf '%s\n' '$payload') '$tmp/$type.out'"
    ok "$alg: dvc refuses jwcrypto's JWS with a changed signature (exit 1)" \
        bash -c "t=\$(cat '$tmp/$type.py.jws'); sig=\${t##*.}; c=\${sig:10:1};
                 [ \"\$c\" = A ] && r=B || r=A;
                 '$DVC' verify \"\${t%.*}.\${sig:0:10}\$r\${sig:11}\" --jwks '$tmp/$type.jwks';
                 [ \$? -eq 1 ]"

    # 3. ours -> the openssl command line (the steps docs/keys.md gives)
    openssl pkey -in "$key" -pubout -out "$tmp/$type.pub.pem" 2>/dev/null
    jws_text=$(cat "$tmp/$type.jws")
    printf '%s' "${jws_text%.*}" > "$tmp/$type.input"
    printf '%s' "${jws_text##*.}" | b64url_decode > "$tmp/$type.sig"
    case $alg in
    EdDSA)
        ok "EdDSA: openssl pkeyutl verifies dvc's signature" \
            openssl pkeyutl -verify -pubin -inkey "$tmp/$type.pub.pem" -rawin \
                -in "$tmp/$type.input" -sigfile "$tmp/$type.sig" ;;
    ES256)
        hex=$(od -An -v -tx1 "$tmp/$type.sig" | tr -d ' \n')
        printf 'asn1=SEQUENCE:sig\n[sig]\nr=INTEGER:0x%s\ns=INTEGER:0x%s\n' \
            "${hex:0:64}" "${hex:64:64}" > "$tmp/$type.sig.cnf"
        ok "ES256: openssl dgst verifies dvc's signature (R||S as DER)" \
            bash -c "openssl asn1parse -genconf '$tmp/$type.sig.cnf' -out '$tmp/$type.sig.der' -noout \
                     && openssl dgst -sha256 -verify '$tmp/$type.pub.pem' \
                        -signature '$tmp/$type.sig.der' '$tmp/$type.input'" ;;
    RS256)
        ok "RS256: openssl dgst verifies dvc's signature" \
            openssl dgst -sha256 -verify "$tmp/$type.pub.pem" \
                -signature "$tmp/$type.sig" "$tmp/$type.input" ;;
    esac
done

# all three keys in one JWKS, as during a rotation: each token finds its key
ok "rotation: one JWKS of three keys verifies each alg's JWS" \
    bash -c "'$DVC' jwks '$tmp/ed25519.pem' '$tmp/p256.pem' '$tmp/rsa.pem' > '$tmp/all.jwks' &&
             for t in ed25519 p256 rsa; do
                 '$DVC' verify \"\$(cat $tmp/\$t.jws)\" --jwks '$tmp/all.jwks' >/dev/null || exit 1
             done"
ok "a JWS checked against a JWKS without its key is refused (exit 1)" \
    bash -c "'$DVC' verify \"\$(cat $tmp/rsa.jws)\" --jwks '$tmp/ed25519.jwks' 2>'$tmp/e';
             [ \$? -eq 1 ] && grep -q 'no key with kid' '$tmp/e'"
ok "--typ: a receipt is a receipt, and not an acknowledgement (exit 1)" \
    bash -c "'$DVC' verify \"\$(cat $tmp/p256.jws)\" --jwks '$tmp/all.jwks' --typ dvc-receipt+jwt >/dev/null &&
             '$DVC' verify \"\$(cat $tmp/p256.jws)\" --jwks '$tmp/all.jwks' --typ dvc-ack+jws 2>'$tmp/e';
             [ \$? -eq 1 ] && grep -q 'typ is \"dvc-receipt+jwt\", not \"dvc-ack+jws\"' '$tmp/e'"
ok "a bad call exits 2" \
    bash -c "'$DVC' verify \"\$(cat $tmp/rsa.jws)\"; [ \$? -eq 2 ]"

echo "1..$n"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
