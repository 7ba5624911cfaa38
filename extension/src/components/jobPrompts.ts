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
      'The job stops running and leaves the jobs list, with its schedule, alert rules and notification targets. Its past runs stay readable in the run history, with their output notebooks and metrics.'
    ),
    buttons: [
      Dialog.cancelButton({ label: trans.__('Keep the job') }),
      Dialog.warnButton({ label: trans.__('Delete') })
    ]
  });
  return result.button.accept;
}
