// A local server with the hub's URL shape for the e2e specs: /<owner>/<repo>/resolve/main/<file>
// redirects to a content URL that honours Range, with the CORS headers a browser needs, and it
// logs every request so a spec can assert "no request" after a cached reload.
import { readdirSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join, resolve } from 'node:path';

export interface HubServer {
  base: string;
  requests: string[];
  /** Milliseconds to wait between 64 KiB pieces of a whole-file answer (a slow download). */
  setDelay(ms: number): void;
  close(): Promise<void>;
}

const CORS = {
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Allow-Headers': 'Range',
  'Access-Control-Expose-Headers': 'Content-Range, Content-Length, Accept-Ranges',
};

/**
 * Serve `files` (name -> path under public/models) as test-org/tiny-GGUF/<name>, and each of `repos`
 * (repo name -> a folder) with every file under that folder.
 */
export async function startHub(files: Record<string, string>, repos: Record<string, string> = {}): Promise<HubServer> {
  const blobs = new Map(Object.entries(files).map(([name, p]) => [`test-org/tiny-GGUF/${name}`, readFileSync(resolve('public/models', p))]));
  for (const [repo, dir] of Object.entries(repos)) {
    const walk = (d: string, rel: string) => {
      for (const e of readdirSync(d, { withFileTypes: true })) {
        if (e.isDirectory()) walk(join(d, e.name), `${rel}${e.name}/`);
        else blobs.set(`${repo}/${rel}${e.name}`, readFileSync(join(d, e.name)));
      }
    };
    walk(resolve(dir), '');
  }
  const requests: string[] = [];
  let delay = 0;
  const server: Server = createServer((req, res) => {
    const path = decodeURIComponent((req.url ?? '').split('?')[0]);
    if (req.method === 'OPTIONS') return void res.writeHead(204, CORS).end();
    requests.push(`${req.method} ${path}${req.headers.range ? ` ${req.headers.range}` : ''}`);
    const resolveMatch = /^\/([^/]+\/[^/]+)\/resolve\/main\/(.+)$/.exec(path);
    if (resolveMatch) {
      const key = `${resolveMatch[1]}/${resolveMatch[2]}`;
      if (!blobs.has(key)) return void res.writeHead(404, CORS).end('Entry not found');
      return void res.writeHead(302, { ...CORS, Location: `/cdn/${encodeURIComponent(key)}` }).end();
    }
    const cdn = /^\/cdn\/(.+)$/.exec(path);
    const body = cdn ? blobs.get(cdn[1]) : undefined;
    if (!body) return void res.writeHead(404, CORS).end('Entry not found');
    const m = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '');
    if (m) {
      const start = Number(m[1]);
      const end = Math.min(m[2] ? Number(m[2]) : body.length - 1, body.length - 1);
      res.writeHead(206, { ...CORS, 'Accept-Ranges': 'bytes', 'Content-Range': `bytes ${start}-${end}/${body.length}`, 'Content-Length': end - start + 1 });
      return void res.end(body.subarray(start, end + 1));
    }
    res.writeHead(200, { ...CORS, 'Accept-Ranges': 'bytes', 'Content-Length': body.length });
    let at = 0;
    const piece = 64 << 10;
    const push = () => {
      if (res.destroyed) return;
      if (at >= body.length) return void res.end();
      res.write(body.subarray(at, at + piece));
      at += piece;
      if (delay > 0) setTimeout(push, delay);
      else setImmediate(push);
    };
    push();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  return {
    base: `http://127.0.0.1:${port}`,
    requests,
    setDelay: (ms) => {
      delay = ms;
    },
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
