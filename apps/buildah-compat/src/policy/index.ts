// Placeholder for the agreed seam; the policy engineer owns and replaces this file.
import { LadingError } from '@lading/digest';
import type { ImageReference } from '../transports/index.js';

export interface PolicyContext {
  check(ref: ImageReference): Promise<void>;
}

export function loadPolicy(_path?: string): Promise<PolicyContext> {
  return Promise.reject(new LadingError('NOT_IMPLEMENTED', 'loadPolicy is not implemented yet'));
}
