/**
 * Client and wire types of the data catalog (read-only): `/datasets`,
 * `/datasets/search`, `/datasets/{name}` and `/datasets/{name}/usage`.
 */
import { queryString, requestAPI } from './request';

/** What the data is, under the GDPR: `personal` and `sensitive` are personal data. */
export type Classification = 'public' | 'internal' | 'personal' | 'sensitive';

/** One column of a dataset's schema, read from the data. */
export interface DatasetField {
  name: string;
  /** A portable type name: `integer`, `number`, `string`, `date`, … */
  type: string;
}

/** `GET /datasets/{name}` (and each item of `GET /datasets`). */
export interface Dataset {
  name: string;
  /** Root-relative path, or an fsspec URL. */
  location: string;
  description: string | null;
  tags: string[];
  owner: string | null;
  classification: Classification;
  /**
   * The purposes the data may be used for: when some are listed, a job needs one of them;
   * none listed: any purpose or none (unless personal or sensitive: no use at all).
   */
  purposes: string[];
  /** `90d`, `12w`, `1y`; `null`: none. */
  retention: string | null;
  /** `null` when the schema could not be read (`schema_note` says why). */
  schema: DatasetField[] | null;
  schema_note: string | null;
  created_at: string;
  updated_at: string;
}

/** An item of `GET /datasets/search`: a dataset and its rank (best first). */
export interface FoundDataset extends Dataset {
  rank: number;
}

/** A run that read or wrote the dataset, with the files that may hold its data. */
export interface RunUsage {
  run_id: number;
  job_id: number | null;
  mode: 'read' | 'write';
  status: string;
  notebook_path: string;
  notebook_version_id: number | null;
  /** Output kind (`notebook`, `html`; `copy`: Open output's copy) → location; none once the outputs were deleted. */
  files: Record<string, string>;
  /** When a purge (an erasure request) deleted the run's outputs. */
  purged_at: string | null;
  /** When retention deleted them. */
  pruned_at: string | null;
}

/** A job whose runs used the dataset, or whose notebook names it. */
export interface JobUsage {
  job_id: number;
  name: string;
  notebook_path: string;
  purpose: string | null;
  archived: boolean;
  evidence: string[];
}

/** A package extracted from a notebook version that names the dataset. */
export interface PackageUsage {
  /** The package's directory. */
  output: string;
  notebook_path: string;
  version_id: number;
  version_number: number;
}

/** A notebook version that a run using the dataset ran, or a package came from. */
export interface VersionUsage {
  version_id: number;
  notebook_path: string;
  number: number;
  evidence: string[];
}

/** `GET /datasets/{name}/usage`: everything derived from the dataset. */
export interface DatasetUsage {
  dataset: string;
  runs: RunUsage[];
  jobs: JobUsage[];
  packages: PackageUsage[];
  versions: VersionUsage[];
}

/** `GET /datasets`: a page of the catalog by name, and how many datasets it holds. */
export interface DatasetsPage {
  total: number;
  offset: number;
  limit: number;
  datasets: Dataset[];
}

/** `limit` catalogued datasets by name from the `offset`-th (the server's default: 0 and 50). */
export function listDatasets(offset?: number, limit?: number): Promise<DatasetsPage> {
  return requestAPI<DatasetsPage>(`datasets${queryString({ offset, limit })}`);
}

/** The datasets matching every word of `words` (names, tags, columns, description), best first. */
export function searchDatasets(words: string, limit?: number): Promise<FoundDataset[]> {
  return requestAPI<FoundDataset[]>(`datasets/search${queryString({ q: words, limit })}`);
}

export function getDataset(name: string): Promise<Dataset> {
  return requestAPI<Dataset>(`datasets/${encodeURIComponent(name)}`);
}

export function getDatasetUsage(name: string): Promise<DatasetUsage> {
  return requestAPI<DatasetUsage>(`datasets/${encodeURIComponent(name)}/usage`);
}
