import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvalidInputError, NotFoundError } from '@lading/digest';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readCertDir } from './cert-dir.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'lading-cert-dir-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const put = (name: string, text: string) => writeFileSync(join(dir, name), text);

describe('readCertDir (the containers certs.d layout)', () => {
  it('trusts every *.crt and pairs NAME.cert with NAME.key, ignoring other files and directories', () => {
    put('b.crt', 'CA B');
    put('a.crt', 'CA A');
    put('client.cert', 'CLIENT CERT');
    put('client.key', 'CLIENT KEY');
    put('ed.cert', 'ED CERT');
    put('ed.key', 'ED KEY');
    put('notes.txt', 'ignored');
    mkdirSync(join(dir, 'not-a-file.crt'));
    expect(readCertDir(dir)).toEqual({
      ca: ['CA A', 'CA B'],
      cert: ['CLIENT CERT', 'ED CERT'],
      key: ['CLIENT KEY', 'ED KEY'],
    });
  });

  it('gives nothing extra for an empty directory', () => {
    expect(readCertDir(dir)).toEqual({});
  });

  it('refuses a client key without its certificate, and a certificate without its key', () => {
    put('client.key', 'KEY');
    expect(() => readCertDir(dir)).toThrow(InvalidInputError);
    rmSync(join(dir, 'client.key'));
    put('client.cert', 'CERT');
    const error = (() => {
      try {
        readCertDir(dir);
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(InvalidInputError);
    expect((error as InvalidInputError).code).toBe('CERT_KEY_UNPAIRED');
    expect((error as Error).message).toContain('client.cert');
  });

  it('says which directory it cannot read', () => {
    expect(() => readCertDir(join(dir, 'missing'))).toThrow(NotFoundError);
    expect(() => readCertDir(join(dir, 'missing'))).toThrow(/missing/);
  });
});
