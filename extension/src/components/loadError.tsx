import * as React from 'react';

/**
 * Why a section or page could not load what it shows (its `title`, e.g.
 * "Could not load the jobs", and the server's `message`), in place of that
 * content: never beside an empty list or a count, which would claim there is
 * nothing when it is not known.
 */
export function LoadError({
  title,
  message
}: {
  title: string;
  message: string;
}): React.ReactElement {
  return (
    <div role="alert" className="jp-nbtools-Error">
      <p className="jp-nbtools-Error-title">{title}</p>
      <p className="jp-nbtools-Error-message">{message}</p>
    </div>
  );
}
