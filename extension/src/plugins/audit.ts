import type { JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { ICommandPalette, MainAreaWidget } from '@jupyterlab/apputils';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';

import { AuditView } from '../components/audit';
import { productionIcon } from '../icons';
import { CommandIDs } from '../tokens';

/**
 * The audit trail in the main area (palette: "Show Audit Trail"), for the
 * users the server grants its `admin` action.
 */
const auditPlugin: JupyterFrontEndPlugin<void> = {
  id: 'jupyterlab-nbtools:audit',
  description: 'The audit trail: who created, changed, ran or was refused what.',
  autoStart: true,
  optional: [ITranslator, ICommandPalette],
  activate: (
    app: JupyterFrontEnd,
    translator: ITranslator | null,
    palette: ICommandPalette | null
  ): void => {
    const trans = (translator ?? nullTranslator).load('jupyter_nbtools');
    let view: MainAreaWidget<AuditView> | null = null;
    app.commands.addCommand(CommandIDs.showAudit, {
      label: trans.__('Show Audit Trail'),
      caption: trans.__(
        'Who created, changed, ran or was refused what (needs the admin permission)'
      ),
      execute: () => {
        if (view === null) {
          view = new MainAreaWidget({ content: new AuditView(trans) });
          view.id = 'nbtools-audit';
          view.title.label = trans.__('Audit Trail');
          view.title.icon = productionIcon;
          view.title.closable = true;
          view.disposed.connect(() => (view = null));
          app.shell.add(view, 'main');
        }
        app.shell.activateById(view.id);
      }
    });
    palette?.addItem({ command: CommandIDs.showAudit, category: trans.__('Notebook Production') });
  }
};

export default auditPlugin;
