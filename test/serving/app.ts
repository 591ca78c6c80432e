/**
 * A tiny test app on localhost/bbtest (static busybox): httpd on $PORT with shell CGI endpoints.
 *   /                static "ok"
 *   /cgi-bin/env     K_* / PORT / forwarding headers as text
 *   /cgi-bin/sleep   sleeps QUERY_STRING seconds, then answers
 *   /cgi-bin/oom     makes the app (PID 1) grow a string until the memory limit kills the container
 *   /cgi-bin/hog     the CGI process (a worker) grows a string until the kernel kills it; the container
 *                    lives on; prints "hog attempt" on stderr first (instance logs count the attempts)
 *   /cgi-bin/call    fetches the URL in QUERY_STRING from inside the container (service to service)
 *   /cgi-bin/echo    echoes the request body
 *   /cgi-bin/sse     five server-sent events, 300 ms apart
 *   /cgi-bin/peer    the address the request came from (REMOTE_ADDR)
 *   /cgi-bin/one     holds a lock for QUERY_STRING seconds; answers "overlap" if another request held it
 */
import type { ProbeSpec } from '../../src/model/index.ts';

export { BUSYBOX_IMAGE } from '../busybox-image.ts';

/** A liveness probe that fails from the start (the app has no /missing): 2 failures 1 s apart restart it. */
export const FAILING_LIVENESS: ProbeSpec = {
  initialDelaySeconds: 0,
  timeoutSeconds: 1,
  periodSeconds: 1,
  failureThreshold: 2,
  httpGet: { path: '/missing', port: 8080 },
};

const scripts: Record<string, string> = {
  env: 'echo "K_SERVICE=$K_SERVICE"; echo "K_REVISION=$K_REVISION"; echo "K_CONFIGURATION=$K_CONFIGURATION"; echo "PORT=$PORT"; echo "GREETING=$GREETING"; echo "GCE_METADATA_HOST=$GCE_METADATA_HOST"; echo "XFF=$HTTP_X_FORWARDED_FOR"; echo "XFP=$HTTP_X_FORWARDED_PROTO"; echo "XFH=$HTTP_X_FORWARDED_HOST"; echo "TRACEPARENT=$HTTP_TRACEPARENT"; echo "XCTC=$HTTP_X_CLOUD_TRACE_CONTEXT"; echo "ARGS=$(cat /proc/1/cmdline | tr "\\0" " ")"',
  sleep: 'echo "slept $QUERY_STRING"',
  oom: 'echo unreachable',
  hog: 'echo unreachable',
  call: 'wget -q -O - "$QUERY_STRING" 2>&1 || echo "call failed: $?"',
  echo: 'cat',
  one: 'if mkdir /tmp/busy 2>/dev/null; then sleep "${QUERY_STRING:-0.2}"; rmdir /tmp/busy; echo "one $HOSTNAME"; else echo overlap; fi',
  peer: 'echo "$REMOTE_ADDR"',
  sse: 'for i in 1 2 3 4 5; do echo "data: $i"; echo; sleep 0.3; done',
};

function cgi(name: string, body: string, contentType = 'text/plain', before = ':'): string {
  const header = `printf "Content-Type: ${contentType}\\r\\n\\r\\n"`;
  const file = `/www/cgi-bin/${name}`;
  const q = (x: string): string => `'${x.replace(/'/g, "'\\''")}'`;
  return `printf '%s\\n' '#!/bin/sh' ${q(before)} '${header}' ${q(body)} > ${file}; chmod +x ${file}`;
}

/**
 * The shell program the test app runs (as `sh -c`), optionally after `delaySeconds`; `listen` is
 * httpd's -p argument (the port on every address).
 */
export function appScript(delaySeconds = 0, listen = '"$PORT"'): string {
  const parts = ['mkdir -p /www/cgi-bin', 'echo ok > /www/index.html'];
  for (const [name, body] of Object.entries(scripts)) {
    // /sleep waits before its headers, so the ingress has nothing to send until it answers.
    const before =
      name === 'sleep'
        ? 'sleep "$QUERY_STRING"'
        : name === 'oom'
          ? 'kill -USR1 1; sleep 30'
          : name === 'hog'
            ? 'echo "hog attempt" >&2; x=a; while :; do x="$x$x"; done'
            : ':';
    parts.push(cgi(name, body, name === 'sse' ? 'text/event-stream' : 'text/plain', before));
  }
  if (delaySeconds > 0) parts.push(`sleep ${delaySeconds}`);
  // sh stays PID 1 so SIGTERM ends the app at once (httpd as PID 1 would ignore it).
  parts.push(
    'echo "listening on $PORT"',
    `httpd -f -p ${listen} -h /www & trap "kill $!; echo stopping; exit 0" TERM`,
    `trap 'x=a; while :; do x="$x$x"; done' USR1`,
    'while :; do wait; done',
  );
  return parts.join('; ');
}
