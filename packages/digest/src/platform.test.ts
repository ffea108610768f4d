import { describe, expect, it } from 'vitest';
import { InvalidInputError } from './errors.js';
import {
  defaultPlatform,
  formatPlatform,
  normalizePlatform,
  parsePlatform,
  platformMatches,
} from './platform.js';

describe('parsePlatform', () => {
  it.each([
    ['linux/amd64', { os: 'linux', architecture: 'amd64' }],
    ['linux/x86_64', { os: 'linux', architecture: 'amd64' }],
    ['linux/aarch64', { os: 'linux', architecture: 'arm64' }],
    ['linux/arm64/v8', { os: 'linux', architecture: 'arm64' }],
    ['linux/arm64/v9', { os: 'linux', architecture: 'arm64', variant: 'v9' }],
    ['linux/arm', { os: 'linux', architecture: 'arm', variant: 'v7' }],
    ['linux/arm/6', { os: 'linux', architecture: 'arm', variant: 'v6' }],
    ['linux/armhf', { os: 'linux', architecture: 'arm', variant: 'v7' }],
    ['Linux/AMD64', { os: 'linux', architecture: 'amd64' }],
    ['windows/amd64', { os: 'windows', architecture: 'amd64' }],
    ['linux/386', { os: 'linux', architecture: '386' }],
  ])('%s', (spec, want) => {
    expect(parsePlatform(spec)).toEqual(want);
  });

  it.each(['', 'linux/', '/amd64', 'linux/amd64/v8/x', 'linux amd64'])('refuses %j', (spec) => {
    expect(() => parsePlatform(spec)).toThrow(InvalidInputError);
  });

  it('formats back', () => {
    expect(formatPlatform(parsePlatform('linux/arm/v7'))).toBe('linux/arm/v7');
    expect(formatPlatform(parsePlatform('linux/amd64'))).toBe('linux/amd64');
  });
});

describe('defaultPlatform', () => {
  it('is linux on this machine with a normalised architecture', () => {
    const p = defaultPlatform();
    expect(p.os).toBe('linux');
    const archMap: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386' };
    expect(p.architecture).toBe(archMap[process.arch] ?? process.arch);
    expect(normalizePlatform(p)).toEqual(p);
  });
});

describe('platformMatches', () => {
  it.each([
    ['linux/amd64', 'linux/amd64', true],
    ['linux/amd64', 'linux/x86_64', true],
    ['linux/amd64', 'linux/arm64', false],
    ['linux/amd64', 'windows/amd64', false],
    ['linux/arm64', 'linux/arm64/v8', true],
    ['linux/arm/v7', 'linux/arm/v6', true],
    ['linux/arm/v6', 'linux/arm/v7', false],
    ['linux/arm/v8', 'linux/arm/v5', true],
  ])('want %s, have %s -> %s', (want, have, ok) => {
    expect(platformMatches(parsePlatform(want), parsePlatform(have))).toBe(ok);
  });

  it('compares os.version only when both give one', () => {
    const w = { os: 'windows', architecture: 'amd64', 'os.version': '10.0.17763.1' };
    expect(platformMatches(w, { os: 'windows', architecture: 'amd64' })).toBe(true);
    expect(platformMatches(w, { ...w, 'os.version': '10.0.20348.1' })).toBe(false);
  });
});
