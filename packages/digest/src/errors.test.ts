import { describe, expect, it } from 'vitest';
import {
  ExitCode,
  exitCodeFor,
  IntegrityError,
  InvalidInputError,
  isIntegrityError,
  isInvalidInputError,
  isLadingError,
  isNotFoundError,
  isOptionError,
  isRegistryError,
  LadingError,
  NotFoundError,
  OptionError,
  RegistryError,
  redactUrl,
} from './errors.js';
import { layerCompression, layerMediaType, MediaType } from './media-type.js';

describe('errors', () => {
  it('map to the CLI exit codes', () => {
    expect(exitCodeFor(new OptionError('X', 'x'))).toBe(ExitCode.usage);
    expect(exitCodeFor(new InvalidInputError('X', 'x'))).toBe(3);
    expect(exitCodeFor(new NotFoundError('X', 'x'))).toBe(4);
    expect(exitCodeFor(new RegistryError('X', 'x'))).toBe(5);
    expect(exitCodeFor(new IntegrityError('X', 'x'))).toBe(6);
    expect(exitCodeFor(new Error('x'))).toBe(1);
    expect(exitCodeFor(new LadingError('X', 'x'))).toBe(1);
    expect(exitCodeFor(Object.assign(new Error('aborted'), { name: 'AbortError' }))).toBe(130);
  });

  it('are recognised across copies by the global marker, not by instanceof', () => {
    const foreign = new (class extends Error {})('x');
    Object.defineProperty(foreign, Symbol.for('lading.error'), { value: true });
    expect(isLadingError(foreign)).toBe(true);
    expect(isLadingError(new Error('x'))).toBe(false);
    expect(isLadingError(null)).toBe(false);
  });

  it('keep code, name and cause', () => {
    const cause = new Error('root');
    const e = new NotFoundError('BLOB_NOT_FOUND', 'missing', { cause });
    expect(e.name).toBe('NotFoundError');
    expect(e.code).toBe('BLOB_NOT_FOUND');
    expect(e.cause).toBe(cause);
  });

  it('registry errors never carry credentials from URLs', () => {
    const e = new RegistryError('X', 'denied', {
      url: 'https://user:secret@reg.example/v2/a/blobs/uploads/x?_state=tok#f',
    });
    expect(e.url).toBe('https://reg.example/v2/a/blobs/uploads/x');
    expect(JSON.stringify(e)).not.toContain('secret');
    expect(redactUrl('not a url //u:p@host/x?y')).not.toContain('u:p');
  });
});

describe('media types', () => {
  it('map compression to OCI and Docker layer types as BuildKit writes them', () => {
    expect(layerMediaType('gzip', { oci: true })).toBe('application/vnd.oci.image.layer.v1.tar+gzip');
    expect(layerMediaType('zstd', { oci: true })).toBe('application/vnd.oci.image.layer.v1.tar+zstd');
    expect(layerMediaType('uncompressed', { oci: true })).toBe('application/vnd.oci.image.layer.v1.tar');
    expect(layerMediaType('gzip', { oci: false })).toBe('application/vnd.docker.image.rootfs.diff.tar.gzip');
    expect(layerMediaType('zstd', { oci: false })).toBe('application/vnd.docker.image.rootfs.diff.tar.zstd');
    expect(layerMediaType('uncompressed', { oci: false })).toBe(
      'application/vnd.docker.image.rootfs.diff.tar',
    );
    for (const c of ['gzip', 'zstd', 'uncompressed'] as const) {
      expect(layerCompression(layerMediaType(c, { oci: true }))).toBe(c);
      expect(layerCompression(layerMediaType(c, { oci: false }))).toBe(c);
    }
    expect(layerCompression(MediaType.ociConfig)).toBeUndefined();
  });
});

describe('one predicate per error kind', () => {
  const all = {
    invalid: new InvalidInputError('X', 'x'),
    integrity: new IntegrityError('X', 'x'),
    notFound: new NotFoundError('X', 'x'),
    registry: new RegistryError('X', 'x'),
    option: new OptionError('X', 'x'),
  };
  const predicates = {
    invalid: isInvalidInputError,
    integrity: isIntegrityError,
    notFound: isNotFoundError,
    registry: isRegistryError,
    option: isOptionError,
  };
  it('each accepts its own kind and no other', () => {
    for (const [name, is] of Object.entries(predicates)) {
      for (const [other, error] of Object.entries(all)) expect(is(error)).toBe(name === other);
    }
  });
  it('recognises an error of another install of the package by its marker and kind', () => {
    const foreign = Object.assign(new Error('not found elsewhere'), {
      [Symbol.for('lading.error')]: true,
      kind: 'not-found',
      code: 'X',
    });
    expect(isNotFoundError(foreign)).toBe(true);
    expect(isRegistryError(foreign)).toBe(false);
  });
  it('refuses a plain object that only claims a kind, and non-errors', () => {
    expect(isNotFoundError({ kind: 'not-found' })).toBe(false);
    expect(isNotFoundError(new LadingError('X', 'x'))).toBe(false);
    expect(isNotFoundError(undefined)).toBe(false);
  });
});
