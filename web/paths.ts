import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The project root, found from this file whether it runs as web/*.ts (vitest) or as
 * dist/web/*.js (after tsc): the nearest folder above with a package.json.
 */
export function projectRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error(`no package.json above ${fileURLToPath(import.meta.url)}`);
    dir = up;
  }
  return dir;
}

/** Where `npm run build:web` writes the page and `npm run web` serves it from. */
export function defaultWebDist(): string {
  return join(projectRoot(), 'web', 'dist');
}

/** Whether this module is the script node was started with (`node dist/web/serve.js`). */
export function isMain(moduleUrl: string): boolean {
  return process.argv[1] !== undefined && fileURLToPath(moduleUrl) === process.argv[1];
}
