import type { JupyterFrontEndPlugin } from '@jupyterlab/application';

import panelPlugin from './plugins/panel';

const plugins: JupyterFrontEndPlugin<unknown>[] = [panelPlugin];

export default plugins;
