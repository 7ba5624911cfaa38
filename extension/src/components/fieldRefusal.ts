import * as React from 'react';

/** A field's refusal by the server, as `useFieldRefusal` keeps it. */
export interface IFieldRefusal {
  /** The server's reason, or `null` when the field is not refused. */
  readonly message: string | null;
  /** Refuse the field with `message`, or clear the refusal (`null`: the field changed). */
  refuse(message: string | null): void;
  /** Put it on the field. */
  readonly field: React.RefObject<HTMLInputElement>;
  /** Put it on the line under the field that says the reason, whose id is `lineId`. */
  readonly line: React.RefObject<HTMLParagraphElement>;
  readonly lineId: string;
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
  return {
    message: refusal?.message ?? null,
    refuse: message => setRefusal(message === null ? null : { message }),
    field,
    line,
    lineId
  };
}
