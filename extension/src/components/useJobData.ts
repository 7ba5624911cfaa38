import * as React from 'react';

import { usePolled } from './usePolled';

/**
 * Data of one job loaded once with `load` (a stable, module-level function),
 * the last error, and `reload` to fetch it again after a change.
 */
export function useJobData<T>(
  load: (jobId: number) => Promise<T>,
  jobId: number
): ReturnType<typeof usePolled<T>> {
  return usePolled(
    React.useCallback(() => load(jobId), [load, jobId]),
    null
  );
}
