/**
 * Client and wire types of the monitoring endpoints: run metrics, a job's
 * metric series, alert rules, alerts, notification targets and deliveries.
 */
import { queryString, requestAPI } from './request';

/** A JSON value a notebook recorded with `nbtools.record()`. */
export type MetricValue =
  number | string | boolean | null | MetricValue[] | { [key: string]: MetricValue };

/** One metric of one run. */
export interface RunMetric {
  run_id: number;
  job_id: number | null;
  name: string;
  kind: 'number' | 'string' | 'boolean' | 'null' | 'json';
  value: MetricValue;
  unit: string | null;
  source: 'nbtools' | 'scrapbook' | 'papermill';
  cell_index: number | null;
  recorded_at: string;
}

/** `GET /runs/<id>/metrics` */
export interface RunMetrics {
  run_id: number;
  job_id: number | null;
  harvested_at: string;
  metrics: RunMetric[];
  /** Outputs that could not be read (bad names, values over the size limit). */
  problems: string[];
}

/** One point of a series. */
export interface SeriesPoint {
  run_id: number;
  value: MetricValue;
  unit: string | null;
}

/** What a chart says about one run of a series. */
export interface SeriesRun {
  id: number;
  status: string;
  attempt: number;
  parameters: Record<string, unknown>;
  notebook_sha256: string | null;
  notebook_version_id: number | null;
  started_at: string | null;
  duration_seconds: number | null;
}

/** `GET /jobs/<id>/metrics`: a page of runs, oldest first. */
export interface MetricSeries {
  job_id: number;
  run_ids: number[];
  /** The page's runs (status, parameters, notebook version, duration), oldest first. */
  runs: SeriesRun[];
  series: Record<string, SeriesPoint[]>;
  /** Pass as `before` for the previous page; `null` on the oldest page. */
  next_before_run: number | null;
  /** Every metric any run of the job recorded (whatever the page and `metric`), sorted. */
  metric_names: string[];
}

export interface AlertRule {
  id: number;
  job_id: number;
  kind: 'threshold' | 'change' | 'missing' | 'failed' | 'late';
  metric: string | null;
  /** Canonical text, e.g. `accuracy drops > 5% over 5`. */
  text: string;
  enabled: boolean;
  created_at: string;
  /** Why the rule could not be evaluated last time (e.g. a non-numeric value). */
  last_error: string | null;
  last_error_at: string | null;
  last_error_run_id: number | null;
  /**
   * Why the rule may never fire, from what the job's recent runs recorded (a
   * metric none of them recorded, or one that is not a number), or `null`.
   */
  warning: string | null;
  /**
   * What the rule says of the job's latest finished run (evaluated as its end
   * would have, without an alert), or `null` (no finished run; a `late` rule).
   */
  latest_run: LatestRunCheck | null;
}

/** A rule on its job's latest finished run. */
export interface LatestRunCheck {
  run_id: number;
  /** `error`: it cannot be evaluated there (a metric that is not a number, ...). */
  result: 'fires' | 'quiet' | 'error';
  /** The alert's message when it fires, the reason when it cannot be evaluated. */
  message: string | null;
  /** The alert the rule raised when that run ended (a rule older than the run), if any. */
  alert_id: number | null;
}

export interface Alert {
  id: number;
  job_id: number;
  run_id: number | null;
  rule_id: number | null;
  rule: string;
  kind: AlertRule['kind'];
  metric: string | null;
  message: string;
  observed: Record<string, MetricValue>;
  status: 'open' | 'acknowledged';
  created_at: string;
  acknowledged_at: string | null;
  acknowledged_by: string | null;
}

export type NotificationEvent = 'failure' | 'alert' | 'success';

export interface NotificationTarget {
  id: number;
  job_id: number;
  channel: 'webhook' | 'email';
  /** A webhook by its site only (`https://hooks.example.org/***`); e-mail addresses whole. */
  destination: string;
  /** The first 8 hex digits of the SHA-256 of the whole destination: tells targets apart. */
  fingerprint: string;
  events: NotificationEvent[];
  enabled: boolean;
  created_at: string;
  /** Why the target is never sent to (its destination fails today's check), or null. */
  problem: string | null;
}

export interface Delivery {
  id: number;
  job_id: number;
  run_id: number | null;
  alert_id: number | null;
  target_id: number | null;
  event: NotificationEvent;
  channel: NotificationTarget['channel'];
  destination: string;
  status: 'pending' | 'sending' | 'delivered' | 'failed' | 'cancelled';
  attempts: number;
  next_attempt_at: string;
  last_error: string | null;
  created_at: string;
  delivered_at: string | null;
  summary: string | null;
}

function post<T>(endpoint: string, body: unknown = {}): Promise<T> {
  return requestAPI<T>(endpoint, { method: 'POST', body: JSON.stringify(body) });
}

export function getRunMetrics(runId: number): Promise<RunMetrics> {
  return requestAPI<RunMetrics>(`runs/${runId}/metrics`);
}

export function getJobMetrics(
  jobId: number,
  options: { metric?: string; limit?: number; before?: number } = {}
): Promise<MetricSeries> {
  return requestAPI<MetricSeries>(`jobs/${jobId}/metrics${queryString(options)}`);
}

export function listRules(jobId: number): Promise<AlertRule[]> {
  return requestAPI<AlertRule[]>(`jobs/${jobId}/rules`);
}

/** Add a rule; a bad rule throws an `NbtoolsApiError` whose details carry the `column`. */
export function addRule(jobId: number, text: string): Promise<AlertRule> {
  return post<AlertRule>(`jobs/${jobId}/rules`, { text });
}

export function removeRule(ruleId: number): Promise<AlertRule> {
  return requestAPI<AlertRule>(`rules/${ruleId}`, { method: 'DELETE' });
}

export function listAlerts(
  options: { job?: number; run?: number; status?: Alert['status']; limit?: number } = {}
): Promise<Alert[]> {
  return requestAPI<Alert[]>(`alerts${queryString(options)}`);
}

/** Open alerts per job id (ids as strings, jobs without open alerts absent). */
export function getOpenAlertCounts(): Promise<Record<string, number>> {
  return requestAPI<Record<string, number>>('alerts/counts');
}

export function acknowledgeAlert(alertId: number): Promise<Alert> {
  return post<Alert>(`alerts/${alertId}/ack`);
}

export function listTargets(jobId: number): Promise<NotificationTarget[]> {
  return requestAPI<NotificationTarget[]>(`jobs/${jobId}/notifications`);
}

export function addTarget(
  jobId: number,
  target: Pick<NotificationTarget, 'channel' | 'destination' | 'events'>
): Promise<NotificationTarget> {
  return post<NotificationTarget>(`jobs/${jobId}/notifications`, target);
}

export function removeTarget(targetId: number): Promise<NotificationTarget> {
  return requestAPI<NotificationTarget>(`notification-targets/${targetId}`, { method: 'DELETE' });
}

export function listDeliveries(
  options: { job?: number; status?: Delivery['status']; limit?: number } = {}
): Promise<Delivery[]> {
  return requestAPI<Delivery[]>(`notifications${queryString(options)}`);
}

export function retryDelivery(deliveryId: number): Promise<Delivery> {
  return post<Delivery>(`notifications/${deliveryId}/retry`);
}
