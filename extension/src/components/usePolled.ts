import * as React from 'react';

import { asError } from '../api';

/**
 * Data loaded with `load` now and, with `intervalMs`, again every
 * `intervalMs` while the page is visible (a hidden browser tab skips those
 * turns); `reload` loads again at once after a change. `error` is the last
 * failure: a failed load's until a load succeeds, or what the view sets with
 * `setError` (an action's failure) until it sets another. `load` must be
 * stable (`React.useCallback`): a new one loads again, as a new query does.
 */
export function usePolled<T>(
  load: () => Promise<T>,
  intervalMs: number | null
): {
  data: T | null;
  error: string | null;
  setError: (error: string | null) => void;
  reload: () => void;
} {
  const [data, setData] = React.useState<T | null>(null);
  const [failure, setFailure] = React.useState<{ message: string; ofLoad: boolean } | null>(null);
  const [version, setVersion] = React.useState(0);
  React.useEffect(() => {
    let live = true;
    const poll = (): void => {
      load().then(
        found => {
          if (live) {
            setData(found);
            setFailure(current => (current?.ofLoad ? null : current));
          }
        },
        reason => live && setFailure({ message: asError(reason).message, ofLoad: true })
      );
    };
    poll();
    const timer =
      intervalMs === null
        ? undefined
        : window.setInterval(() => document.hidden || poll(), intervalMs);
    return () => {
      live = false;
      window.clearInterval(timer);
    };
  }, [load, intervalMs, version]);
  const setError = React.useCallback(
    (message: string | null) => setFailure(message === null ? null : { message, ofLoad: false }),
    []
  );
  const reload = React.useCallback(() => setVersion(v => v + 1), []);
  return { data, error: failure?.message ?? null, setError, reload };
}
