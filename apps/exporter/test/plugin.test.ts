import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadExporterPlugin } from '../src/operations/load-plugin.js';
import { describeExporterConformance } from '../src/plugin/conformance.js';
import { examplePlugin } from './helpers.js';

const [summary] = await loadExporterPlugin(examplePlugin);

describe('the example plugin', () => {
  it('loads one exporter named summary', () => {
    expect(summary?.name).toBe('summary');
  });
});

if (summary)
  describeExporterConformance('example plugin (summary)', summary, undefined, {
    attrs: (d) => ({ dest: join(d, 's.json') }),
  });
