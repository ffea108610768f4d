import { OptionError } from '@lading/digest';
import { closest } from 'fastest-levenshtein';

/**
 * The part of Go's text/template that `--format` strings of buildah, podman and docker use, and nothing more:
 * text with `{{...}}` actions, where an action is a field path (`.Name`, `.OCIv1.Config.Env`, `.` itself), a
 * string literal (`"\t"`), or a function applied to those: `json X`, `index X "key"...`, `join X ", "`,
 * `upper X`, `lower X`, `len X`; `X | f` pipes X in as f's last argument. `{{-` and `-}}` trim the spaces beside.
 * Values print as Go's fmt prints them: lists `[a b]`, objects `map[k:v]` (keys sorted), nothing `<no value>`.
 * A field the top-level value lacks is an error with a suggestion; deeper (labels, config maps) it is `<no value>`.
 */

type Token =
  | { kind: 'field'; path: string[] }
  | { kind: 'string'; value: string }
  | { kind: 'word'; value: string }
  | { kind: 'pipe' };

type Piece = { kind: 'text'; text: string } | { kind: 'action'; source: string; tokens: Token[] };

export interface Template {
  readonly source: string;
  readonly pieces: readonly Piece[];
}

const functions = new Set(['json', 'index', 'join', 'upper', 'lower', 'len']);

function templateError(source: string, why: string): OptionError {
  return new OptionError('FORMAT_TEMPLATE', `--format ${JSON.stringify(source)}: ${why}`, { key: 'format' });
}

function tokenize(action: string, source: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < action.length) {
    const c = action[i] as string;
    if (/\s/.test(c)) {
      i++;
    } else if (c === '|') {
      tokens.push({ kind: 'pipe' });
      i++;
    } else if (c === '"') {
      let j = i + 1;
      let value = '';
      while (j < action.length && action[j] !== '"') {
        if (action[j] === '\\') {
          const e = action[j + 1];
          value += e === 'n' ? '\n' : e === 't' ? '\t' : (e ?? '');
          j += 2;
        } else value += action[j++];
      }
      if (j >= action.length) throw templateError(source, 'unterminated quoted string');
      tokens.push({ kind: 'string', value });
      i = j + 1;
    } else if (c === '.') {
      const m = /^\.[A-Za-z0-9_.]*/.exec(action.slice(i)) as RegExpExecArray;
      tokens.push({ kind: 'field', path: m[0].split('.').filter((p) => p !== '') });
      i += m[0].length;
    } else {
      const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(action.slice(i));
      if (!m) throw templateError(source, `unexpected ${JSON.stringify(c)} in {{${action}}}`);
      if (!functions.has(m[0])) {
        throw templateError(
          source,
          `function ${JSON.stringify(m[0])} not defined (use ${[...functions].join(', ')})`,
        );
      }
      tokens.push({ kind: 'word', value: m[0] });
      i += m[0].length;
    }
  }
  if (tokens.length === 0) throw templateError(source, 'missing value for command');
  return tokens;
}

/** Parses a `--format` string; `\t` and `\n` written as two characters mean tab and newline, as buildah reads them. */
export function parseTemplate(source: string): Template {
  const text = source.replaceAll('\\t', '\t').replaceAll('\\n', '\n');
  const pieces: Piece[] = [];
  let i = 0;
  while (i < text.length) {
    const open = text.indexOf('{{', i);
    if (open < 0) {
      pieces.push({ kind: 'text', text: text.slice(i) });
      break;
    }
    let before = text.slice(i, open);
    const close = text.indexOf('}}', open + 2);
    if (close < 0) throw templateError(source, 'unclosed action');
    let inner = text.slice(open + 2, close);
    if (inner.startsWith('-') && /\s/.test(inner[1] ?? '')) {
      before = before.trimEnd();
      inner = inner.slice(1);
    }
    let trimAfter = false;
    if (inner.endsWith('-') && /\s/.test(inner.at(-2) ?? '')) {
      trimAfter = true;
      inner = inner.slice(0, -1);
    }
    if (before !== '') pieces.push({ kind: 'text', text: before });
    if (!inner.trim().startsWith('/*'))
      pieces.push({ kind: 'action', source: inner, tokens: tokenize(inner, source) });
    i = close + 2;
    if (trimAfter) while (i < text.length && /\s/.test(text[i] as string)) i++;
  }
  return { source, pieces };
}

