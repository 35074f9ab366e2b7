import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Plugin } from 'esbuild';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const ACTION_BUNDLE = path.join(ROOT, 'action/dist/index.js');

/** The Action is one file: a native addon cannot travel in it, so reaching one is an error. */
const noNativeAddons: Plugin = {
  name: 'no-native-addons',
  setup(builder) {
    builder.onResolve({ filter: /^better-sqlite3$/ }, (args) => ({
      errors: [{ text: `the Action must not reach better-sqlite3 (imported by ${args.importer})` }],
    }));
  },
};

/**
 * Bundles `action/index.ts` and everything it imports into one ESM file for node24 (and 20):
 * `npm run build:action` writes `action/dist/index.js`, which is committed; a test rebuilds it
 * to compare.
 */
export async function buildAction(outfile = ACTION_BUNDLE): Promise<void> {
  await build({
    absWorkingDir: ROOT,
    entryPoints: ['action/index.ts'],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    legalComments: 'none',
    logLevel: 'warning',
    // ESM builds first: jsonc-parser's UMD build requires its parts dynamically.
    mainFields: ['module', 'main'],
    plugins: [noNativeAddons],
    // Bundled CommonJS packages call require(); give them one.
    banner: {
      js: "import { createRequire as __slipwayRequire } from 'node:module'; const require = __slipwayRequire(import.meta.url);",
    },
  });
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await buildAction(process.argv[2] ? path.resolve(process.argv[2]) : ACTION_BUNDLE);
}
