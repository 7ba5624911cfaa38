import type { TranslationBundle } from '@jupyterlab/translation';
import { Button, VDomRenderer } from '@jupyterlab/ui-components';
import * as React from 'react';

import type { ExtractOrphan, ExtractProblem, ExtractReport, ExtractTestResult } from '../api';
import { EXPORT_TAGS, hasTag } from './cellTags';
import { Field } from './field';
import { useFocusHandover } from './focusHandover';
import type { IPackagePages } from './packagePages';
import { STEPS } from './wizardStates';
import { ServeStep } from './serveStep';
import { Spinner } from './spinner';
import { WarningSign } from './warningSign';
import { CellLink } from './cellLink';
import { PackageNotebooks } from './packageNotebooks';
import type { ProductionizeModel, TextOption } from './productionizeModel';
import type { Step } from './wizardStates';

type Trans = TranslationBundle;

/**
 * The Productionize wizard: tags → options → preview → write and test → serve → schedule.
 */
export class ProductionizeView extends VDomRenderer<ProductionizeModel> {
  constructor(model: ProductionizeModel, trans: Trans, pages: IPackagePages) {
    super(model);
    this._trans = trans;
    this._pages = pages;
    this.addClass('jp-nbtools-Productionize');
  }

  protected render(): React.ReactElement {
    return <Wizard model={this.model} trans={this._trans} pages={this._pages} />;
  }

  private _trans: Trans;
  private _pages: IPackagePages;
}

interface IStepProps {
  model: ProductionizeModel;
  trans: Trans;
  pages: IPackagePages;
}

function stepLabels(trans: Trans): Record<Step, string> {
  return {
    tags: trans.__('Tags'),
    options: trans.__('Options'),
    preview: trans.__('Preview'),
    write: trans.__('Write and test'),
    serve: trans.__('Serve'),
    schedule: trans.__('Schedule')
  };
}

function Wizard({ model, trans, pages }: IStepProps): React.ReactElement {
  // Back is disabled on the first step, Next on the last: the focus goes to the other.
  const nav = useFocusHandover([model.step]);
  if (!model.notebook) {
    return <p className="jp-nbtools-muted">{trans.__('Open a notebook to productionize it.')}</p>;
  }
  const labels = stepLabels(trans);
  const at = STEPS.indexOf(model.step);
  return (
    <div className="jp-nbtools-Wizard">
      <nav aria-label={trans.__('Productionize steps')}>
        <ol className="jp-nbtools-Steps">
          {STEPS.map((step, index) => (
            <li key={step}>
              <button
                className="jp-nbtools-Step"
                aria-current={step === model.step ? 'step' : undefined}
                onClick={() => model.setStep(step)}
              >
                {`${index + 1}. ${labels[step]}`}
              </button>
            </li>
          ))}
        </ol>
      </nav>
      <section aria-label={labels[model.step]} className="jp-nbtools-StepBody">
        <StepBody model={model} trans={trans} pages={pages} />
      </section>
      {model.message &&
        !(model.step === 'options' && (model.optionError || model.notebooksError)) && (
          <div role="alert" className="jp-nbtools-Error">
            <p className="jp-nbtools-Error-message">{model.message}</p>
            {(model.optionError || model.notebooksError) && (
              <Button minimal onClick={() => model.setStep('options')}>
                {trans.__('Change it in Options')}
              </Button>
            )}
            {model.refused && <ProblemList problems={model.refused} model={model} trans={trans} />}
          </div>
        )}
      <div className="jp-nbtools-WizardNav" ref={nav}>
        <Button minimal disabled={at === 0} onClick={() => model.setStep(STEPS[at - 1])}>
          {trans.__('Back')}
        </Button>
        <Button
          className="jp-mod-styled jp-mod-accept"
          disabled={at === STEPS.length - 1}
          onClick={() => model.setStep(STEPS[at + 1])}
        >
          {trans.__('Next')}
        </Button>
      </div>
    </div>
  );
}

function StepBody({ model, trans, pages }: IStepProps): React.ReactElement {
  switch (model.step) {
    case 'tags':
      return <TagOverview model={model} trans={trans} />;
    case 'options':
      return <OptionsForm model={model} trans={trans} />;
    case 'preview':
      return <Preview model={model} trans={trans} pages={pages} />;
    case 'write':
      return <WriteAndTest model={model} trans={trans} pages={pages} />;
    case 'serve':
      return (
        <ServeStep
          model={model.serve}
          packageDir={model.packageDir}
          finding={model.busy}
          trans={trans}
        />
      );
    case 'schedule':
      return (
        <div>
          <p>{trans.__('Run this notebook as a scheduled production job with its parameters.')}</p>
          <Button className="jp-mod-styled jp-mod-accept" onClick={() => void model.schedule()}>
            {trans.__('Schedule this notebook')}
          </Button>
        </div>
      );
  }
}

