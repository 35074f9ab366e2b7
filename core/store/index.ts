// The store port and the in-memory adapter: what the engine and the bundled Action may import.
// The SQLite adapter is imported from `./sqlite.js` directly by the server, so nothing bundled
// into the Action reaches the native addon (DESIGN.md section 1).
export { GroupCommit } from './group-commit.js';
export { createMemoryStore } from './memory.js';
export * from './types.js';
