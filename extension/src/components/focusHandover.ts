import * as React from 'react';

/**
 * The keyboard focus kept in a row of buttons that take turns being disabled (Start and
 * Stop, Back and Next): the browser takes the focus away from a button that becomes
 * disabled, to the page's body, where a keyboard user's place is lost; the row's first
 * enabled button takes it instead. Put the returned ref on the row; `state` lists what
 * disables its buttons.
 */
export function useFocusHandover(state: React.DependencyList): React.RefObject<HTMLDivElement> {
  const row = React.useRef<HTMLDivElement>(null);
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
