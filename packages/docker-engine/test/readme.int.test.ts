import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defaultPlatform } from '@lading/digest';
import { havePeers, makeTempDir, prepareReadmeExample, readmePeers, runReadmeExample } from '@lading/testkit';
import { describe, expect, it } from 'vitest';

const packageDir = fileURLToPath(new URL('..', import.meta.url));

describe.runIf(havePeers(...(readmePeers['docker-engine'] ?? [])))(
  'README example (the Engine client)',
  () => {
    it('compiles and runs against dockerd: app:1 is loaded, and docker run prints hi', async () => {
      await using tmp = await makeTempDir('lading-readme-');
      await using setup = await prepareReadmeExample('docker-engine', tmp.path);
      const dockerd = setup.dockerd;
      if (!dockerd) throw new Error('no dockerd');
      const { stdout } = await runReadmeExample(packageDir, { cwd: tmp.path, env: setup.env });
      // The daemon's own view of the image, through the docker CLI.
      const inspect = async (format: string) =>
        (await dockerd.docker(['image', 'inspect', '--format', format, 'app:1'])).stdout.trim();
      const id = await inspect('{{.Id}}');
      const layers = JSON.parse(await inspect('{{json .RootFS.Layers}}')) as string[];
      expect(layers).toHaveLength(1);
      expect(stdout.startsWith('true {')).toBe(true); // the ID the daemon reports is the config's digest
      expect(stdout).toContain(`id: '${id}'`);
      expect(stdout).toContain("tags: [ 'app:1' ]");
      expect(stdout).toContain(`'${layers[0]}'`);
      expect((await dockerd.docker(['run', '--rm', '--network', 'none', 'app:1'])).stdout).toBe('hi\n');
      // The image is for the machine the example runs on (node's process.arch, named as Go names it).
      expect(await inspect('{{.Os}}/{{.Architecture}}')).toBe(`linux/${defaultPlatform().architecture}`);
    });
  },
);

describe('README examples', () => {
  it('name no architecture of their own: the config takes the host platform', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    expect(readme).not.toMatch(/architecture: '/);
    expect(readme.match(/\.\.\.defaultPlatform\(\)/g)).toHaveLength(2);
  });
});
