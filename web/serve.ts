import { existsSync, readFileSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, sep } from 'node:path';
import { UserError } from 'ssmc';
import { defaultWebDist, isMain } from './paths.js';

/** A small static file server for the built demo (web/dist), bound to 127.0.0.1 only. */

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.css': 'text/css; charset=utf-8', '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8', '.json': 'application/json', '.map': 'application/json',
  '.wasm': 'application/wasm', '.onnx': 'application/octet-stream', '.png': 'image/png',
};

export interface RunningServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

/** Serve `root` on 127.0.0.1:`port` (0 picks a free port). Paths outside `root` are refused. */
export function serveStatic(root: string, port: number): Promise<RunningServer> {
  if (!existsSync(join(root, 'index.html'))) {
    throw new UserError(`${root} has no index.html: build the demo first with 'npm run build:web'`);
  }
  const server = createServer((req, res) => {
    let path: string;
    try {
      path = decodeURIComponent(new URL(req.url ?? '/', 'http://localhost').pathname);
    } catch {
      res.writeHead(400, { 'content-type': 'text/plain' }).end('bad request: the path is not valid percent-encoding\n');
      return;
    }
    const file = normalize(join(root, path.endsWith('/') ? `${path}index.html` : path));
    if (!file.startsWith(root.endsWith(sep) ? root : root + sep) || !existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end(`not found: ${path}\n`);
      return;
    }
    res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-cache' });
    res.end(readFileSync(file));
  });
  return new Promise((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) => {
      reject(e.code === 'EADDRINUSE' ? new UserError(`port ${port} is in use: pick another with --port N or PORT=N`) : e);
    });
    server.listen(port, '127.0.0.1', () => {
      const actual = (server.address() as AddressInfo).port;
      resolve({
        url: `http://127.0.0.1:${actual}/`,
        port: actual,
        close: () => new Promise<void>((done) => {
          server.closeAllConnections();
          server.close(() => done());
        }),
      });
    });
  });
}

/** The port from `--port N` (or `--port=N`), else PORT, else 8080. */
export function portFrom(argv: string[], env: Record<string, string | undefined>): number {
  let text: string | undefined;
  let source = 'PORT';
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--port') { text = argv[i + 1]; source = '--port'; i++; }
    else if (a.startsWith('--port=')) { text = a.slice('--port='.length); source = '--port'; }
    else throw new UserError(`serve: unknown argument '${a}'; the only option is --port N`);
  }
  if (text === undefined && env.PORT !== undefined) text = env.PORT;
  if (text === undefined) return 8080;
  const port = Number(text);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new UserError(`${source} must be a port number from 0 to 65535 (0 picks a free one), got '${text}'`);
  }
  return port;
}

if (isMain(import.meta.url)) {
  try {
    const server = await serveStatic(defaultWebDist(), portFrom(process.argv.slice(2), process.env));
    console.log(`ssmc web demo: ${server.url}  (Ctrl-C to stop)`);
  } catch (e) {
    console.error(e instanceof UserError ? `error: ${e.message}` : e);
    process.exitCode = e instanceof UserError ? 2 : 1;
  }
}
