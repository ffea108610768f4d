import { describe, expect, it } from 'vitest';
import {
  compactJson,
  encodeRawMap,
  goEscape,
  goJson,
  goMap,
  goString,
  goStruct,
  goValue,
  sortedMap,
  splitObject,
} from './go-json.js';

// Expectations are written by hand from the documentation of Go's encoding/json: "the string is encoded using
// HTMLEscape, which replaces "<", ">", and "&" with "\u003c", "\u003e", and "\u0026"", U+2028 and U+2029 "are
// escaped to \u2028 and \u2029", invalid UTF-8 becomes U+FFFD, "map keys are sorted", struct fields keep their
// declaration order, and Compact "elides insignificant space characters".

describe('goString: a string as json.Marshal writes it', () => {
  it('escapes <, > and & for HTML', () => {
    expect(goString('<a href="x">&</a>')).toBe('"\\u003ca href=\\"x\\"\\u003e\\u0026\\u003c/a\\u003e"');
  });
  it('escapes the JavaScript line terminators U+2028 and U+2029', () => {
    expect(goString('a\u2028b\u2029c')).toBe('"a\\u2028b\\u2029c"');
  });
  it('writes control characters short where Go has a short form and as \\u00xx otherwise', () => {
    expect(goString('\n\r\t\b\f\u0001\u001f')).toBe('"\\n\\r\\t\\b\\f\\u0001\\u001f"');
  });
  it('keeps other characters as UTF-8, unescaped', () => {
    expect(goString('é😀')).toBe('"é😀"');
  });
  it('writes U+FFFD for a lone surrogate, which is not UTF-8', () => {
    expect(goString('a\ud800b')).toBe('"a\ufffdb"');
    expect(goString('\udc00')).toBe('"\ufffd"');
  });
});

describe('goEscape', () => {
  it('escapes only the five characters, in already encoded JSON text', () => {
    expect(goEscape('{"k":"<&>\u2028\u2029é"}')).toBe('{"k":"\\u003c\\u0026\\u003e\\u2028\\u2029é"}');
  });
});

describe('goJson and sortedMap', () => {
  it('keeps the caller order of fields and escapes strings', () => {
    expect(goJson({ z: '<', a: [1, '&'] })).toBe('{"z":"\\u003c","a":[1,"\\u0026"]}');
  });
  it('sorts map keys by their UTF-8 bytes, not by UTF-16 code units', () => {
    // U+FF61 is EF BD A1 in UTF-8 and U+1F600 is F0 9F 98 80: Go puts the emoji last; UTF-16 (D83D...) first.
    const map = sortedMap({ '\u{1F600}': '1', '\uFF61': '2', b: '3', a: '4' });
    expect(Object.keys(map)).toEqual(['a', 'b', '\uFF61', '\u{1F600}']);
  });
  it('writes integer-like keys of a map in byte order too', () => {
    // Go sorts map keys as strings ("10" < "9" < "a"); a JavaScript object puts integer-like keys first, 9 before 10.
    const map = sortedMap({ a: 'z', '9': 'y', '10': 'x', '-1': 'w', '01': 'v' });
    expect(goJson({ annotations: map })).toBe('{"annotations":{"-1":"w","01":"v","10":"x","9":"y","a":"z"}}');
    expect(map['9']).toBe('y');
  });
  it('encodes what JSON.stringify encodes, byte for byte, for values without a sortedMap', () => {
    const when = new Date(Date.UTC(2001, 1, 3, 4, 5, 6));
    const value = {
      s: 'a<b',
      n: 1.5,
      nan: Number.NaN,
      u: undefined,
      f: () => 1,
      d: when,
      l: [undefined, null, true],
    };
    expect(goJson(value)).toBe(goEscape(JSON.stringify(value)));
    expect(goJson(undefined)).toBe('null');
  });
});

describe('goValue, goMap and goStruct', () => {
  it('writes a decoded value with every object as a sorted map', () => {
    expect(goValue({ b: 1, a: { d: null, c: true }, '10': 'x', '9': 'y' })).toBe(
      '{"10":"x","9":"y","a":{"c":true,"d":null},"b":1}',
    );
  });
  it('writes NaN and undefined as null, as an interface{} holding nothing', () => {
    expect(goValue([Number.NaN, undefined, 1.5])).toBe('[null,null,1.5]');
  });
  it('leaves out struct fields that are undefined (omitempty) and keeps declaration order', () => {
    expect(
      goStruct([
        ['Z', '1'],
        ['A', undefined],
        ['M', '"<"'],
      ]),
    ).toBe('{"Z":1,"M":"<"}');
  });
  it('sorts already encoded members of a map', () => {
    expect(
      goMap([
        ['b', '2'],
        ['a&', '1'],
      ]),
    ).toBe('{"a\\u0026":1,"b":2}');
  });
});

describe('raw members (map[string]json.RawMessage)', () => {
  it('compacts whitespace outside strings only', () => {
    expect(compactJson('{ "a b" : [ 1 , "x\\" y" ] }\n')).toBe('{"a b":[1,"x\\" y"]}');
  });
  it('splits an object into its raw members, a repeated key keeping its last value', () => {
    const members = splitObject('{ "b": { "x": [1, 2] }, "a": "}", "b": 3.50 }');
    expect([...members]).toEqual([
      ['b', '3.50'],
      ['a', '"}"'],
    ]);
  });
  it('re-encodes raw members as Go does: sorted, compacted, escaped, numbers untouched', () => {
    const members = new Map([
      ['z', ' { "k" : "<>" } '],
      ['a', '1.50'],
    ]);
    expect(encodeRawMap(members)).toBe('{"a":1.50,"z":{"k":"\\u003c\\u003e"}}');
  });
  it('refuses text that is not an object', () => {
    expect(() => splitObject('[1]')).toThrow('not an object');
  });
});
