import type { TranslationBundle } from '@jupyterlab/translation';
import { Button } from '@jupyterlab/ui-components';
import * as React from 'react';

import { Spinner } from './spinner';

/** The button that saves: the primary one (the form's submit), or Save (no run). */
export type SavedBy = 'primary' | 'save';

/**
 * The form's save, one at a time: `by` the button whose save is under way (for its
 * spinner), `busy()` true from `begin` until `end` (a failed save; a saved form closes).
 * `busy` reads a ref: the state is read by the next render only, so a second press in the
 * same turn (a double click, Enter pressed twice) would still see no save.
 */
export function useSaveOnce(): {
  by: SavedBy | null;
  busy: () => boolean;
  begin: (by: SavedBy) => void;
  end: () => void;
} {
  const [by, setBy] = React.useState<SavedBy | null>(null);
  const running = React.useRef(false);
  return {
    by,
    busy: () => running.current,
    begin: (button: SavedBy) => {
      running.current = true;
      setBy(button);
    },
    end: () => {
      running.current = false;
      setBy(null);
    }
  };
}

/**
 * The job form's buttons. The primary one (the form's submit) says what the form's mode
 * does: Create job or Save (recurring), Run now (one run, no job saved), Save and run now (a
 * job without a schedule). Such a job can also be saved without a run (Save), e.g. after a
 * change of its Keep runs. While a save is under way both are `aria-disabled`, not
 * `disabled`: the one pressed keeps the keyboard focus, and the form ignores presses.
 */
export function JobFormActions({
  editing,
  scheduled,
  saving,
  onSave,
  onCancel,
  trans
}: {
  /** Whether the form edits a saved job (else it makes a new one, or one run). */
  editing: boolean;
  scheduled: boolean;
  /** The button whose save is under way, if any. */
  saving: SavedBy | null;
  /** Save the job without starting a run. */
  onSave: () => void;
  onCancel: () => void;
  trans: TranslationBundle;
}): React.ReactElement {
  const primary = scheduled
    ? editing
      ? trans.__('Save')
      : trans.__('Create job')
    : editing
      ? trans.__('Save and run now')
      : trans.__('Run now');
  return (
    <div className="jp-nbtools-JobForm-actions">
      <Button type="submit" className="jp-mod-styled jp-mod-accept" aria-disabled={saving !== null}>
        {saving === 'primary' && <Spinner />}
        {primary}
      </Button>
      {editing && !scheduled && (
        <Button
          type="button"
          className="jp-mod-styled"
          aria-disabled={saving !== null}
          onClick={onSave}
        >
          {saving === 'save' && <Spinner />}
          {trans.__('Save')}
        </Button>
      )}
      <Button type="button" minimal onClick={onCancel}>
        {trans.__('Cancel')}
      </Button>
    </div>
  );
}
