import { requestAPI } from './request';

/**
 * Wire types and calls of the notebook versions API (`/nbtools/api/versions...`).
 * Field names follow the server's JSON exactly.
 */

/** One recorded state of a notebook. */
export interface Version {
  /** Unique in the project; used in URLs. */
  id: number;
  /** 1, 2, 3… per notebook; the checkpoint id JupyterLab sees. */
  number: number;
  notebook_id: number;
  path: string;
  created_at: string;
  user: string;
  message: string | null;
  /** `auto` (a save), `named` (saved with a message) or `restore`. */
  kind: string;
  named: boolean;
  /** Bytes of the notebook file. */
  size: number;
  cells: number;
  cells_changed: number;
  manifest: string;
  /** What uses it (in the history's list): runs that executed it, jobs pinned to it,
   * packages extracted from it. */
  references?: VersionReference[];
}

/** Something that uses a version (and keeps it from gc). */
export interface VersionReference {
  kind: 'run' | 'job' | 'extraction';
  /** The run's or job's id, or the package's directory (from the root when inside it). */
  ref: string;
}

/** The last failure to record a version of a notebook on this server. */
export interface VersioningFailure {
  operation: string;
  message: string;
  at: string;
}

/** `GET versions?path=`. */
export interface VersionHistory {
  path: string;
  /** Newest first. */
  versions: Version[];
  failure: VersioningFailure | null;
}

/** One line of a source diff: `' '` context, `'-'` removed, `'+'` added. */
export interface DiffLine {
  op: ' ' | '-' | '+';
  text: string;
}

export interface KeyChange {
  key: string;
  /** `added`, `removed` or `modified`. */
  change: string;
  before: unknown;
  after: unknown;
}

export interface OutputChange {
  /** `added`, `removed` or `modified`. */
  change: string;
  /** Its index in the cell on side `b` (on side `a` for a removed output). */
  index: number;
  output_type: string;
  mimes: string[];
  images: string[];
  text: string;
  /** For a modified output: what differs (mime types, `text`, `metadata`…). */
  changed?: string[];
  /** For a modified output: its text before. */
  before?: string;
  /** For a modified output: its index in the cell on side `a`. */
  before_index?: number;
}

export interface CellDiff {
  /** `added`, `removed`, `modified`, `moved` or `unchanged`. */
  status: string;
  a_index: number | null;
  b_index: number | null;
  cell_type: string;
  id: string | null;
  preview: string;
  source: DiffLine[];
  outputs: OutputChange[];
  metadata: KeyChange[];
  execution_count: [number | null, number | null] | null;
  attachments_changed: boolean;
}

export interface DiffSide {
  /** A version number, `latest`, `latest~N` or `disk`. */
  ref: string;
  label: string;
  version: Version | null;
}

/** `GET versions/diff?path=&a=&b=`. */
export interface NotebookDiff {
  path: string;
  a: DiffSide;
  b: DiffSide;
  identical: boolean;
  summary: Record<'added' | 'removed' | 'modified' | 'moved' | 'unchanged', number>;
  metadata: KeyChange[];
  cells: CellDiff[];
}

/** The parts of a notebook's JSON (nbformat 4) the diff view reads: outputs' data by mime type. */
export interface NotebookContent {
  cells: {
    cell_type: string;
    outputs?: { output_type: string; data?: Record<string, unknown> }[];
  }[];
}

/** `POST versions/{id}/restore`. */
export interface RestoreResult {
  path: string;
  source: Version;
  before: Version | null;
  after: Version;
}

/**
 * The versions of notebook `path`, newest first (only the newest `limit`, when given).
 */
export function listVersions(path: string, limit?: number): Promise<VersionHistory> {
  const query = new URLSearchParams(
    limit === undefined ? { path } : { path, limit: String(limit) }
  );
  return requestAPI<VersionHistory>(`versions?${query.toString()}`);
}

/**
 * Record the notebook file as a version, named with `message` when given.
 */
export function saveVersion(path: string, message?: string): Promise<Version> {
  return requestAPI<Version>('versions', {
    method: 'POST',
    body: JSON.stringify(message ? { path, message } : { path })
  });
}

/**
 * The notebook content (nbformat JSON) of version `id`.
 */
export function getVersionNotebook(id: number): Promise<NotebookContent> {
  return requestAPI<NotebookContent>(`versions/${id}/notebook`);
}

/**
 * The differences of notebook `path` from reference `a` to reference `b`.
 */
export function diffVersions(path: string, a: string, b: string): Promise<NotebookDiff> {
  const query = new URLSearchParams({ path, a, b });
  return requestAPI<NotebookDiff>(`versions/diff?${query.toString()}`);
}

/**
 * Put version `id` back onto its notebook, or write it to the new notebook `asPath`.
 */
export function restoreVersion(id: number, asPath?: string): Promise<RestoreResult> {
  return requestAPI<RestoreResult>(`versions/${id}/restore`, {
    method: 'POST',
    body: JSON.stringify(asPath ? { as_path: asPath } : {})
  });
}
