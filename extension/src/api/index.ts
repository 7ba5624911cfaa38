export { NbtoolsApiError, ServerExtensionMissingError, isApiErrorBody } from './errors';
export { API_NAMESPACE, requestAPI } from './request';
export { getStatus } from './status';
export type { ApiErrorBody, ServerStatus } from './types';
export { extractPackage } from './extract';
export type {
  ExtractFile,
  ExtractProblem,
  ExtractReport,
  ExtractRequest,
  ExtractTestReport,
  ExtractTestResult
} from './extract';
export { diffSnapshots, exportSnapshot, listSnapshots, takeSnapshot } from './env';
export type {
  DistributionChange,
  ExportFormat,
  Snapshot,
  SnapshotDiff,
  SnapshotExport,
  SnapshotSummary
} from './env';
export {
  cancelRun,
  createJob,
  deleteJob,
  downloadRunHtml,
  getParameters,
  listJobs,
  listRuns,
  openRunOutput,
  previewCron,
  rerunRun,
  runJob,
  updateJob
} from './jobs';
export type {
  CronPreview,
  Job,
  JobFields,
  MissedPolicy,
  NotebookParameter,
  NotebookParameters,
  ParameterType,
  Run,
  RunStatus
} from './jobs';
export { diffVersions, listVersions, restoreVersion, saveVersion } from './versions';
export type {
  CellDiff,
  DiffLine,
  KeyChange,
  NotebookDiff,
  OutputChange,
  RestoreResult,
  Version,
  VersionHistory,
  VersioningFailure
} from './versions';