function TagOverview({
  model,
  trans
}: {
  model: ProductionizeModel;
  trans: Trans;
}): React.ReactElement {
  const cells = model.cells;
  return (
    <div>
      <p className="jp-nbtools-muted">
        {trans.__(
          'One role per cell. Shortcuts in command mode: G then E (export), M (main), T (test), P (parameters), S (skip). Escape takes you back to the notebook, G then W here again.'
        )}
      </p>
      <ul className="jp-nbtools-CellList" aria-label={trans.__('Code cells')}>
        {cells.map(cell => (
          <li key={cell.id} className="jp-nbtools-CellRow">
            <button
              className="jp-nbtools-LinkButton"
              title={trans.__('Go to cell %1', cell.index + 1)}
              onClick={() => void model.scrollToCell(cell.index)}
            >
              {trans.__('Cell %1', cell.index + 1)}
            </button>
            <code className="jp-nbtools-CellPreview" title={cell.preview}>
              {cell.preview || trans.__('(empty)')}
            </code>
            {cell.directives.map(directive => (
              <span key={directive} className="jp-nbtools-Directive">
                {directive}
              </span>
            ))}
            <span className="jp-nbtools-TagToggles">
              {EXPORT_TAGS.map(tag => (
                <button
                  key={tag}
                  className="jp-nbtools-TagToggle"
                  aria-pressed={hasTag(cell.tags, tag)}
                  aria-label={trans.__('%1 cell %2', tag, cell.index + 1)}
                  onClick={() => model.toggleTag(cell.index, tag)}
                >
                  {tag}
                </button>
              ))}
            </span>
          </li>
        ))}
      </ul>
    </div>
  );
}

function OptionsForm({
  model,
  trans
}: {
  model: ProductionizeModel;
  trans: Trans;
}): React.ReactElement {
  const { options, optionError } = model;
  const ids = React.useId().replace(/:/g, '');
  const text = (key: TextOption, label: string, placeholder: string) => {
    const error = optionError?.option === key ? optionError.message : undefined;
    return (
      <Field
        id={`jp-nbtools-wizard-${ids}-${key}`}
        label={label}
        error={error}
        control={props => (
          <input
            {...props}
            className="jp-mod-styled"
            value={options[key]}
            placeholder={placeholder}
            autoFocus={error !== undefined}
            onChange={event => model.setOptions({ [key]: event.target.value })}
          />
        )}
      />
    );
  };
  return (
    <form className="jp-nbtools-Form" onSubmit={event => event.preventDefault()}>
      {text('name', trans.__('Package name'), trans.__('from the notebook name'))}
      {text('version', trans.__('Version'), trans.__("the package's, else 0.1.0"))}
      {text(
        'output',
        trans.__('Output directory'),
        trans.__('where its package is, else next to the notebook')
      )}
      {text(
        'purpose',
        trans.__('Purpose'),
        trans.__('what its data is used for (personal data needs one)')
      )}
      <PackageNotebooks model={model} trans={trans} />
      <label className="jp-nbtools-Check">
        <input
          type="checkbox"
          checked={options.venv}
          onChange={event => model.setOptions({ venv: event.target.checked })}
        />
        <span>{trans.__('Run the tests in a fresh virtual environment')}</span>
      </label>
    </form>
  );
}

function Preview({ model, trans, pages }: IStepProps): React.ReactElement {
  const report = model.preview;
  return (
    <div>
      <Button minimal aria-disabled={model.busy} onClick={() => void model.runPreview()}>
        {trans.__('Refresh preview')}
      </Button>
      {model.busy && (
        <p role="status">
          <Spinner />
          {trans.__('Rendering the package…')}
        </p>
      )}
      {report && (
        <>
          <p role="status" data-testid="nbtools-preview-summary">
            {trans.__('Package %1 in %2', report.package, report.output)}
          </p>
          {report.notebooks && (
            <p data-testid="nbtools-preview-notebooks">
              {trans.__(
                'Made of %1 notebooks: %2',
                report.notebooks.length,
                report.notebooks.map(entry => entry.notebook).join(', ')
              )}
            </p>
          )}
        </>
      )}
      {/* Present before a preview answers, so that screen readers announce the note. */}
      <div aria-live="polite">
        {report?.half_written && (
          <p role="note" className="jp-nbtools-Caution" data-testid="nbtools-preview-half-written">
            <WarningSign trans={trans} />
            {report.half_written}
          </p>
        )}
      </div>
      {report && (
        <>
          {report.orphans.map(orphan => (
            <OrphanNote key={orphan.output} orphan={orphan} model={model} trans={trans} />
          ))}
          <ProblemList problems={report.problems} model={model} trans={trans} />
          <FileList report={report} trans={trans} pages={pages} />
        </>
      )}
    </div>
  );
}

