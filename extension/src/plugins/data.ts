import { openRunOutput } from '../api';
import { DataView } from '../components/data';
import { DataModel } from '../components/dataModel';
import { DatasetPage } from '../components/datasetPage';
import type { IDatasetLinks } from '../components/datasetPage';
import { SectionCount, createSection } from '../components/section';
import { CommandIDs } from '../tokens';
import { MainAreaTabs, panelPlugin } from './pluginKit';

/**
 * Data governance: the Data section of the Production panel (search the
 * catalog, with classification badges) and each dataset's page in the main
 * area (schema, purposes, retention, and what uses it).
 */
const dataPlugin = panelPlugin({
  id: 'jupyterlab-nbtools:data',
  description: 'The data catalog: search datasets, see their schema, rules and usage.',
  activate: ({ app, panel, trans }) => {
    const model = new DataModel();
    const count = new SectionCount();
    model.stateChanged.connect(() => {
      const total = model.total;
      count.setCount(
        total,
        trans._n('%1 dataset in the catalog', '%1 datasets in the catalog', total ?? 0)
      );
    });
    // Loaded once at start (and again when the section is shown): the header shows the count.
    void model.refresh();
    const openDataset = (name: string): void =>
      void app.commands.execute(CommandIDs.openDataset, { name });
    const section = createSection({
      className: 'jp-nbtools-DataSection',
      count,
      content: new DataView(model, openDataset, trans),
      refresh: {
        tooltip: trans.__('Refresh the data catalog'),
        onClick: () => void model.refresh()
      }
    });
    panel.addSection({ id: 'nbtools-data', label: trans.__('Data'), rank: 50, widget: section });

    const links: IDatasetLinks = {
      openPath: async path => {
        await app.commands.execute('docmanager:open', { path });
      },
      openJob: async id => {
        await app.commands.execute(CommandIDs.openJob, { id });
      },
      openRunOutput: async runId => {
        const { path } = await openRunOutput(runId);
        await app.commands.execute('docmanager:open', { path });
      },
      showVersion: async (path, number) => {
        await app.commands.execute(CommandIDs.showVersion, { path, number });
      },
      showFolder: async path => {
        await app.commands.execute('filebrowser:go-to-path', { path, dontShowBrowser: false });
      }
    };
    const pages = new MainAreaTabs<DatasetPage>(app.shell, 'nbtools-dataset');
    app.commands.addCommand(CommandIDs.openDataset, {
      label: trans.__('Open Dataset Page'),
      describedBy: {
        args: {
          type: 'object',
          properties: { name: { type: 'string', description: trans.__("The dataset's name") } },
          required: ['name']
        }
      },
      execute: args => {
        const name = args.name;
        if (typeof name !== 'string') {
          throw new Error(`${CommandIDs.openDataset} needs "name".`);
        }
        pages.get(name)?.content.reload();
        return pages.open(name, () => ({
          content: new DatasetPage(name, links, trans),
          label: trans.__('Dataset: %1', name)
        }));
      }
    });
  }
});

export default dataPlugin;
