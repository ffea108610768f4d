#!/usr/bin/env node
// The BuildKit side of the docker benchmark: a build inside dockerd (builder-next) through the Engine API, as
// `docker build` with BuildKit does it without buildx: the context directory streamed as a tar (GNU tar) to
// `POST /build?version=2`, then the JSON stream read to its end. Usage: node buildkit-build.mjs SOCKET CONTEXT TAG
import { spawn } from 'node:child_process';
import { request } from 'node:http';

const [socket, context, tag] = process.argv.slice(2);
if (!socket || !context || !tag) {
  process.stderr.write('usage: buildkit-build.mjs SOCKET CONTEXT TAG\n');
  process.exit(2);
}
const query = new URLSearchParams({ version: '2', networkmode: 'none', t: tag, rm: '1', nocache: '1' });
const tar = spawn('tar', ['-C', context, '-c', '.'], { stdio: ['ignore', 'pipe', 'inherit'] });
const req = request({
  socketPath: socket,
  method: 'POST',
  path: `/v1.41/build?${query}`,
  headers: { Host: 'docker', 'Content-Type': 'application/x-tar' },
});
tar.stdout.pipe(req);
const result = await new Promise((resolve, reject) => {
  req.on('response', (res) => {
    let text = '';
    res.setEncoding('utf8');
    res.on('data', (c) => {
      text += c;
    });
    res.on('end', () => resolve({ status: res.statusCode, text }));
  });
  req.on('error', reject);
});
let id;
for (const line of result.text.split('\n')) {
  if (line.trim() === '') continue;
  const msg = JSON.parse(line);
  if (msg.error) {
    process.stderr.write(`build failed: ${msg.error}\n`);
    process.exit(1);
  }
  if (msg.id === 'moby.image.id' && msg.aux?.ID) id = msg.aux.ID;
}
if (result.status !== 200 || id === undefined) {
  process.stderr.write(`build failed (${result.status}): ${result.text.slice(-2000)}\n`);
  process.exit(1);
}
process.stdout.write(`${id}\n`);
