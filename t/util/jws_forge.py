#!/usr/bin/python3
"""Forges a compact JWS the way an attacker would, for t/080-hostile.t.
usage: jws_forge.py MODE [JWKS_FILE] < JWS   (prints the forgery)
  payload  the payload with a member changed (due_at a year later, or the
           code), header and signature kept
  foreign  the same payload signed by a fresh Ed25519 key under the
           gateway's own kid (and alg)
  none     the same payload with {"alg":"none"} and no signature
  hs256    the payload MAC'ed with HS256 under the gateway's public key
           (JWKS_FILE) as the secret: the algorithm-confusion attack"""
import base64, hashlib, hmac, json, sys
from jwcrypto import jwk, jws


def b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


mode = sys.argv[1]
h, p, s = sys.stdin.read().strip().split(".")
header = json.loads(unb64(h))
payload = json.loads(unb64(p))

if mode == "payload":
    if "due_at" in payload:
        payload["due_at"] = str(int(payload["due_at"][:4]) + 1) + payload["due_at"][4:]
    else:
        payload["code"] = payload["code"][:-1] + ("2" if payload["code"][-1] != "2" else "3")
    print(h + "." + b64(json.dumps(payload, ensure_ascii=False,
                                   separators=(",", ":")).encode()) + "." + s)
elif mode == "foreign":
    key = jwk.JWK.generate(kty="OKP", crv="Ed25519")
    t = jws.JWS(unb64(p))
    t.add_signature(key, alg=header["alg"],
                    protected=json.dumps({k: header[k] for k in header}))
    print(t.serialize(compact=True))
elif mode == "none":
    print(b64(json.dumps({"alg": "none", "typ": header.get("typ", "")}).encode())
          + "." + p + ".")
elif mode == "hs256":
    jwks = json.load(open(sys.argv[2]))
    pub = [k for k in jwks["keys"] if k.get("kid") == header.get("kid")][0]
    secret = json.dumps(pub, separators=(",", ":")).encode()
    nh = b64(json.dumps({"alg": "HS256", "kid": header.get("kid"),
                         "typ": header.get("typ", "")}).encode())
    mac = hmac.new(secret, (nh + "." + p).encode(), hashlib.sha256).digest()
    print(nh + "." + p + "." + b64(mac))
else:
    sys.exit("unknown mode " + mode)
