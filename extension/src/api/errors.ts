import type { ApiErrorBody } from './types';

/**
 * An error answer from the nbtools REST API, or a failure to reach it.
 */
export class NbtoolsApiError extends Error {
  constructor(options: NbtoolsApiError.IOptions) {
    super(options.message);
    this.name = 'NbtoolsApiError';
    this.status = options.status;
    this.error = options.error;
    this.details = options.details ?? {};
  }

  /** HTTP status code; 0 when the server could not be reached. */
  readonly status: number;

  /** Server-side error class name (or a client-side kind such as `NetworkError`). */
  readonly error: string;

  /** Structured fields sent by the server. */
  readonly details: Readonly<Record<string, unknown>>;
}

export namespace NbtoolsApiError {
  export interface IOptions extends ApiErrorBody {
    status: number;
  }
}

/**
 * The Jupyter server answered, but not with the nbtools API: the server
 * extension is not installed, not enabled, or failed to load.
 */
export class ServerExtensionMissingError extends NbtoolsApiError {
  constructor(url: string, status: number) {
    super({
      status,
      error: 'ServerExtensionMissing',
      message:
        'The jupyter_nbtools server extension is not installed or not enabled: ' +
        'run `jupyter server extension enable jupyter_nbtools` and restart JupyterLab.',
      details: { url }
    });
    this.name = 'ServerExtensionMissingError';
  }
}

/**
 * Whether a parsed JSON body has the shape of an nbtools error answer.
 */
export function isApiErrorBody(value: unknown): value is ApiErrorBody {
  if (typeof value !== 'object' || value === null) {
    return false;
  }
  const body = value as Record<string, unknown>;
  return typeof body.error === 'string' && typeof body.message === 'string';
}

/**
 * The action (`read`, `write`, `execute`, `admin`) the server's Authorizer refused the
 * logged-in user when `reason` is its 403 (`NotAuthorizedError`, `details.action`), else
 * null: asking again is refused again, and entered in the audit trail.
 */
export function refusedAction(reason: unknown): string | null {
  const refused = reason instanceof NbtoolsApiError && reason.error === 'NotAuthorizedError';
  const action = refused ? reason.details.action : null;
  return typeof action === 'string' ? action : null;
}

/**
 * Any thrown value as an `Error` (its message is what the user sees).
 */
export function asError(reason: unknown): Error {
  return reason instanceof Error ? reason : new Error(String(reason));
}

/** What a refused request says of one input: its `details` (`field` names it) and message. */
export interface IRefusal {
  details: Readonly<Record<string, unknown>>;
  message: string;
}

/**
 * Each refusal of a refused request: the entries of `details.errors` when the server refused
 * several fields at once (the first is also the error's own `details.field`), else the error
 * itself.
 */
export function refusals(reason: NbtoolsApiError): IRefusal[] {
  const listed = reason.details.errors;
  if (!Array.isArray(listed)) {
    return [{ details: reason.details, message: reason.message }];
  }
  return listed
    .filter(
      (entry): entry is Record<string, unknown> => typeof entry === 'object' && entry !== null
    )
    .map(entry => ({
      details: entry,
      message: typeof entry.message === 'string' ? entry.message : reason.message
    }));
}

/** The input a refused request names (the server's `details.field`), if any. */
export function fieldOf(reason: unknown): string | null {
  const field = reason instanceof NbtoolsApiError ? reason.details.field : undefined;
  return typeof field === 'string' ? field : null;
}
