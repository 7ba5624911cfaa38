import * as React from 'react';

import { asError } from '../api';

/**
 * Data of one job loaded with `load` (a stable, module-level function), the
 * last error, and `reload` to fetch it again after a change.
 */
export function useJobData<T>(
  load: (jobId: number) => Promise<T>,
  jobId: number
): {
  data: T | null;
  error: string | null;
  setError: (error: string | null) => void;
  reload: () => void;
} {
  const [data, setData] = React.useState<T | null>(null);
  const [error, setError] = React.useState<string | null>(null);
  const [version, setVersion] = React.useState(0);
  React.useEffect(() => {
    let live = true;
    load(jobId).then(
      found => live && setData(found),
      reason => live && setError(asError(reason).message)
    );
    return () => {
      live = false;
    };
  }, [load, jobId, version]);
  return { data, error, setError, reload: () => setVersion(v => v + 1) };
}
