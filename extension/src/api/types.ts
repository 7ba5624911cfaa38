/**
 * Wire types of the nbtools REST API (`/nbtools/api/...`).
 *
 * Field names follow the server's JSON exactly.
 */

/**
 * `GET /nbtools/api/status`
 */
export interface ServerStatus {
  /** Version of the jupyter-nbtools Python package. */
  version: string;
  /** Absolute path of the server root. */
  root: string;
  /** Absolute path of the project state folder (`.nbtools`). */
  store_path: string;
  /** SQLAlchemy URL of the store database; may contain credentials. */
  db_url: string;
  /** Alembic revision of the store schema; `null` before the first migration. */
  schema_revision: string | null;
  /** The schedulers serving the store, alive ones first. */
  schedulers: SchedulerSeen[];
  /**
   * The locations several datasets hold, kept from an older store (empty when none): each
   * location (without a URL's login) and its datasets' names.
   */
  shared_locations: { location: string; datasets: string[] }[];
}

/**
 * A scheduler of the store (`nbtools scheduler`, a Jupyter server's), as it last reported
 * itself; alive while seen within three of its polls (at least 30 s).
 */
export interface SchedulerSeen {
  host: string;
  pid: number;
  /** `local` or `dask`. */
  executor: string;
  started_at: string;
  seen_at: string;
  alive: boolean;
}

/**
 * Body of every error answer (status 4xx) from the nbtools server extension.
 */
export interface ApiErrorBody {
  /** Name of the server-side error class, e.g. `NotebookNotFoundError`. */
  error: string;
  /** Human-readable explanation that says what to do. */
  message: string;
  /**
   * Structured fields of the error: `field` names the refused input; a 400 that refuses
   * several fields at once lists each in `errors`, `{field, message, ...}` (see `refusals`).
   */
  details?: Record<string, unknown>;
}
