import { OptionError } from '@lading/digest';
import { describe, expect, it } from 'vitest';
import { parseCsvRecord, parseOutputSpec } from './output-spec.js';

describe('parseCsvRecord (Go encoding/csv, as buildctl reads --output)', () => {
  it.each([
    ['a,b,c', ['a', 'b', 'c']],
    ['type=image,"name=a,b",push=true', ['type=image', 'name=a,b', 'push=true']],
    ['"say ""hi"", ok"', ['say "hi", ok']],
    ['a,,b', ['a', '', 'b']],
    ['a,', ['a', '']],
    ['', ['']],
  ])('%s', (input, fields) => {
    expect(parseCsvRecord(input)).toEqual(fields);
  });

  it.each([
    ['"unterminated', 'unterminated quote'],
    ['"a"b,c', 'extraneous text'],
    ['a"b', 'bare "'],
  ])('refuses %s', (input, message) => {
    expect(() => parseCsvRecord(input)).toThrow(OptionError);
    expect(() => parseCsvRecord(input)).toThrow(message);
  });
});

describe('parseOutputSpec', () => {
  it('splits type from attributes; values keep their = and case, keys are lowercased', () => {
    expect(parseOutputSpec('type=image,"name=a:1,b:2",Push=true,annotation.x=a=b')).toEqual({
      type: 'image',
      attrs: { name: 'a:1,b:2', push: 'true', 'annotation.x': 'a=b' },
    });
  });

  it('needs a type', () => {
    expect(() => parseOutputSpec('dest=out')).toThrow(/type=\.\.\. is required/);
  });

  it('needs KEY=VALUE fields', () => {
    const error = (() => {
      try {
        parseOutputSpec('type=oci,push');
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(OptionError);
    expect((error as Error).message).toContain('invalid value "push"');
  });
});
