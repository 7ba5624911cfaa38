import type { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import type { CellDiff, DiffLine, KeyChange, NotebookDiff, OutputChange } from '../api';

/**
 * A notebook diff: summary, notebook metadata changes, and each changed cell
 * with its source line diff, output and metadata changes. Rendered as React
 * elements from the server's JSON model (no HTML from the server is used).
 */
export function NotebookDiffView({
  diff,
  trans
}: {
  diff: NotebookDiff;
  trans: TranslationBundle;
}): React.ReactElement {
  const changed = diff.cells.filter(cell => cell.status !== 'unchanged');
  return (
    <section
      className="jp-nbtools-Diff"
      aria-label={trans.__('Differences from %1 to %2', diff.a.label, diff.b.label)}
    >
      <p role="status" className="jp-nbtools-Diff-summary" data-testid="nbtools-diff-summary">
        {diff.identical ? trans.__('No differences.') : summaryText(diff, trans)}
      </p>
      {diff.metadata.length > 0 && (
        <ul className="jp-nbtools-Diff-changes" aria-label={trans.__('Notebook metadata')}>
          {diff.metadata.map(change => (
            <li key={change.key}>{keyChangeText(change, trans)}</li>
          ))}
        </ul>
      )}
      {changed.map(cell => (
        <CellDiffView key={`${cell.a_index}-${cell.b_index}`} cell={cell} trans={trans} />
      ))}
    </section>
  );
}

function summaryText(diff: NotebookDiff, trans: TranslationBundle): string {
  const labels: Record<keyof NotebookDiff['summary'], string> = {
    added: trans.__('added'),
    removed: trans.__('removed'),
    modified: trans.__('modified'),
    moved: trans.__('moved'),
    unchanged: trans.__('unchanged')
  };
  const parts = (Object.keys(labels) as (keyof NotebookDiff['summary'])[])
    .filter(key => diff.summary[key] > 0)
    .map(key => `${diff.summary[key]} ${labels[key]}`);
  return trans.__('Cells: %1', parts.join(', '));
}

function CellDiffView({
  cell,
  trans
}: {
  cell: CellDiff;
  trans: TranslationBundle;
}): React.ReactElement {
  const index = (cell.b_index ?? cell.a_index ?? 0) + 1;
  const title =
    cell.status === 'moved' && cell.a_index !== null
      ? trans.__('Cell %1 (%2) moved from %3', index, cell.cell_type, cell.a_index + 1)
      : trans.__('Cell %1 (%2) %3', index, cell.cell_type, cell.status);
  return (
    <article className={`jp-nbtools-Diff-cell jp-mod-${cell.status}`} aria-label={title}>
      <h4 className="jp-nbtools-Diff-cellTitle">{title}</h4>
      {cell.source.length > 0 && <SourceDiff lines={cell.source} trans={trans} />}
      {cell.status !== 'removed' && cell.status !== 'added' && cell.source.length === 0 && (
        <p className="jp-nbtools-Diff-preview">{cell.preview}</p>
      )}
      {cell.outputs.length > 0 && (
        <ul className="jp-nbtools-Diff-changes" aria-label={trans.__('Outputs')}>
          {cell.outputs.map(output => (
            <li key={`${output.change}-${output.index}`}>{outputText(output, trans)}</li>
          ))}
        </ul>
      )}
      {(cell.metadata.length > 0 || cell.execution_count || cell.attachments_changed) && (
        <ul className="jp-nbtools-Diff-changes" aria-label={trans.__('Cell details')}>
          {cell.metadata.map(change => (
            <li key={change.key}>{keyChangeText(change, trans)}</li>
          ))}
          {cell.execution_count && (
            <li>
              {trans.__(
                'execution count %1 → %2',
                String(cell.execution_count[0] ?? '–'),
                String(cell.execution_count[1] ?? '–')
              )}
            </li>
          )}
          {cell.attachments_changed && <li>{trans.__('attachments changed')}</li>}
        </ul>
      )}
    </article>
  );
}

function SourceDiff({
  lines,
  trans
}: {
  lines: DiffLine[];
  trans: TranslationBundle;
}): React.ReactElement {
  const kind = { ' ': 'context', '-': 'removed', '+': 'added' } as const;
  return (
    <div className="jp-nbtools-Diff-source" role="list" aria-label={trans.__('Source')}>
      {lines.map((line, position) => (
        <div
          key={position}
          role="listitem"
          className={`jp-nbtools-Diff-line jp-mod-${kind[line.op]}`}
          aria-label={`${kind[line.op]}: ${line.text}`}
        >
          <span className="jp-nbtools-Diff-op" aria-hidden="true">
            {line.op}
          </span>
          <span className="jp-nbtools-Diff-text">{line.text}</span>
        </div>
      ))}
    </div>
  );
}

function outputText(output: OutputChange, trans: TranslationBundle): string {
  const head = trans.__('Output %1 (%2) %3', output.index + 1, output.output_type, output.change);
  if (output.change === 'modified') {
    const changed = output.changed ?? [];
    const parts = changed.map(part =>
      part.startsWith('image/') ? trans.__('%1 image changed', part) : part
    );
    const text =
      output.before !== undefined && (changed.includes('text') || changed.includes('text/plain'));
    return `${head}: ${parts.join(', ')}${text ? ` (${preview(output.before)} → ${preview(output.text)})` : ''}`;
  }
  const shown = output.images.length > 0 ? output.images.join(', ') : preview(output.text);
  return shown ? `${head}: ${shown}` : head;
}

function preview(text: string | undefined): string {
  const line = (text ?? '').split('\n')[0];
  return line.length > 60 ? `${line.slice(0, 59)}…` : line;
}

function keyChangeText(change: KeyChange, trans: TranslationBundle): string {
  switch (change.change) {
    case 'added':
      return trans.__('metadata %1 added: %2', change.key, json(change.after));
    case 'removed':
      return trans.__('metadata %1 removed', change.key);
    default:
      return trans.__('metadata %1: %2 → %3', change.key, json(change.before), json(change.after));
  }
}

function json(value: unknown): string {
  const text = JSON.stringify(value) ?? 'null';
  return text.length > 80 ? `${text.slice(0, 79)}…` : text;
}
