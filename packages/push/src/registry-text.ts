// C0 and C1 controls, DEL, and the bidirectional marks and overrides that reorder what a terminal shows.
// biome-ignore lint/suspicious/noControlCharactersInRegex: these are the characters being removed
const unsafe = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]+/g;

/**
 * Text that came from a registry (an error message, a header) made fit for an error message and a terminal:
 * control characters become a space, and it is cut at `max` characters.
 */
export function registryText(text: string, max = 300): string {
  const clean = text.replace(unsafe, ' ').trim();
  return clean.length > max ? `${clean.slice(0, max)}…` : clean;
}
