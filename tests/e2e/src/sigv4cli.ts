// parley_sigv4_cli: presigns S3 URLs with parley's own src/media code (a test executable built
// next to the server), for comparisons with the AWS SDK and for crafting URLs in the S3 tests.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { parleyBin } from './harness.ts';

const cli =
  process.env.PARLEY_SIGV4_CLI ?? path.resolve(path.dirname(parleyBin), '..', '..', 'tests', 'unit', 'media', 'parley_sigv4_cli');

export interface PresignCase {
  endpoint: string; // scheme://host[:port]
  bucket: string;
  region: string;
  accessKey: string;
  secretKey: string;
  pathStyle: boolean;
  method: string;
  key: string;
  amzDate: string; // YYYYMMDDTHHMMSSZ
  expires: number; // seconds
  headers: Record<string, string>; // signed besides host
  query: Record<string, string>; // extra signed parameters
}

/** Parley's presigned URLs for many cases in one run of the CLI, in order. */
export function parleyPresign(cases: PresignCase[]): string[] {
  assert.ok(existsSync(cli), `parley_sigv4_cli not found at ${cli} (build the tests, or set PARLEY_SIGV4_CLI)`);
  return JSON.parse(execFileSync(cli, { input: JSON.stringify(cases), encoding: 'utf8' })) as string[];
}

/** `d` as an X-Amz-Date. */
export function amzDate(d: Date): string {
  return d.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
}
