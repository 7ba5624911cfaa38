import { Notification } from '@jupyterlab/apputils';

/** How long a success notification stays before it fades, in milliseconds. */
const SUCCESS_MS = 5000;

/**
 * Tell the user that something worked: a JupyterLab notification that fades
 * by itself (and stays in the notification centre), never a message that
 * lingers in the panel after its cause is gone.
 */
export function notifySuccess(message: string, actions: Notification.IAction[] = []): void {
  Notification.success(message, { autoClose: SUCCESS_MS, actions });
}

/**
 * Tell the user that an action failed where no field or section shows it:
 * an error notification that stays until dismissed.
 */
export function notifyFailure(message: string): void {
  Notification.error(message, { autoClose: false });
}
