/** Keystone renders times as ISO 8601 with microseconds and Z: 2026-11-22T19:08:00.000000Z. */
export function isoTime(date: Date, micros = 0): string {
  const iso = date.toISOString(); // ...:SS.mmmZ
  return `${iso.slice(0, 23)}${String(micros % 1000).padStart(3, '0')}Z`;
}

/** Seconds with microsecond precision (a float, as Keystone's Fernet payloads carry) to Keystone's string form. */
export function isoTimeFromSeconds(seconds: number): string {
  const wholeMicros = Math.round(seconds * 1e6);
  const ms = Math.floor(wholeMicros / 1000);
  return isoTime(new Date(ms), wholeMicros % 1000);
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
