import * as React from 'react';

/**
 * The busy indicator of an action that can take more than a moment (write
 * and test, a snapshot, a run being queued): a small spinning ring beside the
 * action's label or status text. Screen readers get the text, not the ring.
 */
export function Spinner(): React.ReactElement {
  return <span className="jp-nbtools-Spinner" aria-hidden="true" />;
}
