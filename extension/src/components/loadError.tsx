import type { TranslationBundle } from '@jupyterlab/translation';
import { Button } from '@jupyterlab/ui-components';
import * as React from 'react';

/**
 * Why a section or page could not load what it shows (its `title`, e.g.
 * "Could not load the jobs", and the server's `message`), in place of that
 * content: never beside an empty list or a count, which would claim there is
 * nothing when it is not known.
 */
export function LoadError({
  title,
  message
}: {
  title: string;
  message: string;
}): React.ReactElement {
  return (
    <div role="alert" className="jp-nbtools-Error">
      <p className="jp-nbtools-Error-title">{title}</p>
      <p className="jp-nbtools-Error-message">{message}</p>
    </div>
  );
}

/**
 * In place of a view's content, the server's refusal of its user (403): what it said
 * (`message`), the permission (`action`) to ask the server's administrator for, and Retry,
 * since the view stops asking the server (each refused request is entered in the audit
 * trail) until the user acts.
 */
export function Refused({
  action,
  message,
  onRetry,
  trans
}: {
  action: string;
  message: string;
  onRetry: () => void;
  trans: TranslationBundle;
}): React.ReactElement {
  return (
    <div role="alert" className="jp-nbtools-Error">
      <p className="jp-nbtools-Error-title">
        {trans.__('You need the %1 permission on nbtools to see this.', action)}
      </p>
      <p className="jp-nbtools-Error-message">{message}</p>
      <p>
        {trans.__(
          'This Jupyter server does not grant it to you, so this view stopped asking. Ask the administrator of the server for it, then retry.'
        )}
      </p>
      <Button className="jp-mod-styled" onClick={onRetry}>
        {trans.__('Retry')}
      </Button>
    </div>
  );
}
