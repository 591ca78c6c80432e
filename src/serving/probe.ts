import { connect } from 'node:net';
import { request } from 'node:http';

export interface TcpProbeResult {
  ok: boolean;
  /** For a failure after connecting: how long the port forwarder took to close (calibrates holdMs). */
  closedAfterMs: number;
}

/**
 * Probes run against the exact upstream the proxy uses: 127.0.0.1:hostPort. With slirp4netns the host
 * side of a published port accepts connections even before the app listens and then closes them at
 * once, so a TCP probe passes only when the connection is still open after `holdMs`; callers size it
 * from how long failed attempts took to be closed (slower when the machine is loaded).
 */
export function tcpProbe(port: number, timeoutMs: number, holdMs = 100): Promise<TcpProbeResult> {
  return new Promise((resolve) => {
    let settled = false;
    let connectedAt = 0;
    const done = (ok: boolean): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      sock.destroy();
      resolve({ ok, closedAfterMs: !ok && connectedAt > 0 ? performance.now() - connectedAt : 0 });
    };
    const sock = connect({ host: '127.0.0.1', port });
    const timer = setTimeout(() => done(false), timeoutMs);
    sock.on('connect', () => {
      connectedAt = performance.now();
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
