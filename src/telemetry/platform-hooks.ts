import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { codeClass, type Metrics } from './metrics.ts';

/** What the scheduler reports per finished attempt: attempts by job and result code. */
export function schedulerAttemptHook(m: Metrics): (job: string, code: string) => void {
  return (job, code) => m.schedulerAttempts.inc({ job, result: code });
}

/** What the builder reports per finished build: its duration (start, else create, to finish) by status. */
export function buildFinishedHook(
  m: Metrics,
): (b: { status?: string; createTime?: string; startTime?: string; finishTime?: string }) => void {
  return (b) => {
    const from = Date.parse(b.startTime ?? b.createTime ?? '');
    const to = Date.parse(b.finishTime ?? '');
    if (Number.isNaN(from) || Number.isNaN(to)) return;
    m.buildDuration.observe({ status: b.status ?? 'STATUS_UNKNOWN' }, Math.max(0, to - from) / 1000);
  };
}

/**
 * Wraps the registry's request handler to count requests (method, status class) and bytes in and
 * out. Bytes come from Content-Length where the message has one, else from the socket's counters,
 * so the wrapper never touches the streams the handler reads and writes.
 */
export function instrumentRegistry(m: Metrics, handler: RequestListener): RequestListener {
  return (req: IncomingMessage, res: ServerResponse) => {
    const sock = req.socket;
    const read0 = sock.bytesRead;
    const written0 = sock.bytesWritten;
    res.once('finish', () => {
      m.registryRequests.inc({ method: req.method ?? 'GET', code_class: codeClass(res.statusCode) });
      const inLen = Number(req.headers['content-length']);
      const bytesIn = Number.isFinite(inLen) ? inLen : Math.max(0, sock.bytesRead - read0);
      const outLen = Number(res.getHeader('content-length'));
      const bytesOut =
        req.method === 'HEAD'
          ? 0
          : Number.isFinite(outLen)
            ? outLen
            : Math.max(0, sock.bytesWritten - written0);
      if (bytesIn > 0) m.registryBytes.inc({ direction: 'in' }, bytesIn);
      if (bytesOut > 0) m.registryBytes.inc({ direction: 'out' }, bytesOut);
    });
    return handler(req, res);
  };
}
