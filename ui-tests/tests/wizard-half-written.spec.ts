import { expect } from '@jupyterlab/galata';

import {
  attachScreenshot,
  codeCell,
  inEachTheme,
  notebookJson,
  openNotebook,
  openSection,
  violations,
  writeAndTest
} from './helpers';
import { test } from './fixtures';
import { narrowSidebar, overflowing } from './layoutChecks';
import { packageHalfWritten } from './serverState';
import { upload } from './wizard';

/* The Package wizard's preview of a package a stopped `nbtools extract` left half-written. */
test.describe('Package wizard over a half-written package', () => {
  // Its own page: the sidebar dragged to its minimum width stays so.
  test.use({ viewport: { width: 1280, height: 720 } });

  test("the preview says the package is half-written in the CLI's words, readable at the sidebar's 250 px in light and dark, until the wizard writes it again", async ({
    page,
    tmpPath
  }, testInfo) => {
    test.setTimeout(180_000);
    const notebook = `${tmpPath}/half.ipynb`;
    const tagged = notebookJson([
      { ...codeCell('fn', 'def half():\n    return 1'), metadata: { tags: ['export'] } },
      codeCell('use', 'half()')
    ]);
    await upload(page, notebook, tagged);
    // where the wizard writes this notebook's package unless told otherwise
    const said = await packageHalfWritten(page, notebook, `${tmpPath}/half`);
    expect(said).toContain(`The package in ${tmpPath}/half is half-written: `);

    await openNotebook(page, notebook);
    const panel = await openSection(page, 'half.ipynb', 'Package');
    await narrowSidebar(page);
    const sidebar = await page
      .locator('#nbtools-production-panel')
      .evaluate(node => node.getBoundingClientRect().width);
    expect(sidebar).toBeLessThanOrEqual(250);
    await panel.getByRole('button', { name: '3. Preview' }).click();
    const summary = panel.getByTestId('nbtools-preview-summary');
    await expect(summary).toHaveText(`Package half in ${tmpPath}/half`);
    // A caution, read after its warning sign, right below the summary it qualifies.
    const note = panel.getByRole('note').filter({ hasText: said });
    await expect(note).toHaveText(`Warning: ${said}`);
    await expect(summary.locator('xpath=following-sibling::*[1]')).toContainText(said);
    // Announced when a preview brings it: inside a live region present before it.
    expect(await note.evaluate(node => node.parentElement!.getAttribute('aria-live'))).toBe(
      'polite'
    );

    await inEachTheme(page, async theme => {
      await note.scrollIntoViewIfNeeded();
      await expect(note).toBeInViewport();
      expect(await violations(page, testInfo)).toEqual([]);
      expect(await overflowing(page, 2)).toEqual([]);
      await attachScreenshot(page, testInfo, `wizard-half-written-narrow-${theme}`, panel);
    });

    // The wizard's write finishes or undoes the stopped one: the next preview says nothing.
    await panel.getByRole('button', { name: '4. Write and test' }).click();
    await writeAndTest(page, panel);
    await expect(panel.getByTestId('nbtools-test-summary')).toContainText(
      `Written to ${tmpPath}/half.`
    );
    await panel.getByRole('button', { name: '3. Preview' }).click();
    await expect(summary).toHaveText(`Package half in ${tmpPath}/half`);
    await expect(panel.getByTestId('nbtools-preview-half-written')).toHaveCount(0);
    await expect(panel.getByRole('note')).toHaveCount(0);
  });
});
