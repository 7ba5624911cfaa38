import { Dialog, showDialog } from '@jupyterlab/apputils';
import type { NotebookPanel } from '@jupyterlab/notebook';
import type { TranslationBundle } from '@jupyterlab/translation';

/**
 * Before an action that reads a notebook's saved file (a package write, a run): when the
 * notebook has unsaved changes, ask whether to save them first, saying why (`why`), with
 * `accept` as the label of the button that saves and goes on. `true` once the notebook is
 * saved or had nothing to save; `false` when the user cancels (nothing is saved).
 */
export async function savedFirst(
  notebook: NotebookPanel,
  why: string,
  accept: string,
  trans: TranslationBundle
): Promise<boolean> {
  if (!notebook.model?.dirty) {
    return true;
  }
  const result = await showDialog({
    title: trans.__('Save the notebook first?'),
    body: trans.__('%1 has unsaved changes. %2', notebook.context.path, why),
    buttons: [
      Dialog.cancelButton({ label: trans.__('Cancel') }),
      Dialog.okButton({ label: accept })
    ]
  });
  if (!result.button.accept) {
    return false;
  }
  await notebook.context.save();
  return true;
}
