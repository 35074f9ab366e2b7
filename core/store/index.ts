// The store port and the in-memory adapter. The SQLite adapter is imported from `./sqlite.js`
// directly by the server, so nothing bundled into the Action reaches the native addon.
export { createMemoryStore } from './memory.js';
export * from './types.js';
