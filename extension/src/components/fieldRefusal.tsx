import * as React from 'react';

import { asError, fieldOf } from '../api';

/** A field's refusal by the server, as `useFieldRefusal` keeps it. */
export interface IFieldRefusal {
  /** Refuse the field with `message`, or clear the refusal (`null`: the field changed). */
  refuse(message: string | null): void;
  /**
   * Refuse the field with the server's `reason` when its error names the field `name`
   * (`details.field`); whether it did (else the caller shows the error elsewhere).
   */
  refuseIfAbout(reason: unknown, name: string): boolean;
  /** Put it on the field. */
  readonly field: React.RefObject<HTMLInputElement>;
  /** Spread on the field: invalid while refused, described by `line`. */
  readonly fieldProps: { 'aria-invalid': boolean; 'aria-describedby': string | undefined };
  /** The line to put under the field that says the reason; `null` while it is not refused. */
  readonly line: React.ReactElement | null;
}

/**
 * The server's refusal of what was typed in a field (its error names the field): the reason is
 * under the field, which is marked invalid (described by the reason), focused and scrolled into
 * view with as much of the reason as its section shows. A refusal repeated does it again.
 */
export function useFieldRefusal(): IFieldRefusal {
  // A new object each time, so that a repeated refusal runs the effect again.
  const [refusal, setRefusal] = React.useState<{ message: string } | null>(null);
  const field = React.useRef<HTMLInputElement>(null);
  const line = React.useRef<HTMLParagraphElement>(null);
  const lineId = `${React.useId()}-refusal`;
  React.useEffect(() => {
    if (refusal !== null) {
      line.current?.scrollIntoView({ block: 'nearest' });
      field.current?.scrollIntoView({ block: 'nearest' });
      field.current?.focus({ preventScroll: true });
    }
  }, [refusal]);
  const refuse = (message: string | null) => setRefusal(message === null ? null : { message });
  return {
    refuse,
    refuseIfAbout: (reason, name) => {
      const about = fieldOf(reason) === name;
      if (about) {
        refuse(asError(reason).message);
      }
      return about;
    },
    field,
    fieldProps: {
      'aria-invalid': refusal !== null,
      'aria-describedby': refusal !== null ? lineId : undefined
    },
    line:
      refusal === null ? null : (
        <p id={lineId} ref={line} className="jp-nbtools-FieldError">
          {refusal.message}
        </p>
      )
  };
}
