// Enum names without their prefixes, durations, dates.

import type { Duration, Timestamp } from "@bufbuild/protobuf/wkt";
import { timestampDate } from "@bufbuild/protobuf/wkt";

/** The name of an enum value without its type's prefix: enumName(Verdict, 2, "VERDICT_") → "WRONG_ANSWER". */
export function enumName(values: Record<number, string>, value: number, prefix: string): string {
  const name = values[value] ?? "";
  return name.startsWith(prefix) ? name.slice(prefix.length) : name;
}

export function durationMs(duration: Duration | undefined): number {
  if (!duration) return 0;
  return Number(duration.seconds) * 1000 + Math.round(duration.nanos / 1e6);
}

export function formatMs(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms} ms`;
}

export function formatKib(kib: number): string {
  return kib >= 1024 ? `${(kib / 1024).toFixed(1)} MiB` : `${kib} KiB`;
}

export function formatTime(timestamp: Timestamp | undefined): string {
  return timestamp ? timestampDate(timestamp).toLocaleString() : "";
}
