import * as React from 'react';

/**
 * What the server says of a job's schedule that its fields cannot, as notes
 * beside them: how a time zone an older version stored is read (a job's
 * `timezone_note`), why a scheduled job has no next run (`next_run_note`).
 * The Jobs section, the job page and the dashboard show them where they show
 * the job's zone and next run; `null` notes show nothing.
 */
export function JobNotes({ notes }: { notes: (string | null)[] }): React.ReactElement {
  return (
    <>
      {notes.map(
        note =>
          note && (
            <p key={note} role="note" className="jp-nbtools-JobNote">
              {note}
            </p>
          )
      )}
    </>
  );
}
