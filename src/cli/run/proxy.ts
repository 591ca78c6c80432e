import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Command } from 'commander';
import { defineCommand, intFlagValue, userError, type Context } from '../core/index.ts';
import { getService, serviceTarget } from './common.ts';

/** Where to connect for a URL: `*.localhost` names go to 127.0.0.1 (the platform's ingress) with the Host kept. */
function upstream(url: URL): { host: string; port: number; secure: boolean } {
  const secure = url.protocol === 'https:';
  const port = Number(url.port || (secure ? 443 : 80));
  const host =
    url.hostname === 'localhost' || url.hostname.endsWith('.localhost') ? '127.0.0.1' : url.hostname;
  return { host, port, secure };
}

function forward(target: URL, token: string, req: IncomingMessage, res: ServerResponse): void {
  const { host, port, secure } = upstream(target);
  const headers: Record<string, string | string[] | undefined> = { ...req.headers, host: target.host };
  if (headers.authorization) headers['x-serverless-authorization'] = `Bearer ${token}`;
  else headers.authorization = `Bearer ${token}`;
  const send = secure ? httpsRequest : httpRequest;
  const up = send(
    { host, port, method: req.method, path: req.url, headers, servername: target.hostname },
    (r) => {
      res.writeHead(r.statusCode ?? 502, r.headers);
      r.pipe(res);
    },
  );
  up.on('error', (e) => {
    if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
    res.end(`tarmac proxy: cannot reach ${target.origin}: ${e.message}\n`);
  });
  req.pipe(up);
}

async function proxy(ctx: Context, [service]: string[], opts: Record<string, unknown>): Promise<void> {
  const t = serviceTarget(ctx, service!);
  const svc = await getService(ctx, t);
  const tag = opts.tag as string | undefined;
  const url = tag ? svc.trafficStatuses?.find((x) => x.tag === tag)?.uri : svc.uri;
  if (!url) {
    throw userError(
      tag
        ? `Service [${service}] has no tag [${tag}].`
        : `Service [${service}] has no URL yet: is it ready? Check \`tarmac run services describe ${service}\`.`,
      'NO_URL',
    );
  }
  const port = opts.port === undefined ? 8080 : intFlagValue('--port', String(opts.port), 0, 65535);
  // ID tokens live an hour: mint one up front (so bad credentials fail now) and renew it every 45 minutes.
  let token = await ctx.identityToken(svc.uri);
  let minted = Date.now();
  const fresh = async (): Promise<string> => {
    if (Date.now() - minted > 45 * 60_000) {
      token = await ctx.identityToken(svc.uri);
      minted = Date.now();
    }
    return token;
  };
  const target = new URL(url);
  const server = createServer((req, res) => {
    fresh().then(
      (t) => forward(target, t, req, res),
      (e: unknown) => {
        res.writeHead(502, { 'content-type': 'text/plain' });
        res.end(`tarmac proxy: cannot get an identity token: ${(e as Error).message}\n`);
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) =>
      reject(
        userError(
          `Cannot listen on 127.0.0.1:${port}: ${e.code ?? e.message}. Pick another with --port.`,
          'PORT_IN_USE',
        ),
      ),
    );
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const bound = (server.address() as AddressInfo).port;
  ctx.status(`Proxying to Cloud Run service [${service}] in project [${t.project}] region [${t.region}]`);
  ctx.status(`http://127.0.0.1:${bound} proxies to ${url}`);
  await new Promise<void>((resolve) => {
    const stop = (): void => {
      server.close(() => resolve());
      server.closeAllConnections();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}

export function registerProxy(group: Command): void {
  defineCommand(group, {
    name: 'proxy <SERVICE>',
    summary: 'Serve a private service on localhost, adding your identity token to each request',
    examples: [
      'tarmac run services proxy hello --port=8081',
      'tarmac run services proxy hello --tag=canary --port=9000',
    ],
    run: proxy,
  })
    .option('--port <PORT>', 'local port to listen on (default 8080; 0 picks a free one)')
    .option('--tag <TAG>', 'proxy to the URL of this traffic tag');
}
