import type { TranslationBundle } from '@jupyterlab/translation';
import { Button, HTMLSelect, VDomRenderer } from '@jupyterlab/ui-components';
import type { Message } from '@lumino/messaging';
import * as React from 'react';

import type { Version, VersionReference } from '../api';
import { formatTime } from './dates';
import { keepingFocus } from './focusHandover';
import { Spinner } from './spinner';
import type { CompareMode, VersionsModel } from './versionsModel';
import { LoadError } from './loadError';

/**
 * The Versions section of the Production panel: the active notebook's
 * history, the selected version's diff (opened in the main area), restore and open-as-copy.
 */
export class VersionsView extends VDomRenderer<VersionsModel> {
  /**
   * @param open opens a version's diff, and what uses a version, in the main area.
   */
  constructor(model: VersionsModel, trans: TranslationBundle, open: IVersionOpeners) {
    super(model);
    this._trans = trans;
    this._open = open;
    this.addClass('jp-nbtools-Versions');
  }

  protected onAfterShow(msg: Message): void {
    super.onAfterShow(msg);
    void this.model.refresh();
  }

  protected render(): React.ReactElement {
    return <VersionsContent model={this.model} trans={this._trans} open={this._open} />;
  }

  private _trans: TranslationBundle;
  private _open: IVersionOpeners;
}

/** What the section opens in the main area. */
export interface IVersionOpeners {
  /** The diff of the followed notebook from reference `a` to `b`. */
  diff(a: string, b: string): void;
  /** What uses a version: a run's output, a job's page, a package's folder. */
  reference(reference: VersionReference): void;
}

function VersionsContent({
  model,
  trans,
  open
}: {
  model: VersionsModel;
  trans: TranslationBundle;
  open: IVersionOpeners;
}): React.ReactElement {
  const state = model.history;
  switch (state.kind) {
    case 'no-notebook':
      return (
        <p className="jp-nbtools-Versions-message">
          {trans.__('Open a notebook to see its versions.')}
        </p>
      );
    case 'loading':
      return (
        <p role="status" className="jp-nbtools-Versions-message">
          {trans.__('Loading versions…')}
        </p>
      );
    case 'failed':
      return (
        <LoadError title={trans.__('Could not load the versions')} message={state.error.message} />
      );
    case 'ready': {
      const { versions, failure } = state.history;
      return (
        <>
          {failure && (
            <div role="alert" className="jp-nbtools-Error" data-testid="nbtools-versions-failure">
              <p className="jp-nbtools-Error-title">
                {trans.__('The last save was not recorded as a version')}
              </p>
              <p className="jp-nbtools-Error-message">{failure.message}</p>
            </div>
          )}
          {model.actionError && (
            <p role="alert" className="jp-nbtools-Versions-notice jp-mod-error">
              {model.actionError}
            </p>
          )}
          {versions.length === 0 ? (
            <p className="jp-nbtools-Versions-message">
              {trans.__('No versions yet: every save records one.')}
            </p>
          ) : (
            <ol className="jp-nbtools-Versions-list" aria-label={trans.__('Versions')}>
              {versions.map(version => (
                <VersionRow
                  key={version.id}
                  model={model}
                  version={version}
                  trans={trans}
                  open={open}
                />
              ))}
            </ol>
          )}
        </>
      );
    }
  }
}

interface IVersionProps {
  model: VersionsModel;
  version: Version;
  trans: TranslationBundle;
  open: IVersionOpeners;
}

/** A version's details: also the row's button, where their actions leave the focus. */
interface IVersionDetailsProps extends IVersionProps {
  row: React.RefObject<HTMLButtonElement>;
}

function VersionRow(props: IVersionProps): React.ReactElement {
  const { model, version, trans } = props;
  const selected = model.selected?.id === version.id;
  const mark = version.kind === 'named' ? '★ ' : version.kind === 'restore' ? '↺ ' : '';
  const row = React.useRef<HTMLButtonElement>(null);
  return (
    <li className={`jp-nbtools-Versions-item${selected ? ' jp-mod-selected' : ''}`}>
      <button
        ref={row}
        className="jp-nbtools-Versions-row"
        aria-pressed={selected}
        aria-label={trans.__('Version %1', version.number)}
        onClick={() => model.select(version.number)}
      >
        <span className="jp-nbtools-Versions-number">{`v${version.number}`}</span>
        <span className="jp-nbtools-Versions-when">{formatTime(version.created_at)}</span>
        <span className="jp-nbtools-Versions-message-text">{mark + (version.message ?? '')}</span>
        <span className="jp-nbtools-Versions-facts">
          {trans._n('%1 cell changed', '%1 cells changed', version.cells_changed)}
          {` · ${size(version.size)} · ${version.user}`}
          {version.references?.length
            ? ` · ${trans.__('used by %1', usedBy(version.references, trans))}`
            : ''}
        </span>
      </button>
      {selected && <VersionDetails {...props} row={row} />}
    </li>
  );
}

