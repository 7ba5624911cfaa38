import type { TranslationBundle } from '@jupyterlab/translation';
import type { CommandRegistry } from '@lumino/commands';
import * as React from 'react';

import type { LastRunEnvironment, LineageRun } from '../api';
import { CommandIDs } from '../tokens';
import { formatTime } from './dates';

/**
 * A button that reads as a link (it acts in JupyterLab, it navigates nowhere).
 */
export function LineageLink({
  label,
  title,
  onClick
}: {
  label: string;
  title: string;
  onClick: () => void;
}): React.ReactElement {
  return (
    <button type="button" className="jp-nbtools-LinkButton" title={title} onClick={onClick}>
      {label}
    </button>
  );
}

/**
 * "notebook version 3, environment 1f2e3d4c5b6a" of a run, each part a link:
 * the version opens in the Versions section, the snapshot in the Environment
 * section.
 */
export function RunLineageLine({
  run,
  commands,
  trans
}: {
  run: LineageRun;
  commands: CommandRegistry;
  trans: TranslationBundle;
}): React.ReactElement | null {
  const lineage = run.lineage;
  if (!lineage) {
    return null;
  }
  if (run.status === 'queued' || run.status === 'running') {
    return (
      <p className="jp-nbtools-Lineage">
        {trans.__('Notebook version and environment are recorded as the run ends.')}
      </p>
    );
  }
  const version = lineage.notebook_version;
  const environment = lineage.environment;
  return (
    <p className="jp-nbtools-Lineage" aria-label={trans.__('Lineage of run %1', run.id)}>
      {version === null ? (
        trans.__('no notebook version recorded')
      ) : version.stored && version.number !== null && version.path !== null ? (
        <LineageLink
          label={trans.__('notebook version %1', version.number)}
          title={trans.__(
            'Show version %1 (id %2) in the Versions section',
            version.number,
            version.id
          )}
          onClick={() =>
            void commands.execute(CommandIDs.showVersion, {
              path: version.path,
              number: version.number
            })
          }
        />
      ) : (
        trans.__('notebook version id %1 (no longer stored)', version.id)
      )}
      {version?.pinned ? ` ${trans.__('(pinned)')}` : ''}
      {', '}
      {environment === null ? (
        trans.__('no environment recorded')
      ) : (
        <LineageLink
          label={trans.__('environment %1', environment.short_id)}
          title={trans.__('Compare the kernel with this snapshot in the Environment section')}
          onClick={() => void commands.execute(CommandIDs.showSnapshot, { id: environment.id })}
        />
      )}
      {run.reproduce_of ? ` · ${trans.__('reproduces run %1', run.reproduce_of)}` : ''}
    </p>
  );
}

/**
 * Which run the Environment section compares with, linked to its output.
 */
export function LastRunBaseline({
  lastRun,
  onOpen,
  commands,
  trans
}: {
  lastRun: LastRunEnvironment;
  onOpen: (runId: number) => void;
  commands: CommandRegistry | null;
  trans: TranslationBundle;
}): React.ReactElement {
  const run = lastRun.run;
  const finished = formatTime(run.finished_at);
  return (
    <div data-testid="nbtools-env-last-run">
      <p className="jp-nbtools-Environment-message">
        {trans.__('Compared with the environment of the last successful run, ')}
        <LineageLink
          label={trans.__('run %1', run.id)}
          title={trans.__('Open the executed notebook of run %1', run.id)}
          onClick={() => onOpen(run.id)}
        />
        {finished ? ` (${finished})` : ''}
      </p>
      {commands && <RunLineageLine run={run} commands={commands} trans={trans} />}
    </div>
  );
}
