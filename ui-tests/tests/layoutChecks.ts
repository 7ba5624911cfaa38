/**
 * Layout checks shared by the layout specs: what overflows its box, buttons whose label wraps,
 * lines cut off, and the sidebar narrowed to its minimum width.
 */
import { expect } from '@jupyterlab/galata';
import type { IJupyterLabPageFixture } from '@jupyterlab/galata';
import type { Locator } from '@playwright/test';

/**
 * Our elements wider than their box (scrollWidth > clientWidth): the panel,
 * each section's content and, when shown, the dashboard, a job page and a job form; as
 * readable lines.
 */
export async function overflowing(
  page: IJupyterLabPageFixture,
  atLeast: number
): Promise<string[]> {
  const found = await page.evaluate(() => {
    const boxes = [
      ...document.querySelectorAll<HTMLElement>(
        '#nbtools-production-panel, #nbtools-production-panel .lm-AccordionPanel > .lm-Widget:not(.jp-AccordionPanel-title), .jp-nbtools-DashboardWidget, .jp-nbtools-JobPageWidget, .jp-nbtools-JobPageWidget .jp-nbtools-JobPage, .jp-nbtools-JobFormWidget'
      )
    ].filter(box => box.offsetParent !== null);
    const wide = boxes
      .filter(box => box.scrollWidth > box.clientWidth)
      .map(box => `${box.id || box.className}: ${box.scrollWidth} > ${box.clientWidth}`);
    return { measured: boxes.length, wide };
  });
  expect(found.measured).toBeGreaterThanOrEqual(atLeast);
  return found.wide;
}

/**
 * Our buttons with a label that wraps onto a second line (a text of the button laid out on
 * more than one line), as readable lines.
 */
export async function wrappedButtons(page: IJupyterLabPageFixture): Promise<string[]> {
  return page.evaluate(() => {
    const wraps = (text: Text): boolean => {
      const range = document.createRange();
      range.selectNodeContents(text);
      return new Set([...range.getClientRects()].map(rect => Math.round(rect.top))).size > 1;
    };
    return [...document.querySelectorAll<HTMLElement>('#nbtools-production-panel button')]
      .filter(button => button.offsetParent !== null)
      .filter(button => {
        const texts = document.createTreeWalker(button, NodeFilter.SHOW_TEXT);
        for (let text = texts.nextNode(); text; text = texts.nextNode()) {
          if ((text.textContent ?? '').trim() && wraps(text as Text)) {
            return true;
          }
        }
        return false;
      })
      .map(button => `${button.textContent!.trim()} (${button.getBoundingClientRect().width}px)`);
  });
}

/**
 * How many lines of an element's text show inside its box (those cut off lie below it), and
 * whether some are cut off.
 */
export async function linesShown(element: Locator): Promise<{ lines: number; cut: boolean }> {
  return element.evaluate(node => {
    const range = document.createRange();
    range.selectNodeContents(node);
    const bottom = node.getBoundingClientRect().bottom + 1;
    const rects = [...range.getClientRects()].filter(rect => rect.bottom <= bottom);
    return {
      lines: new Set(rects.map(rect => Math.round(rect.top))).size,
      cut: node.scrollHeight > node.clientHeight
    };
  });
}

/** Drag the left sidebar's edge all the way left: the sidebar takes its minimum width. */
export async function narrowSidebar(page: IJupyterLabPageFixture): Promise<void> {
  const handle = page.locator('#jp-main-split-panel > .lm-SplitPanel-handle').first();
  const box = await handle.boundingBox();
  expect(box).not.toBeNull();
  await page.mouse.move(box!.x + box!.width / 2, box!.y + box!.height / 2);
  await page.mouse.down();
  await page.mouse.move(0, box!.y + box!.height / 2, { steps: 5 });
  await page.mouse.up();
}

/**
 * Whether the placeholder of the empty text or search box `field` shows whole: its text, typed in,
 * would not scroll (the box's inner width, less the room a search box keeps for its clear
 * button, holds it).
 */
export async function placeholderFits(field: Locator): Promise<boolean> {
  return field.evaluate((input: HTMLInputElement) => {
    input.value = input.placeholder;
    const fits = input.scrollWidth <= input.clientWidth;
    input.value = '';
    return fits;
  });
}
