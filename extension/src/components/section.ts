import { PanelWithToolbar, ToolbarButton, refreshIcon } from '@jupyterlab/ui-components';
import type { Widget } from '@lumino/widgets';

/**
 * A section of the Production panel: `content` below a header toolbar that
 * has, with `refresh`, a refresh button.
 */
export function createSection(options: createSection.IOptions): PanelWithToolbar {
  const section = new PanelWithToolbar();
  section.addClass(options.className);
  if (options.refresh) {
    const { tooltip, onClick } = options.refresh;
    section.toolbar.addItem('refresh', new ToolbarButton({ icon: refreshIcon, tooltip, onClick }));
  }
  section.addWidget(options.content);
  return section;
}

export namespace createSection {
  export interface IOptions {
    /** CSS class of the section, e.g. `jp-nbtools-JobsSection`. */
    className: string;
    /** What the section shows. */
    content: Widget;
    /** The refresh button: its (translated) tooltip and what it does. */
    refresh?: { tooltip: string; onClick: () => void };
  }
}
