import { encodeRawMap, goString, parseDigest } from '@lading/digest';
import { describe, expect, it } from 'vitest';
import { withAuthor, withEnv, withLabels, withUser } from './edit.js';
import { encodeImageConfig } from './encode.js';
import { clampCreatedLabel } from './epoch.js';
import { parseImageConfig } from './parse.js';
import { patchImageConfig } from './patch.js';
import { rewriteImageConfig, withoutCreated } from './rewrite.js';
import { normalizeTime } from './time.js';

// Every expected string below is written by hand from Go's encoding/json rules (map keys sorted by bytes, struct
// fields in declaration order, omitempty, `<>&` as \u003c \u003e \u0026, RawMessage compacted) and the struct
// declarations of the image spec and BuildKit; none is produced by the code under test.

const text = (b: Uint8Array) => new TextDecoder().decode(b);
const bytes = (s: string) => new TextEncoder().encode(s);
const D1 = parseDigest(`sha256:${'1'.repeat(64)}`);

// A config as BuildKit 0.8's Dockerfile frontend writes it: Healthcheck before ArgsEscaped, "OnBuild":null.
const buildkitConfig =
  '{"architecture":"amd64","config":{"Env":["PATH=/bin","A=x <y> & é"],"Healthcheck":{"Test":["CMD","true"],"Interval":5000000000},"ArgsEscaped":true,"OnBuild":null},"created":"2020-01-01T00:00:00.5Z","history":[{"created":"2020-01-01T00:00:00.5Z","created_by":"RUN \\u003e /x","comment":"buildkit.dockerfile.v0"}],"os":"linux","rootfs":{"type":"layers","diff_ids":["' +
  D1 +
  '"]}, "x-vendor" : { "b" : 1.50, "a" : "<é>" }}';

describe('rewriteImageConfig: a config that comes in keeps its bytes', () => {
  it('an edit that changes nothing gives back the very bytes', () => {
    const input = bytes(buildkitConfig);
    expect(rewriteImageConfig(input, (c) => c)).toBe(input);
    expect(rewriteImageConfig(input, (c) => withEnv(c, ['PATH=/bin']))).toBe(input);
  });

  it('a changed config object is written as Go writes the struct; every other member keeps its bytes', () => {
    const out = text(rewriteImageConfig(buildkitConfig, (c) => withUser(c, 'app')));
    expect(out).toBe(
      '{"architecture":"amd64",' +
        '"config":{"User":"app","Env":["PATH=/bin","A=x \\u003cy\\u003e \\u0026 é"],"ArgsEscaped":true,"Healthcheck":{"Test":["CMD","true"],"Interval":5000000000}},' +
        '"created":"2020-01-01T00:00:00.5Z",' +
        '"history":[{"created":"2020-01-01T00:00:00.5Z","created_by":"RUN \\u003e /x","comment":"buildkit.dockerfile.v0"}],' +
        `"os":"linux","rootfs":{"type":"layers","diff_ids":["${D1}"]},` +
        '"x-vendor":{"b":1.50,"a":"\\u003cé\\u003e"}}',
    );
  });

  it('a top-level edit leaves the config object exactly as it came (OnBuild null, Healthcheck first)', () => {
    const out = text(rewriteImageConfig(buildkitConfig, (c) => withAuthor(c, 'me <me@example.com>')));
    expect(out).toContain(
      '"config":{"Env":["PATH=/bin","A=x \\u003cy\\u003e \\u0026 é"],"Healthcheck":{"Test":["CMD","true"],"Interval":5000000000},"ArgsEscaped":true,"OnBuild":null}',
    );
    expect(
      out.startsWith('{"architecture":"amd64","author":"me \\u003cme@example.com\\u003e","config":'),
    ).toBe(true);
  });

  it('maps are written with their keys sorted by bytes; struct-valued sets as {}; unknown fields as they came', () => {
    const input =
      '{"os":"linux","architecture":"arm64","config":{"Hostname":"", "StopTimeout" : 10,"ExposedPorts":{"80/tcp":{},"443/tcp":{"x":1}},"Healthcheck":{}}}';
    const out = text(
      rewriteImageConfig(input, (c) => withLabels(c, { b: '1', a: '2', 10: 'x', 9: 'y', é: 'z', Z: 'w' })),
    );
    expect(out).toBe(
      '{"architecture":"arm64","config":{"ExposedPorts":{"443/tcp":{},"80/tcp":{}},' +
        '"Labels":{"10":"x","9":"y","Z":"w","a":"2","b":"1","é":"z"},"Healthcheck":{},' +
        '"Hostname":"","StopTimeout":10},"os":"linux"}',
    );
  });

  it('refuses what is not a config with a typed error', () => {
    expect(() => rewriteImageConfig('{"config":', (c) => c)).toThrow(/not valid JSON/);
    expect(() => rewriteImageConfig('null', (c) => c)).toThrow(/null image config/);
  });
});

describe('withoutCreated: a base config as a frontend starts from it', () => {
  it('drops created, keeps every other member', () => {
    expect(
      text(withoutCreated('{"os":"linux","created":"2001-01-01T00:00:00Z","config":{"OnBuild":null}}')),
    ).toBe('{"config":{"OnBuild":null},"os":"linux"}');
    expect(text(withoutCreated('{"os":"linux","created":null}'))).toBe('{"os":"linux"}');
    const none = bytes('{"os":"linux", "config":{}}');
    expect(withoutCreated(none)).toBe(none);
  });
});

