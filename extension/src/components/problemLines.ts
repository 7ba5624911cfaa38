import {
  RangeSet,
  StateEffect,
  StateField,
  type EditorState,
  type Extension
} from '@codemirror/state';
import { Decoration, EditorView, GutterMarker, gutter, type DecorationSet } from '@codemirror/view';
import { CodeMirrorEditor } from '@jupyterlab/codemirror';
import type { NotebookPanel } from '@jupyterlab/notebook';

type Cell = NotebookPanel['content']['widgets'][number];

/** One line of a cell's editor named by extraction problems. */
export interface IProblemLine {
  /** 1-based line in the cell. */
  line: number;
  severity: 'error' | 'warning';
  /** What the problems say, one per line of text: the line's tooltip. */
  title: string;
  /** The line's accessible description (CodeMirror hides its gutters from screen readers). */
  label: string;
}

/** Replace the problem lines of an editor (an empty list clears them). */
const setLines = StateEffect.define<readonly IProblemLine[]>();

interface IMarks {
  lines: DecorationSet;
  gutter: RangeSet<GutterMarker>;
}

const NONE: IMarks = { lines: Decoration.none, gutter: RangeSet.of<GutterMarker>([]) };

/** The gutter mark of a problem line: a dot with the messages as its tooltip. */
class ProblemMarker extends GutterMarker {
  constructor(private readonly problem: IProblemLine) {
    super();
  }

  eq(other: GutterMarker): boolean {
    return (
      other instanceof ProblemMarker &&
      other.problem.line === this.problem.line &&
      other.problem.severity === this.problem.severity &&
      other.problem.title === this.problem.title
    );
  }

  toDOM(): Node {
    const mark = document.createElement('span');
    mark.className = `jp-nbtools-ProblemLineMark jp-mod-${this.problem.severity}`;
    mark.title = this.problem.title;
    return mark;
  }
}

/** The marks of `lines` in `state`'s document; lines it does not have are left out. */
function marksOf(state: EditorState, lines: readonly IProblemLine[]): IMarks {
  const present = lines
    .filter(problem => problem.line >= 1 && problem.line <= state.doc.lines)
    .sort((a, b) => a.line - b.line);
  if (present.length === 0) {
    return NONE;
  }
  return {
    lines: Decoration.set(
      present.map(problem =>
        Decoration.line({
          class: `jp-nbtools-ProblemLine jp-mod-${problem.severity}`,
          attributes: { title: problem.title, 'aria-description': problem.label }
        }).range(state.doc.line(problem.line).from)
      )
    ),
    gutter: RangeSet.of(
      present.map(problem => new ProblemMarker(problem).range(state.doc.line(problem.line).from))
    )
  };
}

/**
 * The problem lines of an editor. They follow edits inside their lines; once
 * the cell's line count changes, the numbers the check gave no longer name
 * the same lines, so the marks go (the cell's summary stays until the next check).
 */
const problemLines = StateField.define<IMarks>({
  create: () => NONE,
  update(marks, transaction) {
    for (const effect of transaction.effects) {
      if (effect.is(setLines)) {
        return marksOf(transaction.state, effect.value);
      }
    }
    if (!transaction.docChanged) {
      return marks;
    }
    if (transaction.state.doc.lines !== transaction.startState.doc.lines) {
      return NONE;
    }
    return {
      lines: marks.lines.map(transaction.changes),
      gutter: marks.gutter.map(transaction.changes)
    };
  },
  provide: field => EditorView.decorations.from(field, marks => marks.lines)
});

const extension: Extension = [
  problemLines,
  gutter({
    class: 'jp-nbtools-ProblemGutter',
    markers: view => view.state.field(problemLines).gutter
  })
];

/** Editors that have the extension already (it is injected once per editor). */
const injected = new WeakSet<CodeMirrorEditor>();

/**
 * Mark `lines` in the editor of `cell`, replacing its previous marks (none
 * clears them). The editor may not exist yet (a cell not yet rendered in a
 * windowed notebook): the marks are set once it is ready.
 */
export function markLines(cell: Cell, lines: readonly IProblemLine[]): void {
  const apply = (): void => {
    const editor = cell.editor;
    if (cell.isDisposed || !(editor instanceof CodeMirrorEditor)) {
      return;
    }
    if (!injected.has(editor)) {
      if (lines.length === 0) {
        return;
      }
      editor.injectExtension(extension);
      injected.add(editor);
    }
    editor.editor.dispatch({ effects: setLines.of(lines) });
  };
  if (cell.editor) {
    apply();
  } else {
    void cell.ready.then(apply);
  }
}
