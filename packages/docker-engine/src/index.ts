// The Docker Engine client (./client) and the data-root writer (./data-root) are re-exported here.
export * from './client/index.js';
export * from './data-root/index.js';
