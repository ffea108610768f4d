import { describe, expect, it } from 'vitest';
import { printable } from './printable.js';

describe('printable', () => {
  it.each([
    ['plain text stays', 'manifest unknown: sha256:abc', 'manifest unknown: sha256:abc'],
    ['colour codes go', 'denied \x1b[31mred\x1b[0m', 'denied red'],
    ['a window title (OSC) goes', 'x\x1b]0;owned\x07y', 'xy'],
    ['OSC 8 links end with ST', 'a\x1b]8;;http://evil\x1b\\link\x1b]8;;\x1b\\b', 'alinkb'],
    ['cursor moves and clears go', 'ok\x1b[2K\x1b[1Afake', 'okfake'],
    ['ESC c (a terminal reset), BEL, backspace, NUL, DEL go', 'a\x1bcb\x07c\x08d\x00e\x7ff', 'abcdef'],
    ['a lone ESC at the end goes', 'x\x1b', 'x'],
    ['C1 controls (8-bit CSI) go', 'a\u009b31mb\u0085c', 'ab c'],
    ['carriage return and newline become spaces', 'line1\r\nline2\rline3\nline4', 'line1 line2 line3 line4'],
    ['tabs become spaces', 'a\tb', 'a b'],
    ['bidi overrides go', 'file\u202egnp.exe', 'filegnp.exe'],
    ['other scripts stay', 'tag «latest» 日本', 'tag «latest» 日本'],
  ])('%s', (_what, input, want) => {
    expect(printable(input)).toBe(want);
  });

  it('keeps newlines when asked, and nothing else', () => {
    expect(printable('a\r\nb\x1b[1m\nc\rd', { keepNewlines: true })).toBe('a\nb\nc\nd');
  });
});
