import { Dialog, showDialog } from '@jupyterlab/apputils';
import type { TranslationBundle } from '@jupyterlab/translation';

import type { Job } from '../api';

/**
 * Ask whether to delete `job`, saying what goes with it and what stays.
 */
export async function confirmDelete(job: Job, trans: TranslationBundle): Promise<boolean> {
  const result = await showDialog({
    title: trans.__('Delete job "%1"?', job.name),
    body: trans.__(
      'The job is archived: it stops running and leaves the jobs list. Its runs, with their output notebooks and metrics, and its alert rules and alerts stay readable in the run history.'
    ),
    buttons: [
      Dialog.cancelButton({ label: trans.__('Keep the job') }),
      Dialog.warnButton({ label: trans.__('Delete') })
    ]
  });
  return result.button.accept;
}

/** Ask whether to close the job form and lose its unsaved edits. */
export async function confirmDiscard(trans: TranslationBundle): Promise<boolean> {
  const result = await showDialog({
    title: trans.__('Discard your edits?'),
    body: trans.__('The job form has changes that are not saved. Closing it loses them.'),
    buttons: [
      Dialog.cancelButton({ label: trans.__('Keep editing') }),
      Dialog.warnButton({ label: trans.__('Discard') })
    ]
  });
  return result.button.accept;
}
