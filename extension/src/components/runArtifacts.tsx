import type { TranslationBundle } from '@jupyterlab/translation';
import { Button } from '@jupyterlab/ui-components';
import * as React from 'react';

import { asError, downloadRunArtifact, listServicePreviews } from '../api';
import type { Run, ServicePreview } from '../api';
import { saveBlob } from './download';

/** How long one list of the running previews serves every run row, in milliseconds. */
const PREVIEWS_TTL_MS = 5000;

let previews: { at: number; found: Promise<ServicePreview[]> } | null = null;

/** The running previews, read at most once per {@link PREVIEWS_TTL_MS} for all rows. */
function runningPreviews(): Promise<ServicePreview[]> {
  if (!previews || Date.now() - previews.at > PREVIEWS_TTL_MS) {
    previews = {
      at: Date.now(),
      found: listServicePreviews()
        .then(all => all.filter(preview => preview.state === 'ready'))
        .catch(() => [])
    };
  }
  return previews.found;
}

/** Whether a preview's `/info` names an artifact of run `runId` among those it loaded. */
function serves(preview: ServicePreview, runId: number): boolean {
  const loaded = preview.info?.artifacts;
  return (
    Array.isArray(loaded) &&
    loaded.some(
      artifact =>
        typeof artifact === 'object' &&
        artifact !== null &&
        (artifact as { run_id?: unknown }).run_id === runId
    )
  );
}

function size(bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit += 1;
  }
  return `${unit ? value.toFixed(1) : value} ${units[unit]}`;
}

/**
 * A run's artifacts with a download button each, and the running service
 * previews that loaded one of them ("served by").
 */
export function RunArtifacts({
  run,
  trans
}: {
  run: Run;
  trans: TranslationBundle;
}): React.ReactElement | null {
  const artifacts = run.artifacts ?? [];
  const [servedBy, setServedBy] = React.useState<ServicePreview[]>([]);
  const [error, setError] = React.useState<string | null>(null);
  const kept = artifacts.length > 0;
  React.useEffect(() => {
    let current = true;
    if (kept) {
      void runningPreviews().then(found => {
        if (current) {
          setServedBy(found.filter(preview => serves(preview, run.id)));
        }
      });
    }
    return () => {
      current = false;
    };
  }, [kept, run.id]);
  if (!kept) {
    return null;
  }
  const download = async (name: string) => {
    try {
      setError(null);
      saveBlob(name, await downloadRunArtifact(run.id, name));
    } catch (reason) {
      setError(asError(reason).message);
    }
  };
  return (
    <div className="jp-nbtools-RunArtifacts">
      <ul aria-label={trans.__('Artifacts of run %1', run.id)}>
        {artifacts.map(artifact => (
          <li key={artifact.name}>
            <Button
              small
              minimal
              title={trans.__('Download %1 (SHA-256 %2)', artifact.name, artifact.sha256)}
              onClick={() => void download(artifact.name)}
            >
              {`${artifact.name} (${size(artifact.size)})`}
            </Button>
          </li>
        ))}
      </ul>
      {servedBy.map(preview => (
        <p key={preview.id} data-testid="nbtools-run-served-by">
          {trans.__('Served by %1 (preview at %2)', preview.package, preview.url)}
        </p>
      ))}
      {error && <p className="jp-nbtools-Error-message">{error}</p>}
    </div>
  );
}
