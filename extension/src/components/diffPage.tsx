import type { TranslationBundle } from '@jupyterlab/translation';
import { Button, ReactWidget } from '@jupyterlab/ui-components';
import * as React from 'react';

import { asError, diffVersions, getVersionNotebook } from '../api';
import type { DiffSide, NotebookContent, NotebookDiff } from '../api';
import { NotebookDiffView, cellDiffId, cellDiffTitle } from './notebookDiff';
import type { DiffLayout, IDiffNotebooks } from './notebookDiff';

/** What the diff page compares: notebook `path` from reference `a` to reference `b`. */
export interface IDiffRequest {
  path: string;
  /** A version number, `latest`, `latest~N` or `disk`. */
  a: string;
  b: string;
}

/** Reads the notebook file itself, for the images of the `disk` side. */
export type DiskReader = (path: string) => Promise<NotebookContent>;

type PageState =
  | { readonly kind: 'loading' }
  | { readonly kind: 'failed'; readonly error: string }
  | { readonly kind: 'ready'; readonly diff: NotebookDiff; readonly notebooks: IDiffNotebooks };

/** The layout a new diff page starts with: the last one chosen in this browser tab. */
let lastLayout: DiffLayout = 'split';

function rememberLayout(layout: DiffLayout): void {
  lastLayout = layout;
}
/** Pages opened so far: each page's cell ids start with its own number. */
let pages = 0;

/**
 * The version diff in the main area: the two sides in columns or one unified
 * column (switchable), images of changed outputs, and a list of the changed
 * cells to jump to.
 */
export class DiffPage extends ReactWidget {
  constructor(request: IDiffRequest, readDisk: DiskReader, trans: TranslationBundle) {
    super();
    this.request = request;
    this._readDisk = readDisk;
    this._trans = trans;
    this.addClass('jp-nbtools-DiffPage');
    this._anchors = `nbtools-diff-${++pages}`;
  }

  readonly request: IDiffRequest;

  protected render(): React.ReactElement {
    return (
      <DiffPageContent
        request={this.request}
        readDisk={this._readDisk}
        anchors={this._anchors}
        trans={this._trans}
      />
    );
  }

  private _anchors: string;
  private _readDisk: DiskReader;
  private _trans: TranslationBundle;
}

async function loadPage(request: IDiffRequest, readDisk: DiskReader): Promise<PageState> {
  const diff = await diffVersions(request.path, request.a, request.b);
  const read = (side: DiffSide): Promise<NotebookContent | null> =>
    side.version !== null
      ? getVersionNotebook(side.version.id)
      : side.ref === 'disk'
        ? readDisk(request.path)
        : Promise.resolve(null);
  // The images are a bonus: a side that cannot be read shows its changes without them.
  const [a, b] = await Promise.all([diff.a, diff.b].map(side => read(side).catch(() => null)));
  return { kind: 'ready', diff, notebooks: { a, b } };
}

function DiffPageContent({
  request,
  readDisk,
  anchors,
  trans
}: {
  request: IDiffRequest;
  readDisk: DiskReader;
  anchors: string;
  trans: TranslationBundle;
}): React.ReactElement {
  const [state, setState] = React.useState<PageState>({ kind: 'loading' });
  const [layout, setLayout] = React.useState<DiffLayout>(lastLayout);
  React.useEffect(() => {
    let current = true;
    loadPage(request, readDisk).then(
      next => current && setState(next),
      reason => current && setState({ kind: 'failed', error: asError(reason).message })
    );
    return () => {
      current = false;
    };
  }, [request, readDisk]);

  const choose = (next: DiffLayout): void => {
    rememberLayout(next);
    setLayout(next);
  };
  const layouts: [DiffLayout, string][] = [
    ['split', trans.__('Side by side')],
    ['unified', trans.__('Unified')]
  ];
  return (
    <div className="jp-nbtools-DiffPage-body">
      <header className="jp-nbtools-DiffPage-header">
        <h2 className="jp-nbtools-DiffPage-title">
          {state.kind === 'ready'
            ? trans.__('%1: %2 → %3', request.path, state.diff.a.label, state.diff.b.label)
            : request.path}
        </h2>
        <div role="group" aria-label={trans.__('Layout')} className="jp-nbtools-DiffPage-layout">
          {layouts.map(([value, label]) => (
            <Button
              key={value}
              minimal
              aria-pressed={layout === value}
              onClick={() => choose(value)}
            >
              {label}
            </Button>
          ))}
        </div>
      </header>
      {state.kind === 'loading' && (
        <p role="status" className="jp-nbtools-muted">
          {trans.__('Comparing…')}
        </p>
      )}
      {state.kind === 'failed' && (
        <div role="alert" className="jp-nbtools-Error">
          <p className="jp-nbtools-Error-title">{trans.__('Could not compare')}</p>
          <p className="jp-nbtools-Error-message">{state.error}</p>
        </div>
      )}
      {state.kind === 'ready' && (
        <NotebookDiffView
          diff={state.diff}
          trans={trans}
          layout={layout}
          notebooks={state.notebooks}
          anchors={anchors}
        >
          <ChangedCells diff={state.diff} anchors={anchors} trans={trans} />
        </NotebookDiffView>
      )}
    </div>
  );
}

/** The changed cells as links: each moves the focus to that cell's part of the diff. */
function ChangedCells({
  diff,
  anchors,
  trans
}: {
  diff: NotebookDiff;
  anchors: string;
  trans: TranslationBundle;
}): React.ReactElement | null {
  const changed = diff.cells.filter(cell => cell.status !== 'unchanged');
  if (changed.length === 0) {
    return null;
  }
  const jump = (id: string): void => {
    const target = document.getElementById(id);
    target?.scrollIntoView({ block: 'start' });
    target?.focus();
  };
  return (
    <nav aria-label={trans.__('Changed cells')} className="jp-nbtools-DiffPage-toc">
      <ul>
        {changed.map(cell => (
          <li key={cellDiffId(anchors, cell)} className={`jp-mod-${cell.status}`}>
            <button
              className="jp-nbtools-LinkButton"
              onClick={() => jump(cellDiffId(anchors, cell))}
            >
              {cellDiffTitle(cell, trans)}
            </button>
          </li>
        ))}
      </ul>
    </nav>
  );
}
