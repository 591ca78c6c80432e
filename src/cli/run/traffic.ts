import type { Service, TrafficTarget } from '../../client/index.ts';
import { invalidFlag, parseKeyValues, parseList, userError } from '../core/index.ts';
import { shortName } from './krm.ts';

const LATEST = 'TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST';
const REVISION = 'TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION';

export interface TrafficChanges {
  toLatest: boolean;
  toRevisions: Record<string, number>;
  toTags: Record<string, number>;
  setTags?: Record<string, string>;
  updateTags: Record<string, string>;
  removeTags: string[];
  clearTags: boolean;
}

const pct = (flag: string, m: Record<string, string>): Record<string, number> =>
  Object.fromEntries(
    Object.entries(m).map(([k, v]) => {
      if (!/^\d+$/.test(v) || Number(v) > 100)
        throw invalidFlag(flag, `[${k}=${v}]: the percentage must be an integer from 0 to 100.`);
      return [k, Number(v)];
    }),
  );

export function parseTrafficFlags(o: Record<string, unknown>): TrafficChanges {
  const ch: TrafficChanges = {
    toLatest: Boolean(o.toLatest),
    toRevisions: pct(
      '--to-revisions',
      parseKeyValues('--to-revisions', o.toRevisions as string[] | undefined),
    ),
    toTags: pct('--to-tags', parseKeyValues('--to-tags', o.toTags as string[] | undefined)),
    setTags: o.setTags ? parseKeyValues('--set-tags', o.setTags as string[]) : undefined,
    updateTags: parseKeyValues('--update-tags', o.updateTags as string[] | undefined),
    removeTags: parseList(o.removeTags as string[] | undefined),
    clearTags: Boolean(o.clearTags),
  };
  const percents = Object.keys(ch.toRevisions).length + Object.keys(ch.toTags).length;
  if (ch.toLatest && percents)
    throw userError(
      '[--to-latest] cannot be used with [--to-revisions] or [--to-tags].',
      'CONFLICTING_FLAGS',
    );
  const tagging = ch.setTags || Object.keys(ch.updateTags).length || ch.removeTags.length || ch.clearTags;
  if (!ch.toLatest && !percents && !tagging) {
    throw userError(
      'No traffic change given: use --to-latest, --to-revisions=REVISION=PERCENT,..., --to-tags=TAG=PERCENT,... or the tag flags.',
      'NO_TRAFFIC_CHANGE',
    );
  }
  return ch;
}

const key = (t: TrafficTarget): string =>
  t.type === LATEST || (!t.type && !t.revision) ? 'LATEST' : shortName(t.revision);

function applyTags(traffic: TrafficTarget[], ch: TrafficChanges, latest: string): TrafficTarget[] {
  let out = traffic.map((t) => ({ ...t }));
  const drop = (tag: string): void => out.forEach((t) => t.tag === tag && delete t.tag);
  if (ch.clearTags || ch.setTags) out.forEach((t) => delete t.tag);
  ch.removeTags.forEach(drop);
  for (const [tag, rev] of Object.entries({ ...(ch.setTags ?? {}), ...ch.updateTags })) {
    drop(tag);
    const name = rev === 'LATEST' ? latest : rev;
    const free = out.find((t) => t.type !== LATEST && shortName(t.revision) === name && !t.tag);
    if (free) free.tag = tag;
    else out.push({ type: REVISION, revision: name, percent: 0, tag });
  }
  out = out.filter((t) => t.percent || t.tag);
  return out;
}

/** Splits `remaining` percent over `weights` proportionally, largest remainders first; sums exactly. */
function proportional(weights: number[], remaining: number): number[] {
  const total = weights.reduce((a, b) => a + b, 0);
  if (total === 0) return weights.map(() => 0);
  const raw = weights.map((w) => (w * remaining) / total);
  const out = raw.map(Math.floor);
  let left = remaining - out.reduce((a, b) => a + b, 0);
  const order = raw.map((r, i) => [r - Math.floor(r), i] as const).sort((a, b) => b[0] - a[0]);
  for (const [, i] of order) if (left-- > 0) out[i]!++;
  return out;
}

/**
 * The new traffic list for `update-traffic` as gcloud computes it: tags first, then the given
 * percentages; if they sum to less than 100, the other serving targets share the rest in proportion.
 */
export function computeTraffic(svc: Service, ch: TrafficChanges): TrafficTarget[] {
  const latest = shortName(svc.latestReadyRevision ?? svc.latestCreatedRevision);
  const current: TrafficTarget[] = svc.traffic?.length ? svc.traffic : [{ type: LATEST, percent: 100 }];
  let traffic = applyTags(current, ch, latest);
  const byTag = new Map(traffic.filter((t) => t.tag).map((t) => [t.tag!, key(t)]));
  const wanted: Record<string, number> = ch.toLatest ? { LATEST: 100 } : { ...ch.toRevisions };
  for (const [tag, p] of Object.entries(ch.toTags)) {
    const rev = byTag.get(tag);
    if (!rev) throw invalidFlag('--to-tags', `there is no tag [${tag}] on service [${shortName(svc.name)}].`);
    wanted[rev] = p;
  }
  if (Object.keys(wanted).length === 0) return traffic;
  const sum = Object.values(wanted).reduce((a, b) => a + b, 0);
  if (sum > 100)
    throw userError(
      `The traffic percentages add up to ${sum}: they may add up to at most 100.`,
      'BAD_TRAFFIC',
    );
  // Current percentages by target (untagged), excluding the ones being set.
  const others = new Map<string, number>();
  for (const t of traffic)
    if (!(key(t) in wanted) && t.percent) others.set(key(t), (others.get(key(t)) ?? 0) + t.percent);
  if (sum < 100 && others.size === 0) {
    throw userError(
      `The traffic percentages add up to ${sum}, and no other revision serves traffic to take the rest: make them add up to 100.`,
      'BAD_TRAFFIC',
    );
  }
  const names = [...others.keys()];
  const shares = proportional(
    names.map((n) => others.get(n)!),
    100 - sum,
  );
  const percent = new Map<string, number>([
    ...Object.entries(wanted),
    ...names.map((n, i) => [n, shares[i]!] as const),
  ]);
  const tags = traffic.filter((t) => t.tag).map((t) => ({ ...t, percent: 0 }));
  traffic = [...percent.entries()]
    .filter(([, p]) => p > 0)
    .map(([n, p]) =>
      n === 'LATEST' ? { type: LATEST, percent: p } : { type: REVISION, revision: n, percent: p },
    );
  // Tags ride on a target of the same revision if one is untagged, else on a 0% target.
  for (const t of tags) {
    const host = traffic.find((x) => key(x) === key(t) && !x.tag);
    if (host) host.tag = t.tag;
    else traffic.push(t);
  }
  return traffic;
}

/** gcloud's traffic summary after update-traffic. */
export function trafficSummary(svc: Service): string {
  const latest = shortName(svc.latestReadyRevision);
  const lines = (svc.trafficStatuses ?? []).map((t) => {
    const who = t.type === LATEST ? `LATEST (currently ${latest || 'none ready'})` : shortName(t.revision);
    return `  ${String(t.percent ?? 0).padStart(3)}% ${who}${t.tag ? `\n        ${t.tag}: ${t.uri ?? ''}` : ''}`;
  });
  return [`URL: ${svc.uri ?? ''}`, 'Traffic:', ...lines].join('\n');
}
