// Tokens an attacker could make: same claims as a real access token, but signed with the
// attacker's key (under the server's kid), unsigned (`alg: none`), or HMAC-signed with the
// server's public key (the RS256/HS256 confusion). A correct server refuses all of them.
import { decodeJwt, decodeProtectedHeader, exportSPKI, generateKeyPair, importJWK, SignJWT, type JWK } from 'jose';

export interface ForgedTokens {
  otherKey: string;
  algNone: string;
  hs256WithPublicKey: string;
  /** Real header and payload, signature bytes flipped. */
  badSignature: string;
  /** A real token with its payload edited (userId swapped) and the original signature kept. */
  editedPayload: string;
}

const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');

export async function forgeFrom(realAccessToken: string, jwksUrl: string, otherUserId?: string): Promise<ForgedTokens> {
  const claims = decodeJwt(realAccessToken);
  const header = decodeProtectedHeader(realAccessToken);
  const now = Math.floor(Date.now() / 1000);
  const payload = { ...claims, iat: now, exp: now + 600, jti: `forged-${now}` };

  const { privateKey } = await generateKeyPair('RS256');
  const otherKey = await new SignJWT(payload).setProtectedHeader({ alg: 'RS256', kid: header.kid, typ: 'JWT' }).sign(privateKey);

  const algNone = `${b64({ alg: 'none', typ: 'JWT', kid: header.kid })}.${b64(payload)}.`;

  const jwks = (await (await fetch(jwksUrl)).json()) as { keys: JWK[] };
  const jwk = jwks.keys.find((k) => k.kid === header.kid) ?? jwks.keys[0]!;
  const pub = await importJWK({ ...jwk, alg: 'RS256' }, 'RS256', { extractable: true });
  const pem = await exportSPKI(pub as Parameters<typeof exportSPKI>[0]);
  const hs256WithPublicKey = await new SignJWT(payload)
    .setProtectedHeader({ alg: 'HS256', kid: header.kid, typ: 'JWT' })
    .sign(new TextEncoder().encode(pem));

  const [h, p, s] = realAccessToken.split('.') as [string, string, string];
  const sig = Buffer.from(s, 'base64url');
  sig[0] = sig[0]! ^ 0xff;
  const badSignature = `${h}.${p}.${sig.toString('base64url')}`;

  const edited = { ...claims, userId: otherUserId ?? '00000000-0000-4000-8000-000000000000' };
  const editedPayload = `${h}.${b64(edited)}.${s}`;

  return { otherKey, algNone, hs256WithPublicKey, badSignature, editedPayload };
}
