import type { TranslationBundle } from '@jupyterlab/translation';
import { Button, HTMLSelect, VDomModel, VDomRenderer } from '@jupyterlab/ui-components';
import type { Message } from '@lumino/messaging';
import * as React from 'react';

import { diffSnapshots, exportSnapshot, listSnapshots, takeSnapshot } from '../api';
import type { ExportFormat, Snapshot, SnapshotDiff, SnapshotSummary } from '../api';
import { saveBlob } from './download';

/**
 * What the Environment section shows for the active notebook's kernel.
 */
export type EnvironmentState =
  | { readonly kind: 'no-kernel' }
  | { readonly kind: 'idle' }
  | { readonly kind: 'loading' }
  | { readonly kind: 'failed'; readonly error: Error }
  | {
      readonly kind: 'ready';
      readonly current: Snapshot;
      readonly others: SnapshotSummary[];
      readonly baseline: string | null;
      readonly diff: SnapshotDiff | null;
    };

const NO_BASELINE = '';

/**
 * The kernel's current snapshot, the snapshot it is compared with, and exports.
 */
export class EnvironmentModel extends VDomModel {
  get kernel(): string | null {
    return this._kernel;
  }

  get state(): EnvironmentState {
    return this._state;
  }

  /** A line about the last export (or its failure), for a status message. */
  get exportMessage(): string | null {
    return this._exportMessage;
  }

  /** Set by the view: refresh automatically while the section is visible. */
  visible = false;

  /**
   * Follow another kernel (`null`: no notebook or no kernel).
   */
  setKernel(kernel: string | null): void {
    if (kernel === this._kernel) {
      return;
    }
    this._kernel = kernel;
    this._exportMessage = null;
    this._setState(kernel === null ? { kind: 'no-kernel' } : { kind: 'idle' });
    if (kernel !== null && this.visible) {
      void this.refresh();
    }
  }

  /**
   * Capture the kernel's environment now and compare it with the chosen
   * snapshot (by default the most recently seen other one).
   */
  async refresh(): Promise<void> {
    const kernel = this._kernel;
    if (kernel === null) {
      return;
    }
    const chosen = this._state.kind === 'ready' ? this._state.baseline : null;
    await this._load(async () => {
      const current = await takeSnapshot(kernel);
      const others = (await listSnapshots()).filter(row => row.id !== current.id);
      const baseline =
        chosen !== null && others.some(row => row.id === chosen) ? chosen : (others[0]?.id ?? null);
      const diff = baseline === null ? null : await diffSnapshots(baseline, current.id);
      return { kind: 'ready', current, others, baseline, diff };
    });
  }

  /**
   * Compare the current snapshot with another one (`null`: with none).
   */
  async compareWith(baseline: string | null): Promise<void> {
    const state = this._state;
    if (state.kind !== 'ready') {
      return;
    }
    await this._load(async () => ({
      ...state,
      baseline,
      diff: baseline === null ? null : await diffSnapshots(baseline, state.current.id)
    }));
  }

  /**
   * Fetch the current snapshot as a file and hand it to the browser.
   */
  async download(format: ExportFormat, trans: TranslationBundle): Promise<void> {
    if (this._state.kind !== 'ready') {
      return;
    }
    this._exportMessage = trans.__(
      'Preparing %1…',
      format === 'pylock' ? 'pylock.toml' : 'requirements.txt'
    );
    this.stateChanged.emit(undefined);
    try {
      const exported = await exportSnapshot(this._state.current.id, format);
      saveFile(exported.filename, exported.content);
      const skipped = exported.unlocked.map(item => `${item.name} (${item.reason})`).join(', ');
      this._exportMessage = skipped
        ? trans.__('Downloaded %1; not locked: %2', exported.filename, skipped)
        : trans.__('Downloaded %1', exported.filename);
    } catch (reason) {
      this._exportMessage = trans.__('Export failed: %1', asError(reason).message);
    }
    this.stateChanged.emit(undefined);
  }

  private async _load(work: () => Promise<EnvironmentState>): Promise<void> {
    const request = ++this._request;
    this._setState({ kind: 'loading' });
    let next: EnvironmentState;
    try {
      next = await work();
    } catch (reason) {
      next = { kind: 'failed', error: asError(reason) };
    }
    if (request === this._request && !this.isDisposed) {
      this._setState(next);
    }
  }

  private _setState(state: EnvironmentState): void {
    this._state = state;
    this.stateChanged.emit(undefined);
  }

  private _kernel: string | null = null;
  private _state: EnvironmentState = { kind: 'no-kernel' };
  private _exportMessage: string | null = null;
  private _request = 0;
}

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
          <div className="jp-nbtools-Environment-exports">
            <Button onClick={() => void model.download('pylock', trans)}>
              {trans.__('Download pylock.toml')}
            </Button>
            <Button onClick={() => void model.download('requirements', trans)}>
              {trans.__('Download requirements.txt')}
            </Button>
          </div>
          {model.exportMessage && (
            <p role="status" className="jp-nbtools-Environment-message">
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
    </dl>
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
  return (
    <div className="jp-nbtools-Environment-drift">
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
          {state.others.map(row => (
            <option key={row.id} value={row.id}>
              {`${row.short_id} · ${row.source} ${row.origin} · ${(row.captured_at ?? row.created_at).slice(0, 16).replace('T', ' ')}`}
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
            {state.diff.empty ? trans.__('No drift') : trans.__('Drift: %1', state.diff.summary)}
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

function asError(reason: unknown): Error {
  return reason instanceof Error ? reason : new Error(String(reason));
}

/**
 * Offer `content` to the browser as a download named `filename`.
 */
function saveFile(filename: string, content: string): void {
  saveBlob(filename, new Blob([content], { type: 'text/plain;charset=utf-8' }));
}