describe('patchImageConfig with an epoch (BuildKit exporter/containerimage/writer.go)', () => {
  const history = [
    { created: '2030-01-01T00:00:00Z', created_by: 'base' },
    { created: '2031-01-01T00:00:00Z', created_by: 'late' },
    { created: '1990-01-01T00:00:00+00:00', created_by: 'early' },
    { created_by: 'none' },
  ];
  const epoch = new Date('2000-01-01T00:00:00Z');

  it('clamps the new history entries (never the base ones) and takes created from them', () => {
    const out = text(patchImageConfig('{"os":"linux"}', [D1], history, { epoch, baseHistoryLength: 1 }));
    expect(out).toBe(
      '{"created":"2000-01-01T00:00:00Z","history":[' +
        '{"created":"2030-01-01T00:00:00Z","created_by":"base"},' +
        '{"created":"2000-01-01T00:00:00Z","created_by":"late"},' +
        '{"created":"1990-01-01T00:00:00Z","created_by":"early"},' +
        '{"created":"2000-01-01T00:00:00Z","created_by":"none"}],' +
        `"os":"linux","rootfs":{"type":"layers","diff_ids":["${D1}"]}}`,
    );
  });

  it('clamps a later created, keeps an earlier one as it came and a null one', () => {
    const patch = (c: string) =>
      JSON.parse(text(patchImageConfig(`{"created":${c}}`, [], [], { epoch }))).created as unknown;
    expect(patch('"2020-06-01T00:00:00Z"')).toBe('2000-01-01T00:00:00Z');
    expect(text(patchImageConfig('{"created":"1999-01-01T00:00:00.000+00:00"}', [], [], { epoch }))).toBe(
      '{"created":"1999-01-01T00:00:00.000+00:00","history":[],"rootfs":{"type":"layers","diff_ids":null}}',
    );
    expect(patch('null')).toBeNull();
    expect(() => patch('5')).toThrow(/creation time/);
  });

  it('the created label is clamped; only the config member changes', () => {
    const input =
      '{"config":{"Labels":{"org.opencontainers.image.created":"2030-01-01T00:00:00Z"},"OnBuild":null},"zz":[1, 2]}';
    expect(text(clampCreatedLabel(bytes(input), epoch))).toBe(
      '{"config":{"Labels":{"org.opencontainers.image.created":"2000-01-01T00:00:00Z"}},"zz":[1,2]}',
    );
    const early = bytes('{"config":{"Labels":{"org.opencontainers.image.created":"1999-01-01T00:00:00Z"}}}');
    expect(clampCreatedLabel(early, epoch)).toBe(early);
  });
});

describe("Go's encoding details", () => {
  it('times come back as Go writes them', () => {
    expect(normalizeTime('2020-01-01T00:00:00+00:00')).toBe('2020-01-01T00:00:00Z');
    expect(normalizeTime('2020-01-01T00:00:00-00:00')).toBe('2020-01-01T00:00:00Z');
    expect(normalizeTime('2020-01-01T00:00:00.1234567891Z')).toBe('2020-01-01T00:00:00.123456789Z');
    expect(normalizeTime('2020-01-01T00:00:00.100+01:30')).toBe('2020-01-01T00:00:00.1+01:30');
    expect(normalizeTime('2000-02-29T23:59:59Z')).toBe('2000-02-29T23:59:59Z');
    for (const bad of [
      '2020-01-01t00:00:00Z',
      '2020-01-01T00:00:00z',
      '2021-02-29T00:00:00Z',
      '2020-13-01T00:00:00Z',
      '2020-01-01T24:00:00Z',
      '2020-01-01T00:00:00+24:00',
      '1900-02-29T00:00:00Z',
    ]) {
      expect(() => normalizeTime(bad), bad).toThrow(/RFC 3339/);
    }
  });

  it('strings: HTML characters, line and paragraph separators, control characters, lone surrogates', () => {
    expect(goString('<a href="x">&\u2028\u2029</a>')).toBe(
      '"\\u003ca href=\\"x\\"\\u003e\\u0026\\u2028\\u2029\\u003c/a\\u003e"',
    );
    expect(goString('\u0001\t\n\u007f é')).toBe('"\\u0001\\t\\n\u007f é"');
    expect(goString('a\ud800b')).toBe('"a\ufffdb"');
    expect(goString('\ud83d\ude00')).toBe('"\ud83d\ude00"');
  });

  it('map keys are sorted by UTF-8 bytes, not UTF-16 code units', () => {
    // U+FFFD is EF BF BD in UTF-8, U+1F600 is F0 9F 98 80: U+FFFD sorts first, though its UTF-16 unit is larger.
    const members = new Map([
      ['\u{1F600}', '1'],
      ['\uFFFD', '2'],
      ['a', '3'],
    ]);
    expect(encodeRawMap(members)).toBe('{"a":3,"\uFFFD":2,"\u{1F600}":1}');
  });

  it('encodeImageConfig sorts map keys as Go does', () => {
    const c = parseImageConfig(
      '{"os":"linux","architecture":"amd64","config":{"Labels":{"b":"1","10":"2","a":"3"}}}',
    );
    expect(text(encodeImageConfig(c))).toBe(
      '{"architecture":"amd64","os":"linux","config":{"Labels":{"10":"2","a":"3","b":"1"}},"rootfs":{"type":"","diff_ids":null}}',
    );
  });
});
