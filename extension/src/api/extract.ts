import { requestAPI } from './request';

/**
 * Body of `POST /nbtools/api/extract`.
 */
export interface ExtractRequest {
  /** The notebook, relative to the server root. */
  path: string;
  /** Package directory relative to the root; default `<notebook dir>/<package>`. */
  output?: string;
  /** Import name of the package; default derived from the notebook name. */
  name?: string;
  version?: string;
  /** `true` (default): preview only; `false`: write the package. */
  dry_run?: boolean;
  /** Compare with the package on disk; writes nothing. */
  check?: boolean;
  /** Run the package's tests after writing. */
  test?: boolean;
  /** Run the tests in a fresh venv with the package installed. */
  venv?: boolean;
  /** Write over files nbtools did not write (they are kept as `.orig`). */
  force?: boolean;
  /** Notebook JSON to use instead of the saved file. */
  content?: unknown;
}

/** A problem found in the notebook, located at a cell (0-based) and a 1-based line. */
export interface ExtractProblem {
  cell: number;
  cell_id: string;
  line: number;
  code: string;
  severity: 'error' | 'warning';
  message: string;
  hint: string;
}

/** One file of the package and how it compares with the disk. */
export interface ExtractFile {
  path: string;
  status: 'new' | 'changed' | 'unchanged' | 'removed';
  content?: string | null;
}

/** One test of the generated package. */
export interface ExtractTestResult {
  name: string;
  outcome: 'passed' | 'failed' | 'error' | 'skipped';
  /** The `test` cell the test comes from (0-based), if any. */
  cell: number | null;
  cell_id: string | null;
  message: string;
  /** Where a failure points in the notebook: cell (0-based) and line. */
  failure_cell: number | null;
  failure_cell_id: string | null;
  failure_line: number | null;
  seconds: number;
}

export interface ExtractTestReport {
  ok: boolean;
  environment: 'current' | 'venv';
  counts: { passed: number; failed: number; error: number; skipped: number };
  tests: ExtractTestResult[];
  output: string;
}

/** The answer of `POST /nbtools/api/extract`. */
export interface ExtractReport {
  ok: boolean;
  mode: 'preview' | 'check' | 'write';
  package: string;
  output: string;
  notebook: string;
  notebook_sha256: string;
  written: boolean;
  stale: boolean;
  files: ExtractFile[];
  problems: ExtractProblem[];
  cells: { cell: number; cell_id: string; role: string; module: string | null }[];
  parameters: { name: string; default: unknown; type: string | null }[];
  dependencies: Record<string, string>;
  diff: string;
  tests: ExtractTestReport | null;
}

/**
 * Preview, check or write a notebook's package (and test it).
 */
export function extractPackage(request: ExtractRequest): Promise<ExtractReport> {
  return requestAPI<ExtractReport>('extract', {
    method: 'POST',
    body: JSON.stringify(request)
  });
}
