import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UserError } from 'ssmc';
import { portFrom, serveStatic } from '../../web/serve.js';

describe('web/serve.ts', () => {
  it('takes the port from --port, then PORT, else 8080', () => {
    expect(portFrom([], {})).toBe(8080);
    expect(portFrom([], { PORT: '9001' })).toBe(9001);
    expect(portFrom(['--port', '9002'], { PORT: '9001' })).toBe(9002);
    expect(portFrom(['--port=0'], {})).toBe(0);
  });

  it('rejects a bad port or argument, naming where it came from', () => {
    expect(() => portFrom(['--port', 'http'], {})).toThrow(UserError);
    expect(() => portFrom(['--port', '70000'], {})).toThrow(/--port must be a port number from 0 to 65535/);
    expect(() => portFrom([], { PORT: '-1' })).toThrow(/PORT must be a port number/);
    expect(() => portFrom(['--host', 'x'], {})).toThrow(/unknown argument '--host'/);
  });

  it('refuses a folder without a built page', () => {
    expect(() => serveStatic(mkdtempSync(join(tmpdir(), 'ssmc-serve-')), 0)).toThrow(/npm run build:web/);
  });

  it('serves files with their types on 127.0.0.1 and nothing outside its folder', async () => {
    const parent = mkdtempSync(join(tmpdir(), 'ssmc-serve-'));
    const root = join(parent, 'site');
    mkdirSync(join(root, 'ort'), { recursive: true });
    writeFileSync(join(root, 'index.html'), '<!doctype html><p>hi</p>');
    writeFileSync(join(root, 'ort', 'x.wasm'), new Uint8Array([0, 97, 115, 109]));
    writeFileSync(join(parent, 'secret.txt'), 'do not serve');
    const server = await serveStatic(root, 0);
    try {
      expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
      const index = await fetch(server.url);
      expect(index.headers.get('content-type')).toMatch(/text\/html/);
      expect(await index.text()).toContain('<p>hi</p>');
      const wasm = await fetch(`${server.url}ort/x.wasm`);
      expect(wasm.headers.get('content-type')).toBe('application/wasm');
      expect([...new Uint8Array(await wasm.arrayBuffer())]).toEqual([0, 97, 115, 109]);
      expect((await fetch(`${server.url}missing.js`)).status).toBe(404);
      expect((await fetch(`${server.url}%2e%2e/secret.txt`)).status).toBe(404);
      expect((await fetch(`${server.url}..%2fsecret.txt`)).status).toBe(404);
      expect((await fetch(`${server.url}%E0%A4%A`)).status).toBe(400); // malformed escapes do not crash the server
      expect((await fetch(server.url)).status).toBe(200);
    } finally {
      await server.close();
    }
  });
});