/** Go's `%v` of a JSON-like value. */
export function formatValue(value: unknown): string {
  if (value === undefined || value === null) return '<no value>';
  if (Array.isArray(value)) return `[${value.map(formatValue).join(' ')}]`;
  if (typeof value === 'object') {
    const o = value as Record<string, unknown>;
    return `map[${Object.keys(o)
      .sort()
      .map((k) => `${k}:${formatValue(o[k])}`)
      .join(' ')}]`;
  }
  return String(value);
}

function lookup(data: unknown, path: readonly string[], source: string): unknown {
  let v = data;
  for (const [depth, name] of path.entries()) {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) {
      if (depth === 0) throw templateError(source, `can't evaluate field ${name}`);
      return undefined;
    }
    const o = v as Record<string, unknown>;
    if (!(name in o)) {
      if (depth > 0) return undefined;
      const near = closest(name, Object.keys(o));
      throw templateError(source, `can't evaluate field ${name}${near ? ` (did you mean .${near}?)` : ''}`);
    }
    v = o[name];
  }
  return v;
}

function call(fn: string, args: unknown[], source: string): unknown {
  const need = (n: number) => {
    if (args.length < n)
      throw templateError(source, `wrong number of args for ${fn}: want ${n} got ${args.length}`);
  };
  switch (fn) {
    case 'json':
      need(1);
      return JSON.stringify(args[0] ?? null);
    case 'index': {
      need(1);
      // A key a map lacks is its zero value, as Go's index gives it for buildah's map[string]string labels.
      let v = args[0];
      for (const k of args.slice(1)) {
        if (v === null || typeof v !== 'object') return '';
        v = (v as Record<string, unknown>)[String(k)];
      }
      return v ?? '';
    }
    case 'join':
      need(2);
      return Array.isArray(args[0]) ? args[0].map(formatValue).join(String(args[1])) : formatValue(args[0]);
    case 'upper':
      need(1);
      return formatValue(args[0]).toUpperCase();
    case 'lower':
      need(1);
      return formatValue(args[0]).toLowerCase();
    default: {
      need(1);
      const v = args[0];
      if (Array.isArray(v) || typeof v === 'string') return v.length;
      if (v !== null && typeof v === 'object') return Object.keys(v).length;
      throw templateError(source, `len of ${formatValue(v)}`);
    }
  }
}

function evaluate(tokens: readonly Token[], data: unknown, source: string): unknown {
  // Split on pipes; each stage's result is the next stage's last argument.
  const stages: Token[][] = [[]];
  for (const t of tokens) {
    if (t.kind === 'pipe') stages.push([]);
    else (stages.at(-1) as Token[]).push(t);
  }
  let piped: { value: unknown } | undefined;
  for (const stage of stages) {
    if (stage.length === 0) throw templateError(source, 'missing command in pipeline');
    const [head, ...rest] = stage as [Token, ...Token[]];
    const arg = (t: Token) => {
      if (t.kind === 'field') return lookup(data, t.path, source);
      if (t.kind === 'string') return t.value;
      throw templateError(source, `${t.kind === 'word' ? t.value : '|'} cannot be an argument here`);
    };
    if (head.kind === 'word') {
      const args = rest.map(arg);
      piped = { value: call(head.value, piped ? [...args, piped.value] : args, source) };
    } else {
      if (rest.length > 0 || piped) throw templateError(source, 'a value cannot take arguments');
      piped = { value: arg(head) };
    }
  }
  return piped?.value;
}

/** Renders a parsed template over one value. */
export function renderTemplate(template: Template, data: unknown): string {
  return template.pieces
    .map((p) => (p.kind === 'text' ? p.text : formatValue(evaluate(p.tokens, data, template.source))))
    .join('');
}

/**
 * A buildah-style table: a format starting with `table` prints a header row first, each field's header its name
 * in capitals (or the one `headers` gives: `ID` is `IMAGE ID`); the rest of the format is the row.
 */
export function tableFormat(
  format: string,
  headers: Readonly<Record<string, string>> = {},
): { readonly row: Template; readonly header: string | undefined } {
  const table = /^table\s+/.exec(format);
  const row = parseTemplate(table ? format.slice(table[0].length) : format);
  if (!table) return { row, header: undefined };
  const header = row.pieces
    .map((p) => {
      if (p.kind === 'text') return p.text;
      const field = p.tokens.find((t) => t.kind === 'field');
      const name = field?.kind === 'field' ? (field.path.at(-1) ?? '') : '';
      return headers[name] ?? name.replace(/([a-z])([A-Z])/g, '$1 $2').toUpperCase();
    })
    .join('');
  return { row, header };
}
