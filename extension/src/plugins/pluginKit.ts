import type { JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { ICommandPalette, MainAreaWidget } from '@jupyterlab/apputils';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';
import type { TranslationBundle } from '@jupyterlab/translation';
import type { ReadonlyJSONObject, ReadonlyPartialJSONObject, Token } from '@lumino/coreutils';
import type { Widget } from '@lumino/widgets';

import { productionIcon } from '../icons';
import { IProductionPanel } from '../tokens';

/**
 * What the feature plugins share: their translation bundle, a plugin built on
 * the Production panel, main-area tabs kept one per key, and the `id`
 * argument of the commands that open a job.
 */

/** The extension's translation bundle. */
export function bundleOf(translator: ITranslator | null): TranslationBundle {
  return (translator ?? nullTranslator).load('jupyter_nbtools');
}

/** What a feature of the Production panel gets when it starts. */
export interface IPanelFeature {
  app: JupyterFrontEnd;
  panel: IProductionPanel;
  trans: TranslationBundle;
  /** Where the feature adds its commands (absent in a JupyterLab without a palette). */
  palette: ICommandPalette | null;
  /** The palette category of every command of the extension. */
  category: string;
}

/**
 * A plugin of the Production panel: it starts with the panel, the translator
 * and the palette, and with the optional services `optional` names (each
 * `null` when absent), in that order.
 */
export function panelPlugin<E extends unknown[] = []>(options: {
  id: string;
  description: string;
  optional?: { [K in keyof E]: Token<E[K]> };
  activate: (feature: IPanelFeature, ...extra: { [K in keyof E]: E[K] | null }) => void;
}): JupyterFrontEndPlugin<void> {
  return {
    id: options.id,
    description: options.description,
    autoStart: true,
    requires: [IProductionPanel],
    optional: [ITranslator, ICommandPalette, ...(options.optional ?? [])],
    activate: (
      app: JupyterFrontEnd,
      panel: IProductionPanel,
      translator: ITranslator | null,
      palette: ICommandPalette | null,
      ...extra: unknown[]
    ): void => {
      const trans = bundleOf(translator);
      const category = trans.__('Notebook Production');
      options.activate(
        { app, panel, trans, palette, category },
        ...(extra as { [K in keyof E]: E[K] | null })
      );
    }
  };
}

/**
 * Main-area tabs of one kind, one per key (a job, a dataset, a notebook's new
 * job): opening a key again activates its tab; a closed tab is forgotten.
 */
export class MainAreaTabs<T extends Widget> {
  constructor(
    private readonly _shell: JupyterFrontEnd.IShell,
    private readonly _idPrefix: string
  ) {}

  /** The open tab of `key`. */
  get(key: string): MainAreaWidget<T> | undefined {
    return this._tabs.get(key);
  }

  /**
   * Activate the tab of `key`, or make its content with `create` and add it
   * (`create` answers `null`: nothing opens).
   */
  async open(
    key: string,
    create: () => Promise<{ content: T; label: string } | null> | { content: T; label: string }
  ): Promise<void> {
    let tab = this._tabs.get(key);
    if (!tab) {
      const made = await create();
      if (made === null) {
        return;
      }
      // Another call may have opened it while `create` was waiting.
      tab = this._tabs.get(key) ?? this._add(key, made.content, made.label);
    }
    this._shell.activateById(tab.id);
  }

  /**
   * Close the tab of `key`. When it held the keyboard focus (its Cancel or Delete was just
   * pressed), the tab JupyterLab shows next is activated, which focuses it: the focus never
   * falls to the page's body, from where a keyboard user would start again at the top.
   * With `returnTo` (the element that had the focus when the tab opened), the focus goes back
   * to it instead, when it is still shown (a sidebar's button, a control of the tab now shown).
   */
  close(key: string, returnTo: Element | null = null): void {
    const tab = this._tabs.get(key);
    if (!tab) {
      return;
    }
    const focused = tab.node.contains(document.activeElement);
    tab.dispose();
    if (focused && returnTo instanceof HTMLElement && returnTo.checkVisibility()) {
      returnTo.focus();
      return;
    }
    const next = this._shell.currentWidget;
    if (focused && next) {
      this._shell.activateById(next.id);
    }
  }

  private _add(key: string, content: T, label: string): MainAreaWidget<T> {
    const tab = new MainAreaWidget({ content });
    tab.id = `${this._idPrefix}-${++this._made}`;
    tab.title.label = label;
    tab.title.icon = productionIcon;
    tab.title.closable = true;
    this._tabs.set(key, tab);
    tab.disposed.connect(() => this._tabs.delete(key));
    this._shell.add(tab, 'main');
    return tab;
  }

  private _tabs = new Map<string, MainAreaWidget<T>>();
  private _made = 0;
}

/** The `id` argument of the commands that open a job (its page, its form). */
export function jobIdArguments(trans: TranslationBundle): { args: ReadonlyJSONObject } {
  return {
    args: {
      type: 'object',
      properties: { id: { type: 'number', description: trans.__('The job id') } },
      required: ['id']
    }
  };
}

/** The job id a command was given, or an error naming the command. */
export function jobIdOf(args: ReadonlyPartialJSONObject, command: string): number {
  if (typeof args.id !== 'number') {
    throw new Error(`${command} needs "id".`);
  }
  return args.id;
}
