import { request, type IncomingHttpHeaders } from 'node:http';

export interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
  ms: number;
}

/**
 * One request to the ingress on 127.0.0.1 with a service URL's Host header (the network rule: tests
 * only talk to loopback; *.localhost names are not resolved by Node).
 */
export function get(
  serviceUrl: string,
  ingressPort: number,
  path: string,
  opts: {
    method?: string;
    headers?: Record<string, string>;
    body?: string | Buffer;
    signal?: AbortSignal;
  } = {},
): Promise<Reply> {
  const host = new URL(serviceUrl).host;
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: ingressPort,
        path,
        method: opts.method ?? 'GET',
        headers: { host, ...opts.headers },
        signal: opts.signal,
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString('utf8'),
            ms: performance.now() - t0,
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(opts.body);
  });
}
