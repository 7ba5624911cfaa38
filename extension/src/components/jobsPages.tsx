import type { TranslationBundle } from '@jupyterlab/translation';
import { Button } from '@jupyterlab/ui-components';
import * as React from 'react';

import { useFocusHandover } from './focusHandover';

/**
 * The jobs dashboard's pages: Previous, where the page is (`26–27 of 27`), Next. Previous is
 * disabled on the first page and Next on the last: each then hands the keyboard focus to the
 * other, never to the page's body.
 */
export function JobsPages({
  offset,
  pageSize,
  total,
  go,
  trans
}: {
  /** The index of the page's first job. */
  offset: number;
  pageSize: number;
  /** How many jobs match. */
  total: number;
  /** Show the page whose first job is at `offset`. */
  go: (offset: number) => void;
  trans: TranslationBundle;
}): React.ReactElement {
  const nav = useFocusHandover<HTMLElement>([offset, total]);
  return (
    <nav ref={nav} className="jp-nbtools-Dashboard-pages" aria-label={trans.__('Pages of jobs')}>
      <Button minimal disabled={offset === 0} onClick={() => go(Math.max(0, offset - pageSize))}>
        {trans.__('Previous')}
      </Button>
      <span role="status">
        {total === 0
          ? trans.__('0 jobs')
          : trans.__('%1–%2 of %3', offset + 1, Math.min(offset + pageSize, total), total)}
      </span>
      <Button minimal disabled={offset + pageSize >= total} onClick={() => go(offset + pageSize)}>
        {trans.__('Next')}
      </Button>
    </nav>
  );
}
