import type { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import { isShown } from './notebookSet';
import type { ProductionizeModel } from './productionizeModel';

type Trans = TranslationBundle;

/**
 * A cell (0-based) and line a problem or test points to: a button to it in the notebook
 * shown, the notebook's name and the cell in another notebook of a set (`notebook`, its
 * name; `notebookPath`, its path, which tells whether it is the notebook shown).
 */
export function CellLink({
  model,
  trans,
  notebook,
  notebookPath,
  cell,
  line
}: {
  model: ProductionizeModel;
  trans: Trans;
  notebook: string | undefined;
  notebookPath: string | undefined;
  cell: number;
  line: number | null;
}): React.ReactElement {
  if (notebook !== undefined && !isShown(notebookPath, model.notebook?.context.path)) {
    return (
      <span className="jp-nbtools-CellRef">
        {line
          ? trans.__('%1 cell %2, line %3', notebook, cell + 1, line)
          : trans.__('%1 cell %2', notebook, cell + 1)}
      </span>
    );
  }
  return (
    <button className="jp-nbtools-LinkButton" onClick={() => void model.scrollToCell(cell)}>
      {line ? trans.__('Cell %1, line %2', cell + 1, line) : trans.__('Cell %1', cell + 1)}
    </button>
  );
}
