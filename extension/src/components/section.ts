import {
  PanelWithToolbar,
  ReactWidget,
  ToolbarButtonComponent,
  refreshIcon
} from '@jupyterlab/ui-components';
import { Widget } from '@lumino/widgets';
import * as React from 'react';

/**
 * How many items a section holds (versions, jobs, open alerts), shown in its
 * header so that it can be read while the section is collapsed. It sits
 * beside the header button, not in it, so the button keeps its name.
 */
export class SectionCount extends Widget {
  constructor() {
    super({ node: document.createElement('span') });
    this.addClass('jp-nbtools-SectionCount');
    this.node.setAttribute('role', 'status');
    this.hide();
  }

  /** Show `count`, described by `label` (e.g. "3 versions"); `null` hides it. */
  setCount(count: number | null, label: string): void {
    this.setHidden(count === null);
    this.node.textContent = count === null ? '' : String(count);
    this.node.setAttribute('aria-label', label);
    this.node.title = label;
  }
}

/**
 * A section of the Production panel: `content` below a header toolbar that
 * has, with `refresh`, a refresh button.
 */
export function createSection(options: createSection.IOptions): PanelWithToolbar {
  const section = new PanelWithToolbar();
  section.addClass(options.className);
  if (options.count) {
    section.toolbar.addItem('count', options.count);
  }
  if (options.refresh) {
    const { tooltip, onClick } = options.refresh;
    // The component, not the ToolbarButton widget: that one marks every button
    // aria-pressed, which only toggle buttons may have (WCAG 4.1.2, axe aria-allowed-attr).
    section.toolbar.addItem(
      'refresh',
      ReactWidget.create(
        React.createElement(ToolbarButtonComponent, { icon: refreshIcon, tooltip, onClick })
      )
    );
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
    /** The count shown in the header, first in its toolbar. */
    count?: SectionCount;
    /** The refresh button: its (translated) tooltip and what it does. */
    refresh?: { tooltip: string; onClick: () => void };
  }
}
