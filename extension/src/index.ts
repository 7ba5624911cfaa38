import type { JupyterFrontEndPlugin } from '@jupyterlab/application';

import panelPlugin from './plugins/panel';
import productionizePlugin from './plugins/productionize';

const plugins: JupyterFrontEndPlugin<unknown>[] = [panelPlugin, productionizePlugin];

export default plugins;
