import { CodeEditor, CodeEditorWrapper } from '@jupyterlab/codeeditor';
import type { IEditorServices } from '@jupyterlab/codeeditor';
import type { TranslationBundle } from '@jupyterlab/translation';
import { ReactWidget } from '@jupyterlab/ui-components';
import { Panel, Widget } from '@lumino/widgets';
import * as React from 'react';

import type { ExtractFile, ExtractTestReport, ExtractTestResult } from '../api';

/** What the Package wizard opens in the main area. */
export interface IPackagePages {
  /** One file of the package, read-only, with syntax highlighting. */
  openFile(packageDir: string, file: ExtractFile): void;
  /** The pytest output of Write and test. */
  openTests(packageDir: string, tests: ExtractTestReport): void;
}

/**
 * A file of a package preview: its path and status, and its content in a
 * read-only editor highlighted for its type (Python, TOML, Markdown…).
 */
export function filePreview(
  services: IEditorServices,
  packageDir: string,
  file: ExtractFile,
  trans: TranslationBundle
): Widget {
  const page = new Panel();
  page.addClass('jp-nbtools-FilePage');
  const header = new Widget({ node: document.createElement('p') });
  header.addClass('jp-nbtools-FilePage-header');
  header.node.textContent = trans.__(
    '%1/%2 (%3; a preview: nothing is written until Write and test)',
    packageDir,
    file.path,
    file.status
  );
  const model = new CodeEditor.Model({
    mimeType: services.mimeTypeService.getMimeTypeByFilePath(file.path)
  });
  model.sharedModel.setSource(file.content ?? '');
  const editor = new CodeEditorWrapper({
    factory: services.factoryService.newDocumentEditor,
    model,
    editorOptions: { config: { readOnly: true, lineNumbers: true } }
  });
  editor.addClass('jp-nbtools-FilePage-editor');
  // The label goes on CodeMirror's content element: the read-only text box itself.
  editor.node
    .querySelector('.cm-content')
    ?.setAttribute('aria-label', trans.__('Content of %1', file.path));
  page.addWidget(header);
  page.addWidget(editor);
  page.disposed.connect(() => model.dispose());
  return page;
}

/**
 * The tests of a written package: counts, each failing test with its failure
 * and the notebook cell it points to, then pytest's own output.
 */
export class TestOutputPage extends ReactWidget {
  constructor(
    packageDir: string,
    tests: ExtractTestReport,
    goToCell: (cell: number) => void,
    trans: TranslationBundle
  ) {
    super();
    this._packageDir = packageDir;
    this._tests = tests;
    this._goToCell = goToCell;
    this._trans = trans;
    this.addClass('jp-nbtools-TestPage');
  }

  protected render(): React.ReactElement {
    const trans = this._trans;
    const { counts, tests, output, environment } = this._tests;
    const failing = tests.filter(test => test.outcome === 'failed' || test.outcome === 'error');
    return (
      <div className="jp-nbtools-TestPage-body">
        <h2 className="jp-nbtools-TestPage-title">{trans.__('Tests of %1', this._packageDir)}</h2>
        <p role="status" data-testid="nbtools-test-counts">
          {trans.__(
            '%1 passed, %2 failed, %3 errors, %4 skipped',
            counts.passed,
            counts.failed,
            counts.error,
            counts.skipped
          )}
          {' · '}
          {environment === 'venv'
            ? trans.__('in a fresh virtual environment')
            : trans.__("in the server's environment")}
        </p>
        {failing.length > 0 && (
          <section aria-label={trans.__('Failing tests')}>
            <h3>{trans.__('Failing tests')}</h3>
            {failing.map(test => (
              <FailingTest key={test.name} test={test} goToCell={this._goToCell} trans={trans} />
            ))}
          </section>
        )}
        <section aria-label={trans.__('pytest output')}>
          <h3>{trans.__('pytest output')}</h3>
          <pre className="jp-nbtools-TestPage-output" tabIndex={0}>
            {output || trans.__('(no output)')}
          </pre>
        </section>
      </div>
    );
  }

  private _packageDir: string;
  private _tests: ExtractTestReport;
  private _goToCell: (cell: number) => void;
  private _trans: TranslationBundle;
}

function FailingTest({
  test,
  goToCell,
  trans
}: {
  test: ExtractTestResult;
  goToCell: (cell: number) => void;
  trans: TranslationBundle;
}): React.ReactElement {
  const target = test.failure_cell ?? test.cell;
  return (
    <article className="jp-nbtools-TestPage-failure" aria-label={test.name}>
      <h4>
        <span className="jp-nbtools-Outcome">{test.outcome}</span> <code>{test.name}</code>
        {target !== null && (
          <button className="jp-nbtools-LinkButton" onClick={() => goToCell(target)}>
            {test.failure_line
              ? trans.__('Cell %1, line %2', target + 1, test.failure_line)
              : trans.__('Cell %1', target + 1)}
          </button>
        )}
      </h4>
      <pre className="jp-nbtools-TestPage-output" tabIndex={0}>
        {test.message}
      </pre>
    </article>
  );
}
