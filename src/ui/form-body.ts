import { InvalidRequestError } from '../protocol/protocol-errors';

/** A parsed form or query: each field once (repeated fields are refused as ambiguous). */
export type FormFields = Readonly<Record<string, string>>;

export function toFormFields(body: unknown): FormFields {
  if (body === undefined || body === null) return {};
  if (typeof body !== 'object') throw new InvalidRequestError('the request body must be a form');
  const fields: Record<string, string> = {};
  for (const [name, value] of Object.entries(body as Record<string, unknown>)) {
    if (typeof value !== 'string') throw new InvalidRequestError(`the field ${name} must appear once`);
    fields[name] = value;
  }
  return fields;
}
