/**
 * Keystone's time texts, one function per form, each named for the form it writes (all UTC):
 *
 *   isoMicrosZ      2026-11-22T19:08:00.123456Z   utils.isotime(subsecond=True): API bodies, revocation events
 *   isoMicros       2026-11-22T19:08:00.123000    a stored DateTime as to_dict renders it (naive, no zone)
 *   isoZeroMicrosZ  2026-11-22T19:08:00.000000Z   token and receipt times: whole seconds, six zero digits
 *   isoSecondsZ     2026-11-22T19:08:00Z          utils.isotime() without subsecond (a revocation event's expires_at)
 *
 * A JavaScript Date holds milliseconds: the forms with microseconds write the milliseconds and then the
 * extra three digits the caller gives (`micros`, default 000).
 */

/** `YYYY-MM-DDTHH:MM:SS.ffffffZ`: the Date's milliseconds, then `micros % 1000` as the last three digits. */
export function isoMicrosZ(date: Date, micros = 0): string {
  const iso = date.toISOString(); // ...:SS.mmmZ
  return `${iso.slice(0, 23)}${String(micros % 1000).padStart(3, '0')}Z`;
}

/** The name this form had before the others joined it here; prefer isoMicrosZ. */
export const isoTime = isoMicrosZ;

/** `YYYY-MM-DDTHH:MM:SS.ffffff` (naive UTC, no zone): the Date's milliseconds and 000. */
export function isoMicros(date: Date): string {
  return `${date.toISOString().slice(0, 23)}000`;
}

/** `YYYY-MM-DDTHH:MM:SS.000000Z`: epoch seconds rounded down to the second. Throws RangeError for a time no Date holds. */
export function isoZeroMicrosZ(seconds: number): string {
  return new Date(Math.floor(seconds) * 1000).toISOString().slice(0, 19) + '.000000Z';
}

/** `YYYY-MM-DDTHH:MM:SSZ`: epoch seconds, the fraction dropped. */
export function isoSecondsZ(seconds: number): string {
  return new Date(seconds * 1000).toISOString().slice(0, 19) + 'Z';
}

/** Seconds with microsecond precision (a float, as Keystone's Fernet payloads carry) to `YYYY-MM-DDTHH:MM:SS.ffffffZ`. */
export function isoTimeFromSeconds(seconds: number): string {
  const wholeMicros = Math.round(seconds * 1e6);
  const ms = Math.floor(wholeMicros / 1000);
  return isoMicrosZ(new Date(ms), wholeMicros % 1000);
}

/** Parses Keystone's time strings (with or without fraction/Z) to epoch seconds (float). */
export function secondsFromIso(text: string): number {
  const m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,6}))?(Z|[+-]\d{2}:?\d{2})?$/.exec(text);
  if (!m) return NaN;
  const base = Date.parse(m[1] + (m[3] ?? 'Z')) / 1000;
  const frac = m[2] ? Number(m[2].padEnd(6, '0')) / 1e6 : 0;
  return base + frac;
}

export function nowSeconds(): number {
  return Date.now() / 1000;
}
