import type { TranslationBundle } from '@jupyterlab/translation';
import { Button } from '@jupyterlab/ui-components';
import * as React from 'react';

import { addTarget, asError, listDeliveries, listTargets, removeTarget } from '../api';
import type { Delivery, NotificationEvent, NotificationTarget } from '../api';
import { useFieldRefusal } from './fieldRefusal';
import { useJobData } from './useJobData';
import { WarningSign } from './warningSign';

const EVENTS: NotificationEvent[] = ['failure', 'alert', 'success'];

/** A job's notification targets and its latest failed deliveries. */
async function loadNotifications(
  jobId: number
): Promise<{ targets: NotificationTarget[]; failed: Delivery[] }> {
  const [targets, failed] = await Promise.all([
    listTargets(jobId),
    listDeliveries({ job: jobId, status: 'failed', limit: 5 })
  ]);
  return { targets, failed };
}

interface INotificationsEditorProps {
  jobId: number;
  trans: TranslationBundle;
}

/**
 * Where a job's notifications go (webhook URL or e-mail addresses, and on
 * which events), with the deliveries that failed and why. A target never sent to (its
 * destination, stored by an older nbtools, fails today's check: its `problem`) carries a
 * warning saying why and what to do.
 */
export function NotificationsEditor({
  jobId,
  trans
}: INotificationsEditorProps): React.ReactElement {
  const { data, error, setError, reload } = useJobData(loadNotifications, jobId);
  const [channel, setChannel] = React.useState<NotificationTarget['channel']>('webhook');
  const [destination, setDestination] = React.useState('');
  const [events, setEvents] = React.useState<NotificationEvent[]>(['failure', 'alert']);
  // The server's refusal of the typed destination: under the field (useFieldRefusal).
  const { refuse, refuseIfAbout, field, fieldProps, line: refusalLine } = useFieldRefusal();
  const targets = data?.targets ?? [];
  const failed = data?.failed ?? [];

  const submit = async (event: React.FormEvent) => {
    event.preventDefault();
    setError(null);
    refuse(null);
    try {
      await addTarget(jobId, { channel, destination, events });
      setDestination('');
      // Add, pressed, is disabled with the field emptied: the field takes the focus for the next.
      field.current?.focus();
    } catch (reason) {
      if (!refuseIfAbout(reason, 'destination')) {
        setError(asError(reason).message);
      }
    }
    reload();
  };

  const remove = async (target: NotificationTarget) => {
    try {
      await removeTarget(target.id);
    } catch (reason) {
      setError(asError(reason).message);
    }
    reload();
  };

  const toggle = (name: NotificationEvent) =>
    setEvents(events.includes(name) ? events.filter(e => e !== name) : [...events, name]);

  return (
    <div className="jp-nbtools-Notifications">
      {targets.length > 0 && (
        <ul aria-label={trans.__('Notification targets')} className="jp-nbtools-RuleList">
          {targets.map(target => (
            <li key={target.id}>
              <code>{target.destination}</code>
              <span
                className="jp-nbtools-muted"
                title={trans.__('Fingerprint: the start of the SHA-256 of the whole destination')}
              >
                {target.fingerprint}
              </span>
              <span className="jp-nbtools-muted">{target.events.join(', ')}</span>
              <Button
                type="button"
                small
                className="jp-mod-styled jp-mod-warn"
                aria-label={trans.__(
                  'Remove notification target %1 (%2)',
                  target.destination,
                  target.fingerprint
                )}
                onClick={() => void remove(target)}
              >
                {trans.__('Remove')}
              </Button>
              {target.problem && (
                <p className="jp-nbtools-Rule-warning">
                  <WarningSign trans={trans} />
                  {trans.__('Never sent to: %1', target.problem)}
                </p>
              )}
            </li>
          ))}
        </ul>
      )}
      <form className="jp-nbtools-RuleForm" onSubmit={event => void submit(event)}>
        <select
          className="jp-mod-styled"
          aria-label={trans.__('Channel')}
          value={channel}
          onChange={event => setChannel(event.target.value as NotificationTarget['channel'])}
        >
          <option value="webhook">{trans.__('Webhook')}</option>
          <option value="email">{trans.__('E-mail')}</option>
        </select>
        <input
          ref={field}
          {...fieldProps}
          className="jp-mod-styled"
          aria-label={trans.__('Notification destination')}
          placeholder={channel === 'webhook' ? 'https://…' : 'name@example.org'}
          value={destination}
          onChange={event => {
            setDestination(event.target.value);
            refuse(null);
          }}
        />
        <Button
          type="submit"
          className="jp-mod-styled jp-mod-accept"
          disabled={!destination.trim() || events.length === 0}
        >
          {trans.__('Add')}
        </Button>
        {refusalLine}
      </form>
      <fieldset className="jp-nbtools-Notifications-events">
        <legend>{trans.__('Notify on')}</legend>
        {EVENTS.map(name => (
          <label key={name}>
            <input type="checkbox" checked={events.includes(name)} onChange={() => toggle(name)} />
            {name}
          </label>
        ))}
      </fieldset>
      {failed.length > 0 && (
        <ul aria-label={trans.__('Failed deliveries')} className="jp-nbtools-RuleList">
          {failed.map(delivery => (
            <li key={delivery.id} className="jp-nbtools-Rule-error">
              {trans.__(
                '%1 to %2 failed after %3 attempts: %4',
                delivery.event,
                delivery.destination,
                delivery.attempts,
                delivery.last_error ?? ''
              )}
            </li>
          ))}
        </ul>
      )}
      {error && (
        <p role="alert" className="jp-nbtools-Error">
          {error}
        </p>
      )}
    </div>
  );
}
