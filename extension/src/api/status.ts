import { requestAPI } from './request';
import type { ServerStatus } from './types';

/**
 * Fetch the status of the nbtools server extension.
 */
export function getStatus(): Promise<ServerStatus> {
  return requestAPI<ServerStatus>('status');
}
