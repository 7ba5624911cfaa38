import type { TranslationBundle } from '@jupyterlab/translation';
import { Button, HTMLSelect, VDomRenderer } from '@jupyterlab/ui-components';
import type { Message } from '@lumino/messaging';
import * as React from 'react';

import type { Distribution, Snapshot } from '../api';
import { CommandIDs } from '../tokens';
import { formatTime } from './dates';
import type { EnvironmentModel, EnvironmentState } from './environmentModel';
import { LastRunBaseline } from './lineage';
import { Spinner } from './spinner';
import { WarningSign } from './warningSign';

const NO_BASELINE = '';

/**
 * The Environment section of the Production panel.
 */
export class EnvironmentView extends VDomRenderer<EnvironmentModel> {
  constructor(model: EnvironmentModel, trans: TranslationBundle) {
    super(model);
    this._trans = trans;
    this.addClass('jp-nbtools-Environment');
  }

  protected onAfterShow(msg: Message): void {
    super.onAfterShow(msg);
    this.model.visible = true;
    if (this.model.state.kind === 'idle') {
      void this.model.refresh();
    }
  }

  protected onAfterHide(msg: Message): void {
    super.onAfterHide(msg);
    this.model.visible = false;
  }

  protected render(): React.ReactElement {
    return <EnvironmentContent model={this.model} trans={this._trans} />;
  }

  private _trans: TranslationBundle;
}

function EnvironmentContent({
  model,
  trans
}: {
  model: EnvironmentModel;
  trans: TranslationBundle;
}): React.ReactElement {
  const state = model.state;
  switch (state.kind) {
    case 'no-kernel':
      return (
        <p className="jp-nbtools-Environment-message">
          {trans.__('Open a notebook with a kernel to see its environment.')}
        </p>
      );
    case 'idle':
    case 'loading':
      return (
        <p role="status" className="jp-nbtools-Environment-message">
          <Spinner />
          {trans.__('Capturing the environment of kernel %1…', model.kernel ?? '')}
        </p>
      );
    case 'failed':
      return (
        <div role="alert" className="jp-nbtools-Error" data-testid="nbtools-env-error">
          <p className="jp-nbtools-Error-title">{trans.__('Could not snapshot the environment')}</p>
          <p className="jp-nbtools-Error-message">{state.error.message}</p>
        </div>
      );
    case 'ready':
      return (
        <>
          <SnapshotFields snapshot={state.current} trans={trans} />
          <Drift model={model} state={state} trans={trans} />
          <div className="jp-nbtools-ButtonRow">
            <Button minimal onClick={() => void model.download('pylock', trans)}>
              {trans.__('Download pylock.toml')}
            </Button>
            <Button minimal onClick={() => void model.download('requirements', trans)}>
              {trans.__('Download requirements.txt')}
            </Button>
            <Button
              minimal
              title={trans.__(
                'Recreate snapshot %1 in a new virtual environment',
                model.recreateTarget?.short_id ?? ''
              )}
              onClick={() => void model.commands?.execute(CommandIDs.recreateEnvironment)}
            >
              {trans.__('Recreate…')}
            </Button>
          </div>
          {model.exportMessage && (
            <p role="status" className="jp-nbtools-Environment-message">
              {model.exporting && <Spinner />}
              {model.exportMessage}
            </p>
          )}
        </>
      );
  }
}

function SnapshotFields({
  snapshot,
  trans
}: {
  snapshot: Snapshot;
  trans: TranslationBundle;
}): React.ReactElement {
  const python = [snapshot.python.implementation, snapshot.python.version]
    .filter(Boolean)
    .join(' ');
  const broken = snapshot.distributions.filter(dist => dist.broken);
  const twice = snapshot.distributions.filter(dist => dist.duplicates.length > 1);
  return (
    <dl className="jp-nbtools-Status-fields" aria-label={trans.__('Kernel environment')}>
      <dt>{trans.__('Kernel')}</dt>
      <dd data-testid="nbtools-env-kernel">{snapshot.origin}</dd>
      <dt>{trans.__('Snapshot')}</dt>
      <dd title={snapshot.id} data-testid="nbtools-env-snapshot">
        {snapshot.short_id}
      </dd>
      <dt>{trans.__('Python')}</dt>
      <dd>{python || trans.__('unknown')}</dd>
      <dt>{trans.__('Packages')}</dt>
      <dd data-testid="nbtools-env-count">{snapshot.distributions.length}</dd>
      {broken.length > 0 && (
        <>
          <dt>{trans.__('Broken')}</dt>
          <dd className="jp-nbtools-Environment-broken">
            {broken.map(dist => `${dist.name}: ${dist.broken}`).join('; ')}
          </dd>
        </>
      )}
      {twice.length > 0 && (
        <>
          <dt className="jp-nbtools-Status-wide">{trans.__('Installed twice')}</dt>
          <dd className="jp-nbtools-Status-wide">
            <ul
              className="jp-nbtools-Environment-duplicates"
              aria-label={trans.__('Packages installed twice')}
            >
              {twice.map(dist => (
                <Duplicated key={dist.name} dist={dist} trans={trans} />
              ))}
            </ul>
          </dd>
        </>
      )}
    </dl>
  );
}

