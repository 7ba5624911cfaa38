import { VDomModel } from '@jupyterlab/ui-components';

import {
  NbtoolsApiError,
  asError,
  callServicePreview,
  getServicePreview,
  getServicePreviewLog,
  getServicePreviewOpenApi,
  listServicePreviews,
  startServicePreview,
  stopServicePreview
} from '../api';
import type { ServiceCallResult, ServicePreview } from '../api';
import {
  curlCommand,
  initialValues,
  requestBody,
  tryOperations,
  validationErrors
} from './tryItForm';
import type { FieldErrors, FieldValues, ITryOperation } from './tryItForm';

/** How often a starting preview's state and log are read, in milliseconds. */
const POLL_MS = 400;
/** How often a ready preview's log is read (it is followed until Stop). */
const FOLLOW_MS = 1000;

/**
 * The Serve step's state: one preview of the package being productionized,
 * its log, the try-it form built from its OpenAPI document and the last answer.
 */
export class ServePreviewModel extends VDomModel {
  preview: ServicePreview | null = null;
  log = '';
  busy = false;
  /** An error of the step itself (start, stop, a call that failed), or `null`. */
  message: string | null = null;
  operations: ITryOperation[] = [];
  endpoint = '';
  values: FieldValues = {};
  errors: FieldErrors = {};
  response: ServiceCallResult | null = null;
  /** Start options: the API key the preview will need (none when empty)… */
  startApiKey = '';
  /** …and whether its traffic is recorded in the project's store. */
  startRecord = false;
  /** The key the try-it form sends (`X-API-Key`) to a preview that needs one. */
  apiKey = '';

  get operation(): ITryOperation | undefined {
    return this.operations.find(operation => operation.name === this.endpoint);
  }

  /** The `curl` command for the form as it is (the fields that can be read). */
  get curl(): string {
    const operation = this.operation;
    if (!this.preview || !operation) {
      return '';
    }
    return curlCommand(
      this.preview.url,
      operation.name,
      requestBody(operation, this.values).body,
      this.preview.needs_api_key
    );
  }

  /** Show the running preview of `packageDir`, if there is one. */
  async attach(packageDir: string): Promise<void> {
    if (this.preview?.package_dir === packageDir) {
      return;
    }
    this._reset();
    try {
      const running = (await listServicePreviews()).find(
        preview => preview.package_dir === packageDir && preview.state !== 'exited'
      );
      if (running) {
        this.preview = running;
        await this._follow();
      }
    } catch (reason) {
      this._fail(reason);
    }
  }

  /**
   * Start the preview of `packageDir` and follow it until it is ready or ends. A start
   * refused because the preview ended first (403, 400 or 409 naming it: `details.id`) shows
   * the reason as the step's message, and that ended preview with its log, until Stop.
   */
  async start(packageDir: string): Promise<void> {
    if (this.busy) {
      return;
    }
    this._reset();
    await this._whileBusy(async () => {
      try {
        this.preview = await startServicePreview(packageDir, {
          api_key: this.startApiKey || undefined,
          record: this.startRecord
        });
        this.apiKey = this.startApiKey;
      } catch (reason) {
        const ended = reason instanceof NbtoolsApiError ? reason.details.id : undefined;
        if (typeof ended !== 'string') {
          throw reason;
        }
        this._fail(reason);
        this.preview = await getServicePreview(ended).catch(() => null);
      }
    });
    try {
      await this._follow();
    } catch (reason) {
      this._fail(reason);
    }
  }

  async stop(): Promise<void> {
    const preview = this.preview;
    if (!preview || this.busy) {
      return;
    }
    await this._whileBusy(async () => {
      await stopServicePreview(preview.id);
      this._reset();
    });
  }

  setStartOptions(options: { apiKey?: string; record?: boolean }): void {
    this.startApiKey = options.apiKey ?? this.startApiKey;
    this.startRecord = options.record ?? this.startRecord;
    this._changed();
  }

  setApiKey(key: string): void {
    this.apiKey = key;
    this._changed();
  }

  selectEndpoint(name: string): void {
    const operation = this.operations.find(item => item.name === name);
    this.endpoint = name;
    this.values = operation ? initialValues(operation) : {};
    this.errors = {};
    this.response = null;
    this._changed();
  }

  setValue(name: string, value: string | boolean): void {
    this.values = { ...this.values, [name]: value };
    this.errors = Object.fromEntries(
      Object.entries(this.errors).filter(([field]) => field !== name)
    );
    this._changed();
  }

  /** Send the form; a 422 puts each field's message next to the field. */
  async send(): Promise<void> {
    const { preview, operation } = this;
    if (!preview || !operation || this.busy) {
      return;
    }
    const { body, errors } = requestBody(operation, this.values);
    this.errors = errors;
    this.response = null;
    this.message = null;
    if (Object.keys(errors).length) {
      this._changed();
      return;
    }
    await this._whileBusy(async () => {
      const key = preview.needs_api_key ? this.apiKey : '';
      this.response = await callServicePreview(preview.id, operation.name, body, key);
      if (this.response.status === 422) {
        this.errors = validationErrors(this.response.body);
      }
    });
  }

  /** Read the preview's state and log until it ends or is stopped: once it is
   * ready, build its form and keep following the log (more slowly). */
  private async _follow(): Promise<void> {
    let preview = this.preview;
    let ready = false;
    while (preview && preview === this.preview && !this.isDisposed) {
      const [state, log] = await Promise.all([
        getServicePreview(preview.id),
        getServicePreviewLog(preview.id)
      ]);
      if (preview !== this.preview) {
        return; // stopped or replaced meanwhile
      }
      this.preview = preview = state;
      this.log = log.log;
      if (state.state === 'ready' && !ready) {
        ready = true;
        const operations = tryOperations(await getServicePreviewOpenApi(state.id));
        if (preview !== this.preview) {
          return;
        }
        this.operations = operations;
        this.selectEndpoint(operations[0]?.name ?? '');
      }
      if (state.state === 'exited') {
        this.message = state.failure
          ? state.failure.message
          : ready
            ? `The service of ${state.package} ended (exit code ${String(state.exit_code)}): see its log.`
            : `The service of ${state.package} ended (exit code ${String(state.exit_code)}) before it was ready: see its log.`;
        this._changed();
        return;
      }
      this._changed();
      await new Promise(resolve => setTimeout(resolve, ready ? FOLLOW_MS : POLL_MS));
    }
  }

  /** Make one request of the preview's server: the buttons are disabled
   * meanwhile, and a failure is shown as the step's message. */
  private async _whileBusy(request: () => Promise<void>): Promise<void> {
    this.busy = true;
    this._changed();
    try {
      await request();
    } catch (reason) {
      this._fail(reason);
    } finally {
      this.busy = false;
      this._changed();
    }
  }

  private _reset(): void {
    this.preview = null;
    this.log = '';
    this.message = null;
    this.operations = [];
    this.endpoint = '';
    this.values = {};
    this.errors = {};
    this.response = null;
    this.apiKey = '';
    this._changed();
  }

  private _fail(reason: unknown): void {
    this.message = asError(reason).message;
    this._changed();
  }

  private _changed(): void {
    if (!this.isDisposed) {
      this.stateChanged.emit(undefined);
    }
  }
}
