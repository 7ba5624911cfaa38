import { expect } from '@jupyterlab/galata';
import type { IJupyterLabPageFixture } from '@jupyterlab/galata';
import type { Locator, Request } from '@playwright/test';

import { codeCell, notebookJson } from './helpers';

/* Helpers of the Package wizard's UI tests (wizard-*.spec.ts). */

/** A notebook whose one exported cell makes a small package. */
export function exported(name: string): string {
  return notebookJson([
    codeCell('fn', `def ${name}():\n    return 1`),
    codeCell('use', `${name}()`)
  ]);
}

export async function upload(
  page: IJupyterLabPageFixture,
  path: string,
  content: string
): Promise<void> {
  expect(await page.contents.uploadContent(content, 'text', path)).toBe(true);
}

/** A workspace save that records `output` as the package folder of the notebook at `path`. */
export function savesWizard(request: Request, path: string, output: string): boolean {
  if (request.method() !== 'PUT' || !request.url().includes('/api/workspaces')) {
    return false;
  }
  const saved = request.postDataJSON()?.data?.['jupyterlab-nbtools:productionize'];
  return saved?.notebooks?.[path]?.options?.output === output;
}

/**
 * Click the wizard's "Write and test" and return the dialog it opens, past the "Save the
 * notebook first?" one if JupyterLab marked the notebook changed again (it may, after a save).
 */
export async function writeAsked(page: IJupyterLabPageFixture, panel: Locator): Promise<Locator> {
  await panel.getByRole('button', { name: 'Write and test', exact: true }).click();
  const dialog = page.getByRole('dialog');
  await expect(dialog).toBeVisible();
  const saveFirst = dialog.getByRole('button', { name: 'Save and write' });
  if (await saveFirst.isVisible()) {
    await saveFirst.click();
    await expect(dialog).not.toContainText('Save the notebook first?');
    await expect(dialog).toBeVisible();
  }
  return dialog;
}

/** Make the open notebook at `path` the current tab (two open notebooks may share a name). */
export async function switchTo(page: IJupyterLabPageFixture, path: string): Promise<void> {
  await page.evaluate(file => {
    const app = window.jupyterapp;
    const tab = Array.from(app.shell.widgets('main')).find(
      widget => (widget as unknown as { context?: { path: string } }).context?.path === file
    );
    if (!tab) {
      throw new Error(`${file} is not open`);
    }
    app.shell.activateById(tab.id);
  }, path);
}
