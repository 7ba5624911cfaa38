import type { JupyterFrontEndPlugin } from '@jupyterlab/application';

import monitoringPlugin from './plugins/monitoring';
import panelPlugin from './plugins/panel';

const plugins: JupyterFrontEndPlugin<unknown>[] = [panelPlugin, monitoringPlugin];

export default plugins;
