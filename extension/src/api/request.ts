import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

import { NbtoolsApiError, ServerExtensionMissingError, asError, isApiErrorBody } from './errors';

/**
 * URL prefix of the nbtools REST API, relative to the server's base URL.
 */
export const API_NAMESPACE = 'nbtools/api';

/**
 * Call the nbtools REST API and return the parsed JSON answer.
 *
 * With `fetchAPI`, the only functions of the extension that talk HTTP.
 *
 * @param endpoint - path below `nbtools/api/`, e.g. `status`
 * @param init - fetch options (method, body, ...)
 * @param settings - server connection settings; the default ones if omitted
 *
 * @throws {ServerExtensionMissingError} when the server has no nbtools API
 * @throws {NbtoolsApiError} for every other error answer or network failure
 */
export async function requestAPI<T>(
  endpoint: string,
  init: RequestInit = {},
  settings: ServerConnection.ISettings = ServerConnection.makeSettings()
): Promise<T> {
  const response = await fetchAPI(endpoint, init, settings);
  const text = await response.text();
  if (response.status === 204 || text === '') {
    return undefined as T;
  }
  const body = parseJson(text);
  if (body === undefined) {
    // A success answer that is not JSON (typically an HTML page) does not
    // come from the nbtools API.
    throw new ServerExtensionMissingError(response.url, response.status);
  }
  return body as T;
}

/**
 * Call the nbtools REST API and return its successful answer as it is (for
 * downloads); error answers throw as with `requestAPI`.
 */
export async function fetchAPI(
  endpoint: string,
  init: RequestInit = {},
  settings: ServerConnection.ISettings = ServerConnection.makeSettings()
): Promise<Response> {
  const url = URLExt.join(settings.baseUrl, API_NAMESPACE, endpoint);

  let response: Response;
  try {
    response = await ServerConnection.makeRequest(url, init, settings);
  } catch (reason) {
    throw new NbtoolsApiError({
      status: 0,
      error: 'NetworkError',
      message: `Could not reach the Jupyter server: ${asError(reason).message}`,
      details: { url }
    });
  }
  if (response.ok) {
    return response;
  }
  const body = parseJson(await response.text());
  if (isApiErrorBody(body)) {
    throw new NbtoolsApiError({ status: response.status, ...body });
  }
  // Our handlers answer every 404 with a JSON error body; a bare 404 means
  // that no handler is registered under the nbtools prefix at all.
  if (response.status === 404) {
    throw new ServerExtensionMissingError(url, response.status);
  }
  throw new NbtoolsApiError({
    status: response.status,
    error: 'HTTPError',
    message:
      serverMessage(body) ?? `The server answered ${response.status} ${response.statusText}.`,
    details: { url }
  });
}

/**
 * A file the nbtools REST API answers as an attachment: the name its `Content-Disposition`
 * gives (`fallback` without one) and its content; error answers throw as with `requestAPI`.
 */
export async function downloadAPI(
  endpoint: string,
  fallback: string
): Promise<{ filename: string; blob: Blob }> {
  const response = await fetchAPI(endpoint);
  const disposition = response.headers.get('Content-Disposition') ?? '';
  const filename = /filename="([^"]+)"/.exec(disposition)?.[1] ?? fallback;
  return { filename, blob: await response.blob() };
}

/**
 * `?name=value&…` of the parameters that have a value (`''` when none has).
 */
export function queryString(params: Record<string, string | number | null | undefined>): string {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    if (value !== null && value !== undefined) {
      search.set(name, String(value));
    }
  }
  const text = search.toString();
  return text ? `?${text}` : '';
}

function parseJson(text: string): unknown {
  if (text === '') {
    return undefined;
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function serverMessage(body: unknown): string | undefined {
  if (typeof body === 'object' && body !== null) {
    const message = (body as Record<string, unknown>).message;
    if (typeof message === 'string' && message !== '') {
      return message;
    }
  }
  return undefined;
}
