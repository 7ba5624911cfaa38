import { Dialog } from '@jupyterlab/apputils';
import type { TranslationBundle } from '@jupyterlab/translation';
import { Widget } from '@lumino/widgets';

import { asError, checkRecreate, fieldOf } from '../api';
import type { SnapshotSummary } from '../api';

/** The id of the refusal under the folder field (one recreate dialog is open at a time). */
const REFUSAL_ID = 'jp-nbtools-RecreateDialog-refusal';

/**
 * The recreate dialog's body: what the action does, and the new environment's folder, with
 * the server's refusal of that folder under it.
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
    // Empty (or blank), the folder is invalid: the dialog disables its Recreate button.
    this._input.required = true;
    this._input.pattern = '.*\\S.*';
    this._input.addEventListener('input', () => this.showRefusal(null));
    label.appendChild(this._input);
    this._refusal = document.createElement('p');
    this._refusal.id = REFUSAL_ID;
    this._refusal.className = 'jp-nbtools-FieldError';
    this._refusal.hidden = true;
    this.node.append(what, label, this._refusal);
  }

  getValue(): string {
    return this._input.value.trim();
  }

  /**
   * Show why the server refuses the folder under its field, which is marked invalid and
   * focused (`null`: the folder changed, the refusal goes).
   */
  showRefusal(message: string | null): void {
    this._refusal.textContent = message ?? '';
    this._refusal.hidden = message === null;
    this._input.setAttribute('aria-invalid', String(message !== null));
    if (message === null) {
      this._input.removeAttribute('aria-describedby');
    } else {
      this._input.setAttribute('aria-describedby', REFUSAL_ID);
      this._input.focus();
    }
  }

  private _input: HTMLInputElement;
  private _refusal: HTMLParagraphElement;
}

/**
 * JupyterLab's dialog, whose accepting button (click or Enter) first asks the server whether
 * a recreate would start in the folder: refused there, the dialog stays open with the reason
 * under the field; any other failure is left to the recreate itself, which reports it.
 */
class RecreateDialog extends Dialog<string> {
  constructor(
    options: Partial<Dialog.IOptions<string>> & { buttons: Dialog.IButton[] },
    private readonly _folder: RecreateBody,
    private readonly _snapshot: string
  ) {
    super({ ...options, body: _folder, defaultButton: options.buttons.length - 1 });
    this._buttonList = options.buttons;
  }

  resolve(index?: number): void {
    const button = this._buttonList[index ?? this._buttonList.length - 1];
    // An empty folder is the dialog's own validation's to refuse (its button is disabled).
    if (!button?.accept || this._checked || this._folder.getValue() === '') {
      super.resolve(index);
      return;
    }
    if (this._checking) {
      return;
    }
    this._checking = true;
    void checkRecreate(this._snapshot, this._folder.getValue())
      .then(
        () => null,
        (reason: unknown) => (fieldOf(reason) === 'path' ? asError(reason).message : null)
      )
      .then(refusal => {
        this._checking = false;
        if (this.isDisposed) {
          return;
        }
        if (refusal === null) {
          this._checked = true;
          super.resolve(index);
        } else {
          this._folder.showRefusal(refusal);
        }
      });
  }

  private readonly _buttonList: Dialog.IButton[];
  private _checking = false;
  private _checked = false;
}

/**
 * Ask whether to recreate `snapshot`, saying what it does, and where; a folder the server
 * refuses (outside the server root, not empty) is told under its field before the dialog
 * closes.
 *
 * @returns the folder chosen, or `null` when the user cancelled.
 */
export async function confirmRecreate(
  snapshot: SnapshotSummary,
  path: string,
  trans: TranslationBundle
): Promise<string | null> {
  const dialog = new RecreateDialog(
    {
      title: trans.__('Recreate environment %1?', snapshot.short_id),
      buttons: [Dialog.cancelButton(), Dialog.okButton({ label: trans.__('Recreate') })],
      focusNodeSelector: 'input'
    },
    new RecreateBody(snapshot, path, trans),
    snapshot.id
  );
  const result = await dialog.launch();
  return result.button.accept && result.value ? result.value : null;
}
