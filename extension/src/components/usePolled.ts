import * as React from 'react';

import { asError } from '../api';
import { Reloader } from './reloader';

/** How often polled data is loaded again, and whether it can be seen now. */
export interface IPolling {
  intervalMs: number;
  /** Whether the view is shown (a main-area tab behind another is not); stable. */
  shown: () => boolean;
}

/**
 * Data loaded with `load` now and, with `every`, again every `intervalMs`
 * while it can be seen: its view is `shown`, in a browser tab that is not
 * hidden (other turns are skipped, as is a turn while a load is under way:
 * see Reloader); `reload` loads again after a change: at once, or once the
 * load under way ends. A load the server refused (403) stops the turns until
 * `reload` (see Reloader.hold): `refused` names the action. `error` is the last
 * failure: a failed load's until a load succeeds, or what the view sets with
 * `setError` (an action's failure) until it sets another. `load` must be
 * stable (`React.useCallback`): a new one loads again, as a new query does.
 */
export function usePolled<T>(
  load: () => Promise<T>,
  every: IPolling | null
): {
  data: T | null;
  error: string | null;
  setError: (error: string | null) => void;
  reload: () => void;
  /** The action the server refused the user (403) on the last load, until one succeeds. */
  refused: string | null;
} {
  const [data, setData] = React.useState<T | null>(null);
  const [failure, setFailure] = React.useState<{
    message: string;
    ofLoad: boolean;
    refused?: string | null;
  } | null>(null);
  const loads = React.useRef<Reloader | null>(null);
  const intervalMs = every?.intervalMs;
  const shown = every?.shown;
  React.useEffect(() => {
    let live = true;
    const current = new Reloader(() =>
      load().then(
        found => {
          if (live) {
            setData(found);
            setFailure(current => (current?.ofLoad ? null : current));
          }
        },
        reason => {
          const refused = current.hold(reason);
          if (live) {
            setFailure({ message: asError(reason).message, ofLoad: true, refused });
          }
        }
      )
    );
    loads.current = current;
    current.poll();
    const timer =
      shown === undefined
        ? undefined
        : window.setInterval(() => document.hidden || !shown() || current.poll(), intervalMs);
    return () => {
      live = false;
      current.stop();
      window.clearInterval(timer);
    };
  }, [load, intervalMs, shown]);
  const setError = React.useCallback(
    (message: string | null) => setFailure(message === null ? null : { message, ofLoad: false }),
    []
  );
  const reload = React.useCallback(() => void loads.current?.reload(), []);
  const refused = failure?.refused ?? null;
  return { data, error: failure?.message ?? null, setError, reload, refused };
}
