import type { RequestFacts } from './request-entry.ts';

/** One request's facts as the ingress records them, for the request-log tests. */
export const requestFacts = (over: Partial<RequestFacts> = {}): RequestFacts => ({
  revision: 'hello-00001-abc',
  service: 'hello',
  method: 'GET',
  // Characters a JSON writer must escape, in the URL and the user agent.
  url: '/a?b="c"\n',
  status: 200,
  latencyMs: 12.5,
  responseSize: 3,
  requestSize: 0,
  protocol: 'HTTP/1.1',
  userAgent: 'ua "quoted" \u2028',
  remoteIp: '127.0.0.1',
  instanceId: 'i-1',
  waited: true,
  trace: '0af7651916cd43dd8448eb211c80319c/7;o=1',
  ...over,
});
