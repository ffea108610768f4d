export type { LoadPolicyOptions, Policy, PolicyContext, PolicyRequirement } from './policy.js';
export {
  checkPolicy,
  defaultPolicyPath,
  loadPolicy,
  PolicyRejectedError,
  parsePolicy,
  requirementsFor,
} from './policy.js';
export { policyScopes, resolveExplicitPath } from './scopes.js';
