import { fileURLToPath } from 'node:url';
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
    });
  },
);
