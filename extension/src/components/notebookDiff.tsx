import type { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import type {
  CellDiff,
  DiffLine,
  KeyChange,
  NotebookContent,
  NotebookDiff,
  OutputChange
} from '../api';

/** How source lines are shown: one column of `-`/`+` lines, or the two sides in columns. */
export type DiffLayout = 'unified' | 'split';

/** The two notebooks compared, read for the images of changed outputs (`null`: not loaded). */
export interface IDiffNotebooks {
  a: NotebookContent | null;
  b: NotebookContent | null;
}

interface IDiffOptions {
  trans: TranslationBundle;
  layout: DiffLayout;
  notebooks: IDiffNotebooks | null;
  /**
   * Set in the main-area view: each changed cell is a tab stop with a DOM id
   * starting with it (see `cellDiffId`).
   */
  anchors: string | null;
}

/**
 * A notebook diff: summary, notebook metadata changes, and each changed cell
 * with its source line diff, output and metadata changes. Rendered as React
 * elements from the server's JSON model (no HTML from the server is used);
 * images of changed outputs come from the compared notebooks when given.
 */
export function NotebookDiffView({
  diff,
  trans,
  layout = 'unified',
  notebooks = null,
  anchors = null,
  children
}: {
  diff: NotebookDiff;
  trans: TranslationBundle;
  layout?: DiffLayout;
  notebooks?: IDiffNotebooks | null;
  anchors?: string | null;
  /** Shown after the summary (the main-area view's list of changed cells). */
  children?: React.ReactNode;
}): React.ReactElement {
  const changed = diff.cells.filter(cell => cell.status !== 'unchanged');
  const options: IDiffOptions = { trans, layout, notebooks, anchors };
  return (
    <section
      className={`jp-nbtools-Diff jp-mod-${layout}`}
      aria-label={trans.__('Differences from %1 to %2', diff.a.label, diff.b.label)}
    >
      <p role="status" className="jp-nbtools-Diff-summary" data-testid="nbtools-diff-summary">
        {diff.identical ? trans.__('No differences.') : summaryText(diff, trans)}
      </p>
      {children}
      {diff.metadata.length > 0 && (
        <ul className="jp-nbtools-Diff-changes" aria-label={trans.__('Notebook metadata')}>
          {diff.metadata.map(change => (
            <li key={change.key}>{keyChangeText(change, trans)}</li>
          ))}
        </ul>
      )}
      {changed.map(cell => (
        <CellDiffView key={`${cell.a_index}-${cell.b_index}`} cell={cell} options={options} />
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

/** A changed cell's heading: its 1-based number on the newer side, and what happened to it. */
export function cellDiffTitle(cell: CellDiff, trans: TranslationBundle): string {
  const index = (cell.b_index ?? cell.a_index ?? 0) + 1;
  return cell.status === 'moved' && cell.a_index !== null
    ? trans.__('Cell %1 (%2) moved from %3', index, cell.cell_type, cell.a_index + 1)
    : trans.__('Cell %1 (%2) %3', index, cell.cell_type, cell.status);
}

/** The DOM id of a changed cell's part of a diff view with `anchors` (a jump list targets it). */
export function cellDiffId(anchors: string, cell: CellDiff): string {
  return `${anchors}-${cell.a_index ?? 'none'}-${cell.b_index ?? 'none'}`;
}

function CellDiffView({
  cell,
  options
}: {
  cell: CellDiff;
  options: IDiffOptions;
}): React.ReactElement {
  const { trans, anchors } = options;
  const title = cellDiffTitle(cell, trans);
  return (
    <article
      className={`jp-nbtools-Diff-cell jp-mod-${cell.status}`}
      aria-label={title}
      id={anchors === null ? undefined : cellDiffId(anchors, cell)}
      tabIndex={anchors === null ? undefined : 0}
    >
      <h4 className="jp-nbtools-Diff-cellTitle">{title}</h4>
      {cell.source.length > 0 &&
        (options.layout === 'split' ? (
          <SplitSourceDiff lines={cell.source} trans={trans} />
        ) : (
          <SourceDiff lines={cell.source} trans={trans} />
        ))}
      {cell.status !== 'removed' && cell.status !== 'added' && cell.source.length === 0 && (
        <p className="jp-nbtools-Diff-preview">{cell.preview}</p>
      )}
      {cell.outputs.length > 0 && (
        <ul className="jp-nbtools-Diff-changes" aria-label={trans.__('Outputs')}>
          {cell.outputs.map(output => (
            <li key={`${output.change}-${output.index}`}>
              {outputText(output, trans)}
              <OutputImages cell={cell} output={output} options={options} />
            </li>
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

/** One row of the two-column view: the old line (if any) beside the new one (if any). */
interface ISplitRow {
  old: { number: number; text: string; changed: boolean } | null;
  new: { number: number; text: string; changed: boolean } | null;
}

/**
 * The rows of the two-column view: context lines on both sides; a run of
 * removed lines beside the run of added lines that follows it, paired in order.
 */
export function splitRows(lines: DiffLine[]): ISplitRow[] {
  const rows: ISplitRow[] = [];
  let oldNumber = 0;
  let newNumber = 0;
  let at = 0;
  while (at < lines.length) {
    if (lines[at].op === ' ') {
      oldNumber += 1;
      newNumber += 1;
      const text = lines[at].text;
      rows.push({
        old: { number: oldNumber, text, changed: false },
        new: { number: newNumber, text, changed: false }
      });
      at += 1;
      continue;
    }
    const removed: string[] = [];
    const added: string[] = [];
    while (at < lines.length && lines[at].op !== ' ') {
      (lines[at].op === '-' ? removed : added).push(lines[at].text);
      at += 1;
    }
    for (let k = 0; k < Math.max(removed.length, added.length); k++) {
      rows.push({
        old: k < removed.length ? { number: ++oldNumber, text: removed[k], changed: true } : null,
        new: k < added.length ? { number: ++newNumber, text: added[k], changed: true } : null
      });
    }
  }
  return rows;
}

function SplitSourceDiff({
  lines,
  trans
}: {
  lines: DiffLine[];
  trans: TranslationBundle;
}): React.ReactElement {
  const side = (line: ISplitRow['old'], kind: 'removed' | 'added') =>
    line === null ? (
      <>
        <td className="jp-nbtools-Diff-number" />
        <td className="jp-nbtools-Diff-text jp-mod-empty" />
      </>
    ) : (
      <>
        <td className="jp-nbtools-Diff-number">{line.number}</td>
        <td
          className={`jp-nbtools-Diff-text${line.changed ? ` jp-mod-${kind}` : ''}`}
          aria-label={line.changed ? `${kind}: ${line.text}` : undefined}
        >
          {line.text}
        </td>
      </>
    );
  return (
    <table className="jp-nbtools-Diff-split" aria-label={trans.__('Source, side by side')}>
      <colgroup>
        <col className="jp-nbtools-Diff-numberColumn" />
        <col />
        <col className="jp-nbtools-Diff-numberColumn" />
        <col />
      </colgroup>
      <thead>
        <tr>
          <th scope="col" colSpan={2}>
            {trans.__('Before')}
          </th>
          <th scope="col" colSpan={2}>
            {trans.__('After')}
          </th>
        </tr>
      </thead>
      <tbody>
        {splitRows(lines).map((row, position) => (
          <tr key={position}>
            {side(row.old, 'removed')}
            {side(row.new, 'added')}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/**
 * The images of a changed output, read from the compared notebooks: before
 * (side `a`) and after (side `b`).
 */
function OutputImages({
  cell,
  output,
  options
}: {
  cell: CellDiff;
  output: OutputChange;
  options: IDiffOptions;
}): React.ReactElement | null {
  const { notebooks, trans } = options;
  if (notebooks === null) {
    return null;
  }
  const before =
    output.change === 'removed'
      ? images(notebooks.a, cell.a_index, output.index)
      : output.change === 'modified'
        ? images(notebooks.a, cell.a_index, output.before_index ?? null)
        : [];
  const after = output.change === 'removed' ? [] : images(notebooks.b, cell.b_index, output.index);
  if (before.length === 0 && after.length === 0) {
    return null;
  }
  const figure = (found: IImage[], label: string) =>
    found.length > 0 && (
      <figure className="jp-nbtools-Diff-figure">
        <figcaption>{label}</figcaption>
        {found.map(image => (
          <img
            key={image.mime}
            src={image.src}
            alt={trans.__('%1 of output %2 (%3)', label, output.index + 1, image.mime)}
          />
        ))}
      </figure>
    );
  return (
    <div className="jp-nbtools-Diff-images">
      {figure(before, trans.__('Before'))}
      {figure(after, trans.__('After'))}
    </div>
  );
}

interface IImage {
  mime: string;
  src: string;
}

/** The images of output `output` of cell `cell` in `notebook`, as data URLs. */
function images(
  notebook: NotebookContent | null,
  cell: number | null,
  output: number | null
): IImage[] {
  if (notebook === null || cell === null || output === null) {
    return [];
  }
  const data = notebook.cells[cell]?.outputs?.[output]?.data ?? {};
  return Object.entries(data).flatMap(([mime, value]) => {
    const text = Array.isArray(value) ? value.join('') : value;
    if (!mime.startsWith('image/') || typeof text !== 'string') {
      return [];
    }
    const src =
      mime === 'image/svg+xml'
        ? `data:${mime};charset=utf-8,${encodeURIComponent(text)}`
        : `data:${mime};base64,${text.replace(/\s/g, '')}`;
    return [{ mime, src }];
  });
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
