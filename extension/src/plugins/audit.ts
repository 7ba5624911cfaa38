import type { JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { ICommandPalette } from '@jupyterlab/apputils';
import { ITranslator } from '@jupyterlab/translation';

import { AuditView } from '../components/audit';
import { CommandIDs } from '../tokens';
import { MainAreaTabs, bundleOf } from './pluginKit';

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
    const trans = bundleOf(translator);
    const view = new MainAreaTabs<AuditView>(app.shell, 'nbtools-audit');
    app.commands.addCommand(CommandIDs.showAudit, {
      label: trans.__('Show Audit Trail'),
      caption: trans.__(
        'Who created, changed, ran or was refused what (needs the admin permission)'
      ),
      execute: () =>
        view.open('audit', () => ({
          content: new AuditView(trans),
          label: trans.__('Audit Trail')
        }))
    });
    palette?.addItem({ command: CommandIDs.showAudit, category: trans.__('Notebook Production') });
  }
};

export default auditPlugin;
