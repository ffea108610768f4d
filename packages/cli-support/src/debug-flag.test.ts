import { describe, expect, it } from 'vitest';
import { takeDebugFlag } from './debug-flag.js';

describe('takeDebugFlag', () => {
  it('takes --debug out before a --, not after it', () => {
    expect(takeDebugFlag(['export', '--debug', '.', '--', '--debug'], {})).toEqual({
      args: ['export', '.', '--', '--debug'],
      debug: true,
    });
    expect(takeDebugFlag(['export', '.'], {})).toEqual({ args: ['export', '.'], debug: false });
  });

  it('reads LADING_DEBUG: anything but empty, 0 or false (any case) turns it on', () => {
    for (const v of ['1', 'yes', 'TRUE']) expect(takeDebugFlag([], { LADING_DEBUG: v }).debug).toBe(true);
    for (const v of ['', '0', 'false', 'FALSE'])
      expect(takeDebugFlag([], { LADING_DEBUG: v }).debug).toBe(false);
  });
});