/** The last part of a path of the server's machine (`/` or `\\` separated). */
function baseName(path: string): string {
  return path.slice(Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\')) + 1);
}

/**
 * A distribution whose metadata directory is there twice (or more) in one directory: its
 * version is the one of the directory the kernel reads; its files may mix both versions.
 */
function Duplicated({
  dist,
  trans
}: {
  dist: Distribution;
  trans: TranslationBundle;
}): React.ReactElement {
  const [recorded, ...others] = dist.duplicates;
  const folder = recorded.slice(0, recorded.length - baseName(recorded).length - 1);
  return (
    <li>
      <WarningSign trans={trans} />
      <strong>{`${dist.name} ${dist.version ?? ''}`.trim()}</strong>{' '}
      {trans.__(
        '%1 holds %2 metadata directories of it: %3 (read by the kernel: its version is the one shown) and %4, so its files may mix their versions. Remove the directory of the version not wanted, then reinstall the other (pip install --force-reinstall %5==%6).',
        folder,
        dist.duplicates.length,
        baseName(recorded),
        others.map(baseName).join(', '),
        dist.name,
        dist.version ?? ''
      )}
    </li>
  );
}

function Drift({
  model,
  state,
  trans
}: {
  model: EnvironmentModel;
  state: Extract<EnvironmentState, { kind: 'ready' }>;
  trans: TranslationBundle;
}): React.ReactElement {
  const lines = state.diff?.lines ?? [];
  const lastRun = state.lastRun;
  const sinceRun = lastRun !== null && state.baseline === lastRun.snapshot.id;
  const others = state.others.filter(row => row.id !== lastRun?.snapshot.id);
  return (
    <div className="jp-nbtools-Environment-drift">
      {sinceRun && (
        <LastRunBaseline
          lastRun={lastRun}
          onOpen={id => model.openRun?.(id)}
          commands={model.commands}
          trans={trans}
        />
      )}
      {lastRun === null && (
        <p className="jp-nbtools-Environment-message" data-testid="nbtools-env-last-run">
          {trans.__('No successful run of this notebook recorded an environment yet.')}
        </p>
      )}
      <label className="jp-nbtools-Environment-compare">
        <span>{trans.__('Compare with')}</span>
        <HTMLSelect
          aria-label={trans.__('Snapshot to compare with')}
          value={state.baseline ?? NO_BASELINE}
          onChange={event => {
            const value = event.currentTarget.value;
            void model.compareWith(value === NO_BASELINE ? null : value);
          }}
        >
          <option value={NO_BASELINE}>{trans.__('(no other snapshot)')}</option>
          {lastRun && (
            <option value={lastRun.snapshot.id}>
              {trans.__('Last successful run %1 · %2', lastRun.run.id, lastRun.snapshot.short_id)}
            </option>
          )}
          {others.map(row => (
            <option key={row.id} value={row.id}>
              {`${row.short_id} · ${row.source} ${row.origin} · ${formatTime(row.captured_at)}`}
            </option>
          ))}
        </HTMLSelect>
      </label>
      {state.diff && (
        <>
          <p
            role="status"
            className={`jp-nbtools-Environment-summary${state.diff.empty ? '' : ' jp-mod-drift'}`}
            data-testid="nbtools-env-drift"
          >
            {state.diff.empty
              ? sinceRun
                ? trans.__('No drift since run %1', lastRun.run.id)
                : trans.__('No drift')
              : sinceRun
                ? trans.__('Drift since run %1: %2', lastRun.run.id, state.diff.summary)
                : trans.__('Drift: %1', state.diff.summary)}
          </p>
          {lines.length > 0 && (
            <ul className="jp-nbtools-Environment-changes" aria-label={trans.__('Differences')}>
              {lines.map(line => (
                <li key={line}>{line}</li>
              ))}
            </ul>
          )}
        </>
      )}
    </div>
  );
}
