import type { TranslationBundle } from '@jupyterlab/translation';
import { ReactWidget } from '@jupyterlab/ui-components';
import type { Message } from '@lumino/messaging';
import * as React from 'react';

import { JobFormView, focusFirstField } from './jobForm';
import type { JobForm, JobFormResult } from './jobFormModel';

/** The create/edit job form as the content of a main-area tab. */
export class JobFormWidget extends ReactWidget {
  /**
   * @param form - what the form starts from (see `loadJobForm`)
   * @param _onSaved - called once the server took the form
   * @param _onCancel - called when the user gives up (Cancel)
   * @param _onDismiss - called when Escape closes the form
   * @param _beforeRun - called before the form starts a run: `false` stops it
   */
  constructor(
    readonly form: JobForm,
    private readonly _trans: TranslationBundle,
    private readonly _onSaved: (result: JobFormResult) => void,
    private readonly _onCancel: () => void,
    private readonly _onDismiss: () => void,
    private readonly _beforeRun: () => Promise<boolean>
  ) {
    super();
    this.addClass('jp-nbtools-JobFormWidget');
  }

  /**
   * Activated (its tab shown again), the form puts the focus on its first field where
   * JupyterLab put it on the tab's container. (When the tab first opens, the form does so
   * once it is rendered.)
   */
  protected onActivateRequest(msg: Message): void {
    super.onActivateRequest(msg);
    if (document.activeElement === this.node) {
      focusFirstField(this.node);
    }
  }

  protected render(): React.ReactElement {
    return (
      <JobFormView
        form={this.form}
        trans={this._trans}
        onSaved={this._onSaved}
        onCancel={this._onCancel}
        onDismiss={this._onDismiss}
        beforeRun={this._beforeRun}
      />
    );
  }
}
