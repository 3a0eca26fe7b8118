// Compact JWS (RFC 7515) checked in the browser with WebCrypto against the
// gateway's JWKS (GET /dvc/v1/keys): EdDSA (Ed25519), ES256, RS256.
import { API } from './common.js';

const b64u = s => Uint8Array.from(atob(s.replace(/-/g, '+').replace(/_/g, '/') + '==='.slice((s.length + 3) % 4)), c => c.charCodeAt(0));
const ALGS = {
  EdDSA: { imp: { name: 'Ed25519' }, ver: { name: 'Ed25519' } },
  ES256: { imp: { name: 'ECDSA', namedCurve: 'P-256' }, ver: { name: 'ECDSA', hash: 'SHA-256' } },
  RS256: { imp: { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }, ver: { name: 'RSASSA-PKCS1-v1_5' } },
};

// {valid, kid, payload, reason}
export async function verify(jws, typ) {
  const parts = String(jws).split('.');
  if (parts.length !== 3) return { valid: false, reason: 'not a compact JWS' };
  let header, payload;
  try {
    header = JSON.parse(new TextDecoder().decode(b64u(parts[0])));
    payload = JSON.parse(new TextDecoder().decode(b64u(parts[1])));
  } catch (_) { return { valid: false, reason: 'malformed' }; }
  const alg = ALGS[header.alg];
  if (!alg) return { valid: false, payload, reason: 'algorithm ' + header.alg };
  if (typ && header.typ !== typ) return { valid: false, payload, reason: 'typ ' + header.typ };
  const r = await fetch(API + '/keys');
  const jwks = await r.json();
  const jwk = (jwks.keys || []).find(k => k.kid === header.kid && (!k.alg || k.alg === header.alg));
  if (!jwk) return { valid: false, payload, reason: 'unknown key ' + header.kid };
  try {
    const key = await crypto.subtle.importKey('jwk', jwk, alg.imp, false, ['verify']);
    const ok = await crypto.subtle.verify(alg.ver, key, b64u(parts[2]),
      new TextEncoder().encode(parts[0] + '.' + parts[1]));
    return { valid: ok, kid: header.kid, payload, reason: ok ? '' : 'signature does not verify' };
  } catch (e) {
    return { valid: false, payload, reason: e.message };
  }
}
