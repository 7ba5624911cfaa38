import type { SnapshotSummary } from './env';
import { requestAPI } from './request';

/**
 * Wire types and calls of lineage: which notebook version and environment a
 * run executed (`lineage` of a run model), the environment of a notebook's
 * last successful run, and reproducing a run.
 */

/** `lineage.notebook_version` of a run. */
export interface LineageVersion {
  id: number;
  /** `null` when the version is no longer stored. */
  number: number | null;
  path: string | null;
  /** Whether the run was pinned to this version (not the file on disk). */
  pinned: boolean;
  stored: boolean;
  /** The CLI command that shows the version. */
  command: string | null;
}

/** `lineage.environment` of a run. */
export interface LineageEnvironment {
  id: string;
  short_id: string;
  python_version: string | null;
  stored: boolean;
  command: string | null;
}

/** The `lineage` field of a run model. */
export interface RunLineage {
  /** e.g. `notebook version 3 (id 12), environment 1f2e3d4c5b6a`. */
  summary: string;
  notebook_version: LineageVersion | null;
  environment: LineageEnvironment | null;
}

/** The lineage fields of a run model (`GET runs/{id}`). */
export interface LineageRun {
  id: number;
  status: string;
  notebook_path: string;
  finished_at: string | null;
  notebook_version_id: number | null;
  env_snapshot_id: string | null;
  /** The version the run executes instead of the file on disk, if pinned. */
  pinned_version_id: number | null;
  /** The run this one reproduces. */
  reproduce_of: number | null;
  lineage: RunLineage;
}

/** `GET env/last-run?path=`. */
export interface LastRunEnvironment {
  run: LineageRun;
  snapshot: SnapshotSummary;
}

/**
 * The environment snapshot of the notebook's last successful run, or `null`
 * when no successful run recorded one.
 */
export async function getLastRunEnvironment(path: string): Promise<LastRunEnvironment | null> {
  const found = await requestAPI<LastRunEnvironment | { run: null; snapshot: null }>(
    `env/last-run?${new URLSearchParams({ path }).toString()}`
  );
  return found.run === null ? null : found;
}

/**
 * Queue a run of run `id`'s notebook version with its parameters; the answer
 * is the new run (`reproduce_of` is `id`).
 */
export function reproduceRun(id: number): Promise<LineageRun> {
  return requestAPI<LineageRun>(`runs/${id}/reproduce`, { method: 'POST', body: '{}' });
}
