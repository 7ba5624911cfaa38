import * as React from 'react';

/**
 * A button's `action` that runs once at a time: clicks while it is pending
 * (a double click, a second Enter) are ignored. Meanwhile the button is marked
 * `aria-disabled` rather than `disabled`, so that it keeps the keyboard focus
 * (the browser takes the focus away from a disabled button). Spread `props`
 * on the button; `pending` says whether the action is running.
 */
export function useOnceAtATime(action: () => Promise<unknown>): {
  pending: boolean;
  props: { 'aria-disabled': boolean; onClick: () => void };
} {
  const [pending, setPending] = React.useState(false);
  // The state is read by the next render only: a second click of the same event loop turn
  // would still see it false.
  const running = React.useRef(false);
  const onClick = (): void => {
    if (running.current) {
      return;
    }
    running.current = true;
    setPending(true);
    void action().finally(() => {
      running.current = false;
      setPending(false);
    });
  };
  return { pending, props: { 'aria-disabled': pending, onClick } };
}
