import { requestAPI } from './request';

/**
 * Wire types and calls of the environment snapshot API (`/nbtools/api/env/...`).
 * Field names follow the server's JSON exactly.
 */

/** One row of `GET env/snapshots`. */
export interface SnapshotSummary {
  id: string;
  short_id: string;
  /** `kernel`, `pylock` or `requirements`. */
  source: string;
  /** Kernel name, or the imported file's name. */
  origin: string;
  python_version: string | null;
  distribution_count: number;
  /** When it was first stored. */
  created_at: string;
  /** When it was last seen (captured, imported). */
  captured_at: string;
}

export interface Distribution {
  name: string;
  version: string | null;
  installer: string | null;
  /** `index`, `editable`, `directory`, `vcs` or `archive`. */
  origin: string;
  /** Why the metadata is unusable, when it is. */
  broken: string | null;
  /**
   * When one directory holds several metadata directories of it (an interrupted upgrade or
   * removal leaves two): their paths, the one recorded (which the kernel reads) first; empty
   * otherwise.
   */
  duplicates: string[];
  /** Why installing it again may not give the same code, when it may not. */
  non_reproducible: string | null;
}

/** `GET env/snapshots/{id}`, `POST env/snapshots`. */
export interface Snapshot extends SnapshotSummary {
  python: {
    version?: string;
    implementation?: string;
    executable?: string;
    /** A kernel's PEP 508 marker environment, as its capture reported it. */
    markers?: Record<string, string>;
  };
  platform: { system?: string; machine?: string };
  kernel: { name: string; display_name: string } | null;
  conda_env: string | null;
  /** An imported pylock.toml's `environments` markers (empty for a kernel's snapshot). */
  environments: string[];
  /** An imported pylock.toml's `requires-python` (null for a kernel's snapshot). */
  requires_python: string | null;
  distributions: Distribution[];
}

export interface DistributionChange {
  name: string;
  /** `added`, `removed`, `upgraded`, `downgraded` or `changed`. */
  kind: string;
  old: string | null;
  new: string | null;
  detail: string;
}

/** `GET env/diff?old=&new=`. */
export interface SnapshotDiff {
  old: string;
  new: string;
  empty: boolean;
  summary: string;
  python: [string, string] | null;
  platform: [string, string] | null;
  changes: DistributionChange[];
  /** The differences, one per line, as the CLI prints them. */
  lines: string[];
}

export type ExportFormat = 'pylock' | 'requirements';

/** `GET env/snapshots/{id}/export?format=`. */
export interface SnapshotExport {
  filename: string;
  format: ExportFormat;
  snapshot: string;
  content: string;
  /** Distributions a lock file could not pin, with the reason. */
  unlocked: { name: string; version: string; reason: string }[];
  /** The package index a pylock.toml pins files of; `null` for requirements.txt. */
  index: string | null;
}

/** `POST env/recreate`: what was installed and how the new venv differs from the snapshot. */
export interface RecreateReport {
  directory: string;
  python: string;
  installed: number;
  skipped: { name: string; version: string; reason: string }[];
  /** Pinned distributions missing or at another version in the new venv. */
  mismatches: string[];
  verification: SnapshotDiff;
  warnings: string[];
  non_reproducible: { name: string; version: string; reason: string }[];
}

/**
 * Capture the environment of kernel `kernel` in its own interpreter and store it.
 */
export function takeSnapshot(kernel: string): Promise<Snapshot> {
  return requestAPI<Snapshot>('env/snapshots', {
    method: 'POST',
    body: JSON.stringify({ kernel })
  });
}

/**
 * Stored snapshots, most recently seen first.
 */
export function listSnapshots(): Promise<SnapshotSummary[]> {
  return requestAPI<SnapshotSummary[]>('env/snapshots');
}

/**
 * How snapshot `newId` differs from `oldId`.
 */
export function diffSnapshots(oldId: string, newId: string): Promise<SnapshotDiff> {
  const query = new URLSearchParams({ old: oldId, new: newId });
  return requestAPI<SnapshotDiff>(`env/diff?${query.toString()}`);
}

/**
 * A snapshot as a `pylock.toml` or `requirements.txt` file.
 */
export function exportSnapshot(id: string, format: ExportFormat): Promise<SnapshotExport> {
  const query = new URLSearchParams({ format });
  return requestAPI<SnapshotExport>(
    `env/snapshots/${encodeURIComponent(id)}/export?${query.toString()}`
  );
}

/**
 * Recreate snapshot `snapshot` in a new virtual environment at `path` (inside the server
 * root, new or empty), then verify it; takes from seconds to minutes.
 */
export function recreateEnvironment(snapshot: string, path: string): Promise<RecreateReport> {
  return requestAPI<RecreateReport>('env/recreate', {
    method: 'POST',
    body: JSON.stringify({ snapshot, path })
  });
}

/**
 * The checks a recreate makes before its work starts, and nothing else (a dry run): resolves
 * when it would start, rejects with the recreate's own refusal (its `details.field` names the
 * input) otherwise.
 */
export function checkRecreate(snapshot: string, path: string): Promise<void> {
  return requestAPI<void>('env/recreate', {
    method: 'POST',
    body: JSON.stringify({ snapshot, path, dry_run: true })
  });
}
