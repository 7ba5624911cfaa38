import { AccordionToolbar } from '@jupyterlab/ui-components';
import { AccordionPanel } from '@lumino/widgets';
import type { Title, Widget } from '@lumino/widgets';

/** Class of the button in each section header that expands or collapses it. */
const TOGGLE_CLASS = 'jp-nbtools-SectionToggle';

/**
 * Section headers whose collapse icon and label sit in a real button: the
 * header stays a heading (it also holds the section's toolbar buttons, which
 * must not be nested in another button) and the button carries
 * `aria-expanded` and `aria-controls`.
 */
class SectionTitleRenderer extends AccordionToolbar.Renderer {
  createSectionTitle(data: Title<Widget>): HTMLElement {
    const heading = super.createSectionTitle(data);
    heading.removeAttribute('tabindex');
    const toggle = document.createElement('button');
    toggle.type = 'button';
    toggle.className = TOGGLE_CLASS;
    toggle.setAttribute('aria-controls', data.owner.id);
    toggle.append(...Array.from(heading.childNodes));
    heading.append(toggle);
    return heading;
  }
}

/**
 * The collapsible sections of the Production panel: an accordion whose
 * headers are buttons (Enter or Space toggles, Up/Down/Home/End move between
 * headers) that say whether their section is expanded.
 */
export class SectionsPanel extends AccordionPanel {
  constructor() {
    super({ layout: AccordionToolbar.createLayout({ renderer: new SectionTitleRenderer() }) });
    this.expansionToggled.connect(this._onExpansionToggled, this);
  }

  addWidget(widget: Widget): void {
    this.insertWidget(this.widgets.length, widget);
  }

  insertWidget(index: number, widget: Widget): void {
    super.insertWidget(index, widget);
    // A title change renders the header again.
    widget.title.changed.connect(this._syncToggles, this);
    this._orderNodes();
    this._syncToggles();
  }

  /** The header buttons, in section order. */
  get toggles(): HTMLButtonElement[] {
    return this.titles.map(title => title.querySelector<HTMLButtonElement>(`.${TOGGLE_CLASS}`)!);
  }

  handleEvent(event: Event): void {
    if (event.type === 'keydown' && this._moveFocus(event as KeyboardEvent)) {
      return;
    }
    super.handleEvent(event);
  }

  /** Move the focus between header buttons; `true` if the key did. */
  private _moveFocus(event: KeyboardEvent): boolean {
    const toggles = this.toggles;
    const index = toggles.indexOf(event.target as HTMLButtonElement);
    const last = toggles.length - 1;
    const moves: Partial<Record<string, number>> = {
      ArrowDown: index === last ? 0 : index + 1,
      ArrowUp: index === 0 ? last : index - 1,
      Home: 0,
      End: last
    };
    const target = moves[event.key];
    if (index === -1 || target === undefined) {
      return false;
    }
    event.preventDefault();
    toggles[target].focus();
    return true;
  }

  private _onExpansionToggled(_sender: this, index: number): void {
    if (!this.widgets[index].isHidden) {
      this._shareSpace(index);
    }
    this._syncToggles();
  }

  /**
   * Give a section just expanded an equal share of the height: the accordion
   * has no size for a section that was collapsed from the start, and would
   * leave it with none.
   */
  private _shareSpace(index: number): void {
    const sizes = this.relativeSizes();
    // A section collapsed until now has no size yet, unless nothing was laid out.
    if (sizes[index] !== 0) {
      return;
    }
    const share = 1 / this.widgets.filter(widget => !widget.isHidden).length;
    this.setRelativeSizes(sizes.map((size, i) => (i === index ? share : size * (1 - share))));
  }

  /**
   * Put the headers and sections in the DOM in their visual order: the
   * accordion appends a section inserted in the middle at the end of its
   * node, which made the keyboard focus order differ from what is seen
   * (WCAG 2.4.3).
   */
  private _orderNodes(): void {
    this.widgets.forEach((widget, index) => {
      this.node.appendChild(this.titles[index]);
      this.node.appendChild(widget.node);
    });
  }

  /** The accordion marks its headers; the state belongs on their buttons. */
  private _syncToggles(): void {
    this.widgets.forEach((widget, index) => {
      const title = this.titles[index];
      title.removeAttribute('aria-expanded');
      title.querySelector(`.${TOGGLE_CLASS}`)?.setAttribute('aria-expanded', `${!widget.isHidden}`);
    });
  }
}
