import { Dialog, showDialog } from '@jupyterlab/apputils';
import type { TranslationBundle } from '@jupyterlab/translation';

import { someFiles } from './packageConflicts';
import { savedFirst } from './savePrompt';
import type { IFileConflict, IOwnedPackage } from './packageConflicts';
import type { IWizardPrompts } from './productionizeModel';

/**
 * The Productionize wizard's confirmations, as JupyterLab dialogs.
 */
export function wizardPrompts(trans: TranslationBundle): IWizardPrompts {
  return {
    saveFirst: notebook =>
      savedFirst(
        notebook,
        trans.__(
          'The package is written from the saved notebook, and the version it records is the one you save now.'
        ),
        trans.__('Save and write'),
        trans
      ),
    async replacePackage(owned: IOwnedPackage): Promise<boolean> {
      const where = owned.output || trans.__('next to the notebook');
      if (owned.gone) {
        const result = await showDialog({
          title: trans.__('Update the package of %1?', owned.notebook),
          body: trans.__(
            '%1 no longer exists, and the output directory %2 holds its package. If this notebook is %1 renamed or moved, that package is updated from it (files edited by hand are kept as .orig). Otherwise, go back to Options and choose another output directory.',
            owned.notebook,
            where
          ),
          buttons: [
            Dialog.cancelButton({ label: trans.__('Cancel') }),
            Dialog.okButton({ label: trans.__('Update it') })
          ]
        });
        return result.button.accept;
      }
      const result = await showDialog({
        title: trans.__('Replace the package of %1?', owned.notebook),
        body: trans.__(
          "The output directory %1 holds the package written from %2. Replacing it deletes that package's files (files edited by hand are kept as .orig). To keep it, go back to Options and choose another output directory.",
          where,
          owned.notebook
        ),
        buttons: [
          Dialog.cancelButton({ label: trans.__('Keep it') }),
          Dialog.warnButton({ label: trans.__('Replace') })
        ]
      });
      return result.button.accept;
    },
    async writeOver(conflict: IFileConflict): Promise<boolean> {
      const where = conflict.output || trans.__('next to the notebook');
      const files = someFiles(conflict.files, trans);
      const edited = conflict.kind === 'edited';
      const result = await showDialog({
        title: edited
          ? trans.__('Write over files edited by hand?')
          : trans.__('Write into a folder with other files?'),
        body: edited
          ? trans.__(
              'These files of the package in %1 were edited since nbtools wrote them: %2. Writing replaces them with what the notebook generates, and keeps each edited file beside it as <name>.orig. To keep a change in the package, move it into the notebook.',
              where,
              files
            )
          : trans.__(
              'The output directory %1 holds files nbtools did not generate: %2. They are kept, and the package is written beside them.',
              where,
              files
            ),
        buttons: [
          Dialog.cancelButton({ label: trans.__('Cancel') }),
          edited
            ? Dialog.warnButton({ label: trans.__('Write, keeping .orig copies') })
            : Dialog.okButton({ label: trans.__('Write there') })
        ]
      });
      return result.button.accept;
    }
  };
}
