import type { INotebookModel } from '@jupyterlab/notebook';

/** Tags of the cells papermill adds to an executed notebook. */
const ADDED_CELL_TAGS = ['injected-parameters', 'papermill-error-cell-tag'];

/**
 * Where the source notebook's cell `cell` (0-based) is in a run's executed
 * notebook, which also holds the cells papermill added (the injected
 * parameters, the error banner). `null` if it has no such cell.
 */
export function outputCellIndex(model: INotebookModel, cell: number): number | null {
  let source = -1;
  for (let index = 0; index < model.cells.length; index++) {
    const tags: unknown = model.cells.get(index).getMetadata('tags');
    const added = Array.isArray(tags) && tags.some(tag => ADDED_CELL_TAGS.includes(String(tag)));
    if (!added && ++source === cell) {
      return index;
    }
  }
  return null;
}
