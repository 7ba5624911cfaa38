import { expect } from '@jupyterlab/galata';
import type { IJupyterLabPageFixture } from '@jupyterlab/galata';

/* nbtools' REST API as the specs set up their jobs through it (docs/jobs.md). */

const API = '/nbtools/api';

/** `method` `endpoint` of nbtools' API, which must answer 2xx; resolves to its JSON. */
export async function call<T>(
  page: IJupyterLabPageFixture,
  method: 'GET' | 'POST',
  endpoint: string,
  data?: unknown
): Promise<T> {
  const response = await page.request.fetch(`${API}/${endpoint}`, { method, data });
  expect(response.ok(), `${method} ${endpoint}: ${await response.text()}`).toBe(true);
  return (await response.json()) as T;
}

/** Create a job of `path` and return its id. */
export async function createJob(
  page: IJupyterLabPageFixture,
  fields: Record<string, unknown>
): Promise<number> {
  return (await call<{ id: number }>(page, 'POST', 'jobs', fields)).id;
}
