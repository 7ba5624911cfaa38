import type { NotebookPanel } from '@jupyterlab/notebook';
import type { TranslationBundle } from '@jupyterlab/translation';

import type { ExtractProblem } from '../api';
import { markLines, type IProblemLine } from './problemLines';

/** Class of the marker a cell gets for the extraction problems found in it. */
const MARKER_CLASS = 'jp-nbtools-CellProblems';

/**
 * Mark, on each cell of `panel`, the extraction problems found in it: a
 * summary under the cell (the line, the message and the hint) and, in the
 * cell's editor, the line each problem names. The marks replace those of the
 * previous check: a cell whose problems are fixed loses them at the next
 * preview, check or write. A problem names its cell by id (by index when the
 * cell has none, as in older notebooks); one without a line is marked on the
 * cell only.
 */
export function showProblems(
  panel: NotebookPanel,
  problems: readonly ExtractProblem[],
  trans: TranslationBundle
): void {
  const cells = panel.content.widgets;
  const byCell = new Map<(typeof cells)[number], ExtractProblem[]>();
  for (const problem of problems) {
    const cell =
      cells.find(widget => problem.cell_id && widget.model.id === problem.cell_id) ??
      cells[problem.cell];
    if (cell) {
      byCell.set(cell, [...(byCell.get(cell) ?? []), problem]);
    }
  }
  for (const cell of cells) {
    cell.node.querySelector(`:scope > .${MARKER_CLASS}`)?.remove();
    cell.removeClass('jp-mod-nbtools-problem');
    const found = byCell.get(cell);
    markLines(cell, lines(found ?? [], trans));
    if (found) {
      cell.addClass('jp-mod-nbtools-problem');
      const marker = marks(found, trans);
      const outputs = cell.node.querySelector(':scope > .jp-Cell-outputWrapper');
      cell.node.insertBefore(marker, outputs);
    }
  }
}

/** The lines of a cell named by its problems, with what they say. */
function lines(problems: ExtractProblem[], trans: TranslationBundle): IProblemLine[] {
  const byLine = new Map<number, ExtractProblem[]>();
  for (const problem of problems) {
    if (problem.line > 0) {
      byLine.set(problem.line, [...(byLine.get(problem.line) ?? []), problem]);
    }
  }
  return [...byLine].map(([line, found]) => ({
    line,
    severity: found.some(problem => problem.severity === 'error') ? 'error' : 'warning',
    title: found.map(text).join('\n'),
    label: trans.__(
      'Line %1: %2',
      line,
      found.map(problem => `${severityLabel(problem, trans)}: ${text(problem)}`).join(' ')
    )
  }));
}

/** What a problem says: its message and hint. */
function text(problem: ExtractProblem): string {
  return problem.hint ? `${problem.message} ${problem.hint}` : problem.message;
}

/** The marker of one cell: one line per problem. */
function marks(problems: ExtractProblem[], trans: TranslationBundle): HTMLElement {
  const marker = document.createElement('ul');
  marker.className = MARKER_CLASS;
  marker.setAttribute(
    'aria-label',
    trans._n('%1 extraction problem', '%1 extraction problems', problems.length)
  );
  for (const problem of problems) {
    const item = document.createElement('li');
    item.className = `jp-nbtools-CellProblem jp-mod-${problem.severity}`;
    const where = document.createElement('span');
    where.className = 'jp-nbtools-CellProblem-where';
    where.textContent = problem.line
      ? trans.__('%1, line %2:', severityLabel(problem, trans), problem.line)
      : trans.__('%1:', severityLabel(problem, trans));
    const message = document.createElement('span');
    message.textContent = text(problem);
    item.append(where, ' ', message);
    marker.append(item);
  }
  return marker;
}

function severityLabel(problem: ExtractProblem, trans: TranslationBundle): string {
  return problem.severity === 'error' ? trans.__('Error') : trans.__('Warning');
}
