export { NbtoolsApiError, ServerExtensionMissingError, isApiErrorBody } from './errors';
export { API_NAMESPACE, requestAPI } from './request';
export { getStatus } from './status';
export type { ApiErrorBody, ServerStatus } from './types';
export * from './monitoring';
