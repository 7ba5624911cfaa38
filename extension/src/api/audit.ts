/**
 * Client and wire types of the audit trail: `GET /audit` (the `admin` action).
 */
import { queryString, requestAPI } from './request';

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
