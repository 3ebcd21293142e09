import { isMain } from '../web/paths.js';

/**
 * When `moduleUrl` is the script node was started with (`node dist/bench/<name>.js …`), run the
 * benchmark and print its table, then its JSON on one line; a failure sets exit code 1.
 */
export function printWhenMain(moduleUrl: string, job: () => Promise<{ table: string; json: unknown }>): void {
  if (!isMain(moduleUrl)) return;
  job().then(({ table, json }) => {
    console.log(table);
    console.log(JSON.stringify(json));
  }).catch((e: unknown) => {
    console.error(e);
    process.exitCode = 1;
  });
}
