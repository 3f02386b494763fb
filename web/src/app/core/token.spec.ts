import { refreshMargin } from './auth.service';
import { decodeJwt } from './token-store';

const b64url = (o: object) => btoa(JSON.stringify(o)).replace(/=+$/, '').replace(/\+/g, '-').replace(/\//g, '_');

describe('tokens', () => {
  it('decodes JWT claims (base64url, no padding)', () => {
    const t = `${b64url({ alg: 'RS256' })}.${b64url({ userId: 'u-1', exp: 2000, iat: 1100, n: '??>>' })}.sig`;
    expect(decodeJwt(t)).toMatchObject({ userId: 'u-1', exp: 2000, iat: 1100 });
    expect(decodeJwt('garbage')).toBeNull();
    expect(decodeJwt(null)).toBeNull();
  });

  it('refreshes a minute before expiry, or after 80 % of a short lifetime', () => {
    expect(refreshMargin(0, 900)).toBe(60_000);
    expect(refreshMargin(1000, 1900)).toBe(60_000);
    expect(refreshMargin(1000, 1010)).toBe(2_000);
    expect(refreshMargin(undefined, 1010)).toBe(60_000);
  });
});
