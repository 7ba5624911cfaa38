export {
  NbtoolsApiError,
  ServerExtensionMissingError,
  asError,
  fieldOf,
  isApiErrorBody,
  refusals,
  refusedAction
} from './errors';
export { API_NAMESPACE, fetchAPI, requestAPI } from './request';
export { getStatus } from './status';
export type { ApiErrorBody, ServerStatus } from './types';
export { extractPackage } from './extract';
export type {
  DataFound,
  ExtractDataCheck,
  ExtractFile,
  ExtractLineage,
  ExtractOrphan,
  ExtractParameter,
  ExtractProblem,
  ExtractReport,
  ExtractRequest,
  ExtractServed,
  ExtractSetPackage,
  ExtractTestReport,
  ExtractTestResult
} from './extract';
export {
  checkRecreate,
  diffSnapshots,
  exportSnapshot,
  listSnapshots,
  recreateEnvironment,
  takeSnapshot
} from './env';
export type {
  Distribution,
  DistributionChange,
  ExportFormat,
  RecreateReport,
  Snapshot,
  SnapshotDiff,
  SnapshotExport,
  SnapshotSummary
} from './env';
export {
  MAX_CATCH_UP,
  cancelRun,
  checkNotebookData,
  createJob,
  deleteJob,
  downloadRunArtifact,
  downloadRunHtml,
  getJob,
  getRun,
  getParameters,
  listJobRuns,
  listJobs,
  listJobsOverview,
  listRecentRuns,
  listRuns,
  openRunOutput,
  previewCron,
  rerunRun,
  runJob,
  runNotebook,
  updateJob
} from './jobs';
export type {
  CronPreview,
  DatasetUse,
  Job,
  JobFields,
  JobOverview,
  JobSortKey,
  JobStatusFilter,
  JobsOverviewQuery,
  JobsPage,
  MissedPolicy,
  NotebookParameter,
  NotebookDataCheck,
  NotebookParameters,
  ParameterType,
  Run,
  RunArtifact,
  RunOnce,
  RunPoint,
  RunStatus
} from './jobs';
export {
  diffVersions,
  getVersionNotebook,
  listVersions,
  restoreVersion,
  saveVersion
} from './versions';
export type {
  CellDiff,
  DiffLine,
  DiffSide,
  KeyChange,
  NotebookContent,
  NotebookDiff,
  OutputChange,
  RestoreResult,
  Version,
  VersionHistory,
  VersionReference,
  VersioningFailure
} from './versions';
export * from './monitoring';
export { getLastRunEnvironment, reproduceRun } from './lineage';
export type {
  LastRunEnvironment,
  LineageEnvironment,
  LineageRun,
  LineageVersion,
  RunLineage
} from './lineage';
export * from './services';
export { getDataset, getDatasetUsage, listDatasets, searchDatasets } from './data';
export type {
  Classification,
  Dataset,
  DatasetField,
  DatasetUsage,
  DatasetsPage,
  FoundDataset,
  JobUsage,
  PackageUsage,
  RunUsage,
  VersionUsage
} from './data';
export { AUDIT_MAX_LIMIT, downloadAuditCsv, listAuditEntries } from './audit';
export type { AuditEntry, AuditQuery } from './audit';
