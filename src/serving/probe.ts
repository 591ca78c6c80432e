import { connect } from 'node:net';
import { request } from 'node:http';

/**
 * Probes run against the exact upstream the proxy uses: 127.0.0.1:hostPort. With slirp4netns the host
 * side of a published port accepts connections even before the app listens and then closes them at
 * once, so a TCP probe passes only when the connection is still open after `holdMs`.
 */
export function tcpProbe(port: number, timeoutMs: number, holdMs = 60): Promise<boolean> {
  return new Promise((resolve) => {
    let settled = false;
    const done = (ok: boolean): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      sock.destroy();
      resolve(ok);
    };
    const sock = connect({ host: '127.0.0.1', port });
    const timer = setTimeout(() => done(false), timeoutMs);
    sock.on('connect', () => {
      setTimeout(() => done(true), holdMs);
    });
    sock.on('end', () => done(false));
    sock.on('close', () => done(false));
    sock.on('error', () => done(false));
  });
}

/** GET on the path; any status in [200, 400) passes. */
export function httpProbe(
  port: number,
  path: string,
  headers: Record<string, string>,
  timeoutMs: number,
): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path,
        method: 'GET',
        headers: { ...headers, connection: 'close' },
        agent: false,
      },
      (res) => {
        res.resume();
        const code = res.statusCode ?? 0;
        resolve(code >= 200 && code < 400);
      },
    );
    req.setTimeout(timeoutMs, () => req.destroy());
    req.on('error', () => resolve(false));
    req.end();
  });
}
