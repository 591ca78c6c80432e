import { zone } from './zone.ts';

const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

/** RFC 3339 in UTC as proto3 JSON writes Timestamps: fraction only when non-zero ("...T10:00:00Z"). */
export function protoTime(t: number): string {
  const iso = new Date(t).toISOString();
  return iso.endsWith('.000Z') ? `${iso.slice(0, -5)}Z` : iso;
}

/**
 * RFC 3339 with the job's UTC offset ("2026-03-08T01:30:00-05:00"), the shape of
 * X-CloudScheduler-ScheduleTime: the schedule time "as an offset of UTC".
 */
export function formatTime(t: number, tz: string): string {
  const off = zone(tz).offset(t);
  if (off === 0) return protoTime(t);
  const local = new Date(t + off).toISOString().slice(0, 19);
  const ms = t % 1000;
  const sign = off < 0 ? '-' : '+';
  const abs = Math.abs(Math.round(off / 60_000));
  return `${local}${ms ? `.${pad(ms, 3)}` : ''}${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
}
