import { OptionError, parseBoolAttr, setOwn } from '@lading/digest';

/**
 * Splits one CSV record as Go's encoding/csv does (buildctl reads `--output` with it): fields separated by commas,
 * a field starting with `"` is quoted, `""` inside it is a quote, and commas inside quotes stay.
 */
export function parseCsvRecord(input: string, flag = '--output'): string[] {
  const fields: string[] = [];
  let i = 0;
  for (;;) {
    let field = '';
    if (input[i] === '"') {
      i++;
      for (;;) {
        if (i >= input.length) {
          throw new OptionError('CSV_UNTERMINATED', `${flag} ${JSON.stringify(input)}: unterminated quote`, {
            key: flag,
          });
        }
        const c = input[i] as string;
        if (c === '"') {
          if (input[i + 1] === '"') {
            field += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        field += c;
        i++;
      }
      if (i < input.length && input[i] !== ',') {
        throw new OptionError(
          'CSV_EXTRA_AFTER_QUOTE',
          `${flag} ${JSON.stringify(input)}: extraneous text after a quoted field at ${i}`,
          {
            key: flag,
          },
        );
      }
    } else {
      const end = input.indexOf(',', i);
      field = end < 0 ? input.slice(i) : input.slice(i, end);
      if (field.includes('"')) {
        throw new OptionError(
          'CSV_BARE_QUOTE',
          `${flag} ${JSON.stringify(input)}: bare " in a field: quote the whole field ("key=a,b")`,
          {
            key: flag,
          },
        );
      }
      i = end < 0 ? input.length : end;
    }
    fields.push(field);
    if (i >= input.length) break;
    i++; // the comma
  }
  return fields;
}

export interface OutputSpec {
  readonly type: string;
  readonly attrs: Record<string, string>;
}

/** `type=image,"name=a,b",push=true` -> { type: 'image', attrs: { name: 'a,b', push: 'true' } }. */
export function parseOutputSpec(input: string, flag = '--output'): OutputSpec {
  const attrs: Record<string, string> = {};
  let type: string | undefined;
  for (const field of parseCsvRecord(input, flag)) {
    const eq = field.indexOf('=');
    if (eq < 0) {
      throw new OptionError(
        'OUTPUT_FIELD_INVALID',
        `${flag}: invalid value ${JSON.stringify(field)}: expected KEY=VALUE`,
        {
          key: flag,
        },
      );
    }
    const key = field.slice(0, eq).trim().toLowerCase();
    const value = field.slice(eq + 1);
    if (key === 'type') type = value;
    // A key named __proto__ is an attribute like any other (assigned, it would vanish into the prototype).
    else setOwn(attrs, key, value);
  }
  if (type === undefined || type === '') {
    throw new OptionError(
      'OUTPUT_TYPE_MISSING',
      `${flag} ${JSON.stringify(input)}: type=... is required (oci, docker, image, registry, moby, local, tar or a plugin's type)`,
      {
        key: flag,
      },
    );
  }
  return { type, attrs };
}

/**
 * One `-o` value as buildx reads it (util/buildflags/export.go): a value that is a single CSV field and does not
 * start with `type=` is a shorthand, `-` for `type=tar,dest=-` (the filesystem to stdout) and anything else for
 * `type=local,dest=VALUE` (the filesystem into that directory); otherwise BuildKit's `type=...,KEY=VALUE` grammar.
 */
export function parseOutputFlag(input: string, flag = '--output'): OutputSpec {
  const fields = parseCsvRecord(input, flag);
  if (fields.length === 1 && fields[0] === input && !input.startsWith('type=')) {
    return input === '-' ? { type: 'tar', attrs: { dest: '-' } } : { type: 'local', attrs: { dest: input } };
  }
  return parseOutputSpec(input, flag);
}

export interface OutputShorthands {
  /** `--push`: buildx's shorthand for `--output type=registry`. */
  readonly push?: boolean;
  /** `--load`: buildx's shorthand for `--output type=docker` (no dest: into the Docker Engine). */
  readonly load?: boolean;
  /** `--tag` names, given to each image output that has no `name=`. */
  readonly tags?: readonly string[];
  /** `--annotation` values as output attributes (see annotationFlagAttrs), for the outputs that write manifests. */
  readonly annotations?: Readonly<Record<string, string>>;
}

/** The outputs that write no manifest: the filesystem ones and moby's, which takes only its config. */
const noManifest = new Set(['local', 'tar', 'moby']);

/**
 * The outputs of an export, as buildx's build command assembles them (commands/build.go): `--push` sets `push=true`
 * on each image/registry output or adds `type=registry`; `--load` adds `type=docker` unless one without dest is
 * there; with neither and no `-o`, lading's default `type=oci,tar=false,dest=./out`. `--tag` names the image
 * outputs that name nothing; `--annotation` goes to those that write a manifest (an output's own keys win).
 */
export function assembleOutputs(specs: readonly OutputSpec[], options: OutputShorthands = {}): OutputSpec[] {
  let outputs = specs.map((s) => ({ type: s.type, attrs: { ...s.attrs } }));
  if (options.push) {
    let used = false;
    for (const o of outputs) {
      if (o.type === 'image' || o.type === 'registry') {
        o.attrs.push = 'true';
        used = true;
      }
    }
    if (!used) outputs.push({ type: 'registry', attrs: {} });
  }
  if (options.load && !outputs.some((o) => o.type === 'docker' && (o.attrs.dest ?? '') === '')) {
    outputs.push({ type: 'docker', attrs: {} });
  }
  if (outputs.length === 0) outputs = [{ type: 'oci', attrs: { tar: 'false', dest: './out' } }];
  const tags = options.tags ?? [];
  return outputs.map((o) => {
    if (noManifest.has(o.type) && o.type !== 'moby') return o;
    const attrs = { ...o.attrs };
    if (attrs.name === undefined && tags.length > 0) attrs.name = tags.join(',');
    if (!noManifest.has(o.type)) {
      for (const [k, v] of Object.entries(options.annotations ?? {})) attrs[k] ??= v;
    }
    return { type: o.type, attrs };
  });
}

/**
 * buildx's checks of where file outputs go (build/opt.go CreateExports): at most one output on stdout, and never a
 * terminal. Returns whether one writes to stdout.
 */
export function checkStdoutOutputs(outputs: readonly OutputSpec[], stdoutIsTty: boolean): boolean {
  const onStdout = outputs.filter((o) => {
    const dest = o.attrs.dest ?? '';
    if (o.type === 'tar') return dest === '' || dest === '-';
    if (o.type === 'oci' || o.type === 'docker') {
      const tar = parseBoolAttr(o.attrs, 'tar', true);
      return tar && (dest === '-' || (dest === '' && o.type === 'oci'));
    }
    return false;
  });
  if (onStdout.length > 1) {
    throw new OptionError('STDOUT_TWICE', 'multiple outputs configured to write to stdout', {
      key: '--output',
    });
  }
  const only = onStdout[0];
  if (only !== undefined && stdoutIsTty) {
    throw new OptionError(
      'STDOUT_IS_TTY',
      `dest file is required for ${only.type} exporter. refusing to write to console (redirect stdout or give dest=FILE)`,
      { key: '--output' },
    );
  }
  return only !== undefined;
}
