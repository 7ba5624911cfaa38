import * as React from 'react';

/**
 * The keyboard focus kept in a row of buttons that take turns being disabled (Start and
 * Stop, Back and Next): the browser takes the focus away from a button that becomes
 * disabled, to the page's body, where a keyboard user's place is lost; the row's first
 * enabled button takes it instead (Previous and Next of a list's pages, too). Put the returned ref on the row; `state` lists what
 * disables its buttons.
 */
export function useFocusHandover<T extends HTMLElement = HTMLDivElement>(
  state: React.DependencyList
): React.RefObject<T> {
  const row = React.useRef<T>(null);
  React.useLayoutEffect(() => {
    const node = row.current;
    const focused = document.activeElement;
    if (
      node &&
      focused instanceof HTMLButtonElement &&
      focused.disabled &&
      node.contains(focused)
    ) {
      node.querySelector<HTMLButtonElement>('button:not(:disabled)')?.focus();
    }
    // The row's state is what this effect follows, given by the caller.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, state);
  return row;
}

/** An item of a list removed by a button of its own: its key, and where it was. */
export interface IRemoval<K> {
  key: K;
  /** Its index in the list. */
  index: number;
  /** An element around the list that stays rendered while the item goes. */
  within: HTMLElement;
}

/**
 * The keyboard focus of a list whose items a button of their own removes (a job's Delete, an
 * alert's Acknowledge): lost with the button, it goes, once the item has left `keys`, to the
 * first button of the item now in its place, else of the one before it, else to `fallback`
 * (`items` and `fallback` are selectors inside the removal's `within`). Nothing moves when
 * the user has put the focus somewhere meanwhile. Call the returned function as the removal
 * starts, and with `null` when it did not happen.
 */
export function useFocusAfterRemoval<K>(
  keys: readonly K[],
  items: string,
  fallback: string
): (removal: IRemoval<K> | null) => void {
  const removing = React.useRef<IRemoval<K> | null>(null);
  React.useEffect(() => {
    const gone = removing.current;
    if (gone === null || keys.includes(gone.key)) {
      return;
    }
    removing.current = null;
    if (document.activeElement !== null && document.activeElement !== document.body) {
      return; // the user has moved on
    }
    const left = gone.within.querySelectorAll<HTMLElement>(items);
    const item = left[Math.min(gone.index, left.length - 1)];
    const target =
      item?.querySelector<HTMLElement>('button') ??
      gone.within.querySelector<HTMLElement>(fallback);
    target?.focus();
  });
  return removal => {
    removing.current = removal;
  };
}

/**
 * Run `action`, started by a button that it disables or removes (a version's Restore): the
 * browser then gives the keyboard focus to the page's body, where a keyboard user's place is
 * lost. Once the action has ended, `target` (an element that stays rendered) takes the focus,
 * unless the action or the user has put it somewhere meanwhile.
 */
export async function keepingFocus(
  target: React.RefObject<HTMLElement>,
  action: () => Promise<void>
): Promise<void> {
  try {
    await action();
  } finally {
    if (document.activeElement === null || document.activeElement === document.body) {
      target.current?.focus();
    }
  }
}

/** JupyterLab's command palette, while it is open: a command it runs has the focus in it. */
const PALETTE = '.jp-ModalCommandPalette';

/**
 * Give `target` the keyboard focus, as a command does that opens what it is in. Run from
 * JupyterLab's command palette, the command is followed by the palette closing, which
 * activates the main area's current tab (`current`), and that tab takes the focus (a
 * notebook in two steps: itself, then its active cell): until the user presses a key or a
 * pointer, the focus that lands in `current` comes back to `target`.
 */
export function focusFromCommand(target: HTMLElement, current: HTMLElement | null): void {
  const fromPalette = document.activeElement?.closest(PALETTE) != null;
  target.focus();
  if (!fromPalette || current === null) {
    return;
  }
  const stop = (): void => {
    document.removeEventListener('focusin', takeBack, true);
    document.removeEventListener('keydown', stop, true);
    document.removeEventListener('pointerdown', stop, true);
  };
  const takeBack = (event: FocusEvent): void => {
    if (event.target instanceof Node && current.contains(event.target)) {
      target.focus();
    }
  };
  document.addEventListener('focusin', takeBack, true);
  document.addEventListener('keydown', stop, true);
  document.addEventListener('pointerdown', stop, true);
}