function VersionDetails({
  model,
  version,
  trans,
  open,
  row
}: IVersionDetailsProps): React.ReactElement {
  const refs = model.comparedRefs;
  const references = version.references ?? [];
  return (
    <div className="jp-nbtools-Versions-details">
      {references.length > 0 && (
        <div className="jp-nbtools-Versions-usedBy">
          <span>{trans.__('Used by')}</span>
          <ul aria-label={trans.__('What uses version %1', version.number)}>
            {references.map(reference => (
              <li key={`${reference.kind} ${reference.ref}`}>
                <Button
                  minimal
                  small
                  disabled={!openable(reference)}
                  title={referenceTitle(reference, trans)}
                  onClick={() => open.reference(reference)}
                >
                  {referenceLabel(reference, trans)}
                </Button>
              </li>
            ))}
          </ul>
        </div>
      )}
      <label className="jp-nbtools-Versions-compare">
        <span>{trans.__('Compare with')}</span>
        <HTMLSelect
          aria-label={trans.__('Compare the version with')}
          value={model.compare}
          onChange={event => model.setCompare(event.currentTarget.value as CompareMode)}
        >
          <option value="previous">{trans.__('the previous version')}</option>
          <option value="disk">{trans.__('the notebook file now')}</option>
        </HTMLSelect>
      </label>
      {refs === null && (
        <p className="jp-nbtools-Versions-message">{trans.__('This is the first version.')}</p>
      )}
      <div className="jp-nbtools-ButtonRow">
        {refs !== null && (
          <Button
            className="jp-mod-styled jp-mod-accept"
            title={trans.__('Open the diff of version %1 in a tab', version.number)}
            onClick={() => open.diff(...refs)}
          >
            {trans.__('Show diff')}
          </Button>
        )}
        {/* Both are disabled while they act, and Restore closes the details. */}
        <Button
          minimal
          disabled={model.busy}
          onClick={() => void keepingFocus(row, () => model.restore(version))}
        >
          {trans.__('Restore')}
        </Button>
        <Button
          disabled={model.busy}
          minimal
          onClick={() => void keepingFocus(row, () => model.openCopy(version))}
        >
          {trans.__('Open copy')}
        </Button>
        {model.busy && <Spinner />}
      </div>
    </div>
  );
}

/** What uses a version, counted: `2 runs, a package`. */
function usedBy(references: VersionReference[], trans: TranslationBundle): string {
  const count = (kind: string): number => references.filter(r => r.kind === kind).length;
  const parts = [
    [count('extraction'), trans._n('%1 package', '%1 packages', count('extraction'))],
    [count('job'), trans._n('%1 job', '%1 jobs', count('job'))],
    [count('run'), trans._n('%1 run', '%1 runs', count('run'))]
  ] as const;
  return parts
    .filter(([n]) => n > 0)
    .map(([, text]) => text)
    .join(', ');
}

function referenceLabel(reference: VersionReference, trans: TranslationBundle): string {
  switch (reference.kind) {
    case 'run':
      return trans.__('run %1', reference.ref);
    case 'job':
      return trans.__('job %1', reference.ref);
    default:
      return trans.__('package %1', reference.ref);
  }
}

function referenceTitle(reference: VersionReference, trans: TranslationBundle): string {
  switch (reference.kind) {
    case 'run':
      return trans.__('Open the output notebook of run %1', reference.ref);
    case 'job':
      return trans.__('Open the page of job %1 (it runs this version)', reference.ref);
    default:
      return openable(reference)
        ? trans.__('Show the package %1 in the file browser', reference.ref)
        : trans.__('The package %1 is outside the project', reference.ref);
  }
}

/** Whether the section can open it: a package outside the project root cannot be shown. */
function openable(reference: VersionReference): boolean {
  return reference.kind !== 'extraction' || !/^(\/|sha256:)/.test(reference.ref);
}

function size(bytes: number): string {
  if (bytes < 1024) {
    return `${bytes} B`;
  }
  const units = ['KiB', 'MiB', 'GiB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value.toFixed(1)} ${units[unit]}`;
}
