import type { NotebookPanel } from '@jupyterlab/notebook';

/** What extraction reads of a notebook's cells, as one string. */
export function cellsKey(panel: NotebookPanel): string {
  const model = panel.model;
  if (!model) {
    return '';
  }
  const parts: unknown[] = [model.getMetadata('nbdev') ?? null];
  for (let index = 0; index < model.cells.length; index++) {
    const cell = model.cells.get(index);
    parts.push(
      cell.type,
      cell.sharedModel.getSource(),
      cell.getMetadata('tags') ?? null,
      cell.getMetadata('nbdev') ?? null
    );
  }
  return JSON.stringify(parts);
}
