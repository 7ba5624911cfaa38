import type { OpenApiDocument } from '../api/services';

/** How a request property is entered. */
export type FieldKind = 'number' | 'integer' | 'boolean' | 'string' | 'choice' | 'json';

/** One input of the try-it form: a property of an endpoint's request body. */
export interface ITryField {
  name: string;
  kind: FieldKind;
  required: boolean;
  /** The allowed values of a `choice` (a `Literal` in the signature). */
  choices: unknown[];
  /** The default value from the signature, if any. */
  default?: unknown;
}

/** A served function: `POST /<name>` and its request's fields. */
export interface ITryOperation {
  name: string;
  summary: string;
  fields: ITryField[];
}

/** What the user typed: text for most kinds, a flag for booleans. */
export type FieldValues = Record<string, string | boolean>;

type Schema = Record<string, unknown>;

function asSchema(value: unknown): Schema {
  return typeof value === 'object' && value !== null ? (value as Schema) : {};
}

function resolve(document: OpenApiDocument, schema: Schema): Schema {
  const ref = schema.$ref;
  if (typeof ref === 'string' && ref.startsWith('#/components/schemas/')) {
    const name = ref.slice('#/components/schemas/'.length);
    return asSchema(document.components?.schemas?.[name]);
  }
  return schema;
}

/** The kind of input for a property schema (`X | None` reads as `X`). */
function kindOf(schema: Schema): { kind: FieldKind; choices: unknown[] } {
  const variants = Array.isArray(schema.anyOf)
    ? (schema.anyOf as unknown[]).map(asSchema).filter(variant => variant.type !== 'null')
    : [schema];
  const only = variants.length === 1 ? variants[0] : {};
  if (Array.isArray(only.enum)) {
    return { kind: 'choice', choices: only.enum as unknown[] };
  }
  if ('const' in only) {
    return { kind: 'choice', choices: [only.const] };
  }
  switch (only.type) {
    case 'number':
    case 'integer':
    case 'boolean':
    case 'string':
      return { kind: only.type, choices: [] };
    default:
      return { kind: 'json', choices: [] };
  }
}

/** The served functions of a service's OpenAPI document (batch forms left out). */
export function tryOperations(document: OpenApiDocument): ITryOperation[] {
  const operations: ITryOperation[] = [];
  for (const [path, item] of Object.entries(document.paths ?? {})) {
    const post = asSchema(item.post);
    const name = path.slice(1);
    if (!item.post || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
      continue;
    }
    const content = asSchema(asSchema(asSchema(post.requestBody).content)['application/json']);
    const body = resolve(document, asSchema(content.schema));
    const required = new Set(Array.isArray(body.required) ? (body.required as string[]) : []);
    const fields = Object.entries(asSchema(body.properties)).map(([field, value]) => {
      const schema = asSchema(value);
      return {
        name: field,
        ...kindOf(schema),
        required: required.has(field),
        ...('default' in schema ? { default: schema.default } : {})
      };
    });
    const summary = typeof post.description === 'string' ? post.description : '';
    operations.push({ name, summary, fields });
  }
  return operations;
}

/** The form's starting values: each field's default, in its input's form. */
export function initialValues(operation: ITryOperation): FieldValues {
  const values: FieldValues = {};
  for (const field of operation.fields) {
    if (field.kind === 'boolean') {
      values[field.name] = field.default === true;
    } else if (field.default === undefined || field.default === null) {
      values[field.name] = '';
    } else if (field.kind === 'string' && typeof field.default === 'string') {
      values[field.name] = field.default;
    } else if (typeof field.default === 'number') {
      values[field.name] = String(field.default);
    } else {
      values[field.name] = JSON.stringify(field.default);
    }
  }
  return values;
}

/** The error messages of the form, by field name (empty when it can be sent). */
export type FieldErrors = Record<string, string>;

/**
 * The request body from the form's values, or the errors of the fields that
 * cannot be read. An empty optional field is left out (its default applies).
 */
export function requestBody(
  operation: ITryOperation,
  values: FieldValues
): { body: Record<string, unknown>; errors: FieldErrors } {
  const body: Record<string, unknown> = {};
  const errors: FieldErrors = {};
  for (const field of operation.fields) {
    const value = values[field.name];
    if (typeof value === 'boolean') {
      body[field.name] = value;
      continue;
    }
    const text = (value ?? '').trim();
    if (text === '') {
      if (field.required) {
        errors[field.name] = 'Required.';
      }
      continue;
    }
    switch (field.kind) {
      case 'number': {
        const number = Number(text);
        if (Number.isFinite(number)) {
          body[field.name] = number;
        } else {
          errors[field.name] = 'Enter a number.';
        }
        break;
      }
      case 'integer':
        if (/^-?\d+$/.test(text)) {
          body[field.name] = Number(text);
        } else {
          errors[field.name] = 'Enter a whole number.';
        }
        break;
      case 'choice':
      case 'json':
        try {
          body[field.name] = JSON.parse(text) as unknown;
        } catch {
          errors[field.name] = 'Enter JSON, e.g. [1, 2] or {"a": 1}.';
        }
        break;
      default:
        body[field.name] = value;
    }
  }
  return { body, errors };
}

/** The field messages of a service's 422 answer, by field name. */
export function validationErrors(answer: unknown): FieldErrors {
  const details = asSchema(asSchema(answer).details);
  const errors: FieldErrors = {};
  const fields = Array.isArray(details.fields) ? (details.fields as unknown[]) : [];
  for (const item of fields.map(asSchema)) {
    if (typeof item.field === 'string' && typeof item.message === 'string') {
      errors[item.field] = item.message;
    }
  }
  return errors;
}

function shellQuote(text: string): string {
  return `'${text.replace(/'/g, "'\\''")}'`;
}

/** The `curl` command calling `endpoint` of the service at `url` with `body`. */
export function curlCommand(
  url: string,
  endpoint: string,
  body: Record<string, unknown>,
  needsApiKey = false
): string {
  return [
    'curl -s -X POST',
    shellQuote(`${url}/${endpoint}`),
    "-H 'Content-Type: application/json'",
    // the key stays out of the command (and the clipboard): the shell fills it in
    ...(needsApiKey ? ['-H "X-API-Key: $API_KEY"'] : []),
    '-d',
    shellQuote(JSON.stringify(body))
  ].join(' ');
}
