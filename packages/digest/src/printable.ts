// biome-ignore-all lint/suspicious/noControlCharactersInRegex: finding control characters is the point

/** Terminal escape sequences: CSI (`ESC [ … final`), OSC/DCS/APC/PM strings up to BEL or ST, two-byte escapes. */
const escapeSequence =
  /\x1b\[[0-?]*[ -/]*[@-~]|\x1b[\]PX^_][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[ -/]*[0-~]|\x9b[0-?]*[ -/]*[@-~]/g;

/** Line breaks, and the separators a terminal or an editor shows as one. */
const lineBreak = /\r\n|[\n\r\v\f\u0085\u2028\u2029]/g;

/**
 * What is left: C0 and C1 controls and DEL (an ESC without a sequence, BEL, backspace...) and the bidirectional
 * controls that make a terminal show text in another order than it is written.
 */
const control = /[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

export interface PrintableOptions {
  /** Keep `\n` (other line breaks become `\n`); default: every line break becomes a space. */
  readonly keepNewlines?: boolean;
}

/**
 * Text safe to write to a terminal: escape sequences and control characters that came from a registry, a daemon or
 * a file are removed (a registry's error message must not move the cursor, retitle the window or hide a line),
 * tabs become spaces and, unless kept, line breaks too, so one error stays one line.
 */
export function printable(text: string, options: PrintableOptions = {}): string {
  const broken = text.replace(lineBreak, options.keepNewlines ? '\n' : ' ');
  const kept = broken.replace(escapeSequence, '').replace(/\t/g, ' ');
  return options.keepNewlines
    ? kept.replace(control, (c) => (c === '\n' ? c : ''))
    : kept.replace(control, '');
}
