import type { ExtractLineage } from './extract';
import { requestAPI } from './request';

/** `starting` until its /ready answers, `exited` once its process ended. */
export type ServicePreviewState = 'starting' | 'ready' | 'exited';

/** The service's `GET /info`, as far as JupyterLab reads it (it holds more). */
export interface ServiceInfo {
  package: string;
  /** The notebook version and environment its extraction recorded (null: not recorded). */
  notebook_version: ExtractLineage['notebook_version'];
  environment: ExtractLineage['environment'];
  /** Both are still being recorded in the background (`nbtools extract`). */
  lineage_pending: boolean;
  /** Why a part could not be recorded (a recording that failed or was killed), else null. */
  lineage_problems: string[] | null;
  /** The artifacts it loaded with `nbtools.artifacts.load`, with their runs. */
  artifacts?: unknown;
  [key: string]: unknown;
}

/** A preview of an extracted package's service, run by the server extension. */
export interface ServicePreview {
  id: string;
  package: string;
  /** The package directory, relative to the server root. */
  package_dir: string;
  port: number;
  /** Its loopback address on the server's machine. */
  url: string;
  pid: number;
  started: string;
  started_by: string;
  state: ServicePreviewState;
  exit_code: number | null;
  /** The service's `/info` once ready (package, notebook, lineage, endpoints). */
  info: ServiceInfo | null;
  /** Started with an API key: calls need it (the key itself is never answered). */
  needs_api_key: boolean;
  /** Its traffic is recorded in the project's store. */
  recording: boolean;
  /** Why it ended, when it ended with an exit code other than 0 (the reason from its log):
   * the error its start answers, had it ended within the start's wait; null otherwise. */
  failure: { error: string; message: string; details: Record<string, unknown> } | null;
}

/** How a preview is started. */
export interface StartServicePreview {
  /** The key calls will need (`--api-key-env`); none when empty. */
  api_key?: string;
  /** Record its traffic in the project's store (`--record-to`). */
  record?: boolean;
}

export interface ServicePreviewLog {
  state: ServicePreviewState;
  log: string;
  dropped_lines: number;
}

/** What the service answered to a call proxied by the server. */
export interface ServiceCallResult {
  status: number;
  body: unknown;
  latency_ms: number;
}

/** An OpenAPI document, as far as the try-it form reads it. */
export interface OpenApiDocument {
  paths?: Record<string, Record<string, unknown>>;
  components?: { schemas?: Record<string, unknown> };
}

const SERVICES = 'services';

function previewPath(id: string, ...rest: string[]): string {
  return [SERVICES, encodeURIComponent(id), ...rest.map(encodeURIComponent)].join('/');
}

/** Start (or find running) the preview of the package in `packageDir`. */
export function startServicePreview(
  packageDir: string,
  options: StartServicePreview = {}
): Promise<ServicePreview> {
  return requestAPI<ServicePreview>(SERVICES, {
    method: 'POST',
    body: JSON.stringify({ package_dir: packageDir, ...options })
  });
}

export function listServicePreviews(): Promise<ServicePreview[]> {
  return requestAPI<ServicePreview[]>(SERVICES);
}

export function getServicePreview(id: string): Promise<ServicePreview> {
  return requestAPI<ServicePreview>(previewPath(id));
}

export function getServicePreviewLog(id: string): Promise<ServicePreviewLog> {
  return requestAPI<ServicePreviewLog>(previewPath(id, 'log'));
}

export function getServicePreviewOpenApi(id: string): Promise<OpenApiDocument> {
  return requestAPI<OpenApiDocument>(previewPath(id, 'openapi'));
}

/** POST `body` to the preview's `/<endpoint>` through the server, with
 * `apiKey` (when given) as the `X-API-Key` header the service expects. */
export function callServicePreview(
  id: string,
  endpoint: string,
  body: Record<string, unknown>,
  apiKey = ''
): Promise<ServiceCallResult> {
  return requestAPI<ServiceCallResult>(previewPath(id, 'call', endpoint), {
    method: 'POST',
    body: JSON.stringify(body),
    headers: apiKey ? { 'X-API-Key': apiKey } : undefined
  });
}

/** Stop the preview (its whole process group) and forget it. */
export async function stopServicePreview(id: string): Promise<void> {
  await requestAPI<void>(previewPath(id), { method: 'DELETE' });
}
