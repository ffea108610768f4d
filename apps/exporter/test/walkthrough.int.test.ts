// issue 19 ("Done when"): a scripted walk through the examples of the READMEs and of both CLIs' --help, as a new
// user would type them, against a real registry. Each example runs as written through bash (placeholders such as
// localhost:5000 substituted), must exit 0, and every long operation in it (export, push, copy, from, commit) must
// show progress on stderr, which is not a terminal here: what --progress plain (auto off a terminal) prints. An
// example this machine cannot run (it needs Docker, containerd, Docker Hub or a GnuPG key) is listed with the
// reason; a new example is neither, so it fails until it runs here or is listed.
import { chmod, cp, mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { havePeers, makeTempDir, run, startRegistry, type TempDir } from '@lading/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { helloRootfs, mainJs } from './helpers.js';

const repo = fileURLToPath(new URL('../../../', import.meta.url));
const buildahJs = join(repo, 'apps', 'buildah-compat', 'dist', 'bundle', 'main.js');

/** Why an example cannot run on this machine (undefined: it runs). */
function notRunHere(example: string): string | undefined {
  const rules: [RegExp, string][] = [
    [/containerd|ctr run|--namespace k8s\.io/, 'needs a containerd'],
    [
      /type=moby|docker run|--load|type=docker,name=|docker load|docker-daemon:|--moby-root/,
      'needs a Docker Engine',
    ],
    [/docker\.io\/|alpine|busybox/, 'pulls from Docker Hub'],
    [/\.asc|--sign-by |\$FPR|--registries\.d|--registries-conf-dir/, 'needs a GnuPG key'],
    [/pnpm /, 'builds the repository (done before the tests)'],
    [/(skopeo|umoci) /, "another tool's command"],
    [/lading verify oci:/, 'needs a signed layout (lading signs what it pushes to a registry)'],
  ];
  const command = example.replace(/\s+#.*$/, ''); // what a trailing comment mentions is not run
  return rules.find(([re]) => re.test(command))?.[1];
}

/** The example lines under "Examples:" of a help text (comment lines left out). */
function helpExamples(help: string): string[] {
  return (help.split('\nExamples:\n')[1] ?? '')
    .split('\n')
    .filter((l) => /^ {2}\S/.test(l) && !l.trimStart().startsWith('#'))
    .map((l) => l.trim());
}

/** The commands of a README's sh blocks and indented blocks that run lading or lading-buildah. */
function readmeExamples(markdown: string): string[] {
  const blocks = [
    ...[...markdown.matchAll(/^```sh\n([\s\S]*?)^```/gm)].map((m) => m[1] as string),
    ...[...markdown.matchAll(/(?:^ {4}\S.*\n)+/gm)].map((m) => m[0].replace(/^ {4}/gm, '')),
  ];
  return blocks
    .flatMap((b) => b.replace(/\\\n\s*/g, ' ').split('\n'))
    .map((l) => l.trim())
    .filter((l) => /^([A-Z_]+=\S* )*(\w+=\$\()?lading(-buildah)? /.test(l));
}

/** Where an example goes in the walk: what it needs made first (keys, images, containers), what it removes last. */
function stage(example: string): number {
  const order: [RegExp, number][] = [
    [/lading key generate/, 0],
    [/lading export/, 1],
    [/lading-buildah from/, 1],
    [/lading (push|copy)|lading-buildah (copy|add|config|commit|push)/, 2],
    [/lading (rm|gc)|lading-buildah (rm|rmi)/, 4],
  ];
  return order.find(([re]) => re.test(example))?.[1] ?? 3;
}

/** The long operations (what moves image data): each must print progress, unless it is told to be quiet. */
function isLongOperation(example: string): boolean {
  const command = example.replace(/\s+#.*$/, '');
  if (/\s(-q|--quiet)\b|--progress quiet/.test(command)) return false;
  return /(^|[ (])lading (export|push|copy) |lading-buildah (from (?!scratch)|commit |push )/.test(command);
}
const progressLine =
  /^#\d+ DONE|: (pushed|copied|downloaded) \(|: CACHED|^Copying (blob|config) |^pushing |^Writing manifest/m;

describe.runIf(havePeers('docker-registry', 'skopeo'))(
  'the README and --help examples, run as written',
  () => {
    let dir: TempDir;
    let registry: Awaited<ReturnType<typeof startRegistry>>;
    let env: NodeJS.ProcessEnv;
    const examples: { from: string; text: string }[] = [];

    beforeAll(async () => {
      dir = await makeTempDir('lading-walkthrough-');
      registry = await startRegistry();
      const bin = join(dir.path, 'bin');
      await mkdir(bin);
      await writeFile(join(bin, 'lading'), `#!/bin/sh\nexec "${process.execPath}" "${mainJs}" "$@"\n`);
      await writeFile(
        join(bin, 'lading-buildah'),
        `#!/bin/sh\nexec "${process.execPath}" "${buildahJs}" "$@"\n`,
      );
      await chmod(join(bin, 'lading'), 0o755);
      await chmod(join(bin, 'lading-buildah'), 0o755);
      const registriesConf = join(dir.path, 'registries.conf');
      await writeFile(registriesConf, `[[registry]]\nlocation = "${registry.host}"\ninsecure = true\n`);
      env = {
        PATH: `${bin}:${process.env.PATH}`,
        CONTAINERS_REGISTRIES_CONF: registriesConf,
        LADING_PASSPHRASE: 'secret',
        LADING_DEBUG: '',
      };
      const usage = async (js: string) => (await run(process.execPath, [js, '--help'])).stdout;
      const commandsOf = (text: string) =>
        (text.split('\nCommands:\n')[1]?.split('\n\n')[0] ?? '')
          .split('\n')
          .map((l) => /^ {2}([a-z]+)\s/.exec(l)?.[1])
          .filter((c): c is string => c !== undefined);
      for (const [cli, js] of [
        ['lading', mainJs],
        ['lading-buildah', buildahJs],
      ] as const) {
        for (const c of commandsOf(await usage(js))) {
          const help = (await run(process.execPath, [js, c, '--help'])).stdout;
          for (const text of helpExamples(help)) examples.push({ from: `${cli} ${c} --help`, text });
        }
      }
      for (const readme of ['apps/exporter/README.md', 'apps/buildah-compat/README.md', 'README.md']) {
        for (const text of readmeExamples(await readFile(join(repo, readme), 'utf8')))
          examples.push({ from: readme, text });
      }
    }, 120_000);
    afterAll(async () => {
      await registry?.stop();
      await dir?.cleanup();
    });

    /** The example with this machine's names: for localhost:5000 and the example registries, a namespace of the registry. */
    const substituted = (text: string, space: string) =>
      text
        .replace(/localhost:5000|ghcr\.io\/me|registry\.example(?=\/myapp)/g, `${registry.host}/${space}`)
        .replace(/docker:\/\/r\//g, `docker://${registry.host}/${space}/r/`)
        // a fresh working container for every example that names one
        .replace(/^(.*"\$(ctr|c)".*)$/, '$2=$(lading-buildah from oci:./layout:app -q) && $1');

    /**
     * A fresh directory for the examples of one source (one --help, one README), as a user following them would
     * have it: the input trees and files they name, a base layout (tags latest and 1), a layout for from, ./out
     * holding hello:latest, a store holding hello:latest and hello:1, app:1 in the registry, and myapp in
     * lading-buildah's storage; with `signed`, a cosign key pair and app:1 signed with it.
     */
    const workspace = async (name: string, signed: boolean) => {
      const w = join(dir.path, name);
      await mkdir(w);
      const wenv = {
        ...process.env,
        ...env,
        LADING_STORE: join(w, '.store'),
        LADING_BUILDAH_ROOT: join(w, '.buildah'),
      };
      await symlink(join(repo, 'examples'), join(w, 'examples'));
      for (const d of ['rootfs', 'app', 'common', 'bin-amd64', 'bin-arm64'])
        await cp(helloRootfs, join(w, d), { recursive: true });
      await mkdir(join(w, 'bin'));
      await writeFile(join(w, 'bin', 'server'), '#!/bin/sh\necho serving\n');
      await writeFile(join(w, 'pass.txt'), 'secret\n');
      await writeFile(join(w, 'pass'), 'secret\n');
      await run('tar', ['-czf', join(w, 'rootfs.tar.gz'), '-C', helloRootfs, '.']);
      const q = '--progress quiet';
      await run(
        'bash',
        [
          '-euo',
          'pipefail',
          '-c',
          [
            `lading export rootfs -o type=oci,tar=false,dest=base -t base:latest -t base:1 ${q}`,
            `lading export rootfs -o type=oci,tar=false,dest=layout -t app ${q}`,
            `lading export rootfs -o type=oci,tar=false,dest=out -t hello:latest ${q}`,
            `lading export rootfs -o 'type=image,"name=hello:latest,hello:1,${registry.host}/${name}/hello:1"' ${q}`,
            signed
              ? `lading key generate --out cosign >/dev/null && lading push hello:1 docker://${registry.host}/${name}/app:1 --sign-key cosign.key ${q}`
              : `lading push hello:1 docker://${registry.host}/${name}/app:1 ${q}`,
            'c=$(lading-buildah from scratch) && lading-buildah commit -q "$c" myapp:1 >/dev/null',
            'lading-buildah tag myapp:1 myapp',
          ].join(' && '),
        ],
        { cwd: w, env: wenv },
      );
      return { cwd: w, env: wenv };
    };

    it('every example runs (exit 0) and shows progress for its long operations', async () => {
      expect(examples.length).toBeGreaterThan(40);
      const runnable = examples.filter((e) => notRunHere(e.text) === undefined);
      const skipped = examples.filter((e) => notRunHere(e.text) !== undefined);
      // most of them run here; the rest need what this machine lacks, each for a reason given above
      expect(runnable.length).toBeGreaterThan(skipped.length);
      const failures: string[] = [];
      const sources = [...new Set(runnable.map((e) => e.from))];
      // sources run side by side, four at a time, each in its own directory, store and registry namespace
      const walkSource = async (from: string, n: number) => {
        const mine = runnable.filter((e) => e.from === from);
        // signing and verifying examples use a cosign key; an example that generates it makes its own
        const signed =
          mine.some((e) => /cosign\.(pub|key)/.test(e.text)) &&
          !mine.some((e) => /key generate --out cosign/.test(e.text));
        const space = `w${n}`;
        const ws = await workspace(space, signed);
        for (const e of [...mine].sort((a, b) => stage(a.text) - stage(b.text))) {
          const script = substituted(e.text, space);
          const r = await run('bash', ['-o', 'pipefail', '-c', script], { ...ws, allowFailure: true });
          if (r.code !== 0)
            failures.push(
              `${from}: ${script}\n  exit ${r.code}: ${r.stderr.trim().split('\n').slice(-3).join('\n  ')}`,
            );
          else if (isLongOperation(e.text) && !progressLine.test(r.stderr))
            failures.push(
              `${from}: ${script}\n  no progress on stderr: ${JSON.stringify(r.stderr.slice(0, 300))}`,
            );
        }
      };
      const queue = [...sources.entries()];
      await Promise.all(
        Array.from({ length: 4 }, async () => {
          for (let next = queue.shift(); next !== undefined; next = queue.shift())
            await walkSource(next[1], next[0]);
        }),
      );
      expect(failures).toEqual([]);
    }, 600_000);
  },
);
