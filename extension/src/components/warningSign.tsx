import type { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import { warningIcon } from '../icons';

/**
 * The sign before a warning: the theme's warning icon, read by screen readers as "Warning:"
 * (the icon itself is hidden from them).
 */
export function WarningSign({ trans }: { trans: TranslationBundle }): React.ReactElement {
  return (
    <>
      <span className="jp-nbtools-WarningSign" aria-hidden="true">
        <warningIcon.react tag="span" />
      </span>
      <span className="jp-nbtools-visuallyHidden">{trans.__('Warning:')} </span>
    </>
  );
}
