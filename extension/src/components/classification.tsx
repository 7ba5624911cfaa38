import type { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import type { Classification } from '../api';

/** What each classification means, for the badge's tooltip. */
function meaning(classification: Classification, trans: TranslationBundle): string {
  switch (classification) {
    case 'public':
      return trans.__('Public: may be shared outside the organisation');
    case 'internal':
      return trans.__('Internal: for use inside the organisation');
    case 'personal':
      return trans.__('Personal data under the GDPR: only for its allowed purposes');
    case 'sensitive':
      return trans.__(
        'Special categories of personal data (GDPR art. 9): only for its allowed purposes'
      );
  }
}

/**
 * A dataset's classification as a badge: its name in words (never colour
 * alone), with a theme colour per level on its edge.
 */
export function ClassificationBadge({
  classification,
  trans
}: {
  classification: Classification;
  trans: TranslationBundle;
}): React.ReactElement {
  return (
    <span
      className={`jp-nbtools-Classification jp-mod-${classification}`}
      title={meaning(classification, trans)}
    >
      {classification}
    </span>
  );
}
