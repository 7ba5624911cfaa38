import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

import { NbtoolsApiError, ServerExtensionMissingError, isApiErrorBody } from './errors';

/**
 * URL prefix of the nbtools REST API, relative to the server's base URL.
 */
export const API_NAMESPACE = 'nbtools/api';

/**
 * Call the nbtools REST API and return the parsed JSON answer.
 *
 * This is the only function of the extension that talks HTTP.
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
  const url = URLExt.join(settings.baseUrl, API_NAMESPACE, endpoint);

  let response: Response;
  try {
    response = await ServerConnection.makeRequest(url, init, settings);
  } catch (reason) {
    throw new NbtoolsApiError({
      status: 0,
      error: 'NetworkError',
      message: `Could not reach the Jupyter server: ${errorText(reason)}`,
      details: { url }
    });
  }

  const text = await response.text();
  const body = parseJson(text);

  if (!response.ok) {
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

  if (response.status === 204 || text === '') {
    return undefined as T;
  }
  if (body === undefined) {
    // A success answer that is not JSON (typically an HTML page) does not
    // come from the nbtools API.
    throw new ServerExtensionMissingError(url, response.status);
  }
  return body as T;
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

function errorText(reason: unknown): string {
  return reason instanceof Error ? reason.message : String(reason);
}
