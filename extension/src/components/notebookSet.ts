/**
 * A set of notebooks making one package, as the wizard sends and shows it: which notebooks,
 * in nbdev's order, and which of a set's problems belong to the open notebook.
 */
import type { NotebookPanel } from '@jupyterlab/notebook';

import type { ExtractProblem } from '../api';
import type { INotebookWizard } from './wizardStates';

/**
 * The notebooks of the package, when more than the one at `path`: its set's, else it and
 * those included, in nbdev's order (by file name, as a folder's are); `null` for it alone.
 */
export function notebooksOf(path: string, wizard: INotebookWizard): string[] | null {
  if (wizard.setPackage) {
    return wizard.setPackage.notebooks;
  }
  const included = wizard.options.include.filter(notebook => notebook !== path);
  if (!included.length) {
    return null;
  }
  return [path, ...included].sort(
    (a, b) => compareNames(fileName(a), fileName(b)) || compareNames(a, b)
  );
}

/** Python's order of two strings (nbdev sorts by code point, not by locale). */
function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The file name of the notebook at `path`. */
export function fileName(path: string): string {
  return path.split('/').pop() ?? path;
}

/**
 * The problems of `panel`'s own cells (a set's others are in other notebooks), told by the
 * notebook's path: two notebooks of a set may have one file name.
 */
export function ownProblems(panel: NotebookPanel, problems: ExtractProblem[]): ExtractProblem[] {
  return problems.filter(problem => isShown(problem.notebook_path, panel.context.path));
}

/**
 * Whether a problem or test in the notebook at `notebookPath` (a set's; `undefined`: the one
 * notebook extracted) is in the notebook at `shown`.
 */
export function isShown(notebookPath: string | undefined, shown: string | undefined): boolean {
  return notebookPath === undefined || notebookPath === shown;
}
