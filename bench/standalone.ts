import type { Progress } from 'ssmc';
import { cliProgress } from 'ssmc/terminal';
import { isMain } from '../web/paths.js';

/**
 * When `moduleUrl` is the script node was started with (`node dist/bench/<name>.js …`), run the
 * benchmark (its progress on stderr when that is a terminal, unless --quiet) and print its table,
 * then its JSON on one line; a failure sets exit code 1.
 */
export function printWhenMain(moduleUrl: string, job: (progress: Progress) => Promise<{ table: string; json: unknown }>): void {
  if (!isMain(moduleUrl)) return;
  const { progress, stop } = cliProgress(process.argv.includes('--quiet'));
  job(progress).finally(stop).then(({ table, json }) => {
    console.log(table);
    console.log(JSON.stringify(json));
  }).catch((e: unknown) => {
    console.error(e);
    process.exitCode = 1;
  });
}
