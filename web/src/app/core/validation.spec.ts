import { bioError, emailError, fullNameError, passwordError, usernameError } from './validation';

describe('validation (the server’s rules)', () => {
  it('username: 3–32 of [A-Za-z0-9_]', () => {
    expect(usernameError('abc')).toBeNull();
    expect(usernameError('a_B_9'.padEnd(32, 'x'))).toBeNull();
    expect(usernameError('ab')).not.toBeNull();
    expect(usernameError('x'.repeat(33))).not.toBeNull();
    expect(usernameError('bad-name')).not.toBeNull();
    expect(usernameError('naïve')).not.toBeNull();
  });

  it('password: 8–64, no whitespace, lower, upper, digit, symbol', () => {
    expect(passwordError('Sup3r$ecret')).toBeNull();
    expect(passwordError('Aa1!Aa1')).toMatch(/8–64/);
    expect(passwordError('Aa1!' + 'x'.repeat(61))).toMatch(/8–64/);
    expect(passwordError('Aa1!aaaa\u00a0')).toMatch(/spaces/);
    expect(passwordError('aa1!aaaa')).toMatch(/uppercase/);
    expect(passwordError('AA1!AAAA')).toMatch(/lowercase/);
    expect(passwordError('Aab!aaaa')).toMatch(/digit/);
    expect(passwordError('Aab1aaaa')).toMatch(/symbol/);
    expect(passwordError('Aab1aaaé')).toBeNull(); // a non-ASCII letter counts as a symbol, as on the server
    expect(passwordError('Aa1!' + '😀'.repeat(4))).toBeNull(); // code points, not UTF-16 units
  });

  it('email: the API regex', () => {
    expect(emailError('a.b+c@example.co')).toBeNull();
    expect(emailError('a@b.c')).not.toBeNull();
    expect(emailError('no-at.example.com')).not.toBeNull();
    expect(emailError('a@exa_mple.com')).not.toBeNull();
  });

  it('full name 2–100, not blank; bio ≤ 255', () => {
    expect(fullNameError('Al')).toBeNull();
    expect(fullNameError('A')).not.toBeNull();
    expect(fullNameError('  ')).toMatch(/blank/);
    expect(fullNameError('x'.repeat(101))).not.toBeNull();
    expect(bioError('')).toBeNull();
    expect(bioError('x'.repeat(255))).toBeNull();
    expect(bioError('x'.repeat(256))).not.toBeNull();
    expect(bioError('line\nbreak')).toBeNull();
  });
});
