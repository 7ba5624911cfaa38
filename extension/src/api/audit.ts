/**
 * Client and wire types of the audit trail: `GET /audit` (the `admin` action).
 */
import { downloadAPI, queryString, requestAPI } from './request';

/** The most entries one request answers (`limit`), also as CSV. */
export const AUDIT_MAX_LIMIT = 10000;

/** Who did what to which object, and a summary of the change. */
export interface AuditEntry {
  id: number;
  at: string;
  actor: string;
  /** `job.create`, `run.cancel`, `dataset.add`, `policy.refuse`, … */
  action: string;
  /** The object acted on: `job 3`, `dataset customers`, … */
  target: string;
  summary: Record<string, unknown>;
}

/** Filters and paging of `GET /audit`. */
export interface AuditQuery {
  /** `7d`, `12h`, `2w`, or an ISO date. */
  since?: string;
  actor?: string;
  /** One action, or a family: `job.*`. */
  action?: string;
  /** Entries older than this id (the last id of the previous page). */
  before?: number;
  limit?: number;
}

/** Audit entries, newest first. */
export function listAuditEntries(options: AuditQuery = {}): Promise<AuditEntry[]> {
  return requestAPI<AuditEntry[]>(`audit${queryString({ ...options })}`);
}

/**
 * The entries `options` select (newest first, at most `limit`) as the CSV file
 * `GET /audit?format=csv` answers (`nbtools-audit.csv`), for a spreadsheet.
 */
export function downloadAuditCsv(
  options: AuditQuery = {}
): Promise<{ filename: string; blob: Blob }> {
  return downloadAPI(`audit${queryString({ ...options, format: 'csv' })}`, 'nbtools-audit.csv');
}
