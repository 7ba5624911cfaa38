import { Notification } from '@jupyterlab/apputils';

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
