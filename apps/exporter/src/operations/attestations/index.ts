export {
  type AttestOptions,
  type AttestRequest,
  attestShorthand,
  type ProvenanceOptions,
  resolveAttestations,
  wantsAttestations,
} from './attest-options.js';
export {
  AttestationAnnotation,
  attestationManifestType,
  attestationPlatform,
  statementSubjects,
  type WrittenAttestations,
  writeAttestationManifest,
} from './attestation-manifest.js';
export { imageRefToPurl } from './image-purl.js';
export { ImageSbom, type ImageSbomOptions } from './image-sbom.js';
export { ladingBuildType, type ProvenanceInput, provenancePredicate } from './provenance.js';
export { type ImageAttestations, readImageAttestations } from './read-attestations.js';
export {
  decodeStatement,
  encodeStatement,
  inTotoMediaType,
  PredicateType,
  type Statement,
  type StatementSubject,
  statementTypeV01,
} from './statement.js';
