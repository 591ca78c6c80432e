/**
 * Service and tag host names: SERVICE-PROJECT_NUMBER.REGION.<domain> and TAG---SERVICE-....
 * Pure functions; the ingress parses every request's Host with `parseHost`.
 */
export interface HostKey {
  /** SERVICE-PROJECT_NUMBER.REGION, the key of the route table. */
  key: string;
  tag: string | undefined;
}

/** The host (no port) of a service or one of its tags. */
export function serviceHost(
  projectNumber: string,
  region: string,
  service: string,
  domain: string,
  tag?: string,
): string {
  const base = `${service}-${projectNumber}.${region}.${domain}`;
  return tag ? `${tag}---${base}` : base;
}

/** The route-table key of a service. */
export function routeKey(projectNumber: string, region: string, service: string): string {
  return `${service}-${projectNumber}.${region}`;
}

/** The URL of a service or tag, with the port unless it is 80. */
export function serviceUrl(host: string, port: number): string {
  return port === 80 ? `http://${host}` : `http://${host}:${port}`;
}

/**
 * Splits a Host header into route key and tag; undefined when it is not under `domain`.
 * `suffix` is `.${domain}`, precomputed by the caller.
 */
export function parseHost(hostHeader: string, suffix: string): HostKey | undefined {
  let host = hostHeader;
  const colon = host.lastIndexOf(':');
  if (colon !== -1 && host.indexOf(']') === -1) host = host.slice(0, colon);
  host = host.toLowerCase();
  if (host.endsWith('.')) host = host.slice(0, -1);
  if (host.length <= suffix.length || !host.endsWith(suffix)) return undefined;
  let name = host.slice(0, host.length - suffix.length);
  let tag: string | undefined;
  const sep = name.indexOf('---');
  if (sep !== -1) {
    tag = name.slice(0, sep);
    name = name.slice(sep + 3);
    if (tag === '') return undefined;
  }
  const dot = name.indexOf('.');
  if (dot <= 0 || dot === name.length - 1 || name.indexOf('.', dot + 1) !== -1) return undefined;
  return { key: name, tag };
}
