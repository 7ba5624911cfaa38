import type { TranslationBundle } from '@jupyterlab/translation';
import { Button } from '@jupyterlab/ui-components';
import * as React from 'react';

import { addRule, asError, listRules, removeRule } from '../api';
import type { AlertRule, LatestRunCheck } from '../api';
import { useFieldRefusal } from './fieldRefusal';
import { useJobData } from './useJobData';

/**
 * What a rule says of its job's latest finished run: a rule just added shows
 * at once whether it would fire there.
 */
function LatestRun({
  check,
  trans
}: {
  check: LatestRunCheck;
  trans: TranslationBundle;
}): React.ReactElement {
  switch (check.result) {
    case 'fires':
      return check.alert_id !== null ? (
        <p className="jp-nbtools-Rule-note">
          {trans.__('Fired on run %1, the latest (alert %2).', check.run_id, check.alert_id)}
        </p>
      ) : (
        <p className="jp-nbtools-Rule-warning">
          {trans.__('Fires on run %1, the latest: %2', check.run_id, check.message ?? '')}
        </p>
      );
    case 'error':
      return (
        <p className="jp-nbtools-Rule-error">
          {trans.__(
            'Cannot be evaluated on run %1, the latest: %2',
            check.run_id,
            check.message ?? ''
          )}
        </p>
      );
    default:
      return (
        <p className="jp-nbtools-Rule-note">
          {trans.__('Quiet on run %1, the latest.', check.run_id)}
        </p>
      );
  }
}

interface IRulesEditorProps {
  jobId: number;
  /** The job's latest finished run as its charts show it: a newer one reloads the rules. */
  latestRunId: number | null;
  trans: TranslationBundle;
}

/**
 * A job's alert rules: the list (with the last evaluation error of each, or
 * why it may never fire, or what it says of the latest finished run), a
 * text field to add one (`accuracy < 0.9`, `accuracy drops > 5%`, `failed`,
 * ...) and a Remove button per rule.
 */
export function RulesEditor({ jobId, latestRunId, trans }: IRulesEditorProps): React.ReactElement {
  const { data: rules, error, setError, reload } = useJobData(listRules, jobId);
  const [text, setText] = React.useState('');
  // The server's refusal of the typed rule: under the field (useFieldRefusal).
  const { refuse, refuseIfAbout, field, fieldProps, line: refusalLine } = useFieldRefusal();
  // What each rule says of the latest run is read again once a newer run has finished.
  const readAt = React.useRef(latestRunId);
  React.useEffect(() => {
    if (readAt.current !== latestRunId) {
      readAt.current = latestRunId;
      reload();
    }
  }, [latestRunId, reload]);

  const submit = async (event: React.FormEvent) => {
    event.preventDefault();
    setError(null);
    refuse(null);
    try {
      await addRule(jobId, text);
      setText('');
      // Add rule, pressed, is disabled with the field emptied: the field takes the focus.
      field.current?.focus();
      reload();
    } catch (reason) {
      if (!refuseIfAbout(reason, 'text')) {
        setError(asError(reason).message);
      }
    }
  };

  const remove = async (rule: AlertRule) => {
    setError(null);
    try {
      await removeRule(rule.id);
    } catch (reason) {
      setError(asError(reason).message);
    }
    reload();
  };

  return (
    <div className="jp-nbtools-Rules">
      {rules !== null && rules.length === 0 && (
        <p className="jp-nbtools-muted">{trans.__('No alert rules.')}</p>
      )}
      {rules !== null && rules.length > 0 && (
        <ul aria-label={trans.__('Alert rules')} className="jp-nbtools-RuleList">
          {rules.map(rule => (
            <li key={rule.id}>
              <code>{rule.text}</code>
              <Button
                type="button"
                small
                className="jp-mod-styled jp-mod-warn"
                aria-label={trans.__('Remove rule %1', rule.text)}
                onClick={() => void remove(rule)}
              >
                {trans.__('Remove')}
              </Button>
              {rule.last_error && (
                <p className="jp-nbtools-Rule-error">
                  {trans.__('Could not be evaluated: %1', rule.last_error)}
                </p>
              )}
              {!rule.last_error && rule.warning && (
                <p className="jp-nbtools-Rule-warning">
                  {trans.__('May never fire: %1', rule.warning)}
                </p>
              )}
              {!rule.last_error && !rule.warning && rule.latest_run && (
                <LatestRun check={rule.latest_run} trans={trans} />
              )}
            </li>
          ))}
        </ul>
      )}
      <form className="jp-nbtools-RuleForm" onSubmit={event => void submit(event)}>
        <input
          ref={field}
          {...fieldProps}
          className="jp-mod-styled"
          aria-label={trans.__('New alert rule')}
          placeholder={trans.__('e.g. accuracy < 0.9')}
          title={trans.__(
            'An alert rule, e.g. accuracy < 0.9, accuracy drops > 5% over 5, failed, late 26h'
          )}
          value={text}
          onChange={event => {
            setText(event.target.value);
            refuse(null);
          }}
        />
        <Button type="submit" className="jp-mod-styled jp-mod-accept" disabled={!text.trim()}>
          {trans.__('Add rule')}
        </Button>
        {refusalLine}
      </form>
      {error && (
        <p role="alert" className="jp-nbtools-Error">
          {error}
        </p>
      )}
    </div>
  );
}
