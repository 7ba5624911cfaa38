import type { TranslationBundle } from '@jupyterlab/translation';
import { Button, VDomRenderer } from '@jupyterlab/ui-components';
import type { Message } from '@lumino/messaging';
import * as React from 'react';

import type { AlertsModel, AlertsState } from './alertsModel';
import { formatTime } from './dates';
import { useFocusAfterRemoval } from './focusHandover';
import { LoadError, Refused } from './loadError';

/** How often a visible Alerts section asks the server again. */
const POLL_MS = 5_000;

/**
 * Open alerts with an Acknowledge button each; refreshed while visible.
 */
export class AlertsView extends VDomRenderer<AlertsModel> {
  constructor(model: AlertsModel, trans: TranslationBundle) {
    super(model);
    this._trans = trans;
    this.addClass('jp-nbtools-Alerts');
  }

  protected onAfterAttach(msg: Message): void {
    super.onAfterAttach(msg);
    // Poll while attached, asking only when the section can be seen (shown, in a browser
    // tab that is not hidden), and not while the last question is unanswered.
    this._timer = window.setInterval(() => {
      if (this.isVisible && !document.hidden) {
        this.model.poll();
      }
    }, POLL_MS);
  }

  protected onBeforeDetach(msg: Message): void {
    window.clearInterval(this._timer);
    super.onBeforeDetach(msg);
  }

  protected onAfterShow(msg: Message): void {
    super.onAfterShow(msg);
    void this.model.refresh();
  }

  dispose(): void {
    window.clearInterval(this._timer);
    super.dispose();
  }

  protected render(): React.ReactElement {
    return (
      <AlertList
        state={this.model.state}
        actionError={this.model.actionError}
        onAcknowledge={id => void this.model.acknowledge(id)}
        onRetry={() => void this.model.refresh()}
        trans={this._trans}
      />
    );
  }

  private _trans: TranslationBundle;
  private _timer = 0;
}

interface IAlertListProps {
  state: AlertsState;
  actionError: string | null;
  onAcknowledge: (alertId: number) => void;
  /** Load again (a refused load's Retry). */
  onRetry: () => void;
  trans: TranslationBundle;
}

/**
 * A list of alerts, each with its Acknowledge button. An acknowledged alert leaves the list:
 * the focus, lost with its button, goes to the Acknowledge button of the alert now in its
 * place, else of the one before it, else to the words saying no alert is open.
 */
export function AlertList({
  state,
  actionError,
  onAcknowledge,
  onRetry,
  trans
}: IAlertListProps): React.ReactElement {
  const box = React.useRef<HTMLDivElement>(null);
  const removing = useFocusAfterRemoval(
    state.kind === 'ready' ? state.alerts.map(alert => alert.id) : [],
    '.jp-nbtools-AlertList > li',
    '.jp-nbtools-AlertList-empty'
  );
  if (state.kind === 'idle' || state.kind === 'loading') {
    return <p className="jp-nbtools-muted">{trans.__('Loading alerts…')}</p>;
  }
  if (state.kind === 'failed' && state.refused !== null) {
    return (
      <Refused
        action={state.refused}
        message={state.error.message}
        onRetry={onRetry}
        trans={trans}
      />
    );
  }
  if (state.kind === 'failed') {
    return (
      <LoadError title={trans.__('Could not load the alerts')} message={state.error.message} />
    );
  }
  return (
    <div ref={box}>
      {actionError && (
        <p role="alert" className="jp-nbtools-Error">
          {actionError}
        </p>
      )}
      {state.alerts.length === 0 ? (
        <p className="jp-nbtools-muted jp-nbtools-AlertList-empty" tabIndex={-1}>
          {trans.__('No open alerts.')}
        </p>
      ) : (
        <ul className="jp-nbtools-AlertList" aria-label={trans.__('Open alerts')}>
          {state.alerts.map((alert, index) => (
            <li key={alert.id} className="jp-nbtools-AlertItem">
              <p className="jp-nbtools-AlertItem-message">{alert.message}</p>
              <p className="jp-nbtools-AlertItem-meta">
                {alert.run_id === null
                  ? trans.__('Job %1 · rule %2', alert.job_id, alert.rule)
                  : trans.__('Job %1 · run %2 · rule %3', alert.job_id, alert.run_id, alert.rule)}
                {' · '}
                <time dateTime={alert.created_at}>{formatTime(alert.created_at)}</time>
              </p>
              <Button
                minimal
                type="button"
                small

                aria-label={trans.__('Acknowledge alert %1', alert.id)}
                onClick={() => {
                  if (box.current) {
                    removing({ key: alert.id, index, within: box.current });
                  }
                  onAcknowledge(alert.id);
                }}
              >
                {trans.__('Acknowledge')}
              </Button>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
