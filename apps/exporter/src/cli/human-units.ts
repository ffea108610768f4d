import { alignRows } from '@lading/cli-support';

/** go-units' HumanSizeWithPrecision(size, 3), as buildah and docker print sizes: decimal units, three digits. */
export function humanSize(bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB', 'PB', 'EB'];
  let v = bytes;
  let i = 0;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${Number(v.toPrecision(3))} ${units[i]}`;
}

/** go-units' HumanDuration, as buildah's CREATED column says it ("2 minutes", "About an hour", "3 weeks"). */
export function humanDuration(ms: number): string {
  const s = Math.floor(ms / 1000);
  const minutes = Math.floor(s / 60);
  const hours = Math.round(s / 3600);
  const days = Math.floor(s / 86400);
  if (s < 1) return 'Less than a second';
  if (s === 1) return '1 second';
  if (s < 60) return `${s} seconds`;
  if (minutes === 1) return 'About a minute';
  if (minutes < 60) return `${minutes} minutes`;
  if (hours === 1) return 'About an hour';
  if (s < 48 * 3600) return `${hours} hours`;
  if (s < 7 * 2 * 86400) return `${days} days`;
  if (s < 30 * 2 * 86400) return `${Math.floor(days / 7)} weeks`;
  if (s < 365 * 2 * 86400) return `${Math.floor(days / 30)} months`;
  return `${Math.floor(days / 365)} years`;
}

/** Aligns tab-separated lines into columns, as Go's tabwriter does for buildah's tables (two spaces apart). */
export function alignColumns(lines: readonly string[]): string[] {
  return alignRows(
    lines.map((l) => l.split('\t')),
    2,
  );
}
