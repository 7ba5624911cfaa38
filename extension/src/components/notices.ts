import { Notification, showErrorMessage } from '@jupyterlab/apputils';
import type { TranslationBundle } from '@jupyterlab/translation';

import { asError } from '../api';

/** How long a notification of news stays before it fades, in milliseconds. */
const FADE_MS = 5000;

/**
 * Tell the user news that needs no answer (a success, a run that ended, an
 * alert): a JupyterLab notification that fades by itself and stays in the
 * notification centre — never a message that lingers in the panel after its
 * cause is gone.
 */
export function notifyNews(
  type: 'success' | 'info' | 'warning' | 'error',
  message: string,
  actions: Notification.IAction[] = []
): void {
  Notification.emit(message, type, { autoClose: FADE_MS, actions });
}

/** Tell the user that something worked (see `notifyNews`). */
export function notifySuccess(message: string, actions: Notification.IAction[] = []): void {
  notifyNews('success', message, actions);
}

/**
 * Tell the user that an action failed where no field or section shows it:
 * an error notification that stays until dismissed.
 */
export function notifyFailure(message: string): void {
  Notification.error(message, { autoClose: false });
}

/** What a progress notification says while the work runs and once it ends. */
export interface IProgressMessages<T> {
  pending: string;
  success: (result: T) => string;
  /** What failed; the notification adds the reason and a Details action showing it whole. */
  failure: string;
}

/**
 * Show a JupyterLab notification with a progress indicator while `work` runs, then
 * turn it into a fading success or an error that stays until dismissed (a toast shows
 * 140 characters: its Details action shows the whole reason).
 *
 * @returns the work's result, or `null` when it failed (the notification says why).
 */
export async function withProgress<T>(
  work: Promise<T>,
  messages: IProgressMessages<T>,
  trans: TranslationBundle
): Promise<T | null> {
  const id = Notification.emit(messages.pending, 'in-progress', { autoClose: false });
  try {
    const result = await work;
    Notification.update({
      id,
      message: messages.success(result),
      type: 'success',
      autoClose: FADE_MS
    });
    return result;
  } catch (reason) {
    const error = asError(reason);
    Notification.update({
      id,
      message: `${messages.failure}: ${error.message}`,
      type: 'error',
      autoClose: false,
      actions: [
        {
          label: trans.__('Details'),
          callback: () => void showErrorMessage(messages.failure, error)
        }
      ]
    });
    return null;
  }
}
