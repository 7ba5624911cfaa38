import { requestAPI } from './request';

/**
 * Body of `POST /nbtools/api/extract`.
 */
export interface ExtractRequest {
  /** The notebook, relative to the server root (a folder: its notebooks, one package). */
  path: string;
  /**
   * A set of notebooks making one package, in its order (each a notebook or a folder);
   * `path` is one of them, the one `content` is for.
   */
  notebooks?: string[];
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
  /** What the package's data is used for: checked against the data usage rule (403 if refused). */
  purpose?: string;
}

/** A problem found in the notebook, located at a cell (0-based) and a 1-based line. */
export interface ExtractProblem {
  /**
   * A set's: the name of the notebook the cell is in (`cell` is its index there), for people:
   * its file name, or its path from the set's shared folder when two have that file name.
   */
  notebook?: string;
  /** A set's: that notebook's path, relative to the root (what tells which notebook it is). */
  notebook_path?: string;
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
  /** A set's: the names of the notebooks of `cell` and of `failure_cell` (as a problem's). */
  notebook?: string;
  failure_notebook?: string;
  /** A set's: the paths of those notebooks, relative to the root. */
  notebook_path?: string;
  failure_notebook_path?: string;
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

/** A parameter of the package's `run()` (from the notebook's `parameters` cell). */
export interface ExtractParameter {
  name: string;
  /** `int`, `float`, `str`, `bool`, `list` or `dict`. */
  type: string;
  default: unknown;
  /** The trailing comment of its line (empty if none). */
  help: string;
  /** Its default is computed (`run_date = str(date.today())`), not a literal. */
  computed: boolean;
  annotation: string | null;
  /** Where it is declared: cell (0-based) and 1-based line. */
  cell: number;
  line: number;
}

/** A function of the package served over HTTP (`serve` tag). */
export interface ExtractServed {
  name: string;
  /** Its endpoint, `/<name>`. */
  path: string;
  module: string;
  cell: number;
  cell_id: string;
}

/** What a write recorded of where the package comes from (`null` parts could not be recorded). */
export interface ExtractLineage {
  notebook_version: { id: number; number: number; path: string } | null;
  environment: { id: string; kernel: string; python_version: string } | null;
  problems?: string[];
}

/** A place where the notebook reads data: a catalog dataset, or a path. */
export interface DataFound {
  value: string;
  cell: number;
  line: number;
  dataset: string | null;
}

/** The notebook's data checked against the usage rule for `purpose`. */
export interface ExtractDataCheck {
  notebook_path: string;
  purpose: string | null;
  uses: {
    dataset: string;
    classification: string;
    purposes: string[];
    /** `declared` or `detected`. */
    how: string;
    cell: number;
    line: number;
    refused: string | null;
  }[];
  undeclared: DataFound[];
  unknown: DataFound[];
  warnings: string[];
}

/** A package of the project whose notebook no longer exists (the one being extracted may be it, renamed). */
export interface ExtractOrphan {
  /** Its directory, relative to the root. */
  output: string;
  /** The notebook it was written from (gone), relative to the root. */
  notebook: string;
  /** Its import name. */
  package: string;
}

/** A package made of several notebooks, one of them the notebook extracted alone. */
export interface ExtractSetPackage {
  /** Its directory, relative to the root. */
  output: string;
  package: string;
  /** Its notebooks in the set's order, relative to the root. */
  notebooks: string[];
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
  /**
   * A check's package is stale only because another nbtools version wrote it,
   * or only in the old names of notebooks renamed since (`ok` stays true):
   * extract once to update it.
   */
  framing_only: boolean;
  /**
   * A preview's: the package on disk (which `files` compares with) was left half-written by
   * a stopped write, and what to do (write it again); `null` otherwise.
   */
  half_written: string | null;
  files: ExtractFile[];
  problems: ExtractProblem[];
  cells: { cell: number; cell_id: string; role: string; module: string | null }[];
  parameters: ExtractParameter[];
  dependencies: Record<string, string>;
  served: ExtractServed[];
  /** The unified diff against the package on disk (`check` mode). */
  diff: string;
  tests: ExtractTestReport | null;
  /** Set by a write; `null` otherwise. */
  lineage: ExtractLineage | null;
  data: ExtractDataCheck;
  /**
   * Without an `output`, for a notebook without a package yet: the project's packages whose
   * notebook is gone, the nearest first (at most 3); empty otherwise.
   */
  orphans: ExtractOrphan[];
  /**
   * One notebook extracted (not a set) that a set's package lists: that package, found
   * without an output, or the output given when it is that package.
   */
  set_package: ExtractSetPackage | null;
  /** The notebooks of the (first) notebook's folder, itself included, by file name. */
  folder_notebooks: string[];
  /** A set's: each notebook (relative to the root) in its order, with its data check. */
  notebooks?: { notebook: string; data: ExtractDataCheck }[];
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
