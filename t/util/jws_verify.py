#!/usr/bin/python3
"""Verifies a compact JWS against a JWK Set with jwcrypto, an implementation
independent of ours.  usage: jws_verify.py JWKS_JSON_FILE < JWS
Prints the payload and exits 0 if valid; exits 1 with the reason if not."""
import sys
from jwcrypto import jwk, jws

keys = jwk.JWKSet.from_json(open(sys.argv[1]).read())
token = jws.JWS()
try:
    token.deserialize(sys.stdin.read().strip())
    kid = token.jose_header.get("kid")
    key = keys.get_key(kid)
    if key is None:
        raise ValueError("no key with kid %r in the JWKS" % kid)
    token.verify(key, alg=token.jose_header["alg"])
except Exception as e:  # any failure is a negative answer
    print("invalid: %s" % e)
    sys.exit(1)
sys.stdout.write(token.payload.decode("utf-8"))