/** A package whose notebook is gone, which this notebook may be, renamed: one click writes there. */
function OrphanNote({
  orphan,
  model,
  trans
}: {
  orphan: ExtractOrphan;
  model: ProductionizeModel;
  trans: Trans;
}): React.ReactElement {
  const id = React.useId();
  return (
    <div role="note" aria-labelledby={id} className="jp-nbtools-Orphan">
      <span id={id}>
        {trans.__(
          '%1 holds the package of %2, which no longer exists. If this notebook is %2 renamed or moved, update that package instead of starting a new one.',
          orphan.output,
          orphan.notebook
        )}
      </span>
      <Button minimal aria-disabled={model.busy} onClick={() => void model.useOrphan(orphan)}>
        {trans.__('Use %1', orphan.output)}
      </Button>
    </div>
  );
}

function WriteAndTest({ model, trans, pages }: IStepProps): React.ReactElement {
  const report = model.result;
  return (
    <div>
      <Button
        className="jp-mod-styled jp-mod-accept"
        aria-disabled={model.busy}
        onClick={() => void model.writeAndTest()}
      >
        {trans.__('Write and test')}
      </Button>
      {model.busy && (
        <p role="status">
          <Spinner />
          {trans.__('Writing the package and running its tests…')}
        </p>
      )}
      {report && <Results report={report} model={model} trans={trans} pages={pages} />}
    </div>
  );
}

function Results({
  report,
  model,
  trans,
  pages
}: IStepProps & { report: ExtractReport }): React.ReactElement {
  const tests = report.tests;
  const counts = report.tests?.counts;
  const summary = counts
    ? trans.__('%1 passed, %2 failed, %3 errors', counts.passed, counts.failed, counts.error)
    : trans.__('No tests');
  return (
    <div>
      <p role="status" data-testid="nbtools-test-summary">
        {trans.__('Written to %1.', report.output)} {summary}
      </p>
      <ProblemList problems={report.problems} model={model} trans={trans} />
      <ul className="jp-nbtools-Tests" aria-label={trans.__('Test results')}>
        {(report.tests?.tests ?? []).map(test => (
          <TestRow key={test.name} test={test} model={model} trans={trans} />
        ))}
      </ul>
      {tests && (
        <button
          className="jp-nbtools-LinkButton"
          onClick={() => pages.openTests(report.output, tests)}
        >
          {trans.__('Open the test output in a tab')}
        </button>
      )}
    </div>
  );
}

function TestRow({
  test,
  model,
  trans
}: {
  test: ExtractTestResult;
  model: ProductionizeModel;
  trans: Trans;
}): React.ReactElement {
  const failed = test.failure_cell !== null;
  const target = failed ? test.failure_cell : test.cell;
  const notebook = failed ? test.failure_notebook : test.notebook;
  const notebookPath = failed ? test.failure_notebook_path : test.notebook_path;
  return (
    <li className={`jp-nbtools-Test jp-mod-${test.outcome}`}>
      <span className="jp-nbtools-Outcome">{test.outcome}</span> <code>{test.name}</code>
      {target !== null && (
        <CellLink
          model={model}
          trans={trans}
          notebook={notebook}
          notebookPath={notebookPath}
          cell={target}
          line={test.failure_line}
        />
      )}
      {test.message && <span className="jp-nbtools-Message">{test.message}</span>}
    </li>
  );
}

function ProblemList({
  problems,
  model,
  trans
}: {
  problems: ExtractProblem[];
  model: ProductionizeModel;
  trans: Trans;
}): React.ReactElement | null {
  if (!problems.length) {
    return null;
  }
  return (
    <ul className="jp-nbtools-Problems" aria-label={trans.__('Problems')}>
      {problems.map((problem, index) => (
        <li key={index} className={`jp-nbtools-Problem jp-mod-${problem.severity}`}>
          <CellLink
            model={model}
            trans={trans}
            notebook={problem.notebook}
            notebookPath={problem.notebook_path}
            cell={problem.cell}
            line={problem.line}
          />
          <span className="jp-nbtools-Message">{problem.message}</span>
          {problem.hint && <span className="jp-nbtools-Hint">{problem.hint}</span>}
        </li>
      ))}
    </ul>
  );
}

function FileList({
  report,
  trans,
  pages
}: {
  report: ExtractReport;
  trans: Trans;
  pages: IPackagePages;
}): React.ReactElement {
  return (
    <ul className="jp-nbtools-Files" aria-label={trans.__('Package files')}>
      {report.files.map(file => (
        <li key={file.path}>
          <button
            className="jp-nbtools-LinkButton"
            title={trans.__('Open %1 in a tab', file.path)}
            disabled={file.content === undefined || file.content === null}
            onClick={() => pages.openFile(report.output, file)}
          >
            <code>{file.path}</code>
          </button>{' '}
          <span className="jp-nbtools-FileStatus">{file.status}</span>
        </li>
      ))}
    </ul>
  );
}
