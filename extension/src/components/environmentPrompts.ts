import { Dialog, showDialog } from '@jupyterlab/apputils';
import type { TranslationBundle } from '@jupyterlab/translation';
import { Widget } from '@lumino/widgets';

import type { SnapshotSummary } from '../api';

/**
 * The recreate dialog's body: what the action does, and the new environment's folder.
 */
class RecreateBody extends Widget implements Dialog.IBodyWidget<string> {
  constructor(snapshot: SnapshotSummary, path: string, trans: TranslationBundle) {
    super();
    this.addClass('jp-nbtools-RecreateDialog');
    const what = document.createElement('p');
    const python = snapshot.python_version
      ? trans.__('Python %1 (the snapshot’s version, else the server’s)', snapshot.python_version)
      : trans.__('the server’s Python');
    what.textContent = trans.__(
      'Creates a new virtual environment in the folder below with %1, installs the %2 packages pinned by snapshot %3 (%4) with pip, then compares the result with the snapshot. It can take minutes and downloads packages; the folder must be new or empty. The kernel and its environment are not changed.',
      python,
      snapshot.distribution_count,
      snapshot.short_id,
      snapshot.origin
    );
    const label = document.createElement('label');
    label.textContent = trans.__('Folder of the new environment (inside the server root)');
    this._input = document.createElement('input');
    this._input.className = 'jp-mod-styled';
    this._input.value = path;
    label.appendChild(this._input);
    this.node.append(what, label);
  }

  getValue(): string {
    return this._input.value.trim();
  }

  private _input: HTMLInputElement;
}

/**
 * Ask whether to recreate `snapshot`, saying what it does, and where.
 *
 * @returns the folder chosen, or `null` when the user cancelled (or left it empty).
 */
export async function confirmRecreate(
  snapshot: SnapshotSummary,
  path: string,
  trans: TranslationBundle
): Promise<string | null> {
  const result = await showDialog({
    title: trans.__('Recreate environment %1?', snapshot.short_id),
    body: new RecreateBody(snapshot, path, trans),
    buttons: [Dialog.cancelButton(), Dialog.okButton({ label: trans.__('Recreate') })],
    focusNodeSelector: 'input'
  });
  return result.button.accept && result.value ? result.value : null;
}
